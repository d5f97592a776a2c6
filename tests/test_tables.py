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


def _zone_board() -> pd.DataFrame:
    return pd.DataFrame({
        "zone_id": ["z1", "z2", "z3"], "name": ["甲片", "乙片", "丙片"],
        "subdistrict_id": ["s1", "s1", None], "gov_chief_id": ["c1", "c3", None],
        "community_chief_id": ["c2", None, None], "target_hours": [24.0, 24.0, None],
        "last_patrol_end": pd.to_datetime(["2026-11-28T08:00Z", "2026-11-26T08:00Z", None]),
        "hours_since": [2.0, 50.0, None], "overdue": [False, True, False],
        "segments": [4, 2, 0], "segments_covered": [3, 0, 0],
        "coverage_share": [0.75, 0.0, 0.0],
    })


def test_tbl006_zone_board_overdue_first_with_chiefs_and_coverage() -> None:
    names = {"c1": "王某", "c2": "李某"}
    got = tables.zone_board_rows(_zone_board(), names, {"s1": "一街道"}, "zh")
    assert [r["id"] for r in got] == ["z2", "z3", "z1"]  # overdue first, then by name
    assert got[0] | {} == {"id": "z2", "zone": "乙片", "subdistrict": "一街道", "gov_chief": "",
                           "community_chief": "", "last_patrol": "11-26 16:00",
                           "status": "逾期未巡", "coverage": 0, "overdue": True}
    assert (got[2]["gov_chief"], got[2]["community_chief"], got[2]["coverage"],
            got[2]["status"]) == ("王某", "李某", 75, "按时巡查")
    assert (got[1]["last_patrol"], got[1]["status"]) == ("从未巡查", "")
    assert tables.zone_board_rows(_zone_board().iloc[:0], {}, {}, "zh") == []


def test_tbl007_chief_board_most_km_first_in_both_languages() -> None:
    board = pd.DataFrame({
        "chief_id": ["c1", "c2"], "chief_role": ["gov", "community"],
        "zone_ids": [["z1", "z2"], ["z1"]], "patrols": [2, 5], "km": [1.5, 7.25],
        "last_patrol_end": pd.to_datetime(["2026-11-28T08:00Z", None])})
    zones = {"z1": "甲片", "z2": "乙片"}
    zh = tables.chief_board_rows(board, {"c1": "王某"}, zones, "zh")
    assert [(r["chief"], r["role"], r["zones"], r["patrols"], r["km"]) for r in zh] == [
        ("c2", "社区路长", "甲片", 5, 7.25), ("王某", "政府路长", "甲片、乙片", 2, 1.5)]
    en = tables.chief_board_rows(board, {"c1": "王某"}, zones, "en")
    assert (en[1]["role"], en[1]["zones"], en[0]["last_patrol"]) == (
        "Government chief", "甲片, 乙片", "Never")


def test_tbl008_board_columns_translated_and_overdue_cells_marked() -> None:
    zh = tables.board_columns(tables.ZONE_BOARD_HEADERS, "zh")
    en = tables.board_columns(tables.CHIEF_BOARD_HEADERS, "en")
    assert [c["field"] for c in zh] == list(tables.ZONE_BOARD_HEADERS)
    assert zh[0]["headerName"] == "巡查片区" and en[4]["headerName"] == "Distance (km)"
    status = next(c for c in zh if c["field"] == "status")
    assert status["cellClassRules"] == {"cell-overdue": "params.data.overdue"}
