"""Per-feature checks: geometry kind and validity, the inside-district rule, attributes, ids."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from twin_dashboard.geo.layers import layer_spec
from twin_dashboard.geo.validate import (
    Problem,
    check_attributes,
    check_geometries,
    duplicate_ids,
    extra_properties,
    feature_ids,
    feature_labels,
    format_problems,
    inside_shares,
    outside_district,
)

GEOD = pyproj.Geod(ellps="WGS84")
# A 1 km × 1 km district in Hongkou, in WGS84.
WEST, SOUTH = 121.48, 31.26
EAST = GEOD.fwd(WEST, SOUTH, 90, 1000)[0]
NORTH = GEOD.fwd(WEST, SOUTH, 0, 1000)[1]
DISTRICT = shapely.box(WEST, SOUTH, EAST, NORTH)
MID_LAT = (SOUTH + NORTH) / 2


def east_of_district(metres: float) -> float:
    """The longitude ``metres`` east of the district's east edge, mid-height."""
    return GEOD.fwd(EAST, MID_LAT, 90, metres)[0]


def geoms(*items) -> np.ndarray:
    return np.array(items, dtype=object)


BOWTIE = shapely.Polygon([(121.48, 31.26), (121.49, 31.27), (121.49, 31.26), (121.48, 31.27)])


# --- geometry ------------------------------------------------------------------------------


def test_polygon_refused_for_roads_naming_the_feature():
    road = shapely.LineString([(121.48, 31.26), (121.49, 31.27)])
    result = check_geometries(geoms(road, DISTRICT), layer_spec("roads"), ["", "'中山路'"])
    assert [str(p) for p in result.problems] == [
        "feature 2 ('中山路'): a Polygon is not allowed in layer roads "
        "(it takes LineString or MultiLineString)"]
    assert result.geometry[0] is road and result.geometry[1] is None


def test_missing_and_empty_geometry():
    result = check_geometries(geoms(None, shapely.Polygon()), layer_spec("buildings"), ["", ""])
    assert [p.reason for p in result.problems] == ["has no geometry", "has an empty geometry"]


def test_bowtie_cannot_be_repaired():
    result = check_geometries(geoms(BOWTIE), layer_spec("buildings"), ["'1号楼'"])
    (problem,) = result.problems
    assert str(problem).startswith("feature 1 ('1号楼'): invalid geometry (Self-intersection[")
    assert "repairing it would make a MultiPolygon" in problem.reason


def test_repair_that_changes_the_area_is_refused():
    # make_valid (linework) drops the 1×1 overlap of the first two parts: 9 → 7, -22 %.
    overlapping = shapely.MultiPolygon([shapely.box(0, 0, 2, 2), shapely.box(1, 1, 3, 3),
                                        shapely.box(10, 10, 11, 11)])
    result = check_geometries(geoms(overlapping), layer_spec("buildings"), [""])
    (problem,) = result.problems
    assert "repairing it would change its area by 22%" in problem.reason


def test_self_touching_ring_is_repaired():
    # The ring passes (5, 10) twice: invalid, but make_valid keeps a Polygon of equal area.
    ring = [(0, 0), (10, 0), (10, 10), (5, 10), (6, 5), (4, 5), (5, 10), (0, 10), (0, 0)]
    notched = shapely.Polygon(ring)
    assert not notched.is_valid
    result = check_geometries(geoms(notched), layer_spec("buildings"), [""])
    assert result.problems == []
    assert result.geometry[0].is_valid and result.geometry[0].area == pytest.approx(95)
    assert "repaired" in result.repaired[0].reason


def test_reader_errors_become_problems():
    result = check_geometries(geoms(None), layer_spec("devices"), [""], {0: "unreadable"})
    assert [p.reason for p in result.problems] == ["unreadable"]


def test_single_point_multipoint_is_accepted_as_a_point():
    result = check_geometries(geoms(shapely.MultiPoint([(121.49, 31.27)])),
                              layer_spec("devices"), [""])
    assert result.geometry[0].geom_type == "Point"


# --- inside the district -------------------------------------------------------------------


def test_points_within_200_m_are_inside_metric_buffer():
    inside = shapely.Point(east_of_district(190), MID_LAT)
    outside = shapely.Point(east_of_district(210), MID_LAT)
    shares, distance = inside_shares(geoms(inside, outside, None), DISTRICT)
    assert shares[0] == 1.0 and shares[1] == 0.0 and np.isnan(shares[2])
    assert distance[1] == pytest.approx(210, abs=1)


def test_polygon_share_by_area_and_line_by_length():
    # A 1000 m tall strip from 200 m inside to 400 m outside the east edge: 400 of its 600 m
    # width lies within the buffered district, i.e. 2/3.
    strip = shapely.box(east_of_district(-200), SOUTH, east_of_district(400), NORTH)
    line = shapely.LineString([(east_of_district(-800), MID_LAT),
                               (east_of_district(200), MID_LAT)])
    shares, _ = inside_shares(geoms(strip, line), DISTRICT)
    assert shares[0] == pytest.approx(2 / 3, abs=0.01)
    assert shares[1] == pytest.approx(1.0)


def test_outside_features_are_named_with_the_reason():
    far = shapely.Point(east_of_district(3200), MID_LAT)
    strip = shapely.box(east_of_district(-200), SOUTH, east_of_district(400), NORTH)
    problems = outside_district(geoms(far, strip, DISTRICT), DISTRICT,
                                ["'远处'", "'半边'", ""], [0, 1, 2])
    assert [str(p) for p in problems] == [
        "feature 1 ('远处'): outside the district: 3.2 km beyond its boundary (200 m allowed)",
        "feature 2 ('半边'): outside the district: only 67% of it lies within 200 m of it "
        "(90% must)",
    ]


# --- ids, labels, attributes ---------------------------------------------------------------


def test_ids_generated_by_row_order_when_the_file_has_none():
    props = pd.DataFrame({"name": ["甲", "乙"]}, dtype=object)
    ids, from_source = feature_ids(props, "subdistricts")
    assert (ids, from_source) == (["subdistricts-001", "subdistricts-002"], False)
    assert feature_labels(props, ids, from_source) == ["'甲'", "'乙'"]


def test_ids_from_the_file_and_duplicates_name_both_rows():
    props = pd.DataFrame({"ID": ["a", "b", "a", None]}, dtype=object)
    ids, from_source = feature_ids(props, "roads")
    labels = feature_labels(props, ids, from_source)
    problems = duplicate_ids(ids, range(4), labels)
    assert [str(p) for p in problems] == [
        "feature 3 (id 'a'): duplicate id 'a', also feature 1",
        "feature 4: has no id",
    ]


def test_attributes_typed_and_checked():
    props = pd.DataFrame({
        "name": ["甲", "乙", "丙", None], "floors": [6, "7", "2.5", ""],
        "kind": ["lane", "castle", "highrise", None],
    }, dtype=object)
    labels = ["'甲'", "'乙'", "'丙'", ""]
    table, problems = check_attributes(props, layer_spec("buildings"), range(4), labels)
    assert [str(p) for p in problems] == [
        "feature 3 ('丙'): floors '2.5' is not a whole number",
        "feature 2 ('乙'): kind 'castle' is not one of lane, walkup, highrise, public, "
        "commercial",
    ]
    assert list(table.columns) == ["name", "floors", "kind", "subdistrict_id",
                                   "neighborhood_id", "district_id"]
    assert str(table["floors"].dtype) == "Int64"
    assert table["floors"].tolist()[:2] == [6, 7]


def test_required_values_and_columns():
    spec = layer_spec("addresses")
    props = pd.DataFrame({"address": ["长阳路1号", " "]}, dtype=object)
    _, problems = check_attributes(props, spec, range(2), ["", ""])
    assert [str(p) for p in problems] == ["feature 2: has no address, which is required"]
    _, problems = check_attributes(pd.DataFrame({"addr": ["x"]}), spec, range(1), [""])
    assert "the file has no 'address' column, which layer addresses requires" in \
        str(problems[0])


def test_times_and_floats():
    spec = layer_spec("devices")
    props = pd.DataFrame({"category": ["smoke"] * 3,
                          "installed_at": ["2024-03-01T08:00:00+08:00", "2024-03-01 08:00",
                                           "soon"]}, dtype=object)
    table, problems = check_attributes(props, spec, range(3), ["", "", ""])
    assert [p.reason for p in problems] == ["installed_at 'soon' is not a date/time"]
    expected = pd.Timestamp("2024-03-01T00:00:00Z")
    assert table["installed_at"].tolist()[:2] == [expected, expected]  # naive = China time
    zones = pd.DataFrame({"name": ["z"], "target_hours": ["abc"]}, dtype=object)
    _, problems = check_attributes(zones, layer_spec("patrol-zones"), range(1), [""])
    assert problems[0].reason == "target_hours 'abc' is not a number"


def test_extra_properties_collected_in_props():
    props = pd.DataFrame({"name": ["甲"], "id": ["x"], "center": [[121.4, 31.2]],
                          "level": ["district"], "blank": [None]}, dtype=object)
    assert extra_properties(props, layer_spec("district"), [0]) == [
        {"center": [121.4, 31.2], "level": "district"}]


def test_format_problems_caps_the_listing():
    problems = [Problem(i, "", "outside", "outside the district") for i in range(25, 0, -1)]
    text = format_problems(problems, total=100)
    lines = text.splitlines()
    assert lines[0] == "25 problems in 100 features (25 outside the district):"
    assert lines[1] == "  feature 1: outside"  # in file order
    assert len(lines) == 22 and lines[-1] == "  … and 5 more"
