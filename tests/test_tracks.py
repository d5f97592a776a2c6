"""Patrol tracks: parsing, the roads a track walks along (in metres), lengths, the desk boards."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, box

from tests._field_fixtures import LAT, ROADS, T0, load_field
from twin_dashboard.domain.tracks import (
    TrackRefused,
    check_inside,
    parse_track,
    patrol_lengths,
    record_patrol,
    road_chief_boards,
    roads_passed,
    track_length_m,
)
from twin_dashboard.store.base import Scope, open_store

ROAD_FRAME = gpd.GeoDataFrame({"id": list(ROADS)}, geometry=[LineString(c) for c in
                                                              ROADS.values()], crs="EPSG:4326")
M = 1 / 111_000  # about a metre of latitude, in degrees


@pytest.mark.parametrize(("offset_m", "expected"), [(0, ["r1", "r2"]), (15, ["r1", "r2"]),
                                                    (30, [])])
def test_trk001_roads_within_20_m_along_the_track(offset_m, expected):
    track = LineString([(121.4901, LAT + offset_m * M), (121.4999, LAT + offset_m * M)])
    assert roads_passed(track, ROAD_FRAME) == expected


def test_trk002_a_short_stretch_of_a_long_road_is_not_enough_crossing_is_not_walking():
    across = LineString([(121.4900, 31.2490), (121.4900, 31.2510)])  # across r1's west end
    assert roads_passed(across, ROAD_FRAME) == []
    half = LineString([(121.4901, LAT), (121.4930, LAT)])  # ~275 m of r1's 475 m
    assert roads_passed(half, ROAD_FRAME) == ["r1"]
    assert roads_passed(half, ROAD_FRAME.iloc[:0]) == []


def test_trk003_parse_and_measure():
    line = parse_track({"type": "LineString", "coordinates": [[121.49, LAT, 4.0],
                                                              [121.50, LAT, 5.0]]})
    assert line.coords[0] == (121.49, LAT)
    assert track_length_m([line, None])[0] == pytest.approx(951, abs=3)
    with pytest.raises(TrackRefused, match="LineString is needed, not 'list'"):
        parse_track([[121.49, LAT], [121.50, LAT]])


def test_trk004_inside_the_district_or_within_200_m():
    district = box(121.48, 31.24, 121.52, 31.28)
    check_inside(LineString([(121.519, LAT), (121.5215, LAT)]), district)  # ~140 m out
    check_inside(LineString([(121.60, LAT), (121.61, LAT)]), None)  # no geography loaded
    with pytest.raises(TrackRefused, match="outside the district"):
        check_inside(LineString([(121.50, LAT), (121.53, LAT)]), district)


@pytest.fixture
def store(store_url):
    store = open_store(store_url)
    load_field(store)
    yield store
    store.close()


def walk(store, zone: str, chief: str, hours_ago: float, coords) -> str:
    line = LineString(coords)
    end = T0 - pd.Timedelta(hours=hours_ago)
    return record_patrol(store, {"id": zone, "subdistrict_id": "beiwaitan"}, chief,
                         end - pd.Timedelta(minutes=30), end, line,
                         roads_passed(line, store.read_layer("roads")))


def test_trk005_the_desk_boards_per_zone_and_per_chief(store):
    along = [(121.4901, LAT), (121.4999, LAT)]
    walk(store, "z1", "p-gov", 2, along)
    walk(store, "z1", "p-com", 30, along[:1] + [(121.4949, LAT)])
    walk(store, "z1", "p-gov", 24 * 10, along)  # too long ago for the 7-day figures
    zones, chiefs = road_chief_boards(store, Scope(), T0)
    z1 = zones.set_index("zone_id").loc["z1"]
    assert (z1["gov_chief_id"], z1["community_chief_id"]) == ("p-gov", "p-com")
    assert not z1["overdue"] and z1["hours_since"] == pytest.approx(2)
    assert (z1["segments"], z1["segments_covered"]) == (3, 2)
    assert z1["coverage_share"] == pytest.approx(2 / 3)
    z2 = zones.set_index("zone_id").loc["z2"]
    assert z2["overdue"] and pd.isna(z2["last_patrol_end"]) and z2["coverage_share"] == 0.0
    by = chiefs.set_index("chief_id")
    assert list(by.index) == ["p-gov", "p-com", "p-gov2", "p-com2"]
    assert by.loc["p-gov", "chief_role"] == "gov" and by.loc["p-gov", "zone_ids"] == ["z1"]
    assert by.loc["p-gov", "patrols"] == 1 and by.loc["p-gov", "km"] == pytest.approx(0.93,
                                                                                    abs=0.02)
    assert by.loc["p-com", "patrols"] == 1 and by.loc["p-com", "km"] == pytest.approx(0.46,
                                                                                    abs=0.02)
    assert by.loc["p-gov2", "patrols"] == 0 and by.loc["p-gov2", "km"] == 0.0
    only = road_chief_boards(store, Scope(frozenset(["ouyanglu"])), T0)[0]
    assert list(only["zone_id"]) == ["z2"]


def test_trk006_lengths_of_stored_patrols(store):
    pid = walk(store, "z1", "p-gov", 1, [(121.4901, LAT), (121.4999, LAT)])
    lengths = patrol_lengths(store.read_records("patrols"))
    assert lengths[pid] == pytest.approx(931, abs=5)
