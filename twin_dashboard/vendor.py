"""Serves the deck.gl bundle that ships inside the installed pydeck package (no CDN), and
every static bundle (Dash's component suites with plotly.js, pydeck's deck.gl, assets/)
compressed once per process rather than on every request (:class:`PrecompressedBundles`)."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

import pydeck
from cachetools import LRUCache
from fastapi import FastAPI
from fastapi.responses import FileResponse
from starlette.datastructures import Headers, MutableHeaders

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

DECK_BUNDLE: Path = Path(pydeck.__file__).parent / "nbextension" / "static" / "index.js"
# The version in the path lets browsers cache the 4 MB bundle for good.
DECK_SCRIPT_URL = f"/vendor/pydeck-{version('pydeck')}/deck.js"
ONE_YEAR = 31_536_000
BUNDLE_PREFIXES = ("/_dash-component-suites/", "/vendor/", "/assets/")
MIN_COMPRESSED = 1024  # smaller bodies go as they are
MAX_BUNDLES = 64  # compressed bundles kept (deck.gl + plotly.js + the rest: ≈ 4 MB in all)


def register_vendor(server: FastAPI) -> None:
    if not DECK_BUNDLE.is_file():
        raise RuntimeError(f"pydeck's deck.gl bundle is missing at {DECK_BUNDLE}")

    @server.get(DECK_SCRIPT_URL, include_in_schema=False)
    def deck_bundle() -> FileResponse:
        return FileResponse(DECK_BUNDLE, media_type="text/javascript",
                            headers={"Cache-Control": f"public, max-age={ONE_YEAR}, immutable"})


class PrecompressedBundles:
    """Pure ASGI middleware: gzip each static bundle once and answer later requests from memory.

    Dash's compression (Starlette's ``GZipMiddleware``) gzips every response at level 9 on the
    event loop: ≈ 0.5 s for each of deck.gl (4.3 MB) and plotly.js (4.8 MB) per page load that
    misses the browser cache, while the page's own callbacks wait behind it. Here a bundle is
    compressed once, in a worker thread, and kept (URLs carry a version or mtime, so an entry
    never goes stale); the outer ``GZipMiddleware`` leaves a response with a
    ``Content-Encoding`` alone. Placed inside the auth middleware: it sees only what the caller
    may fetch, and bundles are the same for every caller.
    """

    def __init__(self, app: ASGIApp, prefixes: Sequence[str] = BUNDLE_PREFIXES,
                 maxsize: int = MAX_BUNDLES) -> None:
        self.app, self.prefixes = app, tuple(prefixes)
        self.bundles: LRUCache[str, tuple[list[tuple[bytes, bytes]], bytes]] = LRUCache(maxsize)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Headers(scope=scope) if scope["type"] == "http" else None
        if (request is None or scope["method"] != "GET"
                or not scope["path"].startswith(self.prefixes)
                or "gzip" not in request.get("accept-encoding", "")
                or "if-none-match" in request or "if-modified-since" in request):
            await self.app(scope, receive, send)
            return
        key = scope["path"] + "?" + scope.get("query_string", b"").decode("latin-1")
        kept = self.bundles.get(key)
        if kept is None:
            kept = await self._compressed(scope, receive, send)
            if kept is None:
                return  # answered as it was
            self.bundles[key] = kept
        headers, body = kept
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _compressed(self, scope: Scope, receive: Receive,
                          send: Send) -> tuple[list[tuple[bytes, bytes]], bytes] | None:
        """The app's answer, gzipped, if it is a whole 200 worth compressing; else sent as is
        and ``None``."""
        start: Message | None = None
        chunks: list[bytes] = []

        async def keep(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        # The body is wanted here, not a path for the server to send (a file response would
        # use the pathsend extension where the server offers it).
        extensions = {k: v for k, v in scope.get("extensions", {}).items()
                      if k != "http.response.pathsend"}
        await self.app({**scope, "extensions": extensions}, receive, keep)
        if start is None:
            return None
        body = b"".join(chunks)
        headers = MutableHeaders(raw=list(start.get("headers", [])))
        if start["status"] != 200 or "content-encoding" in headers or len(body) < MIN_COMPRESSED:
            await send(start)
            await send({"type": "http.response.body", "body": body})
            return None
        packed = await asyncio.to_thread(gzip.compress, body, 9)
        headers["content-encoding"] = "gzip"
        headers["content-length"] = str(len(packed))
        headers.add_vary_header("Accept-Encoding")
        return headers.raw, packed
