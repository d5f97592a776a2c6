"""Rows of the incident table, the feed and the KPI tiles."""

from __future__ import annotations

import pandas as pd

from twin_dashboard.views import tables

NOW = pd.Timestamp("2026-11-28T10:00:00Z")


def _incidents() -> pd.DataFrame:
    t = pd.to_datetime
    return pd.DataFrame({
        "id": ["i1", "i2", "i3"], "title": ["井盖松动", "垃圾满溢", "积水"],
        "source": ["sensor", "hotline", "patrol"], "level": ["property", "committee", "property"],
        "status": ["resolved", "reported", "in_progress"], "neighborhood_id": ["a", "b", "a"],
        "reported_at": t(["2026-11-28T09:00Z", "2026-11-27T09:00Z", "2026-11-28T08:00Z"]),
        "sla_due_at": t(["2026-11-29T09:00Z", "2026-11-28T09:00Z", "2026-11-29T08:00Z"]),
    })


def test_tbl001_open_first_then_newest_with_labels_and_overdue() -> None:
    rows = tables.incident_rows(_incidents(), {"a": "云舫小区", "b": "瑞康小区"}, NOW, "en")
    assert [r["id"] for r in rows] == ["i3", "i2", "i1"]
    assert rows[1]["overdue"] is True and rows[0]["overdue"] is False
    assert rows[1]["source"] == "Hotline" and rows[1]["neighborhood"] == "瑞康小区"
    assert rows[0]["reported"] == "11-28 16:00"  # Shanghai time


def test_tbl002_columns_are_translated() -> None:
    assert [c["headerName"] for c in tables.incident_columns("zh")][:2] == ["编号", "事项"]
    assert [c["field"] for c in tables.incident_columns("en")] == list(tables.TABLE_FIELDS)


def test_tbl002b_columns_are_wide_enough_for_their_labels() -> None:
    """A column's floor fits its header with the sort arrow and its widest label: English
    labels are longer, so its columns are at least as wide as the Chinese ones."""
    zh, en = (tables.incident_columns(lang) for lang in ("zh", "en"))
    for z, e in zip(zh, en, strict=True):
        assert e["minWidth"] >= tables._text_px(e["headerName"]) + 38
        assert z["minWidth"] >= tables._text_px(z["headerName"]) + 38
    status = next(c for c in en if c["field"] == "status")
    assert status["minWidth"] >= tables._text_px("In progress", 0.55) + 20
    assert {c["field"] for c in en if c.get("cellClass") == "num"} == {"id", "reported", "due"}


def test_tbl002c_grid_texts_in_both_languages() -> None:
    zh, en = tables.grid_locale("zh"), tables.grid_locale("en")
    assert zh.keys() == en.keys() >= {"page", "to", "of", "noRowsToShow"}
    assert en["page"] == "Page" and zh["noRowsToShow"] == "暂无工单"


def test_tbl003_feed_merges_newest_first_and_flashes_new_critical() -> None:
    alarms = pd.DataFrame({
        "id": ["a1", "a2"], "rule": ["smoke", "gas"], "severity": ["critical", "minor"],
        "neighborhood_id": ["a", "b"],
        "raised_at": pd.to_datetime(["2026-11-28T09:58Z", "2026-11-28T07:00Z"]),
    })
    incidents = _incidents()
    items = tables.feed_items(alarms, incidents, {"a": "云舫小区"}, NOW, "zh", limit=4)
    assert [i.id for i in items] == ["a1", "i1", "i3", "a2"]
    assert items[0].flash and not items[-1].flash
    assert items[0].label == "烟感" and items[0].place == "云舫小区"
    assert items[0].ago == "2 分钟前"


def test_tbl004_kpis_are_the_summary_figures() -> None:
    summary = {
        "devices": {"total": 1000, "online_share": 0.9731},
        "alarms": {"open": 12, "by_severity": {"critical": 2}},
        "incidents": {"open": 7, "open_by_level": {"property": 5, "committee": 2},
                      "sla_breaches": 1},
        "patrols": {"coverage_share": 0.5, "segments_covered": 5, "segments": 10},
    }
    kpis = {k.key: k for k in tables.kpis(summary, "en")}
    assert kpis["online"].value == "97.3%" and kpis["online"].raw == 0.9731
    assert kpis["alarms"].raw == 12 and kpis["alarms"].alert
    assert kpis["incidents"].sub == "Property 5 · Committee 2 · Subdistrict 0"
    assert kpis["sla"].raw == 1 and kpis["coverage"].sub == "5/10 segments"


def test_tbl005_age_text_units() -> None:
    assert tables.age_text(30, "en") == "just now"
    assert tables.age_text(3 * 3600, "zh") == "3 小时前"
    assert tables.age_text(3 * 86400, "en") == "3 d ago"
