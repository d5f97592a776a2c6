"""The summary dict (GET /api/v1/summary): hand-counted figures over a small hand-built store."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from twin_dashboard.catalog import DEVICE_CATEGORIES, DEVICE_STATES
from twin_dashboard.domain.summary import summarize
from twin_dashboard.store.base import Scope, open_store

NOW = pd.Timestamp("2026-11-01T00:00:00Z")


def ago(hours: float) -> pd.Timestamp:
    return NOW - pd.Timedelta(hours=hours)


def _layer(rows: list[dict], geoms: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=geoms, crs="EPSG:4326")


def _fill(store) -> None:
    store.replace_layer("neighborhoods", _layer(
        [{"id": "n1", "name": "甲", "subdistrict_id": "s1"},
         {"id": "n2", "name": "乙", "subdistrict_id": "s1"},
         {"id": "n3", "name": "丙", "subdistrict_id": "s2"}],
        [box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)]))
    devices = [("a", "smoke", "n1"), ("b", "door_contact", "n1"), ("c", "gas", "n1"),
               ("d", "elevator", "n2"), ("e", "noise", "n3")]
    store.replace_layer("devices", _layer(
        [{"id": i, "category": c, "neighborhood_id": n,
          "subdistrict_id": "s2" if n == "n3" else "s1"} for i, c, n in devices],
        [Point(0.5, 0.5)] * len(devices)))
    store.replace_records("device_status", pd.DataFrame({
        "device_id": ["a", "b", "d", "e"], "state": ["alarm", "normal", "normal", "fault"],
        "last_seen": [ago(1), ago(3), ago(0.5), ago(1)],  # b: 3 h > door_contact's 2 h
        "battery": [0.9, 0.9, None, 0.5],
        "subdistrict_id": ["s1", "s1", "s1", "s2"], "neighborhood_id": ["n1", "n1", "n2", "n3"],
    }))
    _fill_alarms_and_incidents(store)
    _fill_patrols(store)


def _fill_alarms_and_incidents(store) -> None:
    store.replace_records("alarms", pd.DataFrame({
        "id": ["a1", "a2", "a3", "a4"], "rule": ["smoke", "no_activity_12h", "gas", "smoke"],
        "severity": ["critical", "major", "critical", "critical"],
        "status": ["open", "escalated", "acknowledged", "open"],
        "raised_at": [ago(1), ago(5), ago(2), ago(3)],
        "subdistrict_id": ["s1", "s1", "s1", "s2"], "neighborhood_id": ["n1", "n2", "n1", "n3"],
    }))
    store.replace_records("incidents", pd.DataFrame({
        "id": [f"i{k}" for k in range(6)],
        "source": ["sensor", "visit", "hotline", "patrol", "visit", "resident"],
        "level": ["property", "committee", "property", "property", "subdistrict", "property"],
        "status": ["reported", "in_progress", "resolved", "closed", "closed", "dispatched"],
        "reported_at": [ago(30), ago(10), ago(50), ago(60), ago(70), ago(2)],
        "sla_due_at": [ago(6), ago(-62), None, None, None, ago(-22)],
        "subdistrict_id": ["s1", "s1", "s1", "s1", "s1", "s2"],
        "neighborhood_id": ["n1", "n1", "n2", "n1", "n1", "n3"],
    }))


def _fill_patrols(store) -> None:
    store.replace_layer("patrol-zones", _layer(
        [{"id": "z1", "name": "一区", "subdistrict_id": "s1", "target_hours": 24.0},
         {"id": "z2", "name": "二区", "subdistrict_id": "s2", "target_hours": 12.0}],
        [box(0, 0, 2, 1), box(2, 0, 3, 1)]))
    store.replace_layer("roads", _layer(
        [{"id": "r1", "zone_id": "z1", "subdistrict_id": "s1"},
         {"id": "r2", "zone_id": "z1", "subdistrict_id": "s1"},
         {"id": "r3", "zone_id": "z2", "subdistrict_id": "s2"}],
        # r1 inside n1, r2 inside n2, r3 inside n3
        [LineString([(0.2, 0.2), (0.8, 0.8)]), LineString([(1.2, 0.2), (1.8, 0.8)]),
         LineString([(2.2, 0.2), (2.8, 0.8)])]))
    store.replace_records("patrols", pd.DataFrame({
        "id": ["p1", "p2"], "zone_id": ["z1", "z2"], "subdistrict_id": ["s1", "s2"],
        "started_at": [ago(3), ago(21)], "ended_at": [ago(2), ago(20)],
        "road_ids": ["r1", "r3"], "geom": [LineString([(0, 0), (1, 1)])] * 2,
    }))


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = open_store(f"sqlite:///{tmp_path_factory.mktemp('summary') / 't.db'}")
    _fill(s)
    yield s
    s.close()


def test_summary_keys_are_the_contract(store):
    got = summarize(store, Scope(), NOW)
    assert list(got) == ["scope", "as_of", "devices", "alarms", "incidents", "patrols"]
    assert set(got["devices"]) == {"total", "online_share", "by_state", "by_category"}
    assert set(got["alarms"]) >= {"open", "by_severity"}
    assert set(got["incidents"]) == {"open", "open_by_level", "by_level_status", "funnel",
                                     "sla_breaches"}
    assert set(got["patrols"]) >= {"zones", "coverage_share", "zones_covered"}
    assert got["as_of"] == "2026-11-01T00:00:00+00:00"
    assert got["scope"] == {"subdistrict_ids": None, "neighborhood_ids": None}
    assert json.loads(json.dumps(got)) == got  # plain JSON types only


def test_summary_devices_for_a_subdistrict(store):
    devices = summarize(store, Scope.of("s1"), NOW)["devices"]
    assert devices["total"] == 4
    # a alarm; b silent 3 h > 2 h; c never seen; d normal
    assert devices["by_state"] == {"normal": 1, "alarm": 1, "fault": 0, "offline": 2,
                                   "low_battery": 0}
    assert list(devices["by_state"]) == list(DEVICE_STATES)
    assert devices["online_share"] == pytest.approx(0.5)
    assert list(devices["by_category"]) == [c.code for c in DEVICE_CATEGORIES]
    assert devices["by_category"]["gas"]["offline"] == 1
    assert sum(devices["by_category"]["noise"].values()) == 0


def test_summary_alarms_and_incidents_for_the_district(store):
    got = summarize(store, Scope(), NOW)
    assert got["alarms"]["open"] == 3
    assert got["alarms"]["by_severity"] == {"critical": 2, "major": 1, "minor": 0}
    incidents = got["incidents"]
    assert incidents["open"] == 3
    assert incidents["open_by_level"] == {"property": 2, "committee": 1, "subdistrict": 0}
    assert incidents["by_level_status"]["property"] == {
        "reported": 1, "dispatched": 1, "in_progress": 0, "resolved": 1, "closed": 1}
    assert incidents["funnel"] == {
        "property": {"count": 2, "share": pytest.approx(2 / 3)},
        "committee": {"count": 0, "share": 0.0},
        "subdistrict": {"count": 1, "share": pytest.approx(1 / 3)}}
    assert incidents["sla_breaches"] == 1  # i0: due 6 h ago and still open


def test_summary_of_one_neighborhood(store):
    got = summarize(store, Scope.of(neighborhood="n1"), NOW)
    assert got["scope"] == {"subdistrict_ids": None, "neighborhood_ids": ["n1"]}
    assert got["devices"]["total"] == 3
    assert got["alarms"]["open"] == 1
    assert got["incidents"]["open"] == 2
    assert got["incidents"]["funnel"]["subdistrict"]["count"] == 1


@pytest.mark.parametrize(("scope", "patrols"), [
    (Scope(), {"zones": 2, "zones_covered": 1, "segments": 3, "segments_covered": 1}),
    (Scope.of("s1"), {"zones": 1, "zones_covered": 1, "segments": 2, "segments_covered": 1}),
    # a neighborhood counts the roads crossing it: n3's r3 was patrolled 20 h ago (12 h target)
    (Scope.of(neighborhood="n3"),
     {"zones": 1, "zones_covered": 0, "segments": 1, "segments_covered": 0}),
    # not its subdistrict's: n1 has r1 (patrolled), n2 has r2 (never)
    (Scope.of("s1", "n1"), {"zones": 1, "zones_covered": 1, "segments": 1, "segments_covered": 1}),
    (Scope.of("s1", "n2"), {"zones": 1, "zones_covered": 1, "segments": 1, "segments_covered": 0}),
])
def test_summary_patrol_coverage(store, scope, patrols):
    got = summarize(store, scope, NOW)["patrols"]
    assert {k: got[k] for k in patrols} == patrols
    assert got["coverage_share"] == pytest.approx(
        patrols["segments_covered"] / patrols["segments"])


def test_summary_of_an_unknown_area_is_all_zeros(store):
    got = summarize(store, Scope.of("nowhere"), NOW)
    assert got["devices"]["total"] == 0 and got["devices"]["online_share"] == 0.0
    assert got["alarms"]["open"] == 0 and got["incidents"]["open"] == 0
    assert got["patrols"]["coverage_share"] == 0.0
    json.dumps(got)


class _ProtocolOnly:
    """A store offering only the Store protocol's reads (no fast ``read_columns``)."""

    def __init__(self, store) -> None:
        self.read_layer, self.read_records = store.read_layer, store.read_records


@pytest.mark.parametrize("scope", [Scope(), Scope.of("s1"), Scope.of(neighborhood="n3")])
def test_summary_is_the_same_through_the_plain_protocol(store, scope):
    assert summarize(_ProtocolOnly(store), scope, NOW) == summarize(store, scope, NOW)
