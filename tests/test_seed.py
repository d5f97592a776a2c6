"""Seeding: geodata/ into a store, shifted to now, replaced not duplicated, figures consistent."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from twin_dashboard.catalog import DEVICE_CATEGORIES
from twin_dashboard.config import GEODATA_DIR
from twin_dashboard.domain.summary import summarize
from twin_dashboard.geo.layers import LAYERS
from twin_dashboard.seed import RECORD_FILES, ensure_seeded, read_manifest, seed_store
from twin_dashboard.store.base import RECORD_TABLES, Scope, open_store

AS_OF = "2026-11-01T08:00:00+08:00"
NOW = pd.Timestamp("2027-03-15T06:30:00Z")
SHIFT = NOW - pd.Timestamp(AS_OF)


# --- a tiny geodata/ folder, written by hand ---

def _feature(props: dict, geometry: dict) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def _square(x: float, y: float, d: float = 0.01) -> dict:
    ring = [[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def _write_geojson(path: Path, features: list[dict]) -> None:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features},
                               ensure_ascii=False), encoding="utf-8")


DEVICE_HEADER = ("id,category,name,subdistrict_id,neighborhood_id,building_id,household_id,"
                 "installed_at,lon,lat")
TINY_CSV = {
    "devices.csv": [
        DEVICE_HEADER,
        "0012,smoke,烟感1,s1,n1,b1,h1,2026-01-01T08:00:00+08:00,121.501,31.261",
        "d2,door_contact,门磁2,s1,n1,b1,h1,2026-01-01T08:00:00+08:00,121.502,31.262",
        "d3,elevator,电梯3,s2,n2,,,,121.521,31.281",
    ],
    "readings.csv": [
        "reading_id,device_id,ts,event,value,battery",
        "r1,0012,2026-11-01T06:00:00+08:00,smoke,3.5,0.9",
        "r2,d2,2026-11-01T07:00:00+08:00,heartbeat,,0.1",
        "r3,0012,2026-11-01T07:30:00+08:00,heartbeat,,0.9",
        "r4,d3,2026-10-30T07:59:00+08:00,heartbeat,,",
    ],
    "incidents.csv": [
        # the demo's columns: those the workflow added (assignee …) start empty
        ",".join(RECORD_TABLES["incidents"][:RECORD_TABLES["incidents"].index("lat") + 1]),
        "i1,sensor,smoke,烟感告警,s1,n1,,0012,property,reported,2026-11-01T06:01:00+08:00,,,,"
        "2026-11-02T06:01:00+08:00,121.501,31.261",
    ],
}


def write_tiny_geodata(folder: Path, counts: dict[str, int] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    _write_geojson(folder / "district.geojson", [_feature(
        {"id": "hk", "name": "虹口区", "adcode": 310109, "note": "extra"},
        _square(121.5, 31.26, 0.05))])
    _write_geojson(folder / "neighborhoods.geojson", [
        _feature({"id": "n1", "name": "甲", "name_en": "A", "subdistrict_id": "s1"},
                 _square(121.5, 31.26)),
        _feature({"id": "n2", "name": "乙", "name_en": "B", "subdistrict_id": "s2"},
                 _square(121.52, 31.28)),
    ])
    _write_geojson(folder / "patrols.geojson", [_feature(
        {"id": "p1", "zone_id": "z1", "chief_id": "c1", "subdistrict_id": "s1",
         "started_at": "2026-11-01T05:00:00+08:00", "ended_at": "2026-11-01T06:00:00+08:00",
         "road_ids": "r1;r2"},
        {"type": "LineString", "coordinates": [[121.501, 31.261], [121.505, 31.265]]})])
    for name, lines in TINY_CSV.items():
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    counts = counts or {"district.geojson": 1, "neighborhoods.geojson": 2, "devices.csv": 3,
                        "readings.csv": 4, "incidents.csv": 1, "patrols.geojson": 1}
    (folder / "manifest.json").write_text(json.dumps(
        {"as_of": AS_OF, "seed": 1, "generator_version": "test", "counts": counts}))
    return folder


@pytest.fixture
def store(store_url):
    s = open_store(store_url)
    yield s
    s.close()


@pytest.fixture
def tiny(tmp_path) -> Path:
    return write_tiny_geodata(tmp_path / "geodata")


def test_tiny_seed_counts_and_report(store, tiny):
    report = seed_store(store, tiny, now=NOW)
    assert report.counts == {"district": 1, "neighborhoods": 2, "devices": 3, "readings": 4,
                             "incidents": 1, "patrols": 1, "device_status": 3}
    assert report.shift == SHIFT
    text = str(report)
    assert "seeded 15 rows" in text and "device_status" in text


def test_tiny_seed_shifts_every_time(store, tiny):
    seed_store(store, tiny, now=NOW)
    readings = store.read_records("readings").set_index("reading_id")
    assert readings.loc["r3", "ts"] == NOW - pd.Timedelta(minutes=30)
    incident = store.read_records("incidents").iloc[0]
    assert incident["sla_due_at"] == pd.Timestamp("2026-11-02T06:01:00+08:00") + SHIFT
    assert pd.isna(incident["resolved_at"])
    patrol = store.read_records("patrols").iloc[0]
    assert patrol["ended_at"] == NOW - pd.Timedelta(hours=2)
    assert patrol.geometry.geom_type == "LineString"
    devices = store.read_layer("devices").set_index("id")
    assert devices.loc["0012", "installed_at"] == pd.Timestamp("2026-01-01T00:00Z") + SHIFT


def test_tiny_seed_keeps_text_ids_and_packs_extra_properties(store, tiny):
    seed_store(store, tiny, now=NOW)
    assert "0012" in store.read_layer("devices")["id"].tolist()
    district = store.read_layer("district").iloc[0]
    assert district["props"] == {"note": "extra"}
    assert district["adcode"] == 310109


def test_tiny_seed_derives_device_status(store, tiny):
    seed_store(store, tiny, now=NOW)
    status = store.read_records("device_status").set_index("device_id")
    assert status.loc["0012", "state"] == "alarm"  # smoke at 06:00, never cleared
    assert status.loc["0012", "state_since"] == NOW - pd.Timedelta(hours=2)
    assert status.loc["d2", "state"] == "low_battery"
    assert status.loc["d3", "neighborhood_id"] == "n2"


def test_tiny_seed_sets_meta_and_sources(store, tiny):
    seed_store(store, tiny, now=NOW)
    assert store.get_meta("seeded_at") == NOW.isoformat()
    assert pd.Timestamp(store.get_meta("geodata_as_of")) == pd.Timestamp(AS_OF)
    sources = store.sources().set_index("name")["updated_at"]
    assert sources["sensors"] == NOW - pd.Timedelta(minutes=30)  # newest reading
    assert sources["incidents"] == NOW - pd.Timedelta(minutes=119)  # not the future SLA
    assert sources["patrols"] == NOW - pd.Timedelta(hours=2)
    assert sources["geodata"] == NOW


def test_seeding_twice_replaces(store, tiny):
    seed_store(store, tiny, now=NOW)
    first = {t: store.fingerprint(t) for t in ("devices", "readings", "device_status")}
    seed_store(store, tiny, now=NOW)
    assert {t: store.fingerprint(t) for t in first} == first
    assert store.count("readings") == 4


def test_ensure_seeded_only_seeds_an_empty_store(store, tiny):
    assert ensure_seeded(store, tiny) is not None
    assert ensure_seeded(store, tiny) is None
    assert store.count("devices") == 3


def test_row_count_differing_from_manifest_is_refused(store, tmp_path):
    folder = write_tiny_geodata(tmp_path / "g", counts={"readings.csv": 5})
    with pytest.raises(ValueError, match="readings.csv: 4 rows, but manifest.json counts 5"):
        seed_store(store, folder, now=NOW)


def test_file_listed_in_manifest_must_exist(store, tmp_path):
    folder = write_tiny_geodata(tmp_path / "g", counts={"people.csv": 3})
    with pytest.raises(FileNotFoundError, match="people.csv: listed in manifest.json"):
        seed_store(store, folder, now=NOW)


def test_folder_without_manifest_is_refused(store, tmp_path):
    with pytest.raises(FileNotFoundError, match="no manifest.json"):
        seed_store(store, tmp_path, now=NOW)


# --- the committed geodata/ ---

needs_geodata = pytest.mark.skipif(not (GEODATA_DIR / "manifest.json").is_file(),
                                   reason="geodata/ not generated yet")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """The committed district, seeded once for the tests below (it takes seconds)."""
    path = tmp_path_factory.mktemp("seed") / "t.db"
    store = open_store(f"sqlite:///{path}")
    report = seed_store(store, GEODATA_DIR, now=NOW)
    yield store, report, path
    store.close()


def _file_of(table: str) -> str:
    files = {s.table: s.file for s in LAYERS.values()} | RECORD_FILES
    return files[table]


@needs_geodata
def test_geodata_counts_equal_the_manifest(seeded):
    store, report, _ = seeded
    manifest = read_manifest(GEODATA_DIR)
    for table, n in report.counts.items():
        if table == "device_status":
            continue
        assert manifest.expected_rows(_file_of(table)) == n, table
        assert store.count(table) == n + (report.raised if table == "alarms" else 0), table
    assert report.counts["device_status"] == report.counts["devices"]


@needs_geodata
def test_geodata_newest_reading_is_near_now(seeded):
    store, _, path = seeded
    with sqlite3.connect(path) as conn:
        newest = conn.execute("SELECT MAX(ts) FROM readings").fetchone()[0]
    age = NOW - pd.Timestamp(newest, unit="s", tz="UTC")
    assert pd.Timedelta(0) <= age <= pd.Timedelta(hours=1)


@needs_geodata
def test_geodata_seeding_twice_does_not_duplicate(seeded):
    store, report, _ = seeded
    again = seed_store(store, GEODATA_DIR, now=NOW)
    assert again.counts == report.counts
    assert store.count("readings") == report.counts["readings"]


def _sql_counts(path: Path, neighborhood: str) -> dict:
    """The summary's figures for one neighborhood, counted in SQL (an independent method)."""
    now = int(NOW.timestamp())
    with sqlite3.connect(path) as conn:
        def one(sql: str, *params) -> int:
            return conn.execute(sql, (neighborhood, *params)).fetchone()[0]

        windows = " ".join(f"WHEN '{c.code}' THEN {c.heartbeat_hours * 3600}"
                           for c in DEVICE_CATEGORIES)
        by_state = dict(conn.execute(f"""
            SELECT CASE WHEN s.last_seen IS NULL
                          OR ? - s.last_seen > (CASE d.category {windows} END)
                        THEN 'offline' ELSE s.state END AS st, COUNT(*)
            FROM devices d LEFT JOIN device_status s ON s.device_id = d.id
            WHERE d.neighborhood_id = ? GROUP BY st""", (now, neighborhood)).fetchall())
        return {
            "devices": one("SELECT COUNT(*) FROM devices WHERE neighborhood_id = ?"),
            "by_state": by_state,
            "alarms_open": one("SELECT COUNT(*) FROM alarms WHERE neighborhood_id = ? "
                               "AND status IN ('open', 'escalated')"),
            "incidents_open": one("SELECT COUNT(*) FROM incidents WHERE neighborhood_id = ? "
                                  "AND status IN ('reported', 'dispatched', 'in_progress')"),
            "funnel": dict(conn.execute(
                "SELECT level, COUNT(*) FROM incidents WHERE neighborhood_id = ? "
                "AND status IN ('resolved', 'closed') GROUP BY level", (neighborhood,))),
            "sla": one("SELECT COUNT(*) FROM incidents WHERE neighborhood_id = ? AND status IN "
                       "('reported', 'dispatched', 'in_progress') AND sla_due_at < ?", now),
        }


@needs_geodata
def test_summary_of_one_neighborhood_equals_sql_counts(seeded):
    store, _, path = seeded
    neighborhood = store.read_layer("neighborhoods")["id"].iloc[0]
    got = summarize(store, Scope.of(neighborhood=neighborhood), NOW)
    want = _sql_counts(path, neighborhood)
    assert got["devices"]["total"] == want["devices"] > 0
    assert {k: v for k, v in got["devices"]["by_state"].items() if v} == want["by_state"]
    assert got["alarms"]["open"] == want["alarms_open"]
    assert got["incidents"]["open"] == want["incidents_open"]
    assert {k: v["count"] for k, v in got["incidents"]["funnel"].items() if v["count"]} \
        == want["funnel"]
    assert got["incidents"]["sla_breaches"] == want["sla"]
    json.dumps(got)  # JSON-ready


@needs_geodata
def test_absence_alarms_due_at_the_seed_are_raised_by_it_not_by_the_first_tick(seeded):
    """A minute after the seed, the absence rules find nothing new: the server does not
    start with a burst of "no water use" alarms."""
    from twin_dashboard.domain.rules import household_alarms

    store, report, _ = seeded
    assert report.raised > 0
    due = household_alarms(store.household_activity(), NOW + pd.Timedelta(minutes=1))
    known = set(store.read_records("alarms")["id"])
    assert {d["id"] for d in due} <= known
    inbox = store.read_records("alarm_inbox")
    assert {d["id"] for d in due} <= set(inbox["alarm_id"])
