"""Web hardening of every response (README: Security, Web hardening).

Three pure ASGI middlewares around the whole server (pages, API, assets, errors and 404s alike),
added by :func:`harden` once every callback is registered:

- :class:`SecurityHeaders` (outermost): a Content-Security-Policy whose ``script-src`` is
  ``'self'`` plus the hashes of the inline scripts Dash writes into the page (its renderer and
  the clientside callbacks given as JS strings: ``Dash.csp_hashes()``), never
  ``'unsafe-inline'``; ``nosniff``, ``same-origin`` referrers, no framing; ``no-store`` on API
  JSON. A request that fails before any response still gets them, on a plain 500.
- Starlette's ``TrustedHostMiddleware``: a ``Host`` that is not ours is refused with 400 (DNS
  rebinding, poisoned absolute URLs).
- :class:`BodyLimit`: a request body over its path's limit is refused with 413 before it is
  read whole — by ``Content-Length`` at once, and by counting while a chunked body streams in.
  Dash would otherwise parse any size of JSON posted to ``/_dash-update-component``.

:class:`HardenedDash` leaves the Python, Dash and plotly versions out of the page's Dash config.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import dash
import orjson
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.trustedhost import TrustedHostMiddleware

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from twin_dashboard.config import Settings

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")
READINGS_PATH = "/api/v1/readings"  # keeps its own limit, Settings.max_batch_bytes
# What Dash's config tells the browser that only its dev tools (off here) would use: the
# server's Python build, the Dash/plotly/DDK versions and the URL of Dash's version check.
CONFIG_INTERNALS = ("python_version", "dash_version", "plotly_version", "ddk_version",
                    "dash_version_url")


def content_security_policy(script_hashes: Iterable[str]) -> str:
    """The policy of every response; ``script_hashes`` are ``Dash.csp_hashes()``."""
    directives = {
        "default-src": ["'self'"],
        # Dash's renderer and the inline clientside callbacks are allowed by hash only, never
        # 'unsafe-inline' or 'unsafe-eval'. 'wasm-unsafe-eval' lets WebAssembly compile (not JS
        # eval): deck.gl's bundle (Long.js, in loaders.gl) compiles a tiny module at load, and
        # refusing it reports a CSP violation on every page.
        "script-src": ["'self'", "'wasm-unsafe-eval'", *script_hashes],
        # 'unsafe-inline' for styles only: at run time dash-renderer, the dcc components
        # (CSS-in-JS), dash_table and plotly.js write <style> elements and React sets style
        # attributes, with content no hash can know ahead. A style cannot run script.
        "style-src": ["'self'", "'unsafe-inline'"],
        # data: loaders.gl (in deck.gl) probes the image formats it can decode with data: URLs
        # on every page. blob: deck.gl/loaders.gl decode images and start workers from blob:
        # URLs, which only a script already running here can make; today's layers do not.
        "img-src": ["'self'", "data:", "blob:"],
        "worker-src": ["'self'", "blob:"],
        # Dash's callbacks, the API and the live event stream (EventSource): our origin only.
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }
    return "; ".join(" ".join([name, *sources]) for name, sources in directives.items())


def allowed_hosts(settings: Settings) -> list[str]:
    """The ``Host`` names answered: the bind address, the loopback names and
    ``settings.allowed_hosts`` (``serve --allowed-host``; ``*`` allows any)."""
    bind = f"[{settings.host}]" if ":" in settings.host else settings.host
    hosts = [bind, *LOOPBACK_HOSTS, *settings.allowed_hosts]
    return list(dict.fromkeys(h.lower() for h in hosts))


def harden(app: dash.Dash, settings: Settings) -> None:
    """Dev tools off, and the middlewares in order; call after every callback is registered
    (the hashes are of the inline scripts registered so far) and add no middleware after it."""
    app.enable_dev_tools(debug=False, dev_tools_ui=False, dev_tools_props_check=False,
                         dev_tools_serve_dev_bundles=False, dev_tools_hot_reload=False,
                         dev_tools_validate_callbacks=False, dev_tools_disable_version_check=True)
    server = app.server
    # add_middleware puts each in front of the ones before: the last added sees requests first.
    server.add_middleware(BodyLimit, limit=settings.max_request_bytes,
                          limits={READINGS_PATH: settings.max_batch_bytes})
    server.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(settings),
                          www_redirect=False)
    server.add_middleware(SecurityHeaders, csp=content_security_policy(app.csp_hashes()))


class HardenedDash(dash.Dash):
    """Dash, whose page config leaves out the server's internals (``CONFIG_INTERNALS``).

    Dash has no public hook for its config; ``tests/test_security.py`` reads the served page,
    so a rename of ``_config`` in a later Dash fails a test rather than leaking quietly.
    """

    def _config(self) -> dict[str, Any]:
        config = super()._config()
        for key in CONFIG_INTERNALS:
            config.pop(key, None)
        return config


def _is_json(headers: Headers) -> bool:
    media = headers.get("content-type", "").split(";")[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


class SecurityHeaders:
    """Pure ASGI middleware: the security headers on every HTTP response."""

    def __init__(self, app: ASGIApp, csp: str, api_prefixes: Sequence[str] = ("/api/",),
                 api_paths: Sequence[str] = ("/healthz",)) -> None:
        self.app = app
        self.headers = {
            "Content-Security-Policy": csp,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
            "X-Frame-Options": "DENY",
        }
        self.api_prefixes, self.api_paths = tuple(api_prefixes), tuple(api_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        api = path.startswith(self.api_prefixes) or path in self.api_paths
        started = False

        async def send_hardened(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers[name] = value
                if api and _is_json(headers):
                    headers["Cache-Control"] = "no-store"
            await send(message)

        try:
            await self.app(scope, receive, send_hardened)
        except Exception:
            if not started:  # answer here, so the 500 carries the headers too; then log it
                await _plain(send_hardened, 500, b"Internal Server Error")
            raise


class _TooLarge(Exception):
    """The body went over the limit while streaming in."""


class BodyLimit:
    """Pure ASGI middleware: 413 for a request body over ``limits[path]`` (else ``limit``)."""

    def __init__(self, app: ASGIApp, limit: int, limits: Mapping[str, int] | None = None) -> None:
        self.app, self.limit, self.limits = app, limit, dict(limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.get(scope["path"], self.limit)
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)  # not a byte of the body is read
            return
        received, over, started = 0, False, False

        async def receive_limited() -> Message:
            nonlocal received, over
            if over:
                raise _TooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    raise _TooLarge
            return message

        async def send_unless_over(message: Message) -> None:
            nonlocal started
            if over and not started:
                return  # whatever the app made of the cut body; the 413 follows
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive_limited, send_unless_over)
        except _TooLarge:
            if started:
                raise
        except Exception:
            if not over or started:
                raise
        if over and not started:
            await _too_large(send, limit)


async def _too_large(send: Send, limit: int) -> None:
    body = orjson.dumps({"detail": f"body larger than {limit} bytes"})
    # Connection: close, so the server stops taking the rest of the body from this client.
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


async def _plain(send: Send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
