"""Bring an existing SQLite file up to the current schema: all or nothing, when it is opened.

``schema.sql`` creates missing tables in their current shape, but ``CREATE TABLE IF NOT EXISTS``
leaves an existing table as it was. A table whose shape changed (a new primary key) is rebuilt
here in one transaction — create the new shape, copy, drop, rename — so a crash or a failure
half-way leaves the old table whole, and the next open tries again.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Migration:
    name: str  # what it does, for the log
    needed: Callable[[sqlite3.Connection], bool]
    apply: Callable[[sqlite3.Connection, str], None]  # (connection, schema.sql's text)


def migrate(conn: sqlite3.Connection, schema: str) -> list[str]:
    """Apply the migrations this file still needs in one transaction; returns their names.

    ``conn`` is in autocommit mode (``isolation_level=None``). Nothing is written when
    nothing is needed, so a read-only file of the current shape opens fine.
    """
    if not any(m.needed(conn) for m in MIGRATIONS):
        return []
    conn.execute("BEGIN IMMEDIATE")
    try:
        done = []
        for migration in MIGRATIONS:
            if migration.needed(conn):  # asked again: another process may have done it
                migration.apply(conn, schema)
                done.append(migration.name)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    for name in done:
        log.info("store migrated: %s", name)
    return done


def columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def table_ddl(schema: str, table: str) -> str:
    """The ``CREATE TABLE`` statement of ``table`` in schema.sql (comments stripped)."""
    match = re.search(rf"CREATE TABLE IF NOT EXISTS {table} \((.*?)\n\);", schema, re.S)
    if match is None:
        raise LookupError(f"schema.sql has no table {table!r}")
    body = re.sub(r"--[^\n]*", "", match.group(1))
    return f"CREATE TABLE {{name}} ({body}\n)"


def index_ddl(schema: str, table: str) -> list[str]:
    return re.findall(rf"CREATE INDEX IF NOT EXISTS \w+ ON {table} \([^)]*\);", schema)


def _readings_need_gateway(conn: sqlite3.Connection) -> bool:
    found = columns(conn, "readings")
    return bool(found) and "gateway" not in found


def _readings_add_gateway(conn: sqlite3.Connection, schema: str) -> None:
    """Key readings on (gateway, reading_id); stored readings get gateway '' (not known)."""
    old = [c for c in columns(conn, "readings") if c != "gateway"]
    conn.execute(table_ddl(schema, "readings").format(name="readings_migrating"))
    names = ", ".join(old)
    conn.execute(f"INSERT INTO readings_migrating ({names}, gateway) "
                 f"SELECT {names}, '' FROM readings")
    conn.execute("DROP TABLE readings")
    conn.execute("ALTER TABLE readings_migrating RENAME TO readings")
    for statement in index_ddl(schema, "readings"):
        conn.execute(statement)


# Columns the incident workflow added to ``incidents`` (domain/workflow.py), with their types.
INCIDENT_WORKFLOW_COLUMNS: dict[str, str] = {
    "assignee": "TEXT", "accepted_at": "INTEGER", "started_at": "INTEGER",
    "verified_at": "INTEGER", "reopened": "INTEGER",
}


def _incidents_need_workflow(conn: sqlite3.Connection) -> bool:
    found = columns(conn, "incidents")
    return bool(found) and not set(INCIDENT_WORKFLOW_COLUMNS) <= set(found)


def _incidents_add_workflow(conn: sqlite3.Connection, _schema: str) -> None:
    """Add the workflow's columns (all nullable: stored incidents keep their rows as they were)."""
    found = set(columns(conn, "incidents"))
    for name, kind in INCIDENT_WORKFLOW_COLUMNS.items():
        if name not in found:
            conn.execute(f"ALTER TABLE incidents ADD COLUMN {name} {kind}")


def _users_need_rotation(conn: sqlite3.Connection) -> bool:
    found = columns(conn, "users")
    return bool(found) and "rotate_s" not in found


def _users_add_rotation(conn: sqlite3.Connection, _schema: str) -> None:
    """A kiosk's rotation becomes a setting of the account (nullable: none for the others)."""
    conn.execute("ALTER TABLE users ADD COLUMN rotate_s INTEGER")


# Columns several districts added (DESIGN §4.4): table -> the columns it gained.
DISTRICT_COLUMNS: dict[str, tuple[str, ...]] = {
    "district": ("name_en",), "users": ("district_id",),
    **{table: ("district_id",) for table in (
        "subdistricts", "neighborhoods", "buildings", "roads", "landcover", "addresses",
        "patrol_zones", "devices")},
}


def _layers_need_district(conn: sqlite3.Connection) -> bool:
    return any(found and not set(added) <= set(found)
               for table, added in DISTRICT_COLUMNS.items()
               for found in [columns(conn, table)])


def _layers_add_district(conn: sqlite3.Connection, _schema: str) -> None:
    """Layer rows gain their district (nullable: rows stored before it have none, until the
    next import or seed fills it); the district gains its English name."""
    for table, added in DISTRICT_COLUMNS.items():
        found = set(columns(conn, table))
        for name in added:
            if found and name not in found:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {name} TEXT")


MIGRATIONS: tuple[Migration, ...] = (
    Migration("readings keyed on (gateway, reading_id)", _readings_need_gateway,
              _readings_add_gateway),
    Migration("incidents gain the workflow's columns", _incidents_need_workflow,
              _incidents_add_workflow),
    Migration("users gain a kiosk's rotation", _users_need_rotation, _users_add_rotation),
    Migration("layer rows gain their district", _layers_need_district, _layers_add_district),
)
