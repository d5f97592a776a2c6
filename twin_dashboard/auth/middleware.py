"""Pure ASGI middleware: who is calling, before any page, callback or API route runs.

Per request it resolves the caller from the session cookie or an ``Authorization: Bearer``
personal token and sets it for :func:`~twin_dashboard.auth.context.viewing`. Anonymous requests
for a page are redirected to ``/login?next=…``; for the API and ``/_dash-*`` they get 401 JSON.
State-changing requests made with a session cookie need the session's CSRF token in
``X-CSRFToken`` (Dash's renderer sends it from the ``_csrf_token`` cookie); Bearer tokens need
none. Kiosks are read-only. Public: ``/login``, ``/logout``, ``/healthz``, static assets, the
deck.gl bundle and kiosk enrolment.
"""

from __future__ import annotations

import dataclasses
import hmac
import json
import threading
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING
from urllib.parse import quote

from cachetools import TTLCache
from starlette.concurrency import run_in_threadpool

from twin_dashboard.auth.context import Caller, reset_caller, set_caller
from twin_dashboard.domain import sessions
from twin_dashboard.domain.access import Viewer
from twin_dashboard.domain.accounts import token_user, viewer_of

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

    from twin_dashboard.services import Services

SESSION_COOKIE = "twin_session"
CSRF_COOKIE = "_csrf_token"  # Dash's default csrf_token_name: the renderer reads it
CSRF_HEADER = "x-csrftoken"
PUBLIC_PREFIXES: tuple[str, ...] = ("/assets/", "/_dash-component-suites/", "/vendor/",
                                    "/kiosk/enrol/")
PUBLIC_PATHS: frozenset[str] = frozenset({"/login", "/logout", "/healthz", "/favicon.ico",
                                          "/_favicon.ico"})
GATEWAY_PATHS: frozenset[str] = frozenset({"/api/v1/readings"})  # the route checks its token
UNSAFE_METHODS: frozenset[str] = frozenset({"POST", "PUT", "PATCH", "DELETE"})
READ_POSTS: frozenset[str] = frozenset({"/_dash-update-component"})  # callbacks read, a kiosk too
ADMIN_WRITES: tuple[str, ...] = ("/api/v1/people/",)  # an admin (read-only) changes tags here
WS_UNAUTHORIZED = 4401  # a websocket close code: no session (the 4xxx range is the app's)
VIEWER_CACHE = 512  # accounts whose expanded scope is kept
VIEWER_TTL_S = 30  # a changed household or zone reaches a signed-in viewer this soon


class AuthMiddleware:
    """Resolves the caller of every HTTP request of one app (owns its viewer cache)."""

    def __init__(self, app: ASGIApp, services: Services,
                 policy: sessions.SessionPolicy = sessions.DEFAULT_POLICY) -> None:
        self.app, self.services, self.policy = app, services, policy
        self.viewers: TTLCache[tuple, Viewer] = TTLCache(VIEWER_CACHE, VIEWER_TTL_S)
        self.lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # Dash's /_dash-ws-callback: signed-in callers only
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES) or path in GATEWAY_PATHS:
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        ip = scope["client"][0] if scope.get("client") else None
        caller, problem = await run_in_threadpool(self.resolve, headers, ip)
        api = path.startswith(("/api/", "/_dash-", "/_reload-hash"))
        if caller is None:
            if api or scope["method"] != "GET":
                await _json(send, 401, problem or "sign in first: no session or token",
                            {"www-authenticate": "Bearer"})
            else:
                await _redirect(send, "/login?next=" + quote(_target(scope), safe=""))
            return
        if scope["method"] in UNSAFE_METHODS:
            refused = _refuse_write(caller, path, headers)
            if refused:
                await _json(send, 403, refused)
                return
        token = set_caller(caller)
        try:
            await self.app(scope, receive, send)
        finally:
            reset_caller(token)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        ip = scope["client"][0] if scope.get("client") else None
        caller, _ = await run_in_threadpool(self.resolve, _headers(scope), ip)
        if caller is None:
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": WS_UNAUTHORIZED})
            return
        token = set_caller(caller)
        try:
            await self.app(scope, receive, send)
        finally:
            reset_caller(token)

    def resolve(self, headers: dict[str, str], ip: str | None) -> tuple[Caller | None, str | None]:
        """The caller of a request's headers, or None and why (in a worker thread: the store)."""
        services = self.services
        store, now = services.store, services.now()
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            name = token_user(store, auth[7:].strip())
            user = store.accounts.user(name) if name else None
            if user is None or user["disabled_at"] is not None:
                return None, "unknown or revoked token (gateway tokens only post readings)"
            return Caller(self.viewer(user), "token", None, ip), None
        session_id = _cookie(headers, SESSION_COOKIE)
        live = sessions.resolve(store, session_id, now, self.policy)
        if live is None:
            return None, ("session ended or expired: sign in again" if session_id
                          else "sign in first: no session or token")
        base = self.viewer(live.user)
        viewer = dataclasses.replace(base, session=live.id_hash, reason=(
            live.reason if base.spec.personal == "with_reason" else None))
        return Caller(viewer, "session", live.csrf, ip), None

    def viewer(self, user: dict) -> Viewer:
        """The account's viewer, its area expanded once per ``VIEWER_TTL_S``."""
        key = tuple(sorted((k, v) for k, v in user.items() if k != "password_hash"))
        with self.lock:
            found = self.viewers.get(key)
        if found is None:
            found = viewer_of(self.services.store, user)
            with self.lock:
                self.viewers[key] = found
        return found


def _refuse_write(caller: Caller, path: str, headers: dict[str, str]) -> str | None:
    """Why a state-changing request is refused (CSRF, a read-only caller), or None."""
    if caller.via == "session":
        sent = headers.get(CSRF_HEADER, "")
        if not (caller.csrf and sent and hmac.compare_digest(sent, caller.csrf)):
            return "missing or wrong CSRF token (X-CSRFToken header from the _csrf_token cookie)"
    if caller.viewer.read_only and path not in READ_POSTS and not path.startswith(
            "/api/v1/reveal") and not (caller.viewer.spec.admin and path.startswith(ADMIN_WRITES)):
        return f"{caller.viewer.name!r} ({caller.viewer.role}) is read-only"
    return None


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def _cookie(headers: dict[str, str], name: str) -> str | None:
    raw = headers.get("cookie")
    if not raw:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # a malformed Cookie header is no session
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


def _target(scope: Scope) -> str:
    query = scope.get("query_string", b"").decode("latin-1")
    return scope["path"] + (f"?{query}" if query else "")


async def _json(send: Send, status: int, detail: str, extra: dict[str, str] | None = None,
                ) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"cache-control", b"no-store")]
    headers += [(k.encode(), v.encode()) for k, v in (extra or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _redirect(send: Send, location: str) -> None:
    await send({"type": "http.response.start", "status": 303,
                "headers": [(b"location", location.encode("latin-1")),
                            (b"content-length", b"0"), (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": b""})
