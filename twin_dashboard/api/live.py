"""GET /api/v1/live: live changes pushed to open screens as server-sent events.

Each event is one small JSON delta — ``{"seq", "ts", "states": {device_id: state}, "alarms":
[…], "sources": {name: updated_at}}`` (plus ``updates`` when people acted on alarms,
``incidents`` when an incident was reported or moved along its workflow, and
``reset`` on a first event that could not resume) — cut to the screen's scope. The browser's
``EventSource`` reconnects by itself (``retry:``) and sends ``Last-Event-ID``; the missed events
come back merged into one from the hub's ring buffer, or, when too much was missed or the server
restarted, a first event with ``"reset": true`` tells the screen to reload its view.

Server shutdown: uvicorn waits for open responses before it exits, and an event stream never
ends by itself, so the first stream chains a SIGTERM/SIGINT handler that ends every stream.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
import zlib
from collections.abc import AsyncGenerator
from typing import Any

import orjson
from fastapi import APIRouter, Header, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from twin_dashboard.api.scope import scope_from_query
from twin_dashboard.auth.context import ViewerDep
from twin_dashboard.live.hub import Client, FeedEvent, LiveHub, is_empty, merge
from twin_dashboard.services import ServicesDep

router = APIRouter(prefix="/api/v1", tags=["live"])
HEARTBEAT_S = 15.0  # a comment line this often keeps proxies and the browser from timing out
RETRY_MS = 2000  # how soon a browser reconnects after the stream breaks
GZIP_LEVEL = 6
SOURCES_EVERY_S = 10.0  # a change elsewhere (sources only) reaches a screen at most this often
EVENT_DOC = ("One JSON object per event: seq, ts, states {device_id: state}, alarms [{id, rule, "
             "severity, device_id, household_id, subdistrict_id, neighborhood_id, lon, lat, "
             "raised_at}], sources {name: updated_at}; optional updates [{id, status, action, "
             "actor, at, …}], incidents [{id, status, level, action, actor, at, subdistrict_id, "
             "neighborhood_id, sla_due_at}] (an incident reported or moved along its "
             "workflow) and reset (true: reload the view). Event ids are '<boot>-<seq>', boot "
             "being the bus's generation (with --bus: shared by every worker).")
_EXIT_SIGNALS = (signal.SIGTERM, signal.SIGINT)
# One server-sent event as a reader parses it (OpenAPI 3.1 describes each event of a
# text/event-stream with `schema`): the JSON on its data line is a LiveEvent. `x-sse-events`
# names the event types the stream sends (only the default, "message").
LIVE_EVENT_REF = {"$ref": "#/components/schemas/LiveEvent"}
SSE_EVENT = {
    "type": "object", "description": EVENT_DOC, "required": ["data"],
    "properties": {
        "event": {"type": "string", "const": "message",
                  "description": "no `event:` line: the default type"},
        "id": {"type": "string", "description": "'<boot>-<seq>': send it back as "
                                                "Last-Event-ID to resume"},
        "retry": {"type": "integer", "description": "reconnect after this many ms"},
        "data": {"type": "string", "contentMediaType": "application/json",
                 "contentSchema": LIVE_EVENT_REF}}}


@router.get("/live", response_class=StreamingResponse,
            summary="Server-sent events of live changes (device states, alarms, sources)",
            responses={200: {"description": "an endless stream of server-sent events",
                             "content": {"text/event-stream": {
                                 "schema": SSE_EVENT, "x-sse-events": {"message": LIVE_EVENT_REF}}},
                             "headers": {"Content-Encoding": {
                                 "description": "gzip when the request accepts it",
                                 "schema": {"type": "string"}}}}})
async def live(
    services: ServicesDep,
    viewer: ViewerDep,
    subdistrict: str | None = Query(None, description="subdistrict id, e.g. beiwaitan"),
    neighborhood: str | None = Query(None, description="neighborhood id, e.g. yunfang"),
    district: str | None = Query(None, description="district id of a city"),
    last_event_id: str | None = Header(None, alias="Last-Event-ID", max_length=128,
                                       description="the id of the last event seen: resume "
                                                   "after it (unknown: a reset event)"),
    accept_encoding: str = Header("", include_in_schema=False),
) -> StreamingResponse:
    """Stream live deltas within the scope; resumes after ``Last-Event-ID`` when it can."""
    scope = await run_in_threadpool(scope_from_query, services, viewer, subdistrict,
                                     neighborhood, district)
    hub = services.hub.start(services.ingestor)
    _hook_exit_signals(hub)
    # In a thread: with --bus the catch-up is a round trip to Redis.
    client, missed = await run_in_threadpool(hub.connect, scope, last_event_id,
                                             asyncio.get_running_loop())
    if missed is None:  # a new screen, or one that cannot catch up: everything from now on
        first: dict[str, Any] | None = await run_in_threadpool(hub.snapshot, client.after)
        if last_event_id:
            first["reset"] = True  # type: ignore[index]
    else:
        first = merge(e.payload(scope) for e in missed)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no", "Vary": "Accept-Encoding"}
    body = _stream(hub, client, first)
    if "gzip" in accept_encoding.lower():
        headers["Content-Encoding"] = "gzip"
        body = gzipped(body)
    return StreamingResponse(body, media_type="text/event-stream", headers=headers)


async def gzipped(chunks: AsyncGenerator[bytes, None]) -> AsyncGenerator[bytes, None]:
    """One gzip stream over the whole response, flushed per message so none waits in a buffer.

    The generic GZip middleware leaves event streams alone because it buffers; a sync flush per
    message does not, and the shared window makes repeated ids and keys nearly free.
    """
    packer = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)  # 31: gzip header and trailer
    try:
        async for chunk in chunks:
            yield packer.compress(chunk) + packer.flush(zlib.Z_SYNC_FLUSH)
        yield packer.flush()
    finally:
        await chunks.aclose()


class LiveStatus(BaseModel):
    boot: str = Field(description="the feed's generation, the first part of event ids: this "
                      "process's run, or the shared stream's with --bus")
    seq: int = Field(description="number of the latest event")
    clients: int = Field(description="screens connected to this worker now")


@router.get("/live/status", response_model=LiveStatus, summary="The live stream's own state")
def live_status(services: ServicesDep, viewer: ViewerDep) -> LiveStatus:
    """How many screens listen and how far the feed has counted (operations, tests)."""
    hub = services.hub.start(services.ingestor)
    return LiveStatus(boot=hub.boot, seq=hub.seq, clients=len(hub.clients))


def sse(hub: LiveHub, payload: dict[str, Any]) -> bytes:
    """One SSE message: the event id for resuming and the JSON payload on one data line."""
    return b"id: %s\ndata: %s\n\n" % (hub.event_id(payload["seq"]).encode(),
                                      orjson.dumps(payload))


async def _stream(hub: LiveHub, client: Client,
                  first: dict[str, Any] | None) -> AsyncGenerator[bytes, None]:
    """The body: retry hint, first event, then events as they come and heartbeats between."""
    pacer = _SourcesPacer()
    try:
        yield b"retry: %d\n\n" % RETRY_MS
        if first is not None:
            yield sse(hub, pacer.sent(first))
        while True:
            try:
                item = await asyncio.wait_for(client.queue.get(), HEARTBEAT_S)
            except TimeoutError:
                held = pacer.flush()
                yield sse(hub, held) if held else b": keep-alive\n\n"
                continue
            items = [item, *client.drain()]
            if any(i is None for i in items):  # closed: shutdown, or too slow (dropped)
                return
            out = pacer.next(_events(items), client)
            if out is not None:
                yield sse(hub, out)
    finally:
        hub.disconnect(client)


def _events(items: list[FeedEvent | None]) -> list[FeedEvent]:
    return [i for i in items if i is not None]


class _SourcesPacer:
    """Holds back events that carry only source times, so a quiet scope is not woken 4×/s."""

    def __init__(self) -> None:
        self.held: dict[str, Any] | None = None
        self.last_sent = time.monotonic()

    def next(self, events: list[FeedEvent], client: Client) -> dict[str, Any] | None:
        """What to send for ``events`` now (with anything held merged in), or ``None``."""
        held = [self.held] if self.held else []
        payload = merge(held + [e.payload(client.scope) for e in events])
        if payload is None or (is_empty(payload) and not payload["sources"]):
            return None  # nothing here for this scope
        if is_empty(payload) and time.monotonic() - self.last_sent < SOURCES_EVERY_S:
            self.held = payload
            return None
        return self.sent(payload)

    def flush(self) -> dict[str, Any] | None:
        held, self.held = self.held, None
        return self.sent(held) if held else None

    def sent(self, payload: dict[str, Any]) -> dict[str, Any]:
        self.held, self.last_sent = None, time.monotonic()
        return payload


def _hook_exit_signals(hub: LiveHub) -> None:
    """Chain SIGTERM/SIGINT so that ``hub``'s streams end before uvicorn waits for open
    responses.

    Only from the main thread (where uvicorn runs its loop; signals can be set nowhere else).
    uvicorn restores its own original handlers when it exits, dropping this chain with them.
    """
    if hub.exit_hooked or threading.current_thread() is not threading.main_thread():
        return
    for sig in _EXIT_SIGNALS:
        previous = signal.getsignal(sig)

        def handler(signum: int, frame: Any, previous: Any = previous) -> None:
            hub.close_all()
            if callable(previous):
                previous(signum, frame)

        signal.signal(sig, handler)
    hub.exit_hooked = True
