"""Everything one running app shares: settings, store, clock, map data, ingest, live hub, caches.

``create_app`` builds one :class:`Services` and hands it on: to each callback module's
``register(app, services)``, to API routes through FastAPI's ``Depends(services_of)``, and to
the background workers ``serve`` starts. Nothing live sits in a module global, so two apps in
one process (tests, a second worker) never see each other's store.

Dash keeps its page registry process-wide, so a page's layout function cannot close over one
app's services; :class:`ServicesMiddleware` tells it, per request, whose services are serving.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

import pandas as pd
from cachetools import LRUCache
from fastapi import Depends, Request

from twin_dashboard.domain.replay import FrameCache
from twin_dashboard.domain.search import Searcher

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

    from twin_dashboard.config import Settings
    from twin_dashboard.domain.atlas import Atlas
    from twin_dashboard.domain.ingest import Ingestor
    from twin_dashboard.live.hub import LiveHub
    from twin_dashboard.store.base import Store

SPEC_CACHE_SIZE = 16  # base boards kept: 3 screens × 2 languages, with room for a re-read geo


@dataclass
class Services:
    """The live objects of one app; built by ``app.build_services``."""

    settings: Settings
    store: Store
    atlas: Atlas
    ingestor: Ingestor
    hub: LiveHub
    clock: Callable[[], pd.Timestamp]
    # The static base board per (geography read, screen, language): a view's output, ~0.3 s.
    specs: LRUCache[tuple[str, str, str], dict[str, Any]] = field(
        default_factory=lambda: LRUCache(SPEC_CACHE_SIZE))
    # SQLite takes one writer at a time anyway; one thread keeps one connection whose page
    # cache stays warm (other threads' would be invalidated by each commit): 2x faster ingest.
    writer: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(
        max_workers=1, thread_name_prefix="ingest"))
    # Heavy reads (layer pages): at most ``settings.max_heavy_reads`` at once, in threads of
    # their own, so the event loop and the threads /healthz runs in stay free under load.
    heavy_reads: asyncio.Semaphore = field(init=False)
    readers: ThreadPoolExecutor = field(init=False)
    # Replay (issue 10): the last few map frames, so a playing screen's steps share theirs.
    replay_frames: FrameCache = field(default_factory=FrameCache)
    # The search box's index (domain/search.py): rebuilt with the geography, incidents kept
    # for seconds.
    search: Searcher = field(init=False)

    def __post_init__(self) -> None:
        self.search = Searcher(self.store, self.atlas)
        slots = self.settings.max_heavy_reads
        self.heavy_reads = asyncio.Semaphore(slots)
        self.readers = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="heavy-read")

    def now(self) -> pd.Timestamp:
        return self.clock()

    def close(self) -> None:
        """Stop the hub, the writer and the readers, then close the store (server exit, end of
        a test)."""
        self.hub.stop()
        self.writer.shutdown(wait=True)
        self.readers.shutdown(wait=True)
        self.store.close()


def services_of(request: Request) -> Services:
    """The services of the app serving ``request`` (a FastAPI dependency)."""
    return request.app.state.services


# A route's parameter ``services: ServicesDep`` receives the serving app's services.
ServicesDep = Annotated[Services, Depends(services_of)]


_SERVING: ContextVar[Services] = ContextVar("twin_dashboard_services")


def serving() -> Services:
    """The services of the app serving the current request (for Dash page layouts)."""
    try:
        return _SERVING.get()
    except LookupError:
        raise RuntimeError("no request is being served by a twin-dashboard app") from None


class ServicesMiddleware:
    """Pure ASGI middleware: marks each request as served by ``services`` (see ``serving``)."""

    def __init__(self, app: ASGIApp, services: Services) -> None:
        self.app, self.services = app, services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = _SERVING.set(self.services)
        try:
            await self.app(scope, receive, send)
        finally:
            _SERVING.reset(token)
