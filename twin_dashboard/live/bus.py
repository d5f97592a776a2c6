"""The bus that numbers live events and carries them to every worker's screens.

The hub (live/hub.py) of each worker merges what its own ingest and its own requests change into
one :class:`FeedEvent` per moment and publishes it here; the bus numbers it, keeps the last
``RING_SIZE`` for screens that reconnect with ``Last-Event-ID``, and hands every event — whoever
published it — to each worker's ``deliver``. Two implementations of one :class:`Bus` protocol:

- :class:`LocalBus` (the embedded default): one process, a ring buffer in memory. Its ``boot`` is
  the server start, so an id from before a restart is refused (``reset``).
- :class:`RedisBus` (``serve --bus redis://HOST:PORT/N``): one Redis stream shared by every
  worker. A Lua script numbers and appends each event atomically (``XADD … 0-*``: the stream id
  ``0-<seq>`` *is* the shared sequence), trimmed to about ``RING_SIZE``; each worker reads the
  stream with a blocking ``XREAD`` in a thread of its own, so a screen on any worker sees every
  worker's events, and catch-up is an ``XRANGE`` that works from whichever worker a browser
  reconnects to. Its ``boot`` is the stream's generation, a key made together with the stream:
  if Redis loses them (restarted without persistence, flushed), a new generation begins and the
  old ids are refused as after a restart today.

Event ids are ``<boot>-<seq>`` on both. The bus also decides which worker runs the jobs that
must run once (:meth:`Bus.lead`): with Redis, the holder of a leader key that expires unless
renewed, so another worker takes over when the leader dies.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from twin_dashboard.live.events import FeedEvent, decode, encode

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)
RING_SIZE = 512  # events kept for reconnecting screens (~2 min at the full rate)
READ_BLOCK_MS = 1000  # a worker's stream reader wakes this often to look at the generation
RETRY_S = 1.0  # after a Redis error, the reader and the leader try again this much later
LEADER_TTL_S = 15.0  # a leader that stops renewing is replaced after this
KEY_PREFIX = "twin:live"

Deliver = Callable[[FeedEvent], None]
Jobs = Callable[[], Callable[[], None]]  # starts the once-only jobs, returns what stops them


class Bus(Protocol):
    """Numbers events, keeps recent ones, delivers each to every worker's screens."""

    @property
    def boot(self) -> str:
        """The first part of event ids; another value means the numbering began anew."""
        ...

    @property
    def seq(self) -> int:
        """The number of the latest event this worker has seen."""
        ...

    def start(self, deliver: Deliver, reset: Callable[[], None]) -> None:
        """Call ``deliver`` with each event from now on (``reset`` when numbering begins anew);
        later calls do nothing."""
        ...

    def publish(self, event: FeedEvent) -> None:
        """Number ``event`` and send it to every worker (this one included)."""
        ...

    def missed_since(self, last_event_id: str | None) -> tuple[list[FeedEvent] | None, int]:
        """Events after ``last_event_id`` (``None`` when that gap cannot be filled) and the
        seq of the latest event at that moment: later events reach the screen by ``deliver``."""
        ...

    def lead(self, jobs: Jobs) -> Callable[[], None]:
        """Run ``jobs`` in one worker of all that share this bus; returns what stops them."""
        ...

    def stop(self) -> None:
        ...


class BusUnavailable(RuntimeError):
    """The bus of ``--bus`` cannot be used (a bad URL, Redis unreachable); the message says
    which and why."""


def parse_id(last_event_id: str | None, boot: str) -> int | None:
    """The seq of an event id of generation ``boot``; ``None`` for anything else."""
    head, _, seq = (last_event_id or "").strip().partition("-")
    return int(seq) if head == boot and seq.isdigit() else None


def new_boot() -> str:
    """A generation id: the time in ms, hexadecimal (no '-', which separates the seq)."""
    return format(time.time_ns() // 1_000_000, "x")


def open_bus(url: str | None) -> Bus:
    """The bus of ``url`` (``redis://HOST:PORT/N``), or the in-process one for ``None``."""
    if not url:
        return LocalBus()
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise BusUnavailable(f"--bus {url!r}: expected redis://HOST:PORT/N")
    return RedisBus(url)


class LocalBus:
    """One process: events numbered and kept in memory."""

    def __init__(self) -> None:
        self.boot = new_boot()
        self.seq = 0
        self.ring: deque[FeedEvent] = deque(maxlen=RING_SIZE)
        self._deliver: Deliver | None = None
        self._lock = threading.Lock()

    def start(self, deliver: Deliver, reset: Callable[[], None]) -> None:
        if self._deliver is None:
            self._deliver = deliver

    def publish(self, event: FeedEvent) -> None:
        with self._lock:  # numbered and kept together: a screen connecting sees it either way
            self.seq += 1
            event = replace(event, seq=self.seq)
            self.ring.append(event)
        if self._deliver is not None:
            self._deliver(event)

    def missed_since(self, last_event_id: str | None) -> tuple[list[FeedEvent] | None, int]:
        with self._lock:
            seq = parse_id(last_event_id, self.boot)
            if seq is None or seq > self.seq or (seq < self.seq and (
                    not self.ring or self.ring[0].seq > seq + 1)):
                return None, self.seq
            return [e for e in self.ring if e.seq > seq], self.seq

    def lead(self, jobs: Jobs) -> Callable[[], None]:
        return jobs()  # the only worker leads

    def stop(self) -> None:
        self._deliver = None


# KEYS: generation, stream. ARGV: new generation, maxlen, data ('' only makes sure a generation
# exists). A missing generation starts a new stream: its ids are unrelated to the old ones.
_APPEND = """
local gen = redis.call('GET', KEYS[1])
if not gen then
  gen = ARGV[1]
  redis.call('SET', KEYS[1], gen)
  redis.call('DEL', KEYS[2])
end
if ARGV[3] == '' then return {gen, ''} end
local id = redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '0-*', 'e', ARGV[3])
return {gen, id}
"""
# KEYS: leader key. ARGV: our id, ttl in ms. Renew only what we hold; release likewise.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def _seq_of(stream_id: bytes | str) -> int:
    text = stream_id.decode() if isinstance(stream_id, bytes) else stream_id
    return int(text.partition("-")[2])


class RedisBus:
    """Every worker on one Redis stream; see the module's docstring."""

    def __init__(self, url: str, prefix: str = KEY_PREFIX, ring: int = RING_SIZE) -> None:
        import redis

        self.url, self.ring = url, ring
        self.gen_key, self.stream = f"{prefix}:gen", f"{prefix}:events"
        self.leader_key = f"{prefix}:leader"
        self.redis: redis.Redis = redis.Redis.from_url(url, socket_connect_timeout=5,
                                                       socket_timeout=5)
        self._append = self.redis.register_script(_APPEND)
        self._renew = self.redis.register_script(_RENEW)
        self._release = self.redis.register_script(_RELEASE)
        try:
            self.boot = self._generation()
        except redis.RedisError as err:
            self.redis.close()
            raise BusUnavailable(f"cannot use the bus at {self!r}: {err}") from err
        self.seq = 0
        self.leading = False
        self._deliver: Deliver | None = None
        self._reset: Callable[[], None] = lambda: None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # the URL without a password
        return f"redis://{self.url.partition('://')[2].rpartition('@')[2]}"

    def _generation(self) -> str:
        gen, _ = self._append(keys=[self.gen_key, self.stream], args=[new_boot(), self.ring, ""])
        return gen.decode()

    # --- events ---
    def start(self, deliver: Deliver, reset: Callable[[], None]) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._deliver, self._reset = deliver, reset
            try:  # where to read on from, now: a screen connecting next is caught up to here
                position: str | None = self._catch_up()
            except Exception:  # Redis away: the reader finds out when it is back
                log.exception("reading the live stream's position on %r failed", self)
                position = None
            self._thread = threading.Thread(target=self._read, args=(position,),
                                            name="live-bus", daemon=True)
        self._thread.start()

    def publish(self, event: FeedEvent) -> None:
        try:
            self._append(keys=[self.gen_key, self.stream],
                         args=[new_boot(), self.ring, encode(event)])
        except Exception as err:  # Redis away: this moment is lost for every screen
            log.warning("publishing a live event on %r failed: %s", self, err)

    def missed_since(self, last_event_id: str | None) -> tuple[list[FeedEvent] | None, int]:
        try:
            return self._missed_since(last_event_id)
        except Exception:  # Redis away: the screen starts afresh (and hears nothing till back)
            log.exception("catching up from %r failed", self)
            return None, self.seq

    def _missed_since(self, last_event_id: str | None) -> tuple[list[FeedEvent] | None, int]:
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.get(self.gen_key).xrange(self.stream, count=1).xrevrange(self.stream, count=1)
            wanted = parse_id(last_event_id, self.boot)
            if wanted is not None:
                pipe.xrange(self.stream, min=f"0-{wanted + 1}")
            gen, first, last, *after = pipe.execute()
        latest = _seq_of(last[0][0]) if last else 0
        if gen is None or gen.decode() != self.boot or wanted is None or wanted > latest:
            return None, latest
        if wanted < latest and (not first or _seq_of(first[0][0]) > wanted + 1):
            return None, latest  # trimmed away
        return [decode(_seq_of(i), fields[b"e"]) for i, fields in after[0]], latest

    def _read(self, position: str | None) -> None:
        """The worker's reader: every event of the stream after ``position``, in order, to
        ``deliver``."""
        while not self._stop.is_set():
            try:
                if position is None:
                    position = self._catch_up()
                got = self.redis.xread({self.stream: position}, count=self.ring,
                                       block=READ_BLOCK_MS)
                if self._generation() != self.boot:
                    position = None
                    continue
                for stream_id, fields in (got[0][1] if got else []):
                    position = stream_id.decode()
                    self.seq = _seq_of(stream_id)
                    if self._deliver is not None:
                        self._deliver(decode(self.seq, fields[b"e"]))
            except Exception as err:  # Redis away or a bad entry: again, from where we were
                if self._stop.is_set():
                    return
                log.warning("reading live events from %r failed (%s): retrying", self, err)
                self._stop.wait(RETRY_S)

    def _catch_up(self) -> str:
        """Where to read on from: the stream's newest id at start; its very beginning in a new
        generation, which also ends every open stream (its screens reconnect and are told to
        reload)."""
        gen = self._generation()
        if gen != self.boot:
            self.boot, self.seq = gen, 0
            self._reset()
            return "0-0"
        last = self.redis.xrevrange(self.stream, count=1)
        self.seq = _seq_of(last[0][0]) if last else 0
        return f"0-{self.seq}"

    # --- the once-only jobs ---
    def lead(self, jobs: Jobs) -> Callable[[], None]:
        me = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        ttl_ms = int(LEADER_TTL_S * 1000)
        done = threading.Event()

        def run() -> None:
            stop_jobs: Callable[[], None] | None = None
            held_until = 0.0
            while True:
                try:
                    if stop_jobs is None:
                        if self.redis.set(self.leader_key, me, nx=True, px=ttl_ms):
                            log.info("this worker (pid %s) runs the once-only jobs", os.getpid())
                            held_until = time.monotonic() + LEADER_TTL_S
                            self.leading, stop_jobs = True, jobs()
                    elif self._renew(keys=[self.leader_key], args=[me, ttl_ms]):
                        held_until = time.monotonic() + LEADER_TTL_S
                    else:
                        held_until = 0.0
                except Exception as err:  # Redis away: the jobs stop once the key expires
                    log.warning("the leader key on %r: %s", self, err)
                if stop_jobs is not None and time.monotonic() >= held_until:
                    log.warning("this worker lost the leader key: stopping its jobs")
                    stop_jobs()
                    self.leading, stop_jobs = False, None
                if done.wait(LEADER_TTL_S / 3):
                    break
            if stop_jobs is not None:
                stop_jobs()
                self.leading = False
                try:
                    self._release(keys=[self.leader_key], args=[me])
                except Exception:  # it expires by itself
                    log.warning("could not release the leader key on %r", self)

        thread = threading.Thread(target=run, name="live-leader", daemon=True)
        thread.start()

        def stop() -> None:
            done.set()
            thread.join(timeout=LEADER_TTL_S)

        return stop

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=READ_BLOCK_MS / 1000 + 5)
        self.redis.close()
