"""The embedded SQLite store: one file, WAL, one connection per thread, one writer at a time."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from importlib import resources
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from twin_dashboard.geo.layers import LAYERS, LayerSpec, district_part, layer_spec
from twin_dashboard.store._live_sqlite import (
    BACKFILL_REGISTERS_SQL,
    HOUSEHOLD_ACTIVITY_SQL,
    LIVE_CACHE_KIB,
    LIVE_CHECKPOINT_PAGES,
    SQLiteLiveTx,
)
from twin_dashboard.store._migrations import migrate
from twin_dashboard.store._sqlite_open import (
    BUSY_TIMEOUT_S,
    check_file,
    conditions,
    connect,
    parse_url,
    probe_write,
)
from twin_dashboard.store.accounts import SQLiteAccounts
from twin_dashboard.store.base import (
    ALL,
    LAYERS_VERSION_KEY,
    RECORD_DEFAULTS,
    RECORD_TABLES,
    TIME_COLUMNS,
    Scope,
    StoreError,
)

BATCH_ROWS = 5_000  # rows per executemany: bounded memory, few round trips
# History tables for replay: (their key column, the scoped parent table, its key, the parent's
# time after which a row may have changed).
_HISTORY: dict[str, tuple[str, str, str, str]] = {
    "incident_events": ("incident_id", "incidents", "id", "reported_at"),
    "readings": ("device_id", "device_status", "device_id", "last_seen"),
}


def sqlite_path(url: str) -> str:
    """The file path of a ``sqlite:///relative`` or ``sqlite:////absolute`` URL."""
    return str(parse_url(url).path)


class SQLiteStore:
    """The Store protocol (store/base.py) over one SQLite file."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.target = parse_url(url)
        self.path = self.target.path
        check_file(self.target)
        self._local = threading.local()
        self._write_lock = threading.Lock()
        schema = resources.files("twin_dashboard.store").joinpath("schema.sql").read_text()
        with self._write_lock, conditions(self.path):
            self._conn().executescript(schema)  # executescript manages its own transaction
            migrate(self._conn(), schema)  # tables whose shape changed since the file was made
        self.accounts = SQLiteAccounts(self._conn, self._transaction)

    # --- connections ---
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.target)
            with conditions(self.path):
                if not self.target.read_only:  # a read-only file keeps its journal mode
                    conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
            self._local.conn = conn
        return conn

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """All or nothing: a failure anywhere inside rolls every statement back."""
        conn = self._conn()
        with self._write_lock, conditions(self.path):
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:  # SQLite ends some failed transactions itself
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def check_writable(self) -> None:
        probe_write(self.target)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

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
        names = ["id", *spec.column_names, "props", "geom"]
        sql, params = _select(spec.table, names, _layer_scope(spec), scope, None)
        if after is not None or limit is not None:  # a page: by id, from the primary key
            if after is not None:
                sql += (" AND" if " WHERE " in sql else " WHERE") + " id > ?"
                params.append(after)
            sql += " ORDER BY id" + (" LIMIT ?" if limit is not None else "")
            params += [limit] if limit is not None else []
        frame = self._query(sql, params)
        geometry = shapely.from_wkb(frame.pop("geom").to_numpy()) if len(frame) else []
        frame["props"] = [json.loads(p) if isinstance(p, str) else {} for p in frame["props"]]
        frame = _decode_times(frame)
        return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, crs="EPSG:4326"),
                                crs="EPSG:4326")

    def layer_fingerprint(self, layer: str) -> str:
        return self._fingerprint(layer_spec(layer).table)

    # --- records ---
    def replace_records(self, table: str, frame: pd.DataFrame) -> int:
        columns = _record_columns(table)
        self._replace(table, columns, _record_rows(table, columns, frame))
        return len(frame)

    def insert_records(self, table: str, frame: pd.DataFrame) -> int:
        """Insert rows, skipping those whose key already exists; returns how many were new."""
        columns = _record_columns(table)
        sql = (f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}) "
               f"VALUES ({', '.join('?' * len(columns))})")
        with self._transaction() as conn:
            before = conn.total_changes
            for batch in _batches(_record_rows(table, columns, frame)):
                conn.executemany(sql, batch)
            return conn.total_changes - before

    def read_records(self, table: str, scope: Scope = ALL,
                     where: Mapping[str, Any] | None = None) -> pd.DataFrame:
        columns = _record_columns(table)
        sql, params = _select(table, list(columns), _record_scope(columns), scope, where)
        frame = _decode_times(self._query(sql, params))
        if table == "patrols":
            geometry = shapely.from_wkb(frame.pop("geom").to_numpy()) if len(frame) else []
            return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, crs="EPSG:4326"))
        return frame

    def count(self, table: str, scope: Scope = ALL) -> int:
        """Rows of a layer (by layer or table name) or record table within a scope."""
        spec = LAYERS.get(table) or _LAYER_BY_TABLE.get(table)
        if spec is not None:
            table, scope_cols = spec.table, _layer_scope(spec)
        else:
            scope_cols = _record_scope(_record_columns(table))
        sql, params = _select(table, ["COUNT(*)"], scope_cols, scope, None)
        return int(self._conn().execute(sql, params).fetchone()[0])

    def fingerprint(self, table: str) -> str:
        """A digest of any table's rows (record tables too)."""
        if table not in _LAYER_TABLES:
            _record_columns(table)
        return self._fingerprint(table)

    def read_columns(self, table: str, columns: list[str] | tuple[str, ...],
                     scope: Scope = ALL, where: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Some plain columns of a layer (layer or table name) or record table, no geometry or
        props decoding: the fast read for figures over many rows (domain/summary.py)."""
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
        sql, params = _select(table, list(columns), scope_cols, scope, where)
        return _decode_times(self._query(sql, params))

    # --- replay (issue 10): reads bounded in time ---
    def read_until(self, table: str, columns: list[str] | tuple[str, ...], until: int,
                   scope: Scope = ALL, column: str = "raised_at") -> pd.DataFrame:
        """Some plain columns of a scoped record table, rows whose ``column`` (a time) is at or
        before ``until`` (epoch seconds): what existed at a moment (domain/replay.py)."""
        known = set(_record_columns(table)) - {"geom"}
        unknown = [c for c in columns if c not in known]
        if column not in known or column not in TIME_COLUMNS:
            unknown.append(column)
        if unknown:
            raise StoreError(f"{table}: no column(s) {', '.join(unknown)} to read")
        sql, params = _select(table, list(columns), _record_scope(_record_columns(table)),
                              scope, None)
        sql += (" AND " if " WHERE " in sql else " WHERE ") + f"{column} <= ?"
        return _decode_times(self._query(sql, [*params, int(until)]))

    def history_until(self, table: str, until: int, scope: Scope = ALL,
                      changed_after: int | None = None) -> pd.DataFrame:
        """Rows of a history table (``incident_events`` or ``readings``) at or before ``until``
        whose incident / device is in ``scope``; with ``changed_after``, only those of devices
        last seen (incidents reported) after it: the others' stored row is still their state."""
        child, parent, key, moved = _HISTORY[table]
        columns = [c for c in _record_columns(table) if c not in ("note", "actor", "gateway",
                                                                    "received_at")]
        sql, params = _select(parent, ["p." + key], _record_scope(_record_columns(parent)),
                              scope, None)
        sql = sql.replace(f"FROM {parent}", f"FROM {parent} p", 1)
        if changed_after is not None:
            sql += (" AND " if " WHERE " in sql else " WHERE ") + f"p.{moved} > ?"
            params.append(int(changed_after))
        query = (f"SELECT {', '.join('c.' + c for c in columns)} FROM {table} c "
                 f"WHERE c.ts <= ? AND c.{child} IN ({sql})")
        return _decode_times(self._query(query, [int(until), *params]))

    # --- bookkeeping ---
    def is_empty(self) -> bool:
        conn = self._conn()
        return all(conn.execute(f"SELECT 1 FROM {t} LIMIT 1").fetchone() is None
                   for t in _LAYER_TABLES)

    def get_meta(self, key: str) -> str | None:
        row = self._conn().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def set_person_tags(self, person_id: str, tags: str) -> str | None:
        """Replace one person's ``;``-separated tags; the old ones (``None``: no such person)."""
        with self._transaction() as conn:
            row = conn.execute("SELECT tags FROM people WHERE id = ?", (person_id,)).fetchone()
            if row is None:
                return None
            conn.execute("UPDATE people SET tags = ? WHERE id = ?", (tags, person_id))
        return row[0] or ""

    def touch_source(self, name: str, at: pd.Timestamp, detail: str = "") -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO sources (name, updated_at, detail) VALUES (?, ?, ?)",
                (name, int(pd.Timestamp(at).timestamp()), detail),
            )

    def sources(self) -> pd.DataFrame:
        frame = self._query("SELECT name, updated_at, detail FROM sources ORDER BY name", [])
        frame["updated_at"] = pd.to_datetime(frame["updated_at"], unit="s", utc=True)
        return frame

    # --- internals ---
    def _replace(self, table: str, columns: list[str], rows: Iterator[tuple],
                 bump: str | None = None, part: tuple[str, str] | None = None) -> None:
        """Replace a table's rows; ``bump`` names a meta key set to a new value in the same
        transaction, so that readers caching the table know it changed."""
        sql = (f"INSERT INTO {table} ({', '.join(columns)}) "
               f"VALUES ({', '.join('?' * len(columns))})")
        try:
            with self._transaction() as conn:
                if part is None:
                    conn.execute(f"DELETE FROM {table}")
                else:  # one district's rows (``part``: column, district id)
                    conn.execute(f"DELETE FROM {table} WHERE {part[0]} = ?", (part[1],))
                for batch in _batches(rows):
                    conn.executemany(sql, batch)
                if bump:
                    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                                 (bump, uuid.uuid4().hex))
        except sqlite3.IntegrityError as err:
            raise StoreError(f"{table}: {err}; nothing was changed") from err

    def _query(self, sql: str, params: list[Any]) -> pd.DataFrame:
        # Closed even when reading fails: a cursor kept alive (by a traceback) would hold this
        # thread's connection on an old snapshot of the file for every later read.
        with conditions(self.path), closing(self._conn().execute(sql, params)) as cursor:
            names = [d[0] for d in cursor.description]
            return pd.DataFrame.from_records(cursor.fetchall(), columns=names)

    def _fingerprint(self, table: str) -> str:
        digest = hashlib.sha256()
        for row in self._conn().execute(f"SELECT * FROM {table} ORDER BY rowid"):
            digest.update(repr(row).encode())
        return digest.hexdigest()

    # --- live ingest (issue 4) ---
    @contextmanager
    def live_tx(self) -> Iterator[SQLiteLiveTx]:
        """One all-or-nothing transaction for a batch of readings or a routing step."""
        if not getattr(self._local, "live_cache", False):
            # The readings indexes outgrow SQLite's 2 MB default page cache within minutes.
            self._conn().execute(f"PRAGMA cache_size = -{LIVE_CACHE_KIB}")
            self._conn().execute(f"PRAGMA wal_autocheckpoint = {LIVE_CHECKPOINT_PAGES}")
            self._local.live_cache = True
        with self._transaction() as conn:
            yield SQLiteLiveTx(conn)

    def save_token(self, name: str, token_hash: str, at: pd.Timestamp) -> None:
        with self._transaction() as conn:
            row = conn.execute("SELECT revoked_at FROM gateway_tokens WHERE name = ?",
                               (name,)).fetchone()
            if row is not None and row[0] is None:
                raise StoreError(f"gateway {name!r} already has an active token: revoke it first")
            conn.execute("INSERT OR REPLACE INTO gateway_tokens (name, token_hash, created_at, "
                         "revoked_at) VALUES (?, ?, ?, NULL)",
                         (name, token_hash, int(pd.Timestamp(at).timestamp())))

    def revoke_token_hash(self, name: str, at: pd.Timestamp) -> bool:
        with self._transaction() as conn:
            cursor = conn.execute("UPDATE gateway_tokens SET revoked_at = ? "
                                  "WHERE name = ? AND revoked_at IS NULL",
                                  (int(pd.Timestamp(at).timestamp()), name))
            return cursor.rowcount > 0

    def active_token_hashes(self) -> dict[str, str]:
        rows = self._conn().execute(
            "SELECT name, token_hash FROM gateway_tokens WHERE revoked_at IS NULL")
        return dict(rows.fetchall())

    def household_activity(self) -> pd.DataFrame:
        return _decode_times(self._query(HOUSEHOLD_ACTIVITY_SQL, []))

    def backfill_registers(self) -> int:
        with self._transaction() as conn:
            return conn.execute(BACKFILL_REGISTERS_SQL).rowcount


_LAYER_BY_TABLE: dict[str, LayerSpec] = {s.table: s for s in LAYERS.values()}
_LAYER_TABLES: tuple[str, ...] = tuple(_LAYER_BY_TABLE)


def _layer_scope(spec: LayerSpec) -> tuple[str | None, str | None]:
    cols = spec.scope_columns
    return (cols[0] if cols else None, cols[1] if len(cols) > 1 else None)


def _record_scope(columns: tuple[str, ...]) -> tuple[str | None, str | None]:
    return ("subdistrict_id" if "subdistrict_id" in columns else None,
            "neighborhood_id" if "neighborhood_id" in columns else None)


def _record_columns(table: str) -> tuple[str, ...]:
    try:
        return RECORD_TABLES[table]
    except KeyError:
        raise StoreError(f"unknown table {table!r}") from None


def _select(table: str, names: list[str], scope_cols: tuple[str | None, str | None],
            scope: Scope, where: Mapping[str, Any] | None, *, mark: str = "?",
            false: str = "0") -> tuple[str, list[Any]]:
    """A SELECT with the scope's and ``where``'s conditions as bound parameters (``mark`` and
    ``false`` in the engine's dialect: the PostGIS store shares this)."""
    clauses: list[str] = []
    params: list[Any] = []
    conditions: list[tuple[str, Any]] = []
    sub_col, nbh_col = scope_cols
    if scope.subdistrict_ids is not None and sub_col:
        conditions.append((sub_col, sorted(scope.subdistrict_ids)))
    if scope.neighborhood_ids is not None and nbh_col:
        conditions.append((nbh_col, sorted(scope.neighborhood_ids)))
    for column, value in (where or {}).items():
        if not column.isidentifier():
            raise StoreError(f"bad column name {column!r}")
        conditions.append((column, value))
    for column, value in conditions:
        values = list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]
        clauses.append(f"{column} IN ({', '.join([mark] * len(values))})" if values else false)
        params.extend(values)
    sql = f"SELECT {', '.join(names)} FROM {table}"
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    return sql, params


def _layer_rows(spec: LayerSpec, frame: gpd.GeoDataFrame) -> tuple[list[str], Iterator[tuple]]:
    """Columns and row tuples for a layer table, geometry as WKB (EPSG:4326)."""
    if frame.crs is not None and not frame.crs.equals("EPSG:4326"):
        raise StoreError(f"{spec.name}: geometry must be EPSG:4326, got {frame.crs}")
    data = pd.DataFrame({"id": frame["id"].astype(str)})
    for column in spec.columns:
        values = frame.get(column.name)
        data[column.name] = _encode(values, column.type, len(frame))
    props = frame["props"] if "props" in frame else [None] * len(frame)
    data["props"] = [json.dumps(p, ensure_ascii=False, default=str) if p else None
                     for p in props]
    geoms = frame.geometry.to_numpy()
    if spec.geometry == ("Point",):
        data["lon"] = shapely.get_x(geoms)
        data["lat"] = shapely.get_y(geoms)
    data["geom"] = shapely.to_wkb(geoms)
    return list(data.columns), _tuples(data)


def _record_rows(table: str, columns: tuple[str, ...], frame: pd.DataFrame) -> Iterator[tuple]:
    data = pd.DataFrame(index=range(len(frame)))
    defaults = RECORD_DEFAULTS.get(table, {})
    for name in columns:
        if name not in frame and name in defaults:
            data[name] = [defaults[name]] * len(frame)
            continue
        values = frame[name].reset_index(drop=True) if name in frame else None
        if name == "geom" and values is not None:
            data[name] = shapely.to_wkb(np.asarray(values))
        else:
            kind = "time" if name in TIME_COLUMNS else "any"
            data[name] = _encode(values, kind, len(frame))
    return _tuples(data)


def _encode(values: pd.Series | None, kind: str, length: int) -> list[Any]:
    """Python values SQLite stores: times as epoch seconds, NaN/NaT as NULL."""
    if values is None:
        return [None] * length
    if kind == "time":
        return _epoch_seconds(values)
    out = values.astype(object).where(pd.notna(values), None)
    if kind == "int":
        return [None if v is None or v == "" else int(v) for v in out]
    if kind == "float":
        return [None if v is None or v == "" else float(v) for v in out]
    return [v.item() if isinstance(v, np.generic) else v for v in out]


def _epoch_seconds(values: pd.Series) -> list[Any]:
    """Times (ISO strings, timestamps or epoch numbers) as integer seconds, vectorised."""
    if pd.api.types.is_numeric_dtype(values):
        seconds = values.to_numpy(dtype=float)
    else:
        stamps = pd.to_datetime(values, utc=True, errors="raise", format="ISO8601")
        seconds = stamps.dt.as_unit("s").astype("int64").to_numpy(dtype=float)
        seconds[stamps.isna().to_numpy()] = np.nan
    out = np.floor(seconds).astype(object)
    out[np.isnan(seconds)] = None
    return [None if v is None else int(v) for v in out]


def _decode_times(frame: pd.DataFrame) -> pd.DataFrame:
    for column in frame.columns:
        if column in TIME_COLUMNS:
            frame[column] = pd.to_datetime(frame[column], unit="s", utc=True)
    return frame


def _tuples(data: pd.DataFrame) -> Iterator[tuple]:
    # Column arrays as Python objects: pandas 3's Arrow strings are slow to walk row by row.
    return zip(*(data[c].to_numpy(dtype=object) for c in data.columns), strict=True)


def _batches(rows: Iterator[tuple]) -> Iterator[list[tuple]]:
    batch: list[tuple] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch
