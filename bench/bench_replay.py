"""Bench time replay: a replay step as a delta vs re-sending the device layer per frame.

    python bench/bench_replay.py [--db sqlite:////path.db] [--target 200] [--starts 4]
                                 [--runs 3]

With no ``--db`` it seeds a temporary store from geodata/ (25k devices; its readings cover the
last ~5 days, most of them the last day). For each of ``--starts`` moments in the last day it
finds a step length with about ``--target`` device changes (doubling from one minute), then
times, per step:

* the delta a playing screen fetches (``domain.replay.replay_delta`` serialized as the API
  does: ``GET /api/v1/replay/delta``): server ms, raw and gzip bytes. "play" is a step whose
  ``from`` frame the previous step left in the frame cache (``Services.replay_frames``), as
  when playing; "seek" computes both frames (a jump of the slider);
* the naive way: the device states at the step's end and the whole device layer as the map
  gets it (``views.map_layers.device_points``, serialized as Dash does), per frame;
* ``summary_at`` (the KPIs and charts of the replayed moment), for reference.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson
import pandas as pd

from twin_dashboard.config import GEODATA_DIR
from twin_dashboard.domain.atlas import Atlas
from twin_dashboard.domain.devices import STATUS_COLUMNS, current_states
from twin_dashboard.domain.replay import FrameCache, StoreAt, replay_delta, summary_at
from twin_dashboard.domain.time import utc_now
from twin_dashboard.store.base import ALL, open_store

AIM_KB = 10.0  # the live-update budget: ≤ 10 KB per step for 200 changes


def seeded_db() -> str:
    from twin_dashboard.seed import seed_store

    path = Path(tempfile.mkdtemp(prefix="bench-replay-")) / "twin.db"
    url = f"sqlite:///{path}"
    seed_store(open_store(url), GEODATA_DIR)
    return url


def delta_bytes(store, start: pd.Timestamp, end: pd.Timestamp,
                cache: FrameCache | None = None) -> tuple[bytes, int]:
    step = replay_delta(store, ALL, start, end, cache)
    return orjson.dumps(step), len(step["states"])


def playing_step(store, start: pd.Timestamp, end: pd.Timestamp):
    """Time the step start → end after a step that ended at ``start`` (its frame cached)."""
    cache = FrameCache()
    delta_bytes(store, start - (end - start), start, cache)
    t = time.perf_counter()
    out = delta_bytes(store, start, end, cache)
    return (time.perf_counter() - t) * 1000, out


def naive_frame(store, geo, end: pd.Timestamp) -> bytes:
    """The whole device layer at ``end``, as the map's first paint sends it."""
    from dash._utils import to_json

    from twin_dashboard.views.map_layers import device_points

    status = StoreAt(store, end).read_columns("device_status", STATUS_COLUMNS, ALL)
    states = current_states(geo.devices, status, end)
    return to_json(device_points(states, "dark", "zh")).encode()  # type: ignore[arg-type]


def find_step(store, start: pd.Timestamp, target: int) -> pd.Timedelta:
    """The shortest doubling of one minute whose step has at least ``target`` changes."""
    length = pd.Timedelta(minutes=1)
    while length < pd.Timedelta(hours=12):
        if delta_bytes(store, start, start + length)[1] >= target:
            return length
        length *= 2
    return length


def timed(fn, runs: int) -> tuple[list[float], object]:
    times, out = [], None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t) * 1000)
    return times, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", help="sqlite:///… (default: a fresh 25k-device demo store)")
    parser.add_argument("--target", type=int, default=200, help="device changes per step")
    parser.add_argument("--starts", type=int, default=4, help="steps measured")
    parser.add_argument("--runs", type=int, default=3, help="timings per step")
    args = parser.parse_args()
    store = open_store(args.db or seeded_db())
    geo = Atlas(store).geo()
    now = utc_now()
    print(f"store: {store.url}  devices: {len(geo.devices):,}  now: {now.isoformat()}\n")
    print(f"{'step (from → length)':<24} {'changes':>7} | {'seek ms':>7} {'play ms':>7} "
          f"{'raw KB':>7} "
          f"{'gzip KB':>7} | {'re-send ms':>10} {'raw KB':>8} {'gzip KB':>7} | {'summary ms':>10}")
    rows = []
    for hours in np.linspace(20, 2, args.starts):
        start = (now - pd.Timedelta(hours=float(hours))).floor("s")
        length = find_step(store, start, args.target)
        end = start + length
        d_times, d_out = timed(lambda s=start, e=end: delta_bytes(store, s, e), args.runs)
        body, changes = d_out  # type: ignore[misc]
        p_times = [playing_step(store, start, end)[0] for _ in range(args.runs)]
        n_times, n_body = timed(lambda e=end: naive_frame(store, geo, e), args.runs)
        s_times, _ = timed(lambda e=end: summary_at(store, ALL, e), args.runs)
        row = (changes, statistics.median(d_times), len(body), len(gzip.compress(body, 6)),
               statistics.median(n_times), len(n_body), len(gzip.compress(n_body, 6)),  # type: ignore[arg-type]
               statistics.median(s_times), statistics.median(p_times))
        rows.append(row)
        label = f"-{hours:.1f} h → {int(length.total_seconds() // 60)} min"
        print(f"{label:<24} {row[0]:>7} | {row[1]:>7.0f} {row[8]:>7.0f} {row[2] / 1024:>7.1f} "
              f"{row[3] / 1024:>7.1f} | {row[4]:>10.0f} {row[5] / 1024:>8.0f} "
              f"{row[6] / 1024:>7.0f} | {row[7]:>10.0f}")
    per200 = [r[2] / r[0] * 200 / 1024 for r in rows if r[0]]
    print(f"\ndelta bytes per 200 changes: median {statistics.median(per200):.1f} KB raw "
          f"(budget {AIM_KB:.0f} KB); re-send / delta raw bytes: "
          f"×{statistics.median([r[5] / r[2] for r in rows]):.0f}")


if __name__ == "__main__":
    main()
