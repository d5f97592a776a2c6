"""Connections to PostgreSQL for the PostGIS store: opening them, and what their errors mean.

A server that cannot be reached, refuses writes (a read-only replica, a full disk) or went away
is :class:`StoreUnavailable` naming the server and the reason — as a failing SQLite file is —
so the API answers 503. Errors about our SQL or the data stay psycopg's own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import psycopg
from psycopg import errors
from psycopg_pool import ConnectionPool

from twin_dashboard.store.base import StoreUnavailable

CONNECT_TIMEOUT_S = 10
# Connections one process keeps open: request threads, heavy readers and the ingest writer
# borrow one per statement or transaction; N workers hold N times this (PostgreSQL's default
# max_connections is 100).
POOL_MIN, POOL_MAX = 1, 10
# Server conditions, not mistakes in a query: the store cannot take this request now.
UNAVAILABLE = (psycopg.OperationalError, errors.ReadOnlySqlTransaction,
               errors.InsufficientPrivilege)


def redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://…"
    host, port, db = info.get("host", ""), info.get("port", ""), info.get("dbname", "")
    user = f"{info['user']}@" if info.get("user") else ""
    return f"postgresql://{user}{host}{':' + str(port) if port else ''}/{db}"


def _libpq_url(url: str) -> str:
    return "postgresql:" + url[len("postgres:"):] if url.startswith("postgres:") else url


def connect(url: str) -> psycopg.Connection:
    """An autocommit connection (transactions are explicit: ``conn.transaction()``)."""
    with conditions(url):
        return psycopg.connect(_libpq_url(url), autocommit=True,
                               connect_timeout=CONNECT_TIMEOUT_S)


def open_pool(url: str) -> ConnectionPool:
    """A pool of autocommit connections, each checked before it is lent (one that a restarted
    server broke is replaced, not handed out)."""
    pool = ConnectionPool(_libpq_url(url), min_size=POOL_MIN, max_size=POOL_MAX,
                          kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_S},
                          check=ConnectionPool.check_connection, timeout=CONNECT_TIMEOUT_S,
                          open=False, name="twin-store")
    with conditions(url):
        pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
    return pool


@contextmanager
def conditions(url: str) -> Iterator[None]:
    """Raise what a server error says about the server as :class:`StoreUnavailable`."""
    try:
        yield
    except UNAVAILABLE as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise StoreUnavailable(f"{reason} ({redacted(url)})") from err


class QmarkConnection:
    """A psycopg connection that takes SQL written with ``?`` marks, as sqlite3 does, so that
    portable SQL (store/accounts.py) runs on both stores unchanged."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor:
        return self.conn.execute(_marks(sql), list(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> psycopg.Cursor:
        cursor = self.conn.cursor()
        cursor.executemany(_marks(sql), [list(r) for r in rows])
        return cursor


class PooledQmark:
    """Reads outside a transaction, with ``?`` marks, each on a connection borrowed for the
    statement: the rows are fetched before it goes back to the pool."""

    def __init__(self, borrow: Callable[[], AbstractContextManager[psycopg.Connection]]) -> None:
        self.borrow = borrow

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Fetched:
        with self.borrow() as conn:
            cursor = conn.execute(_marks(sql), list(params))
            return Fetched(cursor.fetchall() if cursor.description else [])


class Fetched(list):
    """Rows already read, with the cursor methods the portable SQL uses."""

    def fetchone(self) -> tuple | None:
        return self[0] if self else None

    def fetchall(self) -> list[tuple]:
        return list(self)


def _marks(sql: str) -> str:
    """``?`` → ``%s`` (our SQL has no literal ``?`` or ``%``)."""
    return sql.replace("%", "%%").replace("?", "%s")


def copy_value(value: Any) -> Any:
    """A value for COPY as SQLite would store it: NaN is NULL, and a whole float (an integer
    column that pandas made float to hold a missing value) is an integer — as text, ``3`` is
    both a valid bigint and a valid double precision."""
    if isinstance(value, float):
        if value != value:
            return None
        if value.is_integer():
            return int(value)
    return value
