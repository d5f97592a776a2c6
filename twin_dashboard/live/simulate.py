"""A simulated sensor gateway: realistic readings for the demo and for load.

What it imitates: heartbeats within every category's window (battery attached, batteries running
down, a few fast), elderly households living by the clock (door and infrared activity peaking in
the morning and evening, quiet at night; water drawn in short runs), public devices reporting
values, occasional alarms and faults that mostly clear again, and neighborhood gateways that go
silent for a while (their devices turn offline on the screens).

``run_gateway`` posts to a server like a real gateway (``twin-dashboard simulate``);
``start_simulator`` feeds a store in-process (``serve`` without ``--no-simulate``).
"""

from __future__ import annotations

import heapq
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import orjson
import pandas as pd
from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_never,
    stop_when_event_set,
    wait_exponential,
)

from twin_dashboard.catalog import CATEGORY_BY_CODE, ELDERLY_CATEGORIES
from twin_dashboard.domain.ingest import READINGS, SIMULATOR_GATEWAY, Ingestor
from twin_dashboard.domain.time import LOCAL_TZ, utc_now
from twin_dashboard.store.base import StoreUnavailable

log = logging.getLogger(__name__)
# Relative activity of an elder's home by local hour (0-23): asleep at night, busy at meals.
RHYTHM = (0.02, 0.01, 0.01, 0.01, 0.02, 0.1, 0.5, 1.0, 0.9, 0.6, 0.5, 0.8,
          0.9, 0.5, 0.4, 0.5, 0.6, 0.9, 1.0, 0.8, 0.6, 0.4, 0.2, 0.05)
# Per spontaneous event (~1 alarm a minute at 50 readings/s) / per gateway and tick.
P_ALARM, P_FAULT, P_SILENCE = 0.0005, 0.0005, 0.0005
VALUE_RANGES: dict[str, tuple[float, float]] = {
    "fire_hydrant": (0.15, 0.45), "garbage": (0, 100), "waterlogging": (0, 8),
    "air_quality": (20, 180), "noise": (35, 85), "building_tilt": (0, 0.4),
    "ebike_charging": (0, 3), "gas": (0, 4), "parking": (0, 1),
}
ECHO_EVERY_S = 10.0  # progress lines of ``twin-dashboard simulate``
DEVICE_PAGE = 10_000  # devices per request when a gateway provisions itself (the API maximum)
ALARM_EVENT = {"smoke": "smoke", "gas": "gas"}  # other categories raise a plain "alarm"


@dataclass
class SimDevice:
    id: str
    category: str
    household: str | None
    gateway: str  # devices of one neighborhood share a gateway
    battery: float
    drain_per_h: float


class Simulator:
    """Readings for ``devices``: dicts with id, category, household_id, neighborhood_id."""

    def __init__(self, devices: list[dict[str, Any]], seed: int | None = None) -> None:
        self.rnd = random.Random(seed)
        self.devices = [self._device(d) for d in devices]
        self.homes = [d for d in self.devices if d.household and d.category in ELDERLY_CATEGORIES]
        home_ids = {d.id for d in self.homes}
        self.public = [d for d in self.devices if d.id not in home_ids] or self.homes
        self.run = uuid.uuid4().hex[:8]  # reading ids unique across restarts
        self.seq = 0
        self.silent_until: dict[str, float] = {}
        self.pending: list[tuple[float, int, str, str]] = []  # (due, seq, device, event)
        self.heartbeats: list[tuple[float, int]] = []

    def _device(self, d: dict[str, Any]) -> SimDevice:
        fast = self.rnd.random() < 0.01  # a few batteries run down within the demo
        return SimDevice(str(d["id"]), str(d["category"]), d.get("household_id") or None,
                         str(d.get("neighborhood_id") or "none"), self.rnd.uniform(0.3, 1.0),
                         0.05 if fast else 0.0005)

    def start(self, now_s: float) -> None:
        """Spread the first heartbeats over each device's period so they do not all coincide."""
        for i, d in enumerate(self.devices):
            period = self._period(d)
            self.heartbeats.append((now_s + self.rnd.uniform(0, period), i))
        heapq.heapify(self.heartbeats)

    def _period(self, d: SimDevice) -> float:
        return CATEGORY_BY_CODE[d.category].heartbeat_hours * 3600 / 3

    def readings(self, now_s: float, budget: int) -> list[dict[str, Any]]:
        """Readings due by ``now_s``: heartbeats and follow-ups, then ~``budget`` events."""
        if not self.heartbeats:
            self.start(now_s)
        self._gateways(now_s)
        out = self._due_heartbeats(now_s) + self._due_pending(now_s)
        out += [r for r in (self._event(now_s) for _ in range(max(0, budget - len(out)))) if r]
        return out

    def _gateways(self, now_s: float) -> None:
        for gateway in {d.gateway for d in self.devices[:: max(1, len(self.devices) // 50)]}:
            if self.rnd.random() < P_SILENCE and now_s >= self.silent_until.get(gateway, 0):
                self.silent_until[gateway] = now_s + self.rnd.uniform(600, 3 * 3600)
                log.info("simulator: gateway %s goes silent", gateway)

    def _silent(self, d: SimDevice, now_s: float) -> bool:
        return now_s < self.silent_until.get(d.gateway, 0)

    def _due_heartbeats(self, now_s: float) -> list[dict[str, Any]]:
        out = []
        while self.heartbeats and self.heartbeats[0][0] <= now_s:
            _, i = heapq.heappop(self.heartbeats)
            d = self.devices[i]
            heapq.heappush(self.heartbeats, (now_s + self._period(d) * self.rnd.uniform(0.8, 1), i))
            if not self._silent(d, now_s):
                d.battery = max(0.0, d.battery - d.drain_per_h * self._period(d) / 3600)
                out.append(self._reading(d, now_s, "heartbeat", battery=round(d.battery, 3)))
        return out

    def _due_pending(self, now_s: float) -> list[dict[str, Any]]:
        out = []
        by_id = {d.id: d for d in self.devices} if self.pending else {}
        while self.pending and self.pending[0][0] <= now_s:
            _, _, device_id, event = heapq.heappop(self.pending)
            d = by_id[device_id]
            if not self._silent(d, now_s):
                out.append(self._reading(d, now_s, event))
        return out

    def _later(self, d: SimDevice, at: float, event: str) -> None:
        self.seq += 1
        heapq.heappush(self.pending, (at, self.seq, d.id, event))

    def _event(self, now_s: float) -> dict[str, Any] | None:
        """One spontaneous reading: home life by the hour, or a public device's value."""
        hour = datetime.fromtimestamp(now_s, _TZ).hour
        home = self.homes and self.rnd.random() < 0.5 * RHYTHM[hour] + 0.1
        d = self.rnd.choice(self.homes if home else self.public)
        if self._silent(d, now_s):
            return None
        roll = self.rnd.random()
        if roll < P_ALARM:
            if roll < P_ALARM * 0.8:  # most alarms clear again; the rest wait for someone
                self._later(d, now_s + self.rnd.uniform(60, 900), "clear")
            return self._reading(d, now_s, ALARM_EVENT.get(d.category, "alarm"))
        if roll < P_ALARM + P_FAULT:
            self._later(d, now_s + self.rnd.uniform(600, 3600), "clear")
            return self._reading(d, now_s, "fault")
        return self._ordinary(d, now_s)

    def _ordinary(self, d: SimDevice, now_s: float) -> dict[str, Any]:
        if d.category == "door_contact":
            self._later(d, now_s + self.rnd.uniform(5, 120), "close")
            return self._reading(d, now_s, "open")
        if d.category == "infrared":
            return self._reading(d, now_s, "motion")
        if d.category == "water_flow":
            self._later(d, now_s + self.rnd.uniform(30, 900), "flow_stop")
            return self._reading(d, now_s, "flow_start", value=round(self.rnd.uniform(2, 9), 1))
        low, high = VALUE_RANGES.get(d.category, (0, 1))
        return self._reading(d, now_s, None, value=round(self.rnd.uniform(low, high), 2))

    def _reading(self, d: SimDevice, now_s: float, event: str | None,
                 **fields: Any) -> dict[str, Any]:
        self.seq += 1
        reading = {"reading_id": f"sim-{self.run}-{self.seq}", "device_id": d.id,
                   "ts": datetime.fromtimestamp(now_s, _TZ), **fields}
        if event is not None:
            reading["event"] = event
        return reading


_TZ = pd.Timestamp.now(tz=LOCAL_TZ).tzinfo  # readings carry the district's +08:00 offset


class ServerBusy(Exception):
    """The server answered, but not yet with a stored batch (5xx): worth sending again."""


def post_batch(client: httpx.Client, url: str, batch: list[dict[str, Any]],
               stop: threading.Event | None = None) -> dict[str, Any] | None:
    """POST with retries and backoff until the server stores it (idempotent, so resend);
    ``None`` when ``stop`` is set first."""
    body = orjson.dumps(batch)
    retrying = Retrying(
        retry=retry_if_exception_type((httpx.TransportError, ServerBusy)),
        wait=wait_exponential(multiplier=0.5, max=30.0),
        stop=stop_never if stop is None else stop_when_event_set(stop),
        before_sleep=lambda state: log.warning("gateway: %s; retrying in %.1fs",
                                               state.outcome.exception(), state.upcoming_sleep),
        retry_error_callback=lambda _state: None)
    return retrying(_post_once, client, url, body)


def _post_once(client: httpx.Client, url: str, body: bytes) -> dict[str, Any]:
    response = client.post(f"{url}/api/v1/readings", content=body,
                           headers={"Content-Type": "application/json"})
    if response.status_code == 200:
        return response.json()
    if response.status_code in (408, 429) or response.status_code >= 500:
        raise ServerBusy(f"server answered {response.status_code}")
    raise RuntimeError(f"server refused the batch: {response.status_code} "
                       f"{response.text[:500]}")  # resending would not help


def fetch_devices(client: httpx.Client, url: str, read_token: str) -> list[dict[str, Any]]:
    """The server's devices, as a real gateway would be provisioned with them (page by page,
    waiting when the server says it is busy; a gateway token only posts readings: reading the
    layer takes a person's API token)."""
    devices: list[dict[str, Any]] = []
    page: str | None = f"{url}/api/v1/layers/devices?limit={DEVICE_PAGE}"
    while page:
        response = client.get(page, timeout=120,
                              headers={"Authorization": f"Bearer {read_token}"})
        if response.status_code == 503 and "Retry-After" in response.headers:
            time.sleep(float(response.headers["Retry-After"]))
            continue
        response.raise_for_status()
        body = response.json()
        devices += [f["properties"] for f in body["features"]]
        page = next((link["href"] for link in body.get("links", [])
                     if link.get("rel") == "next"), None)
    return devices


def run_gateway(url: str, rate: float = 50.0, token: str = "", tick_s: float = 1.0,
                duration_s: float | None = None, seed: int | None = None,
                echo: Callable[[str], None] = print, read_token: str = "") -> None:
    """Post simulated readings to ``url`` at about ``rate`` per second until interrupted."""
    url = url.rstrip("/")
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        sim = Simulator(fetch_devices(client, url, read_token), seed=seed)
        echo(f"gateway: {len(sim.devices)} devices, posting ~{rate:g} readings/s to {url}")
        started, total, told = time.monotonic(), 0, time.monotonic()
        while duration_s is None or time.monotonic() - started < duration_s:
            tick = time.monotonic()
            result = post_batch(client, url, sim.readings(time.time(), int(rate * tick_s)))
            total += (result or {}).get("accepted", 0)
            if tick - told >= ECHO_EVERY_S:
                echo(f"gateway: {total} readings stored")
                told = tick
            time.sleep(max(0.0, tick_s - (time.monotonic() - tick)))


def start_simulator(ingestor: Ingestor, rate: float = 50.0, tick_s: float = 1.0,
                    seed: int | None = None) -> Callable[[], None]:
    """Feed ``ingestor``'s store in-process (``serve``'s live demo) in a daemon thread;
    returns stop()."""
    stop = threading.Event()

    def loop() -> None:
        devices = ingestor.store.read_layer("devices").drop(columns="geometry").to_dict("records")
        sim = Simulator(devices, seed=seed)
        told = ""
        while not stop.wait(tick_s):
            try:
                batch = sim.readings(utc_now().timestamp(), int(rate * tick_s))
                ingestor.ingest(READINGS.validate_python(batch), gateway=SIMULATOR_GATEWAY)
            except StoreUnavailable as err:  # told once per outage, not every second
                if str(err) != told:
                    log.warning("simulator: the store cannot take readings: %s", err)
                told = str(err)
            except Exception:  # keep the demo alive; the next tick tries again
                log.exception("simulator tick failed")
            else:
                told = ""

    threading.Thread(target=loop, name="simulator", daemon=True).start()
    return stop.set
