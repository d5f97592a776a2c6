"""Sign-in, sessions and lock-out, on the server side so that sign-out and disable bite at once.

A session id is 32 random bytes in an HttpOnly cookie; the store keeps its SHA-256 with an idle
limit (sliding) and an absolute end. Repeated failures lock a user name and a client address for
a growing delay. A commander's stated reason unlocks personal data for a limited time. Every
outcome is audited. Times come from the caller's clock (tests pass a fixed one).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import pandas as pd

from twin_dashboard.domain import audit
from twin_dashboard.domain.accounts import verify_password
from twin_dashboard.domain.roles import ROLES
from twin_dashboard.domain.tokens import hash_token
from twin_dashboard.store.base import Store

MAX_REASON = 300


@dataclass(frozen=True)
class SessionPolicy:
    """How long sessions last and how sign-in failures slow an attacker down."""

    idle: pd.Timedelta = pd.Timedelta(minutes=30)
    absolute: pd.Timedelta = pd.Timedelta(hours=12)
    kiosk: pd.Timedelta = pd.Timedelta(days=365)  # a wall stays signed in; revoke ends it
    touch_every: pd.Timedelta = pd.Timedelta(seconds=60)  # the idle clock moves at most this often
    reason_for: pd.Timedelta = pd.Timedelta(minutes=30)
    lock_after: int = 5  # failures before a lock
    lock_base: pd.Timedelta = pd.Timedelta(seconds=30)  # doubled per further failure
    lock_max: pd.Timedelta = pd.Timedelta(hours=1)


DEFAULT_POLICY = SessionPolicy()


class SignInRefused(Exception):
    """Wrong name or password, a disabled account, or a lock (``retry_after`` seconds)."""

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Opened:
    """A new session: the cookie's value, its CSRF token, and whose it is."""

    session_id: str
    csrf: str
    user: dict[str, Any]


def _s(at: pd.Timestamp) -> int:
    return int(pd.Timestamp(at).timestamp())


def sign_in(store: Store, name: str, password: str, ip: str | None, now: pd.Timestamp,
            policy: SessionPolicy = DEFAULT_POLICY) -> Opened:
    """Check the password (unless locked out) and open a session; audited either way."""
    keys = [f"user:{name}", f"ip:{ip or '-'}"]
    wait = max((_locked_for(store, k, now) for k in keys), default=0)
    if wait > 0:
        audit.record(store, now, name, "login.locked", name, ip=ip)
        raise SignInRefused(f"too many failed sign-ins: try again in {wait} s", wait)
    user = store.accounts.user(name)
    ok = verify_password(user["password_hash"] if user else None, password)
    if not ok or user is None or user["disabled_at"] is not None:
        for key in keys:
            _fail(store, key, now, policy)
        audit.record(store, now, name, "login.failed", name, ip=ip,
                     detail="disabled" if ok and user else None)
        raise SignInRefused("wrong user name or password")
    store.accounts.clear_failures(keys)
    opened = open_session(store, user, now, policy)
    audit.record(store, now, name, "login", name, ip=ip)
    return opened


def open_session(store: Store, user: dict[str, Any], now: pd.Timestamp,
                 policy: SessionPolicy = DEFAULT_POLICY) -> Opened:
    """A session for ``user``: a kiosk's lasts long without an idle limit."""
    kiosk = ROLES[user["role"]].area == "kiosk"
    session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    store.accounts.add_session({
        "id_hash": hash_token(session_id), "user_name": user["name"], "csrf": csrf,
        "created_at": _s(now), "seen_at": _s(now),
        "expires_at": _s(now + (policy.kiosk if kiosk else policy.absolute)),
        "idle_s": None if kiosk else int(policy.idle.total_seconds())})
    return Opened(session_id, csrf, user)


def _locked_for(store: Store, key: str, now: pd.Timestamp) -> int:
    row = store.accounts.failure(key)
    if row is None or not row["locked_until"]:
        return 0
    return max(0, row["locked_until"] - _s(now))


def _fail(store: Store, key: str, now: pd.Timestamp, policy: SessionPolicy) -> None:
    row = store.accounts.failure(key)
    count = (row["count"] if row else 0) + 1
    locked = None
    if count >= policy.lock_after:
        delay = policy.lock_base * (2 ** (count - policy.lock_after))
        locked = _s(now + min(delay, policy.lock_max))
    store.accounts.save_failure(key, count, _s(now), locked)


@dataclass(frozen=True)
class Live:
    """A session found valid for this request, with its user's row."""

    id_hash: str
    csrf: str
    user: dict[str, Any]
    reason: str | None


def resolve(store: Store, session_id: str | None, now: pd.Timestamp,
            policy: SessionPolicy = DEFAULT_POLICY) -> Live | None:
    """The valid session of a cookie value, its idle clock moved on; None when it is unknown,
    ended, past its idle or absolute limit, or its user is disabled."""
    if not session_id:
        return None
    id_hash = hash_token(session_id)
    row = store.accounts.session(id_hash)
    at = _s(now)
    if row is None or row["ended_at"] is not None or at >= row["expires_at"]:
        return None
    if row["idle_s"] is not None and at - row["seen_at"] >= row["idle_s"]:
        return None
    user = store.accounts.user(row["user_name"])
    if user is None or user["disabled_at"] is not None:
        return None
    if at - row["seen_at"] >= policy.touch_every.total_seconds():
        store.accounts.update_session(id_hash, {"seen_at": at})
    reason = row["reason"] if (row["reason_until"] or 0) > at else None
    return Live(id_hash, row["csrf"], user, reason)


def end(store: Store, session_id: str | None, now: pd.Timestamp, ip: str | None = None) -> None:
    """Sign out: the session ends now (audited)."""
    if not session_id:
        return
    id_hash = hash_token(session_id)
    row = store.accounts.session(id_hash)
    if row is None or row["ended_at"] is not None:
        return
    store.accounts.update_session(id_hash, {"ended_at": _s(now)})
    audit.record(store, now, row["user_name"], "logout", row["user_name"], ip=ip)


def state_reason(store: Store, id_hash: str, user_name: str, reason: str, now: pd.Timestamp,
                 policy: SessionPolicy = DEFAULT_POLICY) -> pd.Timestamp:
    """A commander's reason for seeing personal data in this session; until when it holds."""
    reason = " ".join(reason.split())
    if len(reason) < 4:
        raise ValueError("state a reason of at least 4 characters")
    if len(reason) > MAX_REASON:
        raise ValueError(f"reason longer than {MAX_REASON} characters")
    until = now + policy.reason_for
    store.accounts.update_session(id_hash, {"reason": reason, "reason_until": _s(until)})
    audit.record(store, now, user_name, "personal.reason", None, reason=reason)
    return until
