"""Bench live updates: an SSE delta vs re-sending the device layer, and reading → event latency.

    python bench/bench_live.py [--db sqlite:////path.db] [--changed 200] [--runs 30]
                               [--readings 60] [--gap 0.3] [--no-http]

With no ``--db`` it seeds a temporary store from geodata/ (25k devices). In one run:

* per live update with ``--changed`` devices changed: bytes (raw and gzip) and server time of
  the SSE message (``domain/live_feed`` + ``api/live.sse``: group by place, scope, serialize)
  against re-sending the whole device layer as the map gets it (``views.map_layers
  .device_points`` over ``domain.overlays.scoped_states``, serialized as Dash does);
* end to end (unless ``--no-http``): ``--readings`` readings POSTed one by one, ``--gap``
  seconds apart, to a ``twin-dashboard serve --no-simulate`` subprocess while an SSE client
  listens; latency = POST sent → the event carrying that device's new state received.
  The gap keeps readings apart from the stream's ~4 events/s pacing (a burst is merged).
"""

from __future__ import annotations

import argparse
import gzip
import json
import queue
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import httpx
import pandas as pd

from twin_dashboard.api.live import sse
from twin_dashboard.config import GEODATA_DIR
from twin_dashboard.domain import overlays as ov
from twin_dashboard.domain.atlas import Atlas
from twin_dashboard.domain.ingest import LiveDelta
from twin_dashboard.domain.places import MapScope
from twin_dashboard.domain.time import utc_now
from twin_dashboard.live.hub import LiveHub
from twin_dashboard.store.base import ALL, open_store
from twin_dashboard.testing import free_port, timed

AIM_KB, AIM_RATIO = 10.0, 50.0  # issue 4: ≤ 10 KB and ≥ 50× fewer bytes than a re-send


def pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def sizes(raw: bytes) -> tuple[int, int]:
    return len(raw), len(gzip.compress(raw, 6))


def sse_wire(message: bytes) -> int:
    """Bytes of one message in the stream's gzip (a fresh stream: the worst case, no shared
    window with earlier messages yet), as ``api/live.gzipped`` sends it."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)
    return len(packer.compress(message) + packer.flush(zlib.Z_SYNC_FLUSH))


def seeded_db() -> str:
    from twin_dashboard.seed import seed_store

    path = Path(tempfile.mkdtemp(prefix="bench-live-")) / "twin.db"
    url = f"sqlite:///{path}"
    seed_store(open_store(url), GEODATA_DIR)
    return url


# --- per update: delta vs re-send --------------------------------------------------------------

def delta_update(hub: LiveHub, states: dict[str, str]) -> Callable[[], bytes]:
    """What the server does per update: build the event (sources read, devices grouped by
    place), cut it to a screen's scope and write the SSE message."""

    def run() -> bytes:
        event = hub._build([LiveDelta(states, [])])  # noqa: SLF001 - the hub's own step
        assert event is not None
        return sse(hub, event.payload(ALL))

    return run


def resend_update(store, theme: str = "dark") -> Callable[[], bytes]:
    """The alternative: read every device's state and send the whole device layer again."""
    from dash._utils import to_json

    from twin_dashboard.views.map_layers import device_points

    geo = Atlas(store).geo()

    def run() -> bytes:
        states = ov.scoped_states(store, geo, MapScope(), utc_now())
        return to_json(device_points(states, theme, "zh")).encode()  # type: ignore[arg-type]

    return run


def changed_states(store, n: int) -> dict[str, str]:
    """``n`` devices spread over the district with a state other than their current one."""
    geo = Atlas(store).geo()
    ids = geo.devices["id"].iloc[:: max(len(geo.devices) // n, 1)].head(n)
    return {d: ("fault" if i % 3 else "alarm") for i, d in enumerate(ids)}


# --- end to end --------------------------------------------------------------------------------

def start_server(db_url: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "twin_dashboard", "serve", "--no-simulate",
                             "--port", str(port), "--db", db_url],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code < 500:
                return proc, base
        except httpx.TransportError:
            time.sleep(0.25)
    proc.kill()
    raise RuntimeError("the server did not start")


def listen(base: str, arrivals: queue.Queue, stop: threading.Event, reader: str) -> None:
    """Read the SSE stream (with a person's API token); put (perf_counter, payload) per event."""
    with httpx.stream("GET", f"{base}/api/v1/live", timeout=httpx.Timeout(10, read=None),
                      headers={"Authorization": f"Bearer {reader}"}) as r:
        for line in r.iter_lines():
            if line.startswith("data: "):
                arrivals.put((time.perf_counter(), json.loads(line[6:])))
            if stop.is_set():
                return


def end_to_end(db_url: str, devices: list[str], gap: float) -> dict[str, list[float]]:
    """POST one fault reading per device, ``gap`` apart; time until its event arrives."""
    from twin_dashboard.domain.tokens import create_token
    from twin_dashboard.testing import bench_token

    token = create_token(open_store(db_url), f"bench-{time.time_ns()}")
    reader = bench_token(db_url)
    proc, base = start_server(db_url)
    arrivals: queue.Queue = queue.Queue()
    stop = threading.Event()
    threading.Thread(target=listen, args=(base, arrivals, stop, reader), daemon=True).start()
    arrivals.get(timeout=10)  # the first event: the stream is open
    out: dict[str, list[float]] = {"latency": [], "post": []}
    try:
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}) as client:
            for i, device in enumerate(devices):
                out["latency"].append(_one(client, base, arrivals, device, i, out["post"]))
                time.sleep(gap)
    finally:
        stop.set()
        proc.terminate()
        proc.wait(10)
    return out


def _one(client: httpx.Client, base: str, arrivals: queue.Queue, device: str, i: int,
         posts: list[float]) -> float:
    reading = {"reading_id": f"bench-{time.time_ns()}-{i}", "device_id": device,
               "ts": pd.Timestamp.now(tz="UTC").isoformat(), "event": "fault"}
    sent = time.perf_counter()
    client.post(f"{base}/api/v1/readings", json=[reading]).raise_for_status()
    posts.append((time.perf_counter() - sent) * 1000)
    while True:
        at, payload = arrivals.get(timeout=10)
        if device in payload.get("states", {}):
            return (at - sent) * 1000


# --- report ------------------------------------------------------------------------------------

def per_update(store, changed: int, runs: int) -> None:
    """Print bytes and server time of one live update: SSE delta vs device-layer re-send."""
    hub = LiveHub(store, utc_now)  # not started: only its build step is timed
    states = changed_states(store, changed)
    n_devices = len(Atlas(store).geo().devices)
    print(f"store: {store.url}  devices: {n_devices:,}  changed per update: {len(states)}\n")
    d_times, d_body = timed(delta_update(hub, states), runs)
    r_times, r_body = timed(resend_update(store), max(runs // 3, 5))
    rows = [("SSE delta (event + scope + serialize)", d_times, *sizes(d_body)),
            (f"re-send device layer ({n_devices:,} rows)", r_times, *sizes(r_body))]
    print(f"{'per live update':<40} {'p50 ms':>8} {'p95 ms':>8} {'raw KB':>9} {'gzip KB':>8}")
    for name, times, raw, zipped in rows:
        print(f"{name:<40} {pct(times, 50):>8.2f} {pct(times, 95):>8.2f} {raw / 1024:>9.1f} "
              f"{zipped / 1024:>8.1f}")
    (_, dt, dr, dz), (_, rtimes, rr, rz) = rows
    wire = sse_wire(d_body)
    print(f"\non the wire: SSE message {wire / 1024:.1f} KB (gzip stream, sync flush per "
          f"message) vs re-send {rz / 1024:.1f} KB (Dash gzips responses): ×{rz / wire:.0f}")
    print(f"re-send / delta: raw bytes ×{rr / dr:.0f}, gzip bytes ×{rz / dz:.0f}, "
          f"server time ×{pct(rtimes, 50) / pct(dt, 50):.0f}")
    ok = dr / 1024 <= AIM_KB and min(rr / dr, rz / wire) >= AIM_RATIO
    print(f"aim ≤ {AIM_KB:.0f} KB and ≥ {AIM_RATIO:.0f}× fewer bytes: {'met' if ok else 'MISSED'}")


def e2e_report(store, db_url: str, readings: int, gap: float) -> None:
    """Print POST → SSE event latency over ``readings`` fault readings of normal devices."""
    normal = store.read_records("device_status", where={"state": "normal"})["device_id"]
    devices = list(normal.sample(readings, random_state=4))  # a fault is a change
    e2e = end_to_end(db_url, devices, gap)
    print(f"\nreading POST → SSE event at the client ({len(e2e['latency'])} readings, "
          f"{gap}s apart):")
    for name in ("latency", "post"):
        label = "POST → event" if name == "latency" else "POST alone (response)"
        print(f"  {label:<24} p50 {pct(e2e[name], 50):7.1f} ms   "
              f"p95 {pct(e2e[name], 95):7.1f} ms   max {max(e2e[name]):7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a seeded store (default: seed a temporary one)")
    parser.add_argument("--changed", type=int, default=200)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--readings", type=int, default=60)
    parser.add_argument("--gap", type=float, default=0.3)
    parser.add_argument("--no-http", action="store_true")
    args = parser.parse_args()
    db_url = args.db or seeded_db()
    store = open_store(db_url)
    per_update(store, args.changed, args.runs)
    if not args.no_http:
        e2e_report(store, db_url, args.readings, args.gap)


if __name__ == "__main__":
    main()
