"""社区大脑's views: the choropleth layers, its colour classes and legend, the chart."""

from __future__ import annotations

import geopandas as gpd
from shapely.geometry import MultiPolygon, box

from twin_dashboard.views.brain import (
    NONE_RGB,
    RAMP,
    brain_figure,
    brain_layers,
    brain_map,
    legend_steps,
    ramp_class,
    ramp_colors,
)
from twin_dashboard.views.charts import ChartStyle

AREAS = gpd.GeoDataFrame(
    {"id": ["a", "b", "c"], "name": ["甲", "乙", "丙"], "name_en": ["A", "", "C"],
     "subdistrict_id": ["s1", "s1", "s2"]},
    geometry=[box(0, 0, 1, 1), MultiPolygon([box(2, 0, 3, 1), box(4, 0, 5, 1)]), box(6, 0, 7, 1)],
    crs="EPSG:4326")
COUNTS = [{"id": "a", "count": 10}, {"id": "b", "count": 0}]  # c is outside the result


def test_classes_run_from_zero_to_the_largest():
    assert ramp_class([0, 1, 5, 10]).tolist() == [-1, 0, 2, 4]
    assert ramp_colors([0])[0][:3] == list(NONE_RGB)
    assert ramp_colors([10, 10])[0][:3] == list(RAMP[-1])


def test_legend_covers_one_to_the_largest_without_gaps():
    steps = legend_steps([0, 3, 10])
    assert [s for s, _ in steps] == ["1", "2–3", "4–5", "6–7", "8–10"]
    assert legend_steps([0, 0]) == [] and legend_steps([1]) == [("1", [*RAMP[0], 255])]


def test_layers_hold_each_area_of_the_result_with_its_count_as_label():
    fill, labels = brain_layers(AREAS, COUNTS, "light", "en")
    assert fill["@@type"] == "PolygonLayer" and labels["@@type"] == "TextLayer"
    columns = fill["data"]["columns"]
    assert columns["id"] == ["a", "b", "b"]  # b's two parts, c not in the result
    assert list(columns["count"]) == [10, 0, 0] and columns["name"] == ["A", "乙", "乙"]
    assert fill["meta"]["pick"] == "neighborhoods"
    assert labels["data"]["columns"]["text"] == ["10", "0"]
    assert brain_map(AREAS, None, "light", "zh") == {"key": "", "layers": []}
    assert len(brain_map(AREAS, {"by": "neighborhood", "areas": COUNTS}, "dark",
                         "zh")["layers"]) == 2


def test_chart_shows_the_areas_with_people_most_on_top():
    result = {"areas": [{"id": "a", "name": "甲", "count": 3},
                        {"id": "b", "name": "乙", "count": 0},
                        {"id": "c", "name": "丙", "count": 7}]}
    bars = brain_figure(result, ChartStyle()).data[0]
    assert list(bars.y) == ["甲", "丙"] and list(bars.x) == [3, 7]  # plotly draws bottom up
    assert list(bars.customdata) == ["a", "c"]
    assert brain_figure({"areas": [{"id": "b", "name": "乙", "count": 0}]},
                        ChartStyle()).data == ()
