"""Chart figures: right numbers, theme colours, no network, one language."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from twin_dashboard.catalog import DEVICE_CATEGORIES, DEVICE_STATES
from twin_dashboard.profiles import profile
from twin_dashboard.views import charts
from twin_dashboard.views.theme import STATE_COLORS, hex_of

CJK = re.compile(r"[\u3400-\u9fff]")
EN = charts.ChartStyle("light", 13, None, "en")
ZH = charts.ChartStyle("dark", 26, 8, "zh")


def _by_category(alarm_in: str = "smoke") -> dict[str, dict[str, int]]:
    counts = {c.code: {s: 0 for s in DEVICE_STATES} for c in DEVICE_CATEGORIES}
    for i, c in enumerate(DEVICE_CATEGORIES):
        counts[c.code]["normal"] = 100 + i
        counts[c.code]["offline"] = i
    counts[alarm_in]["alarm"] = 50
    return counts


def _texts(fig) -> str:
    """Every string a figure would draw (trace names, labels, ticks, annotations)."""
    data = fig.to_plotly_json()
    parts = [json.dumps(t.get("name", ""), ensure_ascii=False) for t in data["data"]]
    for trace in data["data"]:
        for key in ("x", "y", "text"):
            values = trace.get(key)
            if isinstance(values, list | tuple):  # numbers travel as typed arrays (dicts)
                parts += [v for v in values if isinstance(v, str)]
            elif isinstance(values, str):
                parts.append(values)
    parts += [a.get("text", "") for a in data["layout"].get("annotations", [])]
    return " ".join(parts)


def test_chr001_funnel_counts_and_shares_in_level_order() -> None:
    funnel = {"property": {"count": 90, "share": 0.9}, "committee": {"count": 8, "share": 0.08},
              "subdistrict": {"count": 2, "share": 0.02}}
    fig = charts.funnel_figure(funnel, EN)
    trace = fig.data[0]
    assert list(trace.x) == [90, 8, 2]
    assert list(trace.y) == ["Property", "Committee", "Subdistrict"]
    assert "90.0%" in trace.text[0]


def test_chr002_empty_data_gives_an_empty_figure_with_a_note() -> None:
    fig = charts.funnel_figure({}, EN)
    assert not fig.data and fig.layout.annotations[0].text == "No data"


def test_chr003_devices_not_normal_stacked_in_theme_colours() -> None:
    fig = charts.device_state_figure(_by_category(), EN)
    assert fig.layout.barmode == "stack"
    assert [t.marker.color for t in fig.data] == [hex_of(STATE_COLORS[s])
                                                  for s in DEVICE_STATES if s != "normal"]
    assert len(fig.data[0].y) == len(DEVICE_CATEGORIES) - 1  # door_contact has no trouble
    assert fig.data[0].y[-1] == "Smoke detector"  # the most troubled category is on top
    assert list(fig.data[0].customdata)[-1] == 102 + 2 + 50  # normal + offline + alarm


def test_chr004_wall_keeps_the_most_troubled_categories() -> None:
    fig = charts.device_state_figure(_by_category("gas"), ZH)
    assert len(fig.data[0].y) == profile("wall").top_categories
    assert fig.data[0].y[-1] == "燃气报警"
    assert fig.layout.font.size == 26


def test_chr005_alarms_by_rule_merge_and_rank() -> None:
    fig = charts.alarm_figure({"smoke": 3, "gas": 5, "no_activity_12h": 2}, EN)
    assert list(fig.data[0].y) == ["No activity", "Smoke detector", "Gas alarm"]
    assert list(fig.data[0].x) == [2, 3, 5]


def test_chr006_trend_uses_numeric_dates_and_source_colours() -> None:
    index = pd.date_range("2026-11-01", periods=3, freq="D", tz="Asia/Shanghai")
    frame = pd.DataFrame({"sensor": [1, 2, 3], "hotline": [0, 1, 0]}, index=index)
    fig = charts.incident_trend_figure(frame, EN)
    assert fig.layout.xaxis.tickformat == "%m-%d"
    assert [t.name for t in fig.data] == ["Sensor", "Hotline"]
    assert list(fig.data[0].y) == [1, 2, 3]


def test_chr007_coverage_puts_overdue_zones_on_top() -> None:
    zones = pd.DataFrame({"zone_id": ["a", "b"], "name": ["甲片区", "乙片区"],
                          "target_hours": [24.0, 24.0], "hours_since": [2.0, 60.0],
                          "covered": [True, False]})
    fig = charts.coverage_figure(zones, EN)
    assert list(fig.data[0].y) == ["甲片区", "乙片区"]  # plotly's last row is the top one
    assert fig.data[0].marker.color[-1] == hex_of(STATE_COLORS["alarm"])


def test_chr008_no_network_and_no_plotly_branding() -> None:
    assert charts.GRAPH_CONFIG["displaylogo"] is False
    assert charts.GRAPH_CONFIG["showEditInChartStudio"] is False
    fig = charts.device_state_figure(_by_category(), ZH)
    text = fig.to_json()
    assert "mapbox" not in text and "http" not in text
    assert not any(t.type.endswith(("mapbox", "map", "geo")) for t in fig.data)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_chr009_figures_speak_one_language(lang: str) -> None:
    style = charts.ChartStyle("light", 13, None, lang)
    figs = [charts.device_state_figure(_by_category(), style),
            charts.alarm_figure({"smoke": 1, "no_water_24h": 1}, style),
            charts.funnel_figure({"property": {"count": 1, "share": 1.0}}, style),
            charts.empty_figure(style)]
    text = " ".join(_texts(f) for f in figs)
    if lang == "en":
        assert not CJK.search(text)
    else:
        assert not re.search(r"[A-Za-z]", re.sub(r'"[a-z_]*"', "", text))


def test_chr010_wall_fonts_grow_with_the_wall() -> None:
    assert charts.chart_style("wall", 3840, "zh").font_px >= 26
    assert charts.chart_style("wall", 1920, "zh").font_px >= 13
    assert charts.chart_style("desk", 3840, "zh").theme == "light"
