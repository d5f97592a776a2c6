"""The bus between workers (live/bus.py): the in-process one and Redis's, on a throwaway
redis-server (tests/_redis.py) — events published by one worker reach another, in one shared
order, catch-up from an id, and a reset when the id is too old or from another generation."""

from __future__ import annotations

import threading
import time

import pytest

from twin_dashboard.live import bus as live_bus
from twin_dashboard.live.events import FeedEvent, decode, encode
from twin_dashboard.testing import free_port, wait_until

WAIT_S = 5.0


def _event(states: dict, alarms: list | None = None) -> FeedEvent:
    return FeedEvent(0, "2026-11-30T00:00:00+00:00", {("bw", "yf"): states}, alarms or [],
                     {"sensors": "s"}, [], [{"id": "inc-1", "subdistrict_id": "bw",
                                              "neighborhood_id": "yf"}])


class Heard:
    """What a worker's ``deliver`` received, thread-safe."""

    def __init__(self) -> None:
        self.events: list[FeedEvent] = []
        self.resets = 0
        self.lock = threading.Lock()

    def deliver(self, event: FeedEvent) -> None:
        with self.lock:
            self.events.append(event)

    def reset(self) -> None:
        self.resets += 1

    def seqs(self) -> list[int]:
        with self.lock:
            return [e.seq for e in self.events]


def test_bus001_an_event_survives_its_bytes():
    event = _event({"mh-1": "fault"}, [{"id": "a1", "lon": 121.5, "lat": 31.2}])
    back = decode(7, encode(event))
    assert back.seq == 7 and back.states == event.states and back.alarms == event.alarms
    assert back.incidents == event.incidents and back.sources == event.sources


def test_bus002_local_bus_numbers_keeps_and_delivers():
    bus, heard = live_bus.LocalBus(), Heard()
    bus.start(heard.deliver, heard.reset)
    for i in range(3):
        bus.publish(_event({"mh-1": str(i)}))
    assert heard.seqs() == [1, 2, 3]
    missed, latest = bus.missed_since(f"{bus.boot}-1")
    assert [e.seq for e in missed] == [2, 3] and latest == 3
    assert bus.missed_since(f"{bus.boot}-3") == ([], 3)
    assert bus.missed_since("0-1") == (None, 3)  # another boot: reset


def test_bus003_redis_one_worker_publishes_the_other_receives(redis_url):
    one, two = live_bus.RedisBus(redis_url), live_bus.RedisBus(redis_url)
    heard_one, heard_two = Heard(), Heard()
    one.start(heard_one.deliver, heard_one.reset)
    two.start(heard_two.deliver, heard_two.reset)
    try:
        assert one.boot == two.boot  # one generation for every worker
        time.sleep(0.2)  # both readers wait on the stream
        one.publish(_event({"mh-1": "fault"}))
        two.publish(_event({"mh-2": "alarm"}))
        wait_until(lambda: len(heard_two.seqs()) == 2 and len(heard_one.seqs()) == 2, WAIT_S)
        assert heard_one.seqs() == heard_two.seqs() == [1, 2]  # one shared order
        by_seq = {e.seq: e.states for e in heard_two.events}
        assert {**by_seq[1][("bw", "yf")], **by_seq[2][("bw", "yf")]} == {
            "mh-1": "fault", "mh-2": "alarm"}
        assert one.seq == two.seq == 2
    finally:
        one.stop()
        two.stop()


def test_bus004_redis_catch_up_from_an_id_on_another_worker(redis_url):
    one, two = live_bus.RedisBus(redis_url), live_bus.RedisBus(redis_url)
    try:
        for i in range(4):
            one.publish(_event({"mh-1": str(i)}))
        missed, latest = two.missed_since(f"{two.boot}-2")  # an id first sent by worker one
        assert [e.seq for e in missed] == [3, 4] and latest == 4
        assert missed[-1].states[("bw", "yf")] == {"mh-1": "3"}
        assert two.missed_since(f"{two.boot}-4") == ([], 4)
        assert two.missed_since(None) == (None, 4)
        assert two.missed_since(f"{two.boot}-9")[0] is None  # from the future
        assert two.missed_since("1a2b-3")[0] is None  # another generation
    finally:
        one.stop()
        two.stop()


def test_bus005_redis_resets_an_id_trimmed_away(redis_url):
    bus = live_bus.RedisBus(redis_url, ring=10)
    try:
        for i in range(300):  # MAXLEN ~10 trims whole nodes (100 entries): the first go
            bus.publish(_event({"mh-1": str(i)}))
        first = int(bus.redis.xrange(bus.stream, count=1)[0][0].decode().partition("-")[2])
        assert first > 2
        assert bus.missed_since(f"{bus.boot}-1")[0] is None
        kept, latest = bus.missed_since(f"{bus.boot}-{first - 1}")
        assert latest == 300 and [e.seq for e in kept] == list(range(first, 301))
    finally:
        bus.stop()


def test_bus006_a_lost_stream_is_a_new_generation(redis_url):
    bus, heard = live_bus.RedisBus(redis_url), Heard()
    bus.start(heard.deliver, heard.reset)
    try:
        bus.publish(_event({"mh-1": "fault"}))
        wait_until(lambda: heard.seqs() == [1], WAIT_S)
        old = f"{bus.boot}-1"
        bus.redis.flushdb()  # Redis restarted without its data
        time.sleep(0.002)  # a generation is a time in ms
        bus.publish(_event({"mh-1": "normal"}))
        wait_until(lambda: heard.resets == 1 and heard.seqs() == [1, 1], WAIT_S)
        assert bus.boot != old.partition("-")[0]
        assert bus.missed_since(old)[0] is None  # the old id is refused: the screen reloads
    finally:
        bus.stop()


def test_bus007_once_only_jobs_run_in_one_worker_and_move_when_it_stops(redis_url,
                                                                        monkeypatch):
    monkeypatch.setattr(live_bus, "LEADER_TTL_S", 0.6)
    one, two = live_bus.RedisBus(redis_url), live_bus.RedisBus(redis_url)
    running: list[str] = []

    def jobs(name: str):
        running.append(name)
        return lambda: running.remove(name)

    stop_one = one.lead(lambda: jobs("one"))
    wait_until(lambda: running == ["one"], WAIT_S)
    stop_two = two.lead(lambda: jobs("two"))
    try:
        time.sleep(1.0)  # more than a TTL: renewed, and two never starts
        assert running == ["one"] and one.leading and not two.leading
        stop_one()
        wait_until(lambda: running == ["two"], WAIT_S)
        assert two.leading and not one.leading
    finally:
        stop_two()
        one.stop()
        two.stop()
    assert running == []


def test_bus008_open_bus_refuses_what_is_not_redis():
    assert isinstance(live_bus.open_bus(None), live_bus.LocalBus)
    with pytest.raises(live_bus.BusUnavailable, match="redis://"):
        live_bus.open_bus("http://localhost:6379/0")
    with pytest.raises(live_bus.BusUnavailable, match="cannot use the bus at redis://127.0.0.1"):
        live_bus.open_bus(f"redis://:secret@127.0.0.1:{free_port()}/0")


def test_bus009_a_restarted_empty_redis_resets_screens_and_the_feed_goes_on(monkeypatch):
    from tests._redis import RedisServer

    monkeypatch.setattr(live_bus, "RETRY_S", 0.1)
    first = RedisServer().start()
    bus, heard = live_bus.RedisBus(first.url()), Heard()
    bus.start(heard.deliver, heard.reset)
    second = None
    try:
        bus.publish(_event({"mh-1": "fault"}))
        wait_until(lambda: heard.seqs() == [1], WAIT_S)
        old_boot = bus.boot
        first.stop()  # Redis goes away: publishing logs and drops, nothing raises
        bus.publish(_event({"mh-1": "lost"}))
        time.sleep(0.002)
        second = RedisServer()
        second.port = first.port  # back on the same address, without its data
        second.start()
        bus.publish(_event({"mh-1": "normal"}))
        wait_until(lambda: heard.resets == 1 and heard.seqs() == [1, 1], WAIT_S)
        assert bus.boot != old_boot
        assert heard.events[-1].states[("bw", "yf")] == {"mh-1": "normal"}
        assert bus.missed_since(f"{old_boot}-1")[0] is None
    finally:
        bus.stop()
        first.stop()
        if second is not None:
            second.stop()
