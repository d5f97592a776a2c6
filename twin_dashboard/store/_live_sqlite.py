"""SQL of live ingest and alarm routing (issue 4) for the SQLite store.

Kept apart from ``sqlite.py`` so the hot path reads in one place: a :class:`SQLiteLiveTx` wraps
the connection of one ``BEGIN IMMEDIATE`` transaction, so a batch's readings, device states,
registers, alarms, inbox rows and steps commit together or not at all.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from twin_dashboard.store.base import REGISTER_COLUMNS, STATUS_LIVE_COLUMNS

LIVE_CACHE_KIB = 64 * 1024  # page cache of an ingesting connection
# Checkpoint (and fsync) after this many WAL pages, not SQLite's 1000: a batch touching thousands
# of devices rewrites most of device_status, so the default checkpoints on every batch.
LIVE_CHECKPOINT_PAGES = 16_000
SQL_VARS = 500  # ids per IN (...) query: well under SQLite's bound-variable limit
ALARM_COLUMNS: tuple[str, ...] = (
    "id", "device_id", "household_id", "subdistrict_id", "neighborhood_id", "rule",
    "severity", "status", "raised_at", "lon", "lat",
)
_EVENT_INSERT = ("INSERT INTO incident_events (incident_id, ts, action, level, actor, note) "
                 "VALUES (?, ?, ?, ?, ?, ?)")
_READING_INSERT = ("INSERT OR IGNORE INTO readings (reading_id, device_id, ts, event, value, "
                   "battery, received_at, gateway) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")


def _chunks(values: Sequence[Any], size: int = SQL_VARS) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _marks(n: int) -> str:
    return ", ".join("?" * n)


def _upsert(table: str, columns: Sequence[str], keep: Sequence[str] = ()) -> str:
    """An UPSERT: an update in place leaves indexes on unchanged columns (``keep``) alone,
    where INSERT OR REPLACE deletes and re-inserts every index entry."""
    sets = ", ".join(f"{c} = excluded.{c}" for c in columns[1:] if c not in keep)
    return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({_marks(len(columns))}) "
            f"ON CONFLICT({columns[0]}) DO UPDATE SET {sets}")


_STATUS_UPSERT = _upsert("device_status",
                         (*STATUS_LIVE_COLUMNS, "subdistrict_id", "neighborhood_id"),
                         keep=("subdistrict_id", "neighborhood_id"))
_REGISTERS_UPSERT = _upsert("device_registers", ("device_id", *REGISTER_COLUMNS))


class SQLiteLiveTx:
    """The writes of one ingest batch or routing step, inside one open transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def new_readings(self, rows: Sequence[tuple]) -> list[tuple]:
        """Insert the rows whose (gateway, reading_id) is not stored yet; return those (first
        one wins). A row is (reading_id, device_id, ts, event, value, battery, received_at,
        gateway): reading ids are unique per gateway stream, not across gateways."""
        by_gateway: dict[str, list[str]] = {}
        for row in rows:
            by_gateway.setdefault(row[-1], []).append(row[0])
        seen: set[tuple[str, str]] = set()
        for gateway, ids in by_gateway.items():
            for chunk in _chunks(ids):
                found = self.conn.execute(
                    f"SELECT reading_id FROM readings WHERE gateway = ? "
                    f"AND reading_id IN ({_marks(len(chunk))})", [gateway, *chunk])
                seen.update((gateway, r[0]) for r in found)
        fresh: list[tuple] = []
        for row in rows:
            key = (row[-1], row[0])
            if key not in seen:
                seen.add(key)
                fresh.append(row)
        self.conn.executemany(_READING_INSERT, fresh)
        return fresh

    def load_live(self, device_ids: Sequence[str]) -> dict[str, tuple]:
        """Stored status + registers (``LIVE_COLUMNS``) of the devices that have any."""
        cols = ", ".join(f"s.{c}" for c in STATUS_LIVE_COLUMNS[1:])
        regs = ", ".join(f"r.{c}" for c in REGISTER_COLUMNS)
        out: dict[str, tuple] = {}
        for chunk in _chunks(list(device_ids)):
            sql = (f"SELECT s.device_id, {cols}, {regs} FROM device_status s "
                   f"LEFT JOIN device_registers r ON r.device_id = s.device_id "
                   f"WHERE s.device_id IN ({_marks(len(chunk))})")
            out.update((row[0], row) for row in self.conn.execute(sql, chunk))
        return out

    def save_live(self, rows: Sequence[tuple], scopes: Sequence[tuple[str, str]],
                  registers: Sequence[tuple]) -> None:
        """Upsert status rows (``STATUS_LIVE_COLUMNS``, scopes alongside) and the register
        rows (device_id + ``REGISTER_COLUMNS``) that changed."""
        status = [(*row, *scope) for row, scope in zip(rows, scopes, strict=True)]
        self.conn.executemany(_STATUS_UPSERT, status)
        self.conn.executemany(_REGISTERS_UPSERT, registers)

    def add_alarms(self, alarms: Sequence[dict[str, Any]]) -> list[str]:
        """Insert alarms whose id is new (ids are deterministic per episode); return those ids."""
        sql = (f"INSERT OR IGNORE INTO alarms ({', '.join(ALARM_COLUMNS)}) "
               f"VALUES ({_marks(len(ALARM_COLUMNS))})")
        new: list[str] = []
        for alarm in alarms:
            cursor = self.conn.execute(sql, [alarm.get(c) for c in ALARM_COLUMNS])
            if cursor.rowcount:
                new.append(alarm["id"])
        return new

    def alarm(self, alarm_id: str) -> dict[str, Any] | None:
        cursor = self.conn.execute("SELECT * FROM alarms WHERE id = ?", (alarm_id,))
        row = cursor.fetchone()
        return dict(zip([d[0] for d in cursor.description], row, strict=True)) if row else None

    def update_alarm(self, alarm_id: str, changes: dict[str, Any]) -> None:
        sets = ", ".join(f"{c} = ?" for c in changes)
        self.conn.execute(f"UPDATE alarms SET {sets} WHERE id = ?", [*changes.values(), alarm_id])

    def add_inbox(self, rows: Sequence[tuple[str, str, str, int]]) -> None:
        """(person_id, alarm_id, role, since); a person already holding the alarm keeps it."""
        self.conn.executemany("INSERT OR IGNORE INTO alarm_inbox (person_id, alarm_id, role, "
                              "since) VALUES (?, ?, ?, ?)", rows)

    def add_steps(self, rows: Sequence[tuple]) -> None:
        """(alarm_id, ts, action, actor, person_id, note)."""
        self.conn.executemany("INSERT INTO alarm_steps (alarm_id, ts, action, actor, person_id, "
                              "note) VALUES (?, ?, ?, ?, ?, ?)", rows)

    def add_incident(self, incident: dict[str, Any], event: tuple) -> None:
        """An incident (columns of ``incidents``) and its first ``incident_events`` row."""
        names = list(incident)
        self.conn.execute(f"INSERT INTO incidents ({', '.join(names)}) "
                          f"VALUES ({_marks(len(names))})", [incident[n] for n in names])
        self.conn.execute(_EVENT_INSERT, event)

    def incident(self, incident_id: str) -> dict[str, Any] | None:
        cursor = self.conn.execute("SELECT * FROM incidents WHERE id = ?", (incident_id,))
        row = cursor.fetchone()
        return dict(zip([d[0] for d in cursor.description], row, strict=True)) if row else None

    def update_incident(self, incident_id: str, changes: dict[str, Any], event: tuple) -> None:
        """Change columns of one incident and append its step (same transaction)."""
        if changes:
            sets = ", ".join(f"{c} = ?" for c in changes)
            self.conn.execute(f"UPDATE incidents SET {sets} WHERE id = ?",
                              [*changes.values(), incident_id])
        self.conn.execute(_EVENT_INSERT, event)

    def last_incident_number(self) -> int:
        """The highest N of ids ``inc-NNNNNN`` (the seed's and the workflow's), 0 if none."""
        row = self.conn.execute(
            "SELECT MAX(CAST(SUBSTR(id, 5) AS INTEGER)) FROM incidents "
            "WHERE id GLOB 'inc-[0-9][0-9][0-9][0-9][0-9][0-9]*'").fetchone()
        return int(row[0] or 0)

    def add_visit(self, visit: dict[str, Any], findings: Sequence[tuple]) -> None:
        """A visit (columns of ``visits``) and its findings: (visit_id, item, ok, note,
        incident_id) each."""
        self._insert("visits", visit)
        self.conn.executemany("INSERT INTO visit_findings (visit_id, item, ok, note, "
                              "incident_id) VALUES (?, ?, ?, ?, ?)", findings)

    def add_patrol(self, patrol: dict[str, Any]) -> None:
        """A patrol (columns of ``patrols``; ``geom`` as WKB)."""
        self._insert("patrols", patrol)

    def _insert(self, table: str, row: dict[str, Any]) -> None:
        names = list(row)
        self.conn.execute(f"INSERT INTO {table} ({', '.join(names)}) "
                          f"VALUES ({_marks(len(names))})", [row[n] for n in names])

    def overdue_alarms(self, raised_before: int) -> list[dict[str, Any]]:
        """Alarms still ``open`` (never acknowledged) raised before the given epoch second."""
        cursor = self.conn.execute(
            "SELECT * FROM alarms WHERE status = 'open' AND raised_at < ?", (raised_before,))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


HOUSEHOLD_ACTIVITY_SQL = """
SELECT d.household_id, d.subdistrict_id, d.neighborhood_id, d.category, d.lon, d.lat,
       s.last_seen, r.active_at, r.flow_at, r.flow_on, d.installed_at
FROM devices d
LEFT JOIN device_status s ON s.device_id = d.id
LEFT JOIN device_registers r ON r.device_id = d.id
WHERE d.household_id IS NOT NULL AND d.household_id != ''
  AND d.category IN ('door_contact', 'infrared', 'water_flow')
"""

# Seeded stores have readings but no registers yet: derive active_at and flow state once.
BACKFILL_REGISTERS_SQL = """
INSERT OR IGNORE INTO device_registers (device_id, active_at, flow_at, flow_on)
SELECT device_id,
       MAX(CASE WHEN event IN ('open', 'close', 'motion', 'flow_start', 'flow_stop')
                  OR (value > 0 AND event IS NULL) THEN ts END),
       MAX(CASE WHEN event IN ('flow_start', 'flow_stop') THEN ts END),
       NULL
FROM readings GROUP BY device_id
"""
