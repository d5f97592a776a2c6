"""Accounts in SQLite: users, sessions, personal tokens, kiosk enrolments, lock-out and audit.

Plain rows in and out (dicts of column → value, times as epoch seconds): the rules — hashing,
expiry, lock-out, who may see what — live in ``domain/``. The audit table is append-only: the
schema's triggers refuse updates and deletes, and this class offers neither.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from typing import Any

from twin_dashboard.store.base import StoreError

USER_COLUMNS: tuple[str, ...] = ("name", "role", "person_id", "subdistrict_id",
                                 "neighborhood_ids", "zone_ids", "password_hash", "created_at",
                                 "disabled_at", "rotate_s", "district_id")
SESSION_COLUMNS: tuple[str, ...] = ("id_hash", "user_name", "csrf", "created_at", "seen_at",
                                    "expires_at", "idle_s", "reason", "reason_until", "ended_at")
AUDIT_COLUMNS: tuple[str, ...] = ("seq", "ts", "actor", "action", "subject", "reason", "detail",
                                  "ip")


class SQLiteAccounts:
    """The account tables of one SQLite store (``SQLiteStore.accounts``)."""

    def __init__(self, conn: Callable[[], sqlite3.Connection],
                 transaction: Callable[[], AbstractContextManager[sqlite3.Connection]],
                 integrity_error: type[Exception] = sqlite3.IntegrityError) -> None:
        # The PostGIS store passes connections that take the same ``?`` SQL (store/_pg.py).
        self._conn, self._tx, self._integrity = conn, transaction, integrity_error

    # --- users ---
    def add_user(self, row: Mapping[str, Any]) -> None:
        """Insert a user; StoreError when the name is taken."""
        try:
            with self._tx() as conn:
                _insert(conn, "users", USER_COLUMNS, row)
        except self._integrity:
            raise StoreError(f"user {row['name']!r} already exists") from None

    def user(self, name: str) -> dict[str, Any] | None:
        return self._one("users", USER_COLUMNS, "name", name)

    def users(self) -> list[dict[str, Any]]:
        return self._all(f"SELECT {', '.join(USER_COLUMNS)} FROM users ORDER BY name", [],
                         USER_COLUMNS)

    def update_user(self, name: str, changes: Mapping[str, Any]) -> bool:
        return self._update("users", "name", name, changes, USER_COLUMNS)

    # --- sessions ---
    def add_session(self, row: Mapping[str, Any]) -> None:
        with self._tx() as conn:
            _insert(conn, "sessions", SESSION_COLUMNS, row)

    def session(self, id_hash: str) -> dict[str, Any] | None:
        return self._one("sessions", SESSION_COLUMNS, "id_hash", id_hash)

    def update_session(self, id_hash: str, changes: Mapping[str, Any]) -> bool:
        return self._update("sessions", "id_hash", id_hash, changes, SESSION_COLUMNS)

    def end_sessions(self, user_name: str, at: int) -> int:
        """End every open session of ``user_name``; how many were open."""
        with self._tx() as conn:
            return conn.execute("UPDATE sessions SET ended_at = ? WHERE user_name = ? AND "
                                "ended_at IS NULL", (at, user_name)).rowcount

    # --- personal API tokens and kiosk enrolments ---
    def add_api_token(self, token_hash: str, user_name: str, at: int) -> None:
        with self._tx() as conn:
            conn.execute("INSERT INTO api_tokens (token_hash, user_name, created_at) "
                         "VALUES (?, ?, ?)", (token_hash, user_name, at))

    def api_token_user(self, token_hash: str) -> str | None:
        row = self._conn().execute("SELECT user_name FROM api_tokens WHERE token_hash = ? AND "
                                   "revoked_at IS NULL", (token_hash,)).fetchone()
        return row[0] if row else None

    def revoke_api_tokens(self, user_name: str, at: int) -> int:
        with self._tx() as conn:
            return conn.execute("UPDATE api_tokens SET revoked_at = ? WHERE user_name = ? AND "
                                "revoked_at IS NULL", (at, user_name)).rowcount

    def add_enrolment(self, token_hash: str, user_name: str, expires_at: int) -> None:
        with self._tx() as conn:
            conn.execute("INSERT INTO enrolments (token_hash, user_name, expires_at) "
                         "VALUES (?, ?, ?)", (token_hash, user_name, expires_at))

    def use_enrolment(self, token_hash: str, at: int) -> str | None:
        """Spend an unused, unexpired enrolment: its user, or None (once only, atomically)."""
        with self._tx() as conn:
            row = conn.execute("SELECT user_name FROM enrolments WHERE token_hash = ? AND "
                               "used_at IS NULL AND expires_at > ?", (token_hash, at)).fetchone()
            if row is None:
                return None
            conn.execute("UPDATE enrolments SET used_at = ? WHERE token_hash = ?",
                         (at, token_hash))
            return row[0]

    def drop_enrolments(self, user_name: str, at: int) -> None:
        with self._tx() as conn:
            conn.execute("UPDATE enrolments SET used_at = ? WHERE user_name = ? AND "
                         "used_at IS NULL", (at, user_name))

    # --- lock-out ---
    def failure(self, key: str) -> dict[str, Any] | None:
        return self._one("login_failures", ("key", "count", "last_at", "locked_until"), "key",
                         key)

    def save_failure(self, key: str, count: int, at: int, locked_until: int | None) -> None:
        with self._tx() as conn:
            conn.execute("INSERT INTO login_failures (key, count, last_at, locked_until) "
                         "VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET count = "
                         "excluded.count, last_at = excluded.last_at, locked_until = "
                         "excluded.locked_until", (key, count, at, locked_until))

    def clear_failures(self, keys: list[str]) -> None:
        with self._tx() as conn:
            conn.executemany("DELETE FROM login_failures WHERE key = ?", [(k,) for k in keys])

    # --- audit ---
    def append_audit(self, row: Mapping[str, Any]) -> None:
        with self._tx() as conn:
            _insert(conn, "audit", AUDIT_COLUMNS[1:], row)

    def read_audit(self, since: int | None = None, actor: str | None = None,
                   limit: int | None = None, newest: bool = False) -> list[dict[str, Any]]:
        """Audit rows in order (``newest`` first), from ``since`` (epoch s) and of ``actor``
        when given."""
        clauses, params = [], []
        if since is not None:
            clauses.append("ts >= ?")
            params.append(since)
        if actor is not None:
            clauses.append("actor = ?")
            params.append(actor)
        sql = f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit"
        sql += (" WHERE " + " AND ".join(clauses)) if clauses else ""
        sql += " ORDER BY seq" + (" DESC" if newest else "")
        sql += f" LIMIT {int(limit)}" if limit else ""
        return self._all(sql, params, AUDIT_COLUMNS)

    # --- internals ---
    def _one(self, table: str, columns: tuple[str, ...], key: str,
             value: Any) -> dict[str, Any] | None:
        row = self._conn().execute(f"SELECT {', '.join(columns)} FROM {table} WHERE {key} = ?",
                                   (value,)).fetchone()
        return dict(zip(columns, row, strict=True)) if row else None

    def _all(self, sql: str, params: list[Any], columns: tuple[str, ...]) -> list[dict[str, Any]]:
        return [dict(zip(columns, r, strict=True)) for r in _rows(self._conn(), sql, params)]

    def _update(self, table: str, key: str, value: Any, changes: Mapping[str, Any],
                allowed: tuple[str, ...]) -> bool:
        unknown = [c for c in changes if c not in allowed or c == key]
        if unknown:
            raise StoreError(f"{table}: cannot change {', '.join(unknown)}")
        if not changes:
            return False
        sets = ", ".join(f"{c} = ?" for c in changes)
        with self._tx() as conn:
            cursor = conn.execute(f"UPDATE {table} SET {sets} WHERE {key} = ?",
                                  [*changes.values(), value])
            return cursor.rowcount > 0


def _insert(conn: sqlite3.Connection, table: str, columns: tuple[str, ...],
            row: Mapping[str, Any]) -> None:
    unknown = set(row) - set(columns)
    if unknown:
        raise StoreError(f"{table}: unknown column(s) {', '.join(sorted(unknown))}")
    names = [c for c in columns if c in row]
    conn.execute(f"INSERT INTO {table} ({', '.join(names)}) VALUES "
                 f"({', '.join('?' * len(names))})", [row[c] for c in names])


def _rows(conn: sqlite3.Connection, sql: str, params: list[Any]) -> Iterator[tuple]:
    yield from conn.execute(sql, params)
