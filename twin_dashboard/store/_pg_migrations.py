"""The PostGIS store's schema as numbered versions, each applied once and all or nothing.

``postgis_schema/NNNN_name.sql`` are the versions in order; ``schema_version`` records which ones
a database has. Opening a store applies the missing ones in one transaction, holding an advisory
lock so that workers starting together do not race: a failure leaves the database at its old
version. A new version is a new file — a file once released is never edited.
"""

from __future__ import annotations

import logging
from importlib import resources

import psycopg

log = logging.getLogger(__name__)
SCHEMA_PACKAGE = "twin_dashboard.store"
SCHEMA_FOLDER = "postgis_schema"
# Any fixed number: the key of the advisory lock that serialises migrations across processes.
MIGRATION_LOCK = 0x7477696E  # "twin"


def versions() -> list[tuple[int, str, str]]:
    """(number, name, SQL) of every schema version shipped, in order."""
    folder = resources.files(SCHEMA_PACKAGE).joinpath(SCHEMA_FOLDER)
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number, _, name = entry.name.removesuffix(".sql").partition("_")
            found.append((int(number), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def applied(conn: psycopg.Connection) -> set[int]:
    """The versions a database has (none when it is new)."""
    if conn.execute("SELECT to_regclass('schema_version')").fetchone()[0] is None:
        return set()
    return {row[0] for row in conn.execute("SELECT version FROM schema_version")}


def migrate(conn: psycopg.Connection) -> list[str]:
    """Apply the versions this database still needs in one transaction; returns their names.

    Nothing is written when nothing is needed, so a read-only database of the current version
    opens fine (as a read-only SQLite file does).
    """
    if {number for number, _, _ in versions()} <= applied(conn):
        return []
    with conn.transaction():
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY, "
                     "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())")
        have = applied(conn)  # asked again under the lock: another process may have done it
        done = []
        for number, name, sql in versions():
            if number in have:
                continue
            conn.execute(sql)  # type: ignore[arg-type]  # our own file: trusted SQL
            conn.execute("INSERT INTO schema_version (version, name) VALUES (%s, %s)",
                         (number, name))
            done.append(f"{number:04d}_{name}")
    for name in done:
        log.info("store migrated: %s", name)
    return done
