"""Opening a SQLite file, and saying plainly why it cannot be used.

A URL is ``sqlite:///relative.db`` or ``sqlite:////absolute.db``, optionally with ``?mode=ro``
(read-only: reads work, every write fails with :class:`StoreUnavailable`). Conditions of the
file itself — read-only, disk full, I/O error, a folder or a text file where the database should
be, locked by another writer — become :class:`StoreUnavailable` naming the path and the reason;
errors in our own SQL stay what they are (a bug, not a condition to report).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, quote

from twin_dashboard.store.base import StoreError, StoreUnavailable

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_S = 30.0  # a writer waits this long for another one before giving up
# Primary result codes that describe the file or the disk, not our SQL.
UNAVAILABLE_CODES: frozenset[int] = frozenset({
    sqlite3.SQLITE_READONLY, sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_PERM, sqlite3.SQLITE_CORRUPT,
    sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_AUTH,
})
MODES = ("rw", "ro")


@dataclass(frozen=True)
class SQLiteUrl:
    path: Path
    read_only: bool = False


def parse_url(url: str) -> SQLiteUrl:
    """The file and options of a ``sqlite:///path.db[?mode=ro]`` URL."""
    if url in ("sqlite://", "sqlite:///:memory:"):
        raise StoreError("an in-memory SQLite store cannot be shared: give a file path")
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        raise StoreError(f"not a SQLite URL: {url!r} (expected sqlite:///path.db)")
    path, _, query = url[len(prefix):].partition("?")
    options = dict(parse_qsl(query, keep_blank_values=True))
    mode = options.pop("mode", "rw")
    if options or mode not in MODES:
        bad = ", ".join(f"{k}={v}" for k, v in options.items()) or f"mode={mode}"
        raise StoreError(f"unsupported SQLite URL option {bad} in {url!r}: the one option is "
                         "mode=ro (read-only)")
    if not path:
        raise StoreError(f"no file path in {url!r} (expected sqlite:///path.db)")
    return SQLiteUrl(Path(path), read_only=mode == "ro")


def check_file(target: SQLiteUrl) -> None:
    """:class:`StoreUnavailable` when the path cannot hold the database (before opening it)."""
    try:
        _check_file(target)
    except OSError as err:  # e.g. a folder on the way that may not be looked into
        raise StoreUnavailable(f"cannot use {target.path}: {err.strerror or err}") from None


def _check_file(target: SQLiteUrl) -> None:
    path = target.path
    if path.is_dir():
        raise StoreUnavailable(f"{path} is a folder, not a database file")
    if path.exists():
        try:
            with path.open("rb") as file:
                head = file.read(len(SQLITE_HEADER))
        except OSError as err:
            raise StoreUnavailable(f"cannot read {path}: {err.strerror}") from None
        if head and head != SQLITE_HEADER:
            raise StoreUnavailable(f"{path} is not a SQLite database (it begins "
                                   f"{head[:12]!r})")
    elif target.read_only:
        raise StoreUnavailable(f"{path}: no such database file (mode=ro creates none)")
    else:
        _create(path)


def _create(path: Path) -> None:
    """An empty file (a new SQLite database) at ``path``, its folders first."""
    above = next(p for p in path.parents if p.exists())
    if not above.is_dir():
        raise StoreUnavailable(f"cannot create {path}: {above} is a file, not a folder")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o644))
    except OSError as err:
        raise StoreUnavailable(f"cannot create {path}: {err.strerror or err}") from None


def connect(target: SQLiteUrl, timeout: float = BUSY_TIMEOUT_S) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), usable from any thread."""
    if target.read_only:
        uri = f"file:{quote(str(target.path.absolute()))}?mode=ro"
        return sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None,
                               check_same_thread=False)
    return sqlite3.connect(target.path, timeout=timeout, isolation_level=None,
                           check_same_thread=False)


def unavailable(err: sqlite3.Error, path: Path) -> StoreUnavailable | None:
    """The condition ``err`` reports about the file, or None when it is about our SQL."""
    code = getattr(err, "sqlite_errorcode", None)
    if code is None or code & 0xFF not in UNAVAILABLE_CODES:
        return None
    return StoreUnavailable(f"{err} ({path})")


@contextmanager
def conditions(path: Path) -> Iterator[None]:
    """Raise what a SQLite error says about the file as :class:`StoreUnavailable`."""
    try:
        yield
    except sqlite3.Error as err:
        found = unavailable(err, path)
        if found is None:
            raise
        raise found from err


def probe_write(target: SQLiteUrl) -> None:
    """:class:`StoreUnavailable` unless a write could be made now.

    Takes the write lock, writes a row and rolls back — a read such as ``PRAGMA quick_check``
    passes on a read-only file. Another writer holding the lock counts as writable.
    """
    try:
        conn = connect(target, timeout=0)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('write_probe', '')")
            conn.execute("ROLLBACK")
        finally:
            conn.close()
    except sqlite3.Error as err:
        if (getattr(err, "sqlite_errorcode", 0) or 0) & 0xFF == sqlite3.SQLITE_BUSY:
            return
        raise unavailable(err, target.path) or StoreUnavailable(
            f"{err} ({target.path})") from err
