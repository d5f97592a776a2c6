"""callbacks/charts.py: history charts load the selection's data; styles follow the screen."""

from __future__ import annotations

import pandas as pd

from twin_dashboard.callbacks.charts import TREND_DAYS, coverage_data, style_of, trend_data
from twin_dashboard.domain.access import Viewer

BOSS = Viewer("boss", "commander")  # the whole district


def test_cbch001_trend_covers_the_last_month_of_the_selection(demo):
    trend = trend_data(demo, BOSS, {"neighborhood": "yunfang"})
    assert len(trend) and trend.index.max() <= demo.now() + pd.Timedelta(days=1)
    assert (trend.index.max() - trend.index.min()).days <= TREND_DAYS
    whole = trend_data(demo, BOSS, None)
    assert whole.to_numpy().sum() > trend.to_numpy().sum() > 0  # a neighborhood is a part


def test_cbch002_coverage_of_a_neighborhood_is_its_subdistricts_zones(demo):
    zones = coverage_data(demo, BOSS, {"neighborhood": "yunfang"})
    patrol_zones = demo.atlas.geo().layers["patrol_zones"]
    expected = set(patrol_zones.loc[patrol_zones["subdistrict_id"] == "beiwaitan", "id"])
    assert set(zones["zone_id"]) == expected


def test_cbch003_the_wall_reads_from_afar(demo):
    wall = style_of({"screen": "wall", "lang": "zh"}, {"width": 3840})
    desk = style_of({"screen": "desk", "lang": "en"}, {"width": 1920})
    assert wall.theme == "dark" and wall.font_px > desk.font_px and wall.top_categories
    assert desk.theme == "light" and desk.lang == "en" and desk.top_categories is None
