"""The fan-out hub of live changes: ingest deltas in, one small event per moment to each screen.

Ingest calls its listeners from worker threads right after a commit, so the hub's listener only
puts the delta on a queue and returns: a slow or stuck screen can never hold up ingest. One
dispatcher thread per hub drains that queue at most ``1 / MIN_INTERVAL_S`` times a second
(leading edge: a lone change goes out at once), merges what arrived into one :class:`FeedEvent`
(later states win) and publishes it on the bus (live/bus.py): in process, or through Redis to
every worker. Each event the bus delivers — this worker's or another's — goes to every connected
:class:`Client`'s asyncio queue with ``loop.call_soon_threadsafe``. A client whose bounded queue
overflows is dropped; its browser reconnects with ``Last-Event-ID`` and catches up from the
bus's ring (or is told to reload, ``reset``).

Event ids are ``<boot>-<seq>``: ``boot`` is the bus's generation (a server start in process, the
Redis stream's otherwise), so an id from before a restart is recognised as unusable instead of
silently matching a new, unrelated ``seq``."""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd

from twin_dashboard.domain.ingest import Ingestor, LiveDelta
from twin_dashboard.live.bus import RING_SIZE, Bus, LocalBus
from twin_dashboard.live.events import FeedEvent, Place, in_scope
from twin_dashboard.store.base import Scope, Store

log = logging.getLogger(__name__)
__all__ = ["RING_SIZE", "FeedEvent", "LiveHub", "in_scope", "is_empty", "merge"]
MIN_INTERVAL_S = 0.25  # at most ~4 events a second reach a screen; states in between merge
CLIENT_QUEUE = 64  # events waiting for one screen; beyond that it is too slow and is dropped
DEVICE_RELOAD_S = 5.0  # an unknown device id rereads the device places at most this often
ALARM_FIELDS: tuple[str, ...] = ("id", "rule", "severity", "device_id", "household_id",
                                 "subdistrict_id", "neighborhood_id", "lon", "lat", "raised_at")


def iso(value: Any) -> str | None:
    """Epoch seconds or a timestamp as ISO 8601 UTC (``None`` stays ``None``)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, int | float):
        return pd.Timestamp(int(value), unit="s", tz="UTC").isoformat()
    return pd.Timestamp(value).tz_convert("UTC").isoformat()


def merge(payloads: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    """Several payloads as one: later states win, alarms and updates add up, last seq/ts."""
    out: dict[str, Any] | None = None
    for p in payloads:
        if out is None:
            out = {**p, "states": dict(p["states"]), "alarms": list(p["alarms"]),
                   "sources": dict(p["sources"])}
            continue
        out.update(seq=p["seq"], ts=p["ts"])
        out["states"].update(p["states"])
        out["alarms"] += p["alarms"]
        out["sources"].update(p["sources"])
        for key in ("updates", "incidents"):
            if p.get(key):
                out[key] = out.get(key, []) + p[key]
    return out


def is_empty(payload: dict[str, Any]) -> bool:
    """Nothing a screen of this scope would draw (sources alone do not count)."""
    return not (payload["states"] or payload["alarms"] or payload.get("updates")
                or payload.get("incidents"))


class Client:
    """One open screen: its scope and a bounded queue of events, owned by its event loop."""

    def __init__(self, scope: Scope, loop: asyncio.AbstractEventLoop,
                 maxsize: int = CLIENT_QUEUE) -> None:
        self.scope, self.loop = scope, loop
        self.queue: asyncio.Queue[FeedEvent | None] = asyncio.Queue(maxsize)
        self.closed = False
        self.dropped = False
        self.after = 0  # seq the screen has (by catch-up or snapshot): older events are skipped

    def offer(self, event: FeedEvent) -> None:
        """Queue an event (in the loop's thread); a full queue drops this client."""
        if self.closed:
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped = True
            self.close()

    def close(self) -> None:
        """End the stream: the reader gets ``None`` next (in the loop's thread)."""
        self.closed = True
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)

    def drain(self) -> list[FeedEvent | None]:
        """Whatever else is queued now, so a reader that fell behind sends one merged event."""
        items: list[FeedEvent | None] = []
        while not self.queue.empty():
            items.append(self.queue.get_nowait())
        return items


class DevicePlaces:
    """device id -> (subdistrict, neighborhood), read once and reread when an id is new."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.places: dict[str, Place] = {}
        self.loaded_at = float("-inf")

    def group(self, states: dict[str, str]) -> dict[Place, dict[str, str]]:
        """``states`` grouped by the place of each device (unknown ones under (None, None))."""
        if any(d not in self.places for d in states) and self._stale():
            self.load()
        out: dict[Place, dict[str, str]] = {}
        for device_id, state in states.items():
            out.setdefault(self.places.get(device_id, (None, None)), {})[device_id] = state
        return out

    def _stale(self) -> bool:
        return time.monotonic() - self.loaded_at > DEVICE_RELOAD_S

    def load(self) -> None:
        read_columns = getattr(self.store, "read_columns", None)  # SQLite's fast path
        frame = (read_columns("devices", ["id", "subdistrict_id", "neighborhood_id"])
                 if read_columns else self.store.read_layer("devices"))
        self.places = dict(zip(frame["id"], zip(frame["subdistrict_id"],
                                                frame["neighborhood_id"], strict=True),
                               strict=True))
        self.loaded_at = time.monotonic()


class LiveHub:
    """Subscribes to ingest once, publishes each merged change on the bus, and fans what the bus
    delivers out to every connected screen."""

    def __init__(self, store: Store, clock: Callable[[], pd.Timestamp],
                 bus: Bus | None = None) -> None:
        self.store, self.clock = store, clock
        self.bus: Bus = bus if bus is not None else LocalBus()
        self.exit_hooked = False  # SIGTERM/SIGINT chained to end the streams (api/live.py)
        self.clients: set[Client] = set()
        self.places = DevicePlaces(store)
        self._inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._sources: dict[str, str] = {}
        self._stop = threading.Event()
        self._unsubscribe: Callable[[], None] | None = None
        self._thread: threading.Thread | None = None

    @property
    def boot(self) -> str:
        return self.bus.boot

    @property
    def seq(self) -> int:
        return self.bus.seq

    # --- life cycle ---
    @property
    def running(self) -> bool:
        return self._thread is not None and not self._stop.is_set()

    def start(self, ingestor: Ingestor) -> LiveHub:
        """Hear ``ingestor``'s changes and start the dispatcher (once; later calls do nothing)."""
        with self._lock:
            if self._thread is not None:
                return self
            self._unsubscribe = ingestor.add_listener(self._inbox.put)
            self._thread = threading.Thread(target=self._run, name="live-feed", daemon=True)
        self.bus.start(self._deliver, self.close_all)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Unsubscribe, stop the dispatcher and the bus, and end every open stream."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._stop.set()
        self._inbox.put(None)
        self.bus.stop()
        self.close_all()

    def close_all(self) -> None:
        """End every open stream (server shutdown); safe from any thread or a signal handler."""
        with self._lock:
            clients = list(self.clients)
        for client in clients:
            _call_in_loop(client, client.close)

    # --- screens ---
    def connect(self, scope: Scope, last_event_id: str | None,
                loop: asyncio.AbstractEventLoop | None = None,
                ) -> tuple[Client, list[FeedEvent] | None]:
        """Register a screen (in its event loop, or any thread given ``loop``); returns it and
        the events it missed, ``None`` when ``last_event_id`` is absent or can no longer be
        caught up. Events up to the moment of connecting come from here, later ones by the
        bus, and none twice (``client.after``)."""
        client = Client(scope, loop or asyncio.get_running_loop())
        with self._lock:
            self.clients.add(client)
            missed, client.after = self.bus.missed_since(last_event_id)
        return client, missed

    def missed_since(self, last_event_id: str | None) -> list[FeedEvent] | None:
        """Events after ``last_event_id``; ``None`` when the gap cannot be filled."""
        return self.bus.missed_since(last_event_id)[0]

    def event_id(self, seq: int) -> str:
        return f"{self.boot}-{seq}"

    def disconnect(self, client: Client) -> None:
        with self._lock:
            self.clients.discard(client)

    def snapshot(self, seq: int | None = None) -> dict[str, Any]:
        """A first payload for a screen that cannot catch up: ``seq`` (default: the latest)
        and every source."""
        sources = {row.name: iso(row.updated_at)
                   for row in self.store.sources().itertuples(index=False)}
        return {"seq": self.seq if seq is None else seq, "ts": iso(self.clock()), "states": {},
                "alarms": [], "sources": sources}

    def publish_update(self, update: dict[str, Any]) -> None:
        """An alarm's status changed by a person (ack, escalate, close, incident); dropped while
        no dispatcher runs (no screen has connected yet), so nothing piles up unread."""
        if self.running:
            self._inbox.put(("update", update))

    def publish_incident(self, change: dict[str, Any]) -> None:
        """An incident was reported or moved along its workflow (``api/incidents.py``): it goes
        out in the event's ``incidents`` list, to screens whose scope holds its place."""
        if self.running:
            self._inbox.put(("incident", change))

    # --- dispatcher ---
    def _run(self) -> None:
        try:  # read device places and source times now, not on the first (urgent) change
            self.places.load()
            self._moved_sources()
        except Exception:  # e.g. an empty store: the first event reads them instead
            log.exception("warming the live feed failed")
        last = 0.0
        while not self._stop.is_set():
            first = self._inbox.get()
            if first is None:
                break
            time.sleep(max(0.0, last + MIN_INTERVAL_S - time.monotonic()))
            items = [first, *self._drain()]
            try:
                event = self._build([i for i in items if i is not None])
            except Exception:  # a bad delta must not end the feed for everyone
                log.exception("building a live event failed")
                continue
            last = time.monotonic()
            if event is not None:
                self._publish(event)

    def _drain(self) -> list[Any]:
        items = []
        while True:
            try:
                items.append(self._inbox.get_nowait())
            except queue.Empty:
                return items

    def _build(self, items: list[Any]) -> FeedEvent | None:
        """Merge queued deltas and updates into the next event (``None`` if nothing changed)."""
        states: dict[str, str] = {}
        alarms: dict[str, dict[str, Any]] = {}
        changes: dict[str, list[dict[str, Any]]] = {"update": [], "incident": []}
        for item in items:
            if isinstance(item, LiveDelta):
                states.update(item.states)
                alarms.update((a["id"], _alarm_fields(a)) for a in item.alarms)
            else:
                changes[item[0]].append(item[1])
        if not (states or alarms or changes["update"] or changes["incident"]):
            return None
        return FeedEvent(0, iso(self.clock()) or "", self.places.group(states),
                         list(alarms.values()), self._moved_sources(), changes["update"],
                         changes["incident"])

    def _moved_sources(self) -> dict[str, str]:
        """Sources whose ``updated_at`` changed since the last event."""
        now = {row.name: iso(row.updated_at) or ""
               for row in self.store.sources().itertuples(index=False)}
        moved = {k: v for k, v in now.items() if self._sources.get(k) != v}
        self._sources = now
        return moved

    def _publish(self, event: FeedEvent) -> None:
        self.bus.publish(event)

    def _deliver(self, event: FeedEvent) -> None:
        """Hand a numbered event to every screen that does not have it yet (the bus's thread)."""
        with self._lock:
            clients = [c for c in self.clients if event.seq > c.after]
        for client in clients:
            if not _call_in_loop(client, client.offer, event):
                self.disconnect(client)


def _alarm_fields(alarm: dict[str, Any]) -> dict[str, Any]:
    out = {k: alarm.get(k) for k in ALARM_FIELDS}
    out["raised_at"] = iso(out["raised_at"])
    return out


def _call_in_loop(client: Client, fn: Callable[..., None], *args: Any) -> bool:
    """Run ``fn`` in the client's loop; False when that loop is gone."""
    try:
        client.loop.call_soon_threadsafe(fn, *args)
    except RuntimeError:  # loop closed: the server is going away
        return False
    return True
