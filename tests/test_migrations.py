"""Opening a store made by an older version migrates it in place, all or nothing."""

from __future__ import annotations

import json
import sqlite3
from importlib import resources

import pandas as pd
import pytest

from tests._live_fixtures import iso_now, load_district
from twin_dashboard.domain.ingest import READINGS, Ingestor
from twin_dashboard.store.base import open_store

# The readings table as versions before the per-gateway key made it.
OLD_READINGS = """CREATE TABLE IF NOT EXISTS readings (
    reading_id TEXT PRIMARY KEY,  -- idempotency key
    device_id TEXT NOT NULL, ts INTEGER NOT NULL, event TEXT, value REAL, battery REAL,
    received_at INTEGER
);"""


def old_schema() -> str:
    schema = resources.files("twin_dashboard.store").joinpath("schema.sql").read_text()
    start = schema.index("CREATE TABLE IF NOT EXISTS readings (")
    end = schema.index(");", start) + 2
    return schema[:start] + OLD_READINGS + schema[end:]


def old_store(path) -> None:
    """A file with the old readings table holding two readings."""
    conn = sqlite3.connect(path)
    conn.executescript(old_schema())
    conn.executemany("INSERT INTO readings VALUES (?, ?, ?, ?, ?, ?, ?)",
                     [("r1", "park-1", 1, "heartbeat", None, 0.9, 1),
                      ("r2", "park-1", 2, None, 3.5, None, 2)])
    conn.commit()
    conn.close()


def test_mig001_old_readings_gain_the_gateway_key_and_keep_their_rows(tmp_path):
    path = tmp_path / "old.db"
    old_store(path)
    store = open_store(f"sqlite:///{path}")
    try:
        rows = store.read_records("readings").sort_values("reading_id")
        assert list(rows["reading_id"]) == ["r1", "r2"]
        assert list(rows["gateway"]) == ["", ""]
        assert list(rows["value"].fillna(-1)) == [-1, 3.5]
        conn = sqlite3.connect(path)
        info = conn.execute("PRAGMA table_info(readings)").fetchall()
        key = [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]]
        indexes = [r[1] for r in conn.execute("PRAGMA index_list(readings)")]
        conn.close()
        assert key == ["gateway", "reading_id"]
        assert "readings_device_ts" in indexes
        # The migrated store takes readings keyed per gateway.
        load_district(store)
        ingestor = Ingestor(store)
        batch = READINGS.validate_json(json.dumps(
            [{"reading_id": "r1", "device_id": "park-1", "ts": iso_now()}]))
        assert ingestor.ingest(batch, gateway="gw-a").accepted == 1
        assert ingestor.ingest(batch, gateway="gw-a").duplicates == 1
        assert ingestor.ingest(batch, gateway="gw-b").accepted == 1
        assert store.count("readings") == 4
    finally:
        store.close()


def test_mig002_opening_twice_migrates_once(tmp_path):
    path = tmp_path / "old.db"
    old_store(path)
    open_store(f"sqlite:///{path}").close()
    before = sqlite3.connect(path).execute("SELECT sql FROM sqlite_master "
                                           "WHERE name = 'readings'").fetchone()
    store = open_store(f"sqlite:///{path}")
    assert store.count("readings") == 2
    store.close()
    after = sqlite3.connect(path).execute("SELECT sql FROM sqlite_master "
                                          "WHERE name = 'readings'").fetchone()
    assert before == after and "gateway" in after[0]


def test_mig003_a_failing_migration_leaves_the_old_table(tmp_path, monkeypatch):
    from twin_dashboard.store import _migrations

    path = tmp_path / "old.db"
    old_store(path)

    def broken(conn, schema):
        conn.execute("CREATE TABLE readings_migrating (x)")
        raise sqlite3.OperationalError("disk I/O error (simulated)")

    monkeypatch.setattr(_migrations, "MIGRATIONS", (
        _migrations.Migration("broken", _migrations.MIGRATIONS[0].needed, broken),))
    with pytest.raises(Exception, match="simulated"):
        open_store(f"sqlite:///{path}")
    conn = sqlite3.connect(path)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "readings_migrating" not in names
    assert conn.execute("SELECT COUNT(*) FROM readings").fetchone()[0] == 2
    assert "gateway" not in [r[1] for r in conn.execute("PRAGMA table_info(readings)")]


def test_mig005_a_file_from_before_visits_gains_their_tables_empty(tmp_path):
    """New tables need no migration: schema.sql's CREATE TABLE IF NOT EXISTS adds them."""
    path = tmp_path / "old.db"
    schema = resources.files("twin_dashboard.store").joinpath("schema.sql").read_text()
    start = schema.index("-- 大走访 / 大排查")
    end = schema.index("CREATE TABLE IF NOT EXISTS gateway_tokens")
    conn = sqlite3.connect(path)
    conn.executescript(schema[:start] + schema[end:])
    conn.close()
    store = open_store(f"sqlite:///{path}")
    try:
        assert store.count("visits") == 0 and store.read_records("visit_findings").empty
    finally:
        store.close()


# The incidents table as versions before the workflow (domain/workflow.py) made it.
OLD_INCIDENTS = """CREATE TABLE IF NOT EXISTS incidents (
    id TEXT PRIMARY KEY, source TEXT NOT NULL, kind TEXT, title TEXT,
    subdistrict_id TEXT, neighborhood_id TEXT, zone_id TEXT, device_id TEXT,
    level TEXT NOT NULL, status TEXT NOT NULL,
    reported_at INTEGER NOT NULL, dispatched_at INTEGER, resolved_at INTEGER,
    closed_at INTEGER, sla_due_at INTEGER, lon REAL, lat REAL
);"""


def test_mig004_old_incidents_gain_the_workflows_columns_and_keep_their_rows(tmp_path):
    from twin_dashboard.domain import workflow
    from twin_dashboard.domain.access import Viewer

    schema = resources.files("twin_dashboard.store").joinpath("schema.sql").read_text()
    start = schema.index("CREATE TABLE IF NOT EXISTS incidents (")
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(schema[:start] + OLD_INCIDENTS + schema[schema.index(");", start) + 2:])
    conn.execute("INSERT INTO incidents (id, source, level, status, reported_at, subdistrict_id,"
                 " neighborhood_id) VALUES ('inc-000007', 'hotline', 'property', 'reported', 1, "
                 "'beiwaitan', 'yunfang')")
    conn.commit()
    conn.close()
    store = open_store(f"sqlite:///{path}")
    try:
        row = store.read_records("incidents").iloc[0]
        assert row["id"] == "inc-000007" and row["status"] == "reported"
        assert pd.isna(row["accepted_at"]) and pd.isna(row["reopened"])
        officer = Viewer("off", "officer", "p-duty", subdistricts=frozenset({"beiwaitan"}))
        now = pd.Timestamp("2026-03-02T02:00:00Z")
        assert workflow.act(store, "inc-000007", "dispatch", officer, now,
                            level="committee")["status"] == "dispatched"
        with store.live_tx() as tx:
            assert workflow.new_incident(tx, now, {"source": "visit"}, "p-duty") == "inc-000008"
    finally:
        store.close()
    conn = sqlite3.connect(path)
    found = [r[1] for r in conn.execute("PRAGMA table_info(incidents)")]
    conn.close()
    assert {"assignee", "accepted_at", "started_at", "verified_at", "reopened"} <= set(found)


def test_mig006_users_from_before_gain_a_kiosks_rotation_and_keep_their_rows(tmp_path):
    schema = resources.files("twin_dashboard.store").joinpath("schema.sql").read_text()
    old = schema.replace(",\n    rotate_s INTEGER              -- a kiosk's rotation through its "
                         "subdistricts, seconds\n", "\n")
    assert old != schema
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(old)
    conn.execute("INSERT INTO users (name, role, created_at) VALUES ('w', 'kiosk', 1)")
    conn.commit()
    conn.close()
    store = open_store(f"sqlite:///{path}")
    try:
        row = store.accounts.user("w")
        assert row["role"] == "kiosk" and row["rotate_s"] is None
    finally:
        store.close()
