"""GET /api/v1/live: a real ``serve`` pushes small scoped deltas, resumes, and exits cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import queue
import signal
import socket
import subprocess
import threading
import time
from itertools import count

import httpx
import pandas as pd
import pytest

from tests._live_fixtures import add_other_neighborhood, iso_now, load_district
from twin_dashboard.domain.accounts import issue_api_token
from twin_dashboard.domain.ingest import Ingestor, LiveDelta
from twin_dashboard.domain.tokens import create_token
from twin_dashboard.live import hub as live_feed
from twin_dashboard.store.base import Scope, open_store
from twin_dashboard.testing import add_user, free_port, serve_command, wait_healthy, wait_until

WAIT_S = 2.0  # a change must reach an open stream within this
_ids = count()


class Server:
    """``python -m twin_dashboard serve --no-simulate`` over a small two-neighborhood district."""

    def __init__(self, db_url: str, token: str, people: dict[str, str],
                 *options: str) -> None:
        port = free_port()
        self.url, self.token = f"http://127.0.0.1:{port}", token
        self.people = people  # person (or "reader", a commander) -> personal API token
        self.proc = subprocess.Popen([*serve_command(db_url, port), *options],
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            wait_healthy(self.url, self.proc)
        except RuntimeError:
            self.stop()
            raise

    def post(self, device: str, **fields) -> dict:
        reading = {"reading_id": f"t{next(_ids)}-{time.time_ns()}", "device_id": device,
                   "ts": iso_now(), **fields}
        response = httpx.post(f"{self.url}/api/v1/readings", json=[reading], timeout=10,
                              headers={"Authorization": f"Bearer {self.token}"})
        assert response.status_code == 200, response.text
        return response.json()

    def status(self) -> dict:
        return httpx.get(f"{self.url}/api/v1/live/status", timeout=5,
                         headers=self.auth()).json()

    def auth(self, who: str = "reader") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.people[who]}"}

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)  # the whole group: workers too
            self.proc.wait()


class Stream:
    """An SSE reader in a thread: parsed events land in a queue; ``close()`` hangs up."""

    def __init__(self, server: Server, params: dict | None = None, last_id: str | None = None):
        url = server.url
        headers = {"Last-Event-ID": last_id} if last_id else {}
        headers.update(server.auth())
        self.events: queue.Queue[dict] = queue.Queue()
        self.ids: list[str] = []
        self.comments = 0
        self._client = httpx.Client(timeout=httpx.Timeout(10, read=None))
        self._response = self._client.send(
            self._client.build_request("GET", f"{url}/api/v1/live", params=params,
                                       headers=headers), stream=True)
        assert self._response.headers["content-type"].startswith("text/event-stream")
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        event: dict = {}
        try:
            for line in self._response.iter_lines():
                if line.startswith("id: "):
                    event["id"] = line[4:]
                elif line.startswith("data: "):
                    event["data"] = json.loads(line[6:])
                elif line.startswith(":"):
                    self.comments += 1
                elif line == "" and "data" in event:
                    self.ids.append(event["id"])
                    self.events.put({**event["data"], "_id": event["id"]})
                    event = {}
        except (httpx.HTTPError, RuntimeError):  # closed by us, or by the server
            pass
        self.events.put({"_closed": True})

    def next_with(self, key: str, wait: float = WAIT_S) -> dict | None:
        """The next event whose ``key`` is non-empty, within ``wait`` seconds."""
        deadline = time.monotonic() + wait
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                return None
            if event.get("_closed"):
                return event
            if event.get(key):
                return event
        return None

    def first(self) -> dict:
        event = self.events.get(timeout=5)
        assert "seq" in event, event
        return event

    def close(self) -> None:
        """Hang up: shut the socket down, which also wakes the reader blocked in recv."""
        sock = self._response.extensions["network_stream"].get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed by the server
                sock.shutdown(socket.SHUT_RDWR)
        self._response.close()
        self._client.close()
        self._thread.join(5)


def make_district(tmp: object, db_url: str | None = None) -> tuple[str, str, dict[str, str]]:
    db_url = db_url or f"sqlite:///{tmp}/live.db"
    store = open_store(db_url)
    load_district(store)
    add_other_neighborhood(store)
    token = create_token(store, "gw-live")
    add_user(store, "reader", "commander")
    add_user(store, "cadre", "cadre", neighborhoods=("yunfang",), person="p-cadre")
    now = pd.Timestamp.now(tz="UTC")
    people = {"reader": issue_api_token(store, "reader", now),
              "p-cadre": issue_api_token(store, "cadre", now)}
    store.close()
    return db_url, token, people


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    server = Server(*make_district(tmp_path_factory.mktemp("live")))
    yield server
    server.stop()


@pytest.mark.slow  # a real `twin-dashboard serve`
def test_sse001_a_reading_reaches_an_open_stream_as_a_small_delta(server):
    stream = Stream(server)
    try:
        hello = stream.first()
        assert hello["states"] == {} and hello["alarms"] == []
        started = time.monotonic()
        server.post("mh-1", event="fault")
        event = stream.next_with("states")
        assert event is not None, "no event within 2 s"
        assert time.monotonic() - started < WAIT_S
        assert event["states"] == {"mh-1": "fault"}
        assert event["alarms"] == [] and "sensors" in event["sources"]
        assert event["seq"] > hello["seq"] and event["_id"].endswith(f"-{event['seq']}")
        server.post("h1-smoke", event="smoke")
        alarm = stream.next_with("alarms")
        assert alarm is not None and alarm["states"] == {"h1-smoke": "alarm"}
        (raised,) = alarm["alarms"]
        assert {k: raised[k] for k in ("rule", "severity", "device_id", "household_id",
                                       "neighborhood_id")} == {
            "rule": "smoke", "severity": "critical", "device_id": "h1-smoke",
            "household_id": "h1", "neighborhood_id": "yunfang"}
        assert raised["lon"] and raised["lat"] and pd.Timestamp(raised["raised_at"]).tzinfo
        ack = httpx.post(f"{server.url}/api/v1/alarms/{raised['id']}/ack",
                         headers=server.auth("p-cadre"))
        assert ack.status_code == 200, ack.text
        acted = stream.next_with("updates")  # other screens hear of the ack at once
        assert acted is not None and [(u["id"], u["status"], u["actor"])
                                      for u in acted["updates"]] == [
            (raised["id"], "acknowledged", "p-cadre")]
    finally:
        stream.close()


@pytest.mark.slow  # a real `twin-dashboard serve`
def test_sse002_scope_filters_what_a_screen_receives(server):
    ours = Stream(server, {"neighborhood": "yunfang"})
    theirs = Stream(server, {"neighborhood": "other"})
    try:
        ours.first(), theirs.first()
        server.post("park-1", event="fault")  # in yunfang
        got = ours.next_with("states")
        assert got is not None and got["states"] == {"park-1": "fault"}
        assert theirs.next_with("states", wait=1.0) is None, "other neighborhood got yunfang"
        server.post("o-gas", event="gas")  # in other
        mine = theirs.next_with("states")
        assert mine is not None and mine["states"] == {"o-gas": "alarm"}
        assert [a["device_id"] for a in mine["alarms"]] == ["o-gas"]
        assert ours.next_with("alarms", wait=1.0) is None, "yunfang got other's alarm"
    finally:
        ours.close(), theirs.close()
    bad = httpx.get(f"{server.url}/api/v1/live", params={"neighborhood": "nowhere"},
                    headers=server.auth())
    assert bad.status_code == 404 and "nowhere" in bad.text


@pytest.mark.slow  # a real `twin-dashboard serve`
def test_sse003_reconnect_with_last_event_id_gets_the_missed_event(server):
    stream = Stream(server)
    server.post("light-1", event="heartbeat")
    seen = stream.next_with("states")
    assert seen is not None
    last_id = stream.ids[-1]
    stream.close()
    server.post("light-1", event="fault")  # while nobody listens
    wait_until(lambda: server.status()["seq"] > seen["seq"], timeout=WAIT_S)  # sent, and missed
    again = Stream(server, last_id=last_id)
    try:
        caught = again.next_with("states")
        assert caught is not None and caught["states"] == {"light-1": "fault"}
        assert not caught.get("reset")
    finally:
        again.close()
    stale = Stream(server, last_id="0-1")  # an id of another server run
    try:
        first = stale.first()
        assert first.get("reset") is True and first["states"] == {}
    finally:
        stale.close()


@pytest.mark.slow  # a real `twin-dashboard serve`
def test_sse004_a_closed_stream_is_forgotten(server):
    base = server.status()["clients"]
    streams = [Stream(server) for _ in range(3)]
    for s in streams:
        s.first()
    assert server.status()["clients"] == base + 3
    for s in streams:
        s.close()
    wait_until(lambda: server.status()["clients"] <= base, timeout=3, interval=0.1)
    assert server.status()["clients"] == base


@pytest.mark.slow  # a real `twin-dashboard serve`
def test_sse005_serve_exits_soon_after_sigterm_with_a_stream_open(tmp_path):
    server = Server(*make_district(tmp_path))
    stream = Stream(server)
    try:
        stream.first()
        started = time.monotonic()
        os.kill(server.proc.pid, signal.SIGTERM)
        server.proc.wait(timeout=8)
        assert time.monotonic() - started < 5
        assert stream.next_with("_closed", wait=2) == {"_closed": True}
    finally:
        server.stop()
        stream.close()


# --- the hub on its own (no server) ----------------------------------------------------------

def _event(seq: int, states: dict, alarms: list | None = None) -> live_feed.FeedEvent:
    return live_feed.FeedEvent(seq, "t", states, alarms or [], {"sensors": "s"})


def test_sse006_payload_scope_and_merge():
    event = _event(3, {("bw", "yf"): {"a": "alarm"}, ("bw", "ot"): {"b": "fault"}},
                   [{"id": "x", "subdistrict_id": "bw", "neighborhood_id": "ot"}])
    assert event.payload(Scope.of("bw", "yf"))["states"] == {"a": "alarm"}
    assert event.payload(Scope.of("bw", "yf"))["alarms"] == []
    assert event.payload(Scope.of("bw"))["states"] == {"a": "alarm", "b": "fault"}
    assert event.payload(Scope.of("zz"))["states"] == {}
    later = _event(4, {("bw", "yf"): {"a": "normal"}}).payload(Scope())
    merged = live_feed.merge([event.payload(Scope()), later])
    assert merged["seq"] == 4 and merged["states"] == {"a": "normal", "b": "fault"}
    assert [a["id"] for a in merged["alarms"]] == ["x"]


def test_sse007_a_slow_client_is_dropped_not_waited_for():
    async def run() -> live_feed.Client:
        client = live_feed.Client(Scope(), asyncio.get_running_loop(), maxsize=2)
        for seq in range(3):
            client.offer(_event(seq, {}))
        return client

    client = asyncio.run(run())
    assert client.dropped and client.closed
    assert client.drain() == [None]


def test_sse008_hub_merges_a_burst_and_resumes_by_id(tmp_path):
    db_url, _, _ = make_district(tmp_path)
    store = open_store(db_url)
    hub = live_feed.LiveHub(store, lambda: pd.Timestamp.now(tz="UTC")).start(Ingestor(store))
    try:
        for i in range(20):  # 20 batches in a burst: at most ~4 events a second go out
            hub._inbox.put(LiveDelta({"mh-1": "fault" if i % 2 else "normal", f"x{i}": "n"},
                                     []))
        wait_until(lambda: hub.seq >= 1 and hub._inbox.empty(), timeout=2)
        # Time itself is under test: two pacing intervals pass, and still at most two events.
        time.sleep(live_feed.MIN_INTERVAL_S * 2)
        assert 1 <= hub.seq <= 2
        assert hub.missed_since(hub.event_id(0)) == list(hub.bus.ring)
        assert hub.missed_since(hub.event_id(hub.seq)) == []
        assert hub.missed_since("other-1") is None and hub.missed_since(None) is None
        merged = live_feed.merge(e.payload(Scope()) for e in hub.bus.ring)
        assert merged["states"]["mh-1"] == "fault" and len(merged["states"]) == 21
    finally:
        hub.stop()
        store.close()


def test_sse009_stream_heartbeats_holds_source_only_events_and_ends_on_close(monkeypatch):
    from twin_dashboard.api import live as live_api

    monkeypatch.setattr(live_api, "HEARTBEAT_S", 0.1)

    async def run() -> list[bytes]:
        hub = live_feed.LiveHub(None, lambda: pd.Timestamp.now(tz="UTC"))  # type: ignore[arg-type]
        client, _ = hub.connect(Scope.of("bw", "yf"), None)
        body = live_api._stream(hub, client, {"seq": 0, "ts": "t", "states": {}, "alarms": [],
                                                "sources": {}})
        out = [await anext(body), await anext(body)]  # retry hint, first event
        client.offer(live_feed.FeedEvent(1, "t", {("bw", "ot"): {"b": "fault"}}, [],
                                         {"sensors": "s1"}))  # nothing here but a source time
        client.offer(live_feed.FeedEvent(2, "t", {("bw", "yf"): {"a": "alarm"}}, [], {}))
        out.append(await anext(body))
        out.append(await anext(body))  # idle: a heartbeat comment
        client.close()
        out += [chunk async for chunk in body]
        assert client not in hub.clients
        return out

    retry, first, event, beat = asyncio.run(run())
    assert retry == b"retry: 2000\n\n" and first.startswith(b"id: ")
    data = json.loads(event.split(b"data: ")[1])
    assert data["seq"] == 2 and data["states"] == {"a": "alarm"}
    assert data["sources"] == {"sensors": "s1"}  # the held source time rides along
    assert beat == b": keep-alive\n\n"
