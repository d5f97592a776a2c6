"""The PostgreSQL + PostGIS store: the Store protocol (store/base.py) for deployments that outgrow
one process (``--db postgresql://USER@HOST:PORT/DB``).

It keeps the SQLite store's values exactly — times as epoch seconds, ``props`` as JSON text, the
same row encoding (shared from ``sqlite.py``) — so reads give the same frames on both engines;
what differs is the engine's: geometry is a PostGIS ``geometry`` in EPSG:4326 with a GiST index,
scopes and ``where`` filters are SQL conditions, whole-table writes are ``COPY``, the schema is
migrated with Alembic (store/_pg_migrations.py) and the audit table's triggers refuse UPDATE,
DELETE and TRUNCATE. Connections come from a pool (psycopg_pool), one borrowed per statement
or transaction, so that many threads and workers share a bounded number; PostgreSQL, not a file
lock, lets several processes write.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import shapely
from psycopg import errors

from twin_dashboard.geo.layers import LAYERS, district_part, layer_spec
from twin_dashboard.store._live_postgis import BACKFILL_REGISTERS_SQL, PostGISLiveTx
from twin_dashboard.store._live_sqlite import HOUSEHOLD_ACTIVITY_SQL
from twin_dashboard.store._pg import (
    PooledQmark,
    QmarkConnection,
    conditions,
    connect,
    copy_value,
    open_pool,
    redacted,
)
from twin_dashboard.store._pg_migrations import migrate
from twin_dashboard.store.accounts import SQLiteAccounts
from twin_dashboard.store.base import (
    ALL,
    LAYERS_VERSION_KEY,
    Scope,
    StoreError,
    StoreUnavailable,
)
from twin_dashboard.store.sqlite import (
    _LAYER_BY_TABLE,
    _LAYER_TABLES,
    _decode_times,
    _layer_rows,
    _layer_scope,
    _record_columns,
    _record_rows,
    _record_scope,
    _select,
)

SRID = 4326
PROBE_LOCK_TIMEOUT = "500ms"  # the write probe waits no longer for a row another writer holds
_GEOM_OUT = "ST_AsBinary(geom) AS geom"  # geometry read back as WKB, as SQLite stores it


class PostGISStore:
    """The Store protocol over one PostgreSQL database with the PostGIS extension."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._write_lock = threading.Lock()
        first = connect(url)  # a server that cannot be reached is named here, at once
        try:
            with self._write_lock, conditions(url):
                migrate(first, url)
        finally:
            first.close()
        self._pool = open_pool(url)
        self.accounts = SQLiteAccounts(lambda: PooledQmark(self._borrow),
                                       self._qmark_transaction, psycopg.IntegrityError)

    def __repr__(self) -> str:
        return f"PostGISStore({redacted(self.url)!r})"

    # --- connections ---
    @contextmanager
    def _borrow(self) -> Iterator[psycopg.Connection]:
        """A connection of the pool for one statement or transaction."""
        with conditions(self.url), self._pool.connection() as conn:
            yield conn

    @contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection]:
        """All or nothing: a failure anywhere inside rolls every statement back."""
        with self._write_lock, self._borrow() as conn, conn.transaction():
            yield conn

    @contextmanager
    def _qmark_transaction(self) -> Iterator[QmarkConnection]:
        with self._transaction() as conn:
            yield QmarkConnection(conn)

    def check_writable(self) -> None:
        """Write a row and roll it back; a row another writer holds counts as writable."""
        with self._borrow() as conn:
            if conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                raise StoreUnavailable(f"the server is a read-only standby ({redacted(self.url)})")
            try:
                with conn.transaction(force_rollback=True):
                    conn.execute(f"SET LOCAL lock_timeout = '{PROBE_LOCK_TIMEOUT}'")
                    conn.execute("INSERT INTO meta (key, value) VALUES ('write_probe', '') "
                                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value")
            except errors.LockNotAvailable:
                return

    def close(self) -> None:
        self._pool.close()

    # --- layers ---
    def replace_layer(self, layer: str, frame: gpd.GeoDataFrame,
                      district: str | None = None) -> int:
        spec = layer_spec(layer)
        columns, rows = _layer_rows(spec, frame)
        self._replace(spec.table, columns, rows, bump=LAYERS_VERSION_KEY,
                      part=district_part(spec, district))
        return len(frame)

    def read_layer(self, layer: str, scope: Scope = ALL, *, after: str | None = None,
                   limit: int | None = None) -> gpd.GeoDataFrame:
        spec = layer_spec(layer)
        names = ["id", *spec.column_names, "props", _GEOM_OUT]
        sql, params = _pg_select(spec.table, names, _layer_scope(spec), scope, None)
        if after is not None or limit is not None:
            if after is not None:
                sql += (" AND" if " WHERE " in sql else " WHERE") + " id > %s"
                params.append(after)
            sql += " ORDER BY id" + (" LIMIT %s" if limit is not None else "")
            params += [limit] if limit is not None else []
        frame = self._query(sql, params)
        geometry = shapely.from_wkb(frame.pop("geom").to_numpy()) if len(frame) else []
        frame["props"] = [_props(p) for p in frame["props"]]
        frame = _decode_times(frame)
        return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, crs="EPSG:4326"),
                                crs="EPSG:4326")

    def layer_fingerprint(self, layer: str) -> str:
        return self._fingerprint(layer_spec(layer).table)

    # --- records ---
    def replace_records(self, table: str, frame: pd.DataFrame) -> int:
        columns = _record_columns(table)
        self._replace(table, list(columns), _record_rows(table, columns, frame))
        return len(frame)

    def insert_records(self, table: str, frame: pd.DataFrame) -> int:
        """Insert rows, skipping those whose key already exists; returns how many were new."""
        columns = list(_record_columns(table))
        names = ", ".join(columns)
        with self._transaction() as conn:
            conn.execute(f"CREATE TEMP TABLE stage (LIKE {table} INCLUDING DEFAULTS) "
                         "ON COMMIT DROP")
            _copy(conn, "stage", columns, _record_rows(table, tuple(columns), frame))
            return conn.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM stage "
                                "ON CONFLICT DO NOTHING").rowcount

    def read_records(self, table: str, scope: Scope = ALL,
                     where: Mapping[str, Any] | None = None) -> pd.DataFrame:
        columns = _record_columns(table)
        names = [_GEOM_OUT if c == "geom" else c for c in columns]
        sql, params = _pg_select(table, names, _record_scope(columns), scope, where)
        frame = _decode_times(self._query(sql, params))
        if table == "patrols":
            geometry = shapely.from_wkb(frame.pop("geom").to_numpy()) if len(frame) else []
            return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, crs="EPSG:4326"))
        return frame

    def count(self, table: str, scope: Scope = ALL) -> int:
        spec = LAYERS.get(table) or _LAYER_BY_TABLE.get(table)
        if spec is not None:
            table, scope_cols = spec.table, _layer_scope(spec)
        else:
            scope_cols = _record_scope(_record_columns(table))
        sql, params = _pg_select(table, ["COUNT(*)"], scope_cols, scope, None)
        return int(self._one(sql, params))

    def fingerprint(self, table: str) -> str:
        if table not in _LAYER_TABLES:
            _record_columns(table)
        return self._fingerprint(table)

    def read_columns(self, table: str, columns: list[str] | tuple[str, ...],
                     scope: Scope = ALL, where: Mapping[str, Any] | None = None) -> pd.DataFrame:
        spec = LAYERS.get(table) or _LAYER_BY_TABLE.get(table)
        if spec is not None:
            known = {"id", *spec.column_names, *(("lon", "lat") if spec.geometry == ("Point",)
                                                 else ())}
            table, scope_cols = spec.table, _layer_scope(spec)
        else:
            known = set(_record_columns(table)) - {"geom"}
            scope_cols = _record_scope(_record_columns(table))
        unknown = [c for c in columns if c not in known]
        if unknown:
            raise StoreError(f"{table}: no column(s) {', '.join(unknown)} to read")
        sql, params = _pg_select(table, list(columns), scope_cols, scope, where)
        return _decode_times(self._query(sql, params))

    # --- bookkeeping ---
    def is_empty(self) -> bool:
        return all(self._one(f"SELECT EXISTS (SELECT 1 FROM {t})", []) is False
                   for t in _LAYER_TABLES)

    def get_meta(self, key: str) -> str | None:
        return self._one("SELECT value FROM meta WHERE key = %s", [key])

    def set_meta(self, key: str, value: str) -> None:
        with self._transaction() as conn:
            _set_meta(conn, key, value)

    def set_person_tags(self, person_id: str, tags: str) -> str | None:
        with self._transaction() as conn:
            row = conn.execute("SELECT tags FROM people WHERE id = %s FOR UPDATE",
                               (person_id,)).fetchone()
            if row is None:
                return None
            conn.execute("UPDATE people SET tags = %s WHERE id = %s", (tags, person_id))
        return row[0] or ""

    def touch_source(self, name: str, at: pd.Timestamp, detail: str = "") -> None:
        with self._transaction() as conn:
            conn.execute("INSERT INTO sources (name, updated_at, detail) VALUES (%s, %s, %s) "
                         "ON CONFLICT (name) DO UPDATE SET updated_at = excluded.updated_at, "
                         "detail = excluded.detail",
                         (name, int(pd.Timestamp(at).timestamp()), detail))

    def sources(self) -> pd.DataFrame:
        frame = self._query("SELECT name, updated_at, detail FROM sources ORDER BY name", [])
        frame["updated_at"] = pd.to_datetime(frame["updated_at"], unit="s", utc=True)
        return frame

    # --- live ingest (issue 4) ---
    @contextmanager
    def live_tx(self) -> Iterator[PostGISLiveTx]:
        """One all-or-nothing transaction for a batch of readings or a routing step."""
        with self._transaction() as conn:
            yield PostGISLiveTx(conn)

    def save_token(self, name: str, token_hash: str, at: pd.Timestamp) -> None:
        with self._transaction() as conn:
            row = conn.execute("SELECT revoked_at FROM gateway_tokens WHERE name = %s FOR UPDATE",
                               (name,)).fetchone()
            if row is not None and row[0] is None:
                raise StoreError(f"gateway {name!r} already has an active token: revoke it first")
            conn.execute("INSERT INTO gateway_tokens (name, token_hash, created_at, revoked_at) "
                         "VALUES (%s, %s, %s, NULL) ON CONFLICT (name) DO UPDATE SET "
                         "token_hash = excluded.token_hash, created_at = excluded.created_at, "
                         "revoked_at = NULL", (name, token_hash, int(pd.Timestamp(at).timestamp())))

    def revoke_token_hash(self, name: str, at: pd.Timestamp) -> bool:
        with self._transaction() as conn:
            cursor = conn.execute("UPDATE gateway_tokens SET revoked_at = %s "
                                  "WHERE name = %s AND revoked_at IS NULL",
                                  (int(pd.Timestamp(at).timestamp()), name))
            return cursor.rowcount > 0

    def active_token_hashes(self) -> dict[str, str]:
        with self._borrow() as conn:
            rows = conn.execute(
                "SELECT name, token_hash FROM gateway_tokens WHERE revoked_at IS NULL")
            return dict(rows.fetchall())

    def household_activity(self) -> pd.DataFrame:
        return _decode_times(self._query(HOUSEHOLD_ACTIVITY_SQL, []))

    def backfill_registers(self) -> int:
        with self._transaction() as conn:
            return conn.execute(BACKFILL_REGISTERS_SQL).rowcount

    # --- internals ---
    def _replace(self, table: str, columns: list[str], rows: Iterable[tuple],
                 bump: str | None = None, part: tuple[str, str] | None = None) -> None:
        """Replace a table's rows with one COPY; ``bump`` names a meta key set anew in the same
        transaction (see the SQLite store)."""
        try:
            with self._transaction() as conn:
                if part is None:
                    conn.execute(f"DELETE FROM {table}")
                else:  # one district's rows (``part``: column, district id)
                    conn.execute(f"DELETE FROM {table} WHERE {part[0]} = %s", (part[1],))
                _copy(conn, table, columns, rows)
                if bump:
                    _set_meta(conn, bump, uuid.uuid4().hex)
        except (psycopg.IntegrityError, psycopg.DataError) as err:
            reason = str(err).strip().splitlines()[0]
            raise StoreError(f"{table}: {reason}; nothing was changed") from err

    def _query(self, sql: str, params: list[Any]) -> pd.DataFrame:
        with self._borrow() as conn:
            cursor = conn.execute(sql, params)
            names = [d.name for d in cursor.description or ()]
            return pd.DataFrame.from_records(cursor.fetchall(), columns=names)

    def _one(self, sql: str, params: list[Any]) -> Any:
        with self._borrow() as conn:
            row = conn.execute(sql, params).fetchone()
        return row[0] if row else None

    def _fingerprint(self, table: str) -> str:
        return self._one(f"SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), "
                         f"'')) FROM {table} t", [])


def _pg_select(table: str, names: list[str], scope_cols: tuple[str | None, str | None],
               scope: Scope, where: Mapping[str, Any] | None) -> tuple[str, list[Any]]:
    sql, params = _select(table, names, scope_cols, scope, where, mark="%s", false="FALSE")
    return sql, [v.item() if isinstance(v, np.generic) else v for v in params]


def _copy(conn: psycopg.Connection, table: str, columns: list[str],
          rows: Iterable[tuple]) -> None:
    """COPY rows into ``table``; a ``geom`` column's WKB goes in as EWKB in EPSG:4326."""
    if "geom" in columns:
        rows = _with_srid(list(rows), columns.index("geom"))
    with conn.cursor() as cursor, cursor.copy(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([copy_value(v) for v in row])


def _with_srid(rows: list[tuple], at: int) -> Iterator[tuple]:
    """The rows with column ``at`` (WKB or None) as hex EWKB carrying SRID 4326, which the
    geometry column's text input takes."""
    wkb = np.array([row[at] for row in rows], dtype=object)
    geoms = shapely.set_srid(shapely.from_wkb(wkb), SRID)
    ewkb = shapely.to_wkb(geoms, hex=True, include_srid=True)
    return ((*row[:at], value, *row[at + 1:]) for row, value in zip(rows, ewkb, strict=True))


def _set_meta(conn: psycopg.Connection, key: str, value: str) -> None:
    conn.execute("INSERT INTO meta (key, value) VALUES (%s, %s) "
                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))


def _props(value: Any) -> dict:
    return json.loads(value) if isinstance(value, str) else {}
