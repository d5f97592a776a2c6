"""The store on both engines (SQLite, PostGIS): layers and records round-trip, scopes filter,
failed writes change nothing."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from twin_dashboard.store.base import Scope, StoreError, open_store


@pytest.fixture
def store(store_url):
    s = open_store(store_url)
    yield s
    s.close()


def _neighborhoods() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"id": ["a", "b", "c"], "name": ["甲小区", "乙小区", "丙小区"],
         "name_en": ["A", "B", "C"], "subdistrict_id": ["s1", "s1", "s2"],
         "props": [{"extra": 1}, None, {}]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)], crs="EPSG:4326",
    )


def test_layer_round_trip_keeps_columns_props_and_geometry(store):
    assert store.is_empty()
    assert store.replace_layer("neighborhoods", _neighborhoods()) == 3
    back = store.read_layer("neighborhoods")
    assert list(back["id"]) == ["a", "b", "c"]
    assert back.loc[0, "props"] == {"extra": 1}
    assert back.geometry[2].equals(box(2, 0, 3, 1))
    assert back.crs.to_epsg() == 4326
    assert not store.is_empty()


def test_scope_filters_layers_and_counts(store):
    store.replace_layer("neighborhoods", _neighborhoods())
    assert list(store.read_layer("neighborhoods", Scope.of("s1"))["id"]) == ["a", "b"]
    assert list(store.read_layer("neighborhoods", Scope.of(neighborhood="c"))["id"]) == ["c"]
    assert store.count("neighborhoods", Scope.of("s2")) == 1
    assert store.count("neighborhoods", Scope.of("nowhere")) == 0


def test_failed_replace_changes_nothing(store):
    store.replace_layer("neighborhoods", _neighborhoods())
    before = store.layer_fingerprint("neighborhoods")
    dup = _neighborhoods()
    dup.loc[1, "id"] = "a"  # duplicate primary key: the insert fails half-way
    with pytest.raises(StoreError, match="nothing was changed"):
        store.replace_layer("neighborhoods", dup)
    assert store.layer_fingerprint("neighborhoods") == before
    assert store.count("neighborhoods") == 3


def test_points_store_lon_lat_and_times(store):
    devices = gpd.GeoDataFrame(
        {"id": ["d1"], "category": ["smoke"], "neighborhood_id": ["a"],
         "installed_at": ["2026-01-01T08:00:00+08:00"]},
        geometry=[Point(121.5, 31.25)], crs="EPSG:4326",
    )
    store.replace_layer("devices", devices)
    back = store.read_layer("devices")
    assert back.loc[0, "installed_at"] == pd.Timestamp("2026-01-01T00:00:00Z")
    assert back.geometry[0].x == pytest.approx(121.5)


def test_records_insert_is_idempotent_and_where_filters(store):
    readings = pd.DataFrame({
        "reading_id": ["r1", "r2"], "device_id": ["d1", "d2"],
        "ts": pd.to_datetime(["2026-01-01T00:00Z", "2026-01-01T00:01Z"], utc=True),
        "event": ["heartbeat", "smoke"],
    })
    assert store.insert_records("readings", readings) == 2
    assert store.insert_records("readings", readings) == 0
    got = store.read_records("readings", where={"device_id": "d2"})
    assert list(got["event"]) == ["smoke"]
    assert got.loc[0, "ts"] == pd.Timestamp("2026-01-01T00:01Z")


def test_unknown_table_and_url_are_refused(store, tmp_path):
    with pytest.raises(StoreError, match="unknown table"):
        store.read_records("nope")
    with pytest.raises(StoreError, match="unsupported database URL"):
        open_store("mysql://x")
    with pytest.raises(ValueError, match="unknown layer"):
        store.read_layer("rivers")


def test_meta_and_sources(store):
    store.set_meta("seeded_at", "x")
    assert store.get_meta("seeded_at") == "x"
    store.touch_source("sensors", pd.Timestamp("2026-01-01T00:00Z"))
    assert store.sources().loc[0, "updated_at"] == pd.Timestamp("2026-01-01T00:00Z")


def test_live_tx_is_all_or_nothing_and_the_first_reading_wins(store):
    first = ("r1", "d1", 100, "heartbeat", None, 0.9, 101, "gw")
    again = ("r1", "d2", 200, "open", None, 0.5, 201, "gw")  # same key: a resend
    elsewhere = ("r1", "d1", 300, None, 4.5, None, 301, "gw2")  # ids are per gateway
    status = ("d1", "normal", 100, 300, "heartbeat", 4.5, 0.9)
    with pytest.raises(RuntimeError, match="fails"), store.live_tx() as tx:
        assert tx.new_readings([first]) == [first]
        tx.save_live([status], [("s1", "a")], [("d1", *[None] * 9, 1)])
        raise RuntimeError("the batch fails after its writes")
    assert store.count("readings") == 0 and store.count("device_status") == 0
    with store.live_tx() as tx:
        assert tx.new_readings([first, again, elsewhere]) == [first, elsewhere]
        assert tx.new_readings([again]) == []
        tx.save_live([status], [("s1", "a")], [("d1", *[None] * 9, 1)])
        assert set(tx.load_live(["d1", "nowhere"])) == {"d1"}
        assert tx.load_live(["d1"])["d1"][:7] == status and tx.load_live(["d1"])["d1"][-1] == 1
    back = store.read_records("readings").sort_values("gateway", ignore_index=True)
    assert list(back["device_id"]) == ["d1", "d1"]
    assert back.loc[1, "ts"] == pd.Timestamp(300, unit="s", tz="UTC")
    assert list(store.read_records("device_status", Scope.of("s1"))["device_id"]) == ["d1"]
