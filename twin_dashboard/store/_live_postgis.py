"""SQL of live ingest and alarm routing (issue 4) for the PostGIS store.

The same writes as ``_live_sqlite.py`` in PostgreSQL's dialect: a :class:`PostGISLiveTx` wraps
the connection of one open transaction, so a batch's readings, device states, registers, alarms,
inbox rows and steps commit together or not at all. A batch of readings, device states and
registers goes in by ``COPY`` into a temporary staging table of the connection and one
``INSERT … SELECT … ON CONFLICT`` from it, not a statement per row (the round trips cost most)
nor arrays (psycopg builds array parameters in Python: 3× slower than ``COPY``'s C path).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

from twin_dashboard.store._live_sqlite import ALARM_COLUMNS
from twin_dashboard.store.base import REGISTER_COLUMNS, STATUS_LIVE_COLUMNS

READING_COLUMNS = ("reading_id", "device_id", "ts", "event", "value", "battery", "received_at",
                   "gateway")
_STATUS_COLUMNS = (*STATUS_LIVE_COLUMNS, "subdistrict_id", "neighborhood_id")
_REGISTER_COLUMNS = ("device_id", *REGISTER_COLUMNS)
_EVENT_INSERT = ("INSERT INTO incident_events (incident_id, ts, action, level, actor, note) "
                 "VALUES (%s, %s, %s, %s, %s, %s)")


def _marks(n: int) -> str:
    return ", ".join(["%s"] * n)


def _staged_upsert(table: str, columns: Sequence[str], keep: Sequence[str] = ()) -> str:
    """An UPSERT of the staged rows of ``table``, in key order (two workers lock the same
    devices in the same order)."""
    sets = ", ".join(f"{c} = excluded.{c}" for c in columns[1:] if c not in keep)
    names = ", ".join(columns)
    return (f"INSERT INTO {table} ({names}) SELECT {names} FROM {_stage(table)} "
            f"ORDER BY {columns[0]} ON CONFLICT ({columns[0]}) DO UPDATE SET {sets}")


def _stage(table: str) -> str:
    return f"stage_{table}"


_STATUS_UPSERT = _staged_upsert("device_status", _STATUS_COLUMNS,
                                keep=("subdistrict_id", "neighborhood_id"))
_REGISTERS_UPSERT = _staged_upsert("device_registers", _REGISTER_COLUMNS)
_READING_INSERT = (f"INSERT INTO readings ({', '.join(READING_COLUMNS)}) "
                   f"SELECT {', '.join(READING_COLUMNS)} FROM {_stage('readings')} "
                   "ON CONFLICT DO NOTHING RETURNING gateway, reading_id")


def stage(conn: psycopg.Connection, table: str, columns: Sequence[str],
          rows: Sequence[Sequence[Any]]) -> None:
    """COPY ``rows`` into this connection's staging table of ``table`` (made on first use,
    emptied at each commit; temporary, so never in the schema nor the WAL)."""
    conn.execute(f"SET LOCAL client_min_messages = warning; CREATE TEMP TABLE IF NOT EXISTS "
                 f"{_stage(table)} (LIKE {table}) ON COMMIT DELETE ROWS; "
                 f"DELETE FROM {_stage(table)}")  # a second use in one transaction
    with conn.cursor().copy(f"COPY {_stage(table)} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _last_per_key(rows: Sequence[tuple]) -> list[tuple]:
    """The last row of each key (first column): one statement may not upsert a row twice, and
    the last one is what a row-by-row upsert leaves."""
    return list({row[0]: row for row in rows}.values())


def geometry_value(name: str) -> str:
    """The placeholder of a column: geometry comes as WKB and is stored in EPSG:4326."""
    return "ST_GeomFromWKB(%s, 4326)" if name == "geom" else "%s"


class PostGISLiveTx:
    """The writes of one ingest batch or routing step, inside one open transaction."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def new_readings(self, rows: Sequence[tuple]) -> list[tuple]:
        """Insert the rows whose (gateway, reading_id) is not stored yet; return those (first
        one wins, as in the SQLite store)."""
        first: dict[tuple[str, str], tuple] = {}
        for row in rows:
            first.setdefault((row[-1], row[0]), row)
        if not first:
            return []
        unique = list(first.values())
        stage(self.conn, "readings", READING_COLUMNS, unique)
        cursor = self.conn.execute(_READING_INSERT)
        stored = {(g, r) for g, r in cursor.fetchall()}
        return [row for row in unique if (row[-1], row[0]) in stored]

    def load_live(self, device_ids: Sequence[str]) -> dict[str, tuple]:
        cols = ", ".join(f"s.{c}" for c in STATUS_LIVE_COLUMNS[1:])
        regs = ", ".join(f"r.{c}" for c in REGISTER_COLUMNS)
        sql = (f"SELECT s.device_id, {cols}, {regs} FROM device_status s "
               f"LEFT JOIN device_registers r ON r.device_id = s.device_id "
               f"WHERE s.device_id = ANY(%s::text[])")
        return {row[0]: row for row in self.conn.execute(sql, [list(device_ids)])}

    def save_live(self, rows: Sequence[tuple], scopes: Sequence[tuple[str, str]],
                  registers: Sequence[tuple]) -> None:
        status = [(*row, *scope) for row, scope in zip(rows, scopes, strict=True)]
        if status:
            stage(self.conn, "device_status", _STATUS_COLUMNS, _last_per_key(status))
            self.conn.execute(_STATUS_UPSERT)
        if registers:
            stage(self.conn, "device_registers", _REGISTER_COLUMNS, _last_per_key(registers))
            self.conn.execute(_REGISTERS_UPSERT)

    def add_alarms(self, alarms: Sequence[dict[str, Any]]) -> list[str]:
        sql = (f"INSERT INTO alarms ({', '.join(ALARM_COLUMNS)}) "
               f"VALUES ({_marks(len(ALARM_COLUMNS))}) ON CONFLICT DO NOTHING")
        new: list[str] = []
        for alarm in alarms:
            if self.conn.execute(sql, [alarm.get(c) for c in ALARM_COLUMNS]).rowcount:
                new.append(alarm["id"])
        return new

    def alarm(self, alarm_id: str) -> dict[str, Any] | None:
        return self._row("SELECT * FROM alarms WHERE id = %s", alarm_id)

    def update_alarm(self, alarm_id: str, changes: dict[str, Any]) -> None:
        sets = ", ".join(f"{c} = %s" for c in changes)
        self.conn.execute(f"UPDATE alarms SET {sets} WHERE id = %s", [*changes.values(), alarm_id])

    def add_inbox(self, rows: Sequence[tuple[str, str, str, int]]) -> None:
        if rows:
            with self.conn.cursor() as cursor:
                cursor.executemany("INSERT INTO alarm_inbox (person_id, alarm_id, role, since) "
                                   "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING", rows)

    def add_steps(self, rows: Sequence[tuple]) -> None:
        if rows:
            with self.conn.cursor() as cursor:
                cursor.executemany("INSERT INTO alarm_steps (alarm_id, ts, action, actor, "
                                   "person_id, note) VALUES (%s, %s, %s, %s, %s, %s)", rows)

    def add_incident(self, incident: dict[str, Any], event: tuple) -> None:
        self._insert("incidents", incident)
        self.conn.execute(_EVENT_INSERT, event)

    def incident(self, incident_id: str) -> dict[str, Any] | None:
        return self._row("SELECT * FROM incidents WHERE id = %s", incident_id)

    def update_incident(self, incident_id: str, changes: dict[str, Any], event: tuple) -> None:
        if changes:
            sets = ", ".join(f"{c} = %s" for c in changes)
            self.conn.execute(f"UPDATE incidents SET {sets} WHERE id = %s",
                              [*changes.values(), incident_id])
        self.conn.execute(_EVENT_INSERT, event)

    def last_incident_number(self) -> int:
        row = self.conn.execute(
            "SELECT MAX(substring(id from '^inc-([0-9]{6}[0-9]*)')::bigint) FROM incidents "
            "WHERE id ~ '^inc-[0-9]{6}'").fetchone()
        return int(row[0] or 0) if row else 0

    def add_visit(self, visit: dict[str, Any], findings: Sequence[tuple]) -> None:
        self._insert("visits", visit)
        if findings:
            with self.conn.cursor() as cursor:
                cursor.executemany("INSERT INTO visit_findings (visit_id, item, ok, note, "
                                   "incident_id) VALUES (%s, %s, %s, %s, %s)", findings)

    def add_patrol(self, patrol: dict[str, Any]) -> None:
        self._insert("patrols", patrol)

    def overdue_alarms(self, raised_before: int) -> list[dict[str, Any]]:
        cursor = self.conn.execute(
            "SELECT * FROM alarms WHERE status = 'open' AND raised_at < %s", (raised_before,))
        names = [d.name for d in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def _insert(self, table: str, row: dict[str, Any]) -> None:
        names = list(row)
        self.conn.execute(f"INSERT INTO {table} ({', '.join(names)}) "
                          f"VALUES ({', '.join(geometry_value(n) for n in names)})",
                          [row[n] for n in names])

    def _row(self, sql: str, key: str) -> dict[str, Any] | None:
        cursor = self.conn.execute(sql, (key,))
        row = cursor.fetchone()
        if row is None:
            return None
        return dict(zip([d.name for d in cursor.description or ()], row, strict=True))


# Seeded stores have readings but no registers yet: derive active_at and flow state once.
BACKFILL_REGISTERS_SQL = """
INSERT INTO device_registers (device_id, active_at, flow_at, flow_on)
SELECT device_id,
       MAX(CASE WHEN event IN ('open', 'close', 'motion', 'flow_start', 'flow_stop')
                  OR (value > 0 AND event IS NULL) THEN ts END),
       MAX(CASE WHEN event IN ('flow_start', 'flow_stop') THEN ts END),
       NULL
FROM readings GROUP BY device_id
ON CONFLICT DO NOTHING
"""
