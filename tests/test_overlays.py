"""What the map shows per scope: a tiny store in, exact overlays out."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from twin_dashboard.domain import overlays as ov
from twin_dashboard.domain.atlas import Atlas
from twin_dashboard.store.base import open_store

NOW = pd.Timestamp("2026-11-01T00:00:00Z")
HOUR = pd.Timedelta(hours=1)


def _layer(rows: list[dict], geoms: list) -> gpd.GeoDataFrame:
    frame = pd.DataFrame(rows) if rows else pd.DataFrame({"id": []})
    return gpd.GeoDataFrame(frame, geometry=geoms, crs="EPSG:4326")


@pytest.fixture
def store(tmp_path):
    """Subdistrict s1 (neighborhoods a, b) and s2 (neighborhood c), five devices."""
    s = open_store(f"sqlite:///{tmp_path / 'map.db'}")
    s.replace_layer("district", _layer([{"id": "d", "name": "区", "adcode": 1}], [box(0, 0, 3, 1)]))
    s.replace_layer("subdistricts", _layer(
        [{"id": "s1", "name": "一街道", "name_en": "S1"}, {"id": "s2", "name": "二街道"}],
        [box(0, 0, 2, 1), box(2, 0, 3, 1)]))
    s.replace_layer("neighborhoods", _layer(
        [{"id": "a", "name": "甲", "subdistrict_id": "s1"},
         {"id": "b", "name": "乙", "subdistrict_id": "s1"},
         {"id": "c", "name": "丙", "subdistrict_id": "s2"}],
        [box(0, 0, 1, 1), box(1, 0, 2, 0.5), box(2, 0, 3, 1)]))
    for name in ("buildings", "roads", "landcover"):
        s.replace_layer(name, _layer([], []))
    s.replace_layer("patrol-zones", _layer(
        [{"id": "z1", "name": "一区", "subdistrict_id": "s1", "target_hours": 24.0},
         {"id": "z2", "name": "二区", "subdistrict_id": "s1", "target_hours": 24.0},
         {"id": "z3", "name": "三区", "subdistrict_id": "s2", "target_hours": 24.0}],
        [box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)]))
    devices = [("d1", "smoke", "s1", "a"), ("d2", "gas", "s1", "a"), ("d3", "parking", "s1", "b"),
               ("d4", "elevator", "s2", "c"), ("d5", "noise", "s2", "c")]
    s.replace_layer("devices", _layer(
        [{"id": i, "category": c, "name": f"dev {i}", "subdistrict_id": sd, "neighborhood_id": n}
         for i, c, sd, n in devices],
        [Point(0.5, 0.5), Point(0.6, 0.5), Point(1.5, 0.2), Point(2.5, 0.5), Point(2.6, 0.5)]))
    states = {"d1": "alarm", "d2": "normal", "d3": "fault", "d4": "normal", "d5": "normal"}
    s.replace_records("device_status", pd.DataFrame([
        {"device_id": i, "state": states[i], "last_seen": NOW - (72 if i == "d5" else 0.5) * HOUR,
         "battery": 0.9, "subdistrict_id": sd, "neighborhood_id": n}
        for i, _c, sd, n in devices]))
    s.replace_records("alarms", pd.DataFrame([
        {"id": "al1", "device_id": "d1", "subdistrict_id": "s1", "neighborhood_id": "a",
         "rule": "smoke", "severity": "critical", "status": "open", "raised_at": NOW - HOUR,
         "lon": 0.5, "lat": 0.5},
        {"id": "al2", "device_id": "d4", "subdistrict_id": "s2", "neighborhood_id": "c",
         "rule": "elevator", "severity": "major", "status": "closed", "raised_at": NOW - HOUR,
         "lon": 2.5, "lat": 0.5},
        {"id": "al3", "household_id": "h1", "subdistrict_id": "s1", "neighborhood_id": "a",
         "rule": "no_activity_12h", "severity": "major", "status": "escalated",
         "raised_at": NOW - HOUR}]))  # no position: cannot be drawn
    s.replace_records("incidents", pd.DataFrame([
        {"id": "i1", "source": "sensor", "title": "烟感", "subdistrict_id": "s1",
         "neighborhood_id": "a", "level": "property", "status": "dispatched",
         "reported_at": NOW - 30 * HOUR, "sla_due_at": NOW - 6 * HOUR, "lon": 0.5, "lat": 0.5},
        {"id": "i2", "source": "hotline", "title": "噪声", "subdistrict_id": "s2",
         "neighborhood_id": "c", "level": "committee", "status": "reported",
         "reported_at": NOW - HOUR, "sla_due_at": NOW + 71 * HOUR, "lon": 2.5, "lat": 0.5},
        {"id": "i3", "source": "visit", "title": "已办", "subdistrict_id": "s1",
         "neighborhood_id": "b", "level": "property", "status": "closed",
         "reported_at": NOW - 90 * HOUR, "sla_due_at": NOW - 66 * HOUR, "lon": 1.5,
         "lat": 0.2}]))
    s.replace_records("patrols", gpd.GeoDataFrame(pd.DataFrame([
        {"id": "p1", "zone_id": "z1", "subdistrict_id": "s1", "started_at": NOW - 3 * HOUR,
         "ended_at": NOW - 2 * HOUR, "road_ids": ""},
        {"id": "p2", "zone_id": "z2", "subdistrict_id": "s1", "started_at": NOW - 40 * HOUR,
         "ended_at": NOW - 39 * HOUR, "road_ids": ""}]),
        geometry=[LineString([(0, 0), (1, 1)])] * 2, crs="EPSG:4326"))
    yield s
    s.close()


def test_resolve_scope_fills_the_parent_and_drops_unknown_ids(store):
    geo = Atlas(store).geo()
    assert geo.places.resolve(None, "b") == ov.MapScope("s1", "b")
    assert geo.places.resolve("s2", "b") == ov.MapScope("s1", "b")  # the neighborhood wins
    assert geo.places.resolve("s2", None).key == "sub:s2"
    assert geo.places.resolve("nowhere", "nothing") == ov.MapScope()
    assert ov.MapScope().key == "district"


def test_scope_bounds(store):
    geo = Atlas(store).geo()
    assert ov.scope_bounds(geo, ov.MapScope()) == (0.0, 0.0, 3.0, 1.0)
    assert ov.scope_bounds(geo, ov.MapScope("s1", "b")) == (1.0, 0.0, 2.0, 0.5)
    assert ov.scope_bounds(geo, ov.MapScope("s2")) == (2.0, 0.0, 3.0, 1.0)


def test_neighborhood_scope_has_every_device_as_a_point(store):
    out = Atlas(store).overlays(ov.MapScope("s1", "a"), NOW)
    assert out.columns is None
    assert out.devices[["id", "state", "name"]].to_dict("records") == [
        {"id": "d1", "state": "alarm", "name": "dev d1"},
        {"id": "d2", "state": "normal", "name": "dev d2"}]
    assert out.outline.equals(box(0, 0, 1, 1))


def test_district_scope_aggregates_and_keeps_notable_points(store):
    out = Atlas(store).overlays(ov.MapScope(), NOW)
    counts = out.columns.set_index("neighborhood_id")
    assert counts.loc["a", ["normal", "alarm"]].tolist() == [1, 1]
    assert counts.loc["b", "fault"] == 1
    assert counts.loc["c", ["normal", "offline"]].tolist() == [1, 1]  # d5: silent for 72 h
    assert out.devices["id"].tolist() == ["d1", "d3"]  # alarm first, then fault
    assert out.outline is None


def test_only_open_located_alarms_and_open_incidents(store):
    out = Atlas(store).overlays(ov.MapScope(), NOW, ["alarms", "incidents"])
    assert out.devices is None and out.zones is None
    assert out.alarms["id"].tolist() == ["al1"]
    assert sorted(out.incidents["id"]) == ["i1", "i2"]
    breach = dict(zip(out.incidents["id"], out.incidents["breach"], strict=True))
    assert breach == {"i1": True, "i2": False}


def test_incidents_follow_the_scope(store):
    out = Atlas(store).overlays(ov.MapScope("s2", "c"), NOW, ["incidents"])
    assert out.incidents["id"].tolist() == ["i2"]


def test_patrol_zones_by_coverage_class(store):
    out = Atlas(store).overlays(ov.MapScope(), NOW, ["patrol_zones"])
    assert dict(zip(out.zones["id"], out.zones["coverage"], strict=True)) == {
        "z1": "covered", "z2": "late", "z3": "uncovered"}
    scoped = Atlas(store).overlays(ov.MapScope("s2"), NOW, ["patrol_zones"])
    assert scoped.zones["id"].tolist() == ["z3"]


def test_patrol_tracks_newest_first_within_the_window_and_scope(store):
    store.replace_records("people", pd.DataFrame([
        {"id": "c1", "name": "王路长", "role": "road_chief", "subdistrict_id": "s1"}]))
    zones = store.read_layer("patrol-zones")
    store.replace_layer("patrol-zones", zones.assign(gov_chief_id=["c1", None, None]))
    patrols = pd.DataFrame(store.read_records("patrols").drop(columns="geometry"))
    late = patrols.iloc[[0]].assign(id="p3", zone_id="z3", subdistrict_id="s2",
                                    started_at=NOW + HOUR)  # after now: not yet
    old = patrols.iloc[[0]].assign(id="p4", started_at=NOW - 9 * 24 * HOUR)  # beyond 7 days
    rows = pd.concat([patrols.assign(chief_id=["c1", None]), late, old], ignore_index=True)
    line = LineString([(0.1, 0.1), (0.5, 0.5), (0.9, 0.2)])
    store.replace_records("patrols", rows.assign(geom=[line] * 4))
    out = Atlas(store).overlays(ov.MapScope(), NOW, ["patrol_tracks"])
    assert out.zones is None and out.devices is None
    assert out.tracks[["id", "zone_name", "chief_name", "chief_role"]].to_dict("records") == [
        {"id": "p1", "zone_name": "一区", "chief_name": "王路长", "chief_role": "gov"},
        {"id": "p2", "zone_name": "二区", "chief_name": "", "chief_role": ""}]
    assert out.tracks["age_hours"].tolist() == [2.0, 39.0]
    day = Atlas(store).overlays(ov.MapScope(), NOW, ["patrol_tracks"], track_days=1)
    assert day.tracks["id"].tolist() == ["p1"]
    assert Atlas(store).overlays(ov.MapScope("s2", "c"), NOW, ["patrol_tracks"]).tracks.empty
    assert ov.recent_tracks(store, Atlas(store).geo(), ov.MapScope("s1", "a"), NOW,
                            limit=1)["id"].tolist() == ["p1"]


def test_patrol_tracks_without_a_drawable_track(store):
    tracks = ov.recent_tracks(store, Atlas(store).geo(), ov.MapScope(), NOW)
    assert tracks.empty  # the fixture's patrols carry no stored track
    store.replace_records("patrols", store.read_records("patrols").iloc[:0])
    tracks = ov.recent_tracks(store, Atlas(store).geo(), ov.MapScope(), NOW)
    assert tracks.empty and list(tracks.columns) == list(ov.TRACK_COLUMNS)


def test_notable_is_capped_worst_first():
    states = pd.DataFrame({"id": list("abcd"), "state": ["fault", "normal", "alarm", "fault"]})
    assert ov.notable(states, limit=2)["id"].tolist() == ["c", "a"]


def test_base_geo_is_read_once_until_the_layers_change(store):
    atlas = Atlas(store, version_check_s=0)  # no grace: the store's version is asked each time
    first = atlas.geo()
    assert atlas.geo() is first
    store.replace_layer("subdistricts", first.layers["subdistricts"].iloc[:1])
    again = atlas.geo()
    assert again is not first and len(again.layers["subdistricts"]) == 1
    assert list(again.places.subdistricts) == ["s1"]


def test_atlases_of_two_stores_keep_apart(store, tmp_path):
    other = open_store(f"sqlite:///{tmp_path}/other.db")
    try:
        assert len(Atlas(other).geo().layers["subdistricts"]) == 0
        assert len(Atlas(store).geo().layers["subdistricts"]) == 2
    finally:
        other.close()


def test_a_city_leaves_room_for_the_district_labels_at_its_edges():
    west, south, east, north = ov.with_label_room((121.0, 31.0, 121.4, 31.2))
    assert west < 121.0 and east > 121.4 and north > 31.2 and south <= 31.0
    # the labels stand above each district: more room at the top than at the bottom
    assert north - 31.2 > 31.0 - south
