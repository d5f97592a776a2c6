"""Bench the map at city scale: 25k vs 250k devices, side by side in one run.

    python bench/bench_scale.py [--devices 250000] [--db25 URL] [--db250 URL] [--runs 20]
                                [--changed 200]

Without ``--db25``/``--db250`` it builds both stores first: the demo district from geodata/
(25k devices) and ``generate-demo --devices N`` into a temporary folder, each seeded into a
temporary SQLite file (about a minute for 250k). Then, per store, server-side as the callbacks
run (``callbacks/map.py``; serialized as Dash does) — the style of bench_map.py:

* neighborhood switch: ``MAP_DATA`` + ``MAP_VIEW`` of the next neighborhood (every overlay);
* district first map: the map part of a page (base board cached per app, the district's
  overlays: per-neighborhood columns + the notable devices), device states read afresh; and
  the same within ``DISTRICT_STATES_TTL_S`` of another page's read (states shared);
* zoomed in at district scope: ``MAP_DETAIL``, the devices in a neighborhood-sized view;
* live update: the SSE event of ``--changed`` device changes (bench_live.py's ``delta_update``).

and prints each figure at 25k and 250k, the ratio and the issue's target (issue 11: switch
≤ 2×, district first map ≤ 2×, live update ≤ 1.5× in time and bytes).
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_live import changed_states, delta_update
from bench_map import dash_json, ours_initial, ours_switch, p, seeded_db, sizes

from twin_dashboard.app import build_services
from twin_dashboard.config import GEODATA_DIR, Settings
from twin_dashboard.domain.places import MapScope
from twin_dashboard.domain.time import utc_now
from twin_dashboard.live.hub import LiveHub
from twin_dashboard.services import Services
from twin_dashboard.testing import timed

# figure -> the bound on 250k / 25k (time and bytes)
TARGETS: dict[str, float] = {"neighborhood switch": 2.0, "district first map": 2.0,
                             "live update": 1.5}


def generated_db(devices: int) -> str:
    """A temporary store of the demo district with about ``devices`` devices."""
    from twin_dashboard.geo.demo import generate

    out = Path(tempfile.mkdtemp(prefix="bench-scale-")) / "geodata"
    generate(out, devices=devices)
    return seeded_db(out)


def district_first_map(services: Services) -> Callable[[], str]:
    """A page's map with the district's states read afresh (the base board stays cached)."""

    def run() -> str:
        services.atlas._states.clear()  # noqa: SLF001 - every page load after the TTL
        services.atlas._district.clear()  # noqa: SLF001
        return ours_initial(services)

    return run


def zoomed_detail(services: Services) -> Callable[[], str]:
    """``MAP_DETAIL`` for a view of about one neighborhood's size around each in turn."""
    from twin_dashboard.callbacks.map import map_detail

    hoods = services.atlas.geo().layers["neighborhoods"]
    points = hoods.geometry.representative_point()
    cycle = iter(list(zip(points.x, points.y, strict=True)) * 1000)

    def run() -> str:
        lon, lat = next(cycle)
        ask = {"bounds": [lon - 0.006, lat - 0.005, lon + 0.006, lat + 0.005]}
        return dash_json(map_detail(services, MapScope(), ask, None, "desk", "zh"))

    return run


def measure(db_url: str, runs: int, changed: int) -> dict[str, dict[str, Any]]:
    services = build_services(Settings(db_url=db_url), seed=False)
    geo = services.atlas.geo()
    hoods = geo.layers["neighborhoods"]["id"].tolist()
    hub = LiveHub(services.store, utc_now)  # not started: only its build step is timed
    cases: dict[str, tuple[Callable[[], Any], int]] = {
        "neighborhood switch": (ours_switch(services, hoods), runs),
        "district first map": (district_first_map(services), max(runs // 2, 5)),
        "  … states shared": (lambda: ours_initial(services), runs),
        "zoomed-in detail": (zoomed_detail(services), runs),
        "live update": (delta_update(hub, changed_states(services.store, changed)), runs),
    }
    out: dict[str, dict[str, Any]] = {"_": {"devices": len(geo.devices)}}
    for name, (fn, n) in cases.items():
        times, body = timed(fn, n)
        raw, zipped = sizes(body)
        out[name] = {"p50": p(times, 50), "p95": p(times, 95), "raw": raw, "gzip": zipped}
    services.close()
    return out


def report(small: dict[str, dict[str, Any]], large: dict[str, dict[str, Any]]) -> None:
    n1, n2 = small["_"]["devices"], large["_"]["devices"]
    print(f"{'':<22} {'p50 ms':>17} {'p95 ms':>17} {'raw KB':>19} {'gzip KB':>17}  ratio "
          f"time/bytes  target")
    print(f"{'':<22} {n1:>8,} {n2:>8,} {n1:>8,} {n2:>8,} {n1:>9,} {n2:>9,} {n1:>8,} {n2:>8,}")
    for name in (k for k in small if k != "_"):
        a, b = small[name], large[name]
        time_x, bytes_x = b["p50"] / a["p50"], b["gzip"] / max(a["gzip"], 1)
        bound = TARGETS.get(name)
        verdict = "" if bound is None else (
            f"≤{bound:g}× {'met' if time_x <= bound and bytes_x <= bound else 'MISSED'}")
        print(f"{name:<22} {a['p50']:>8.1f} {b['p50']:>8.1f} {a['p95']:>8.1f} {b['p95']:>8.1f} "
              f"{a['raw'] / 1024:>9.1f} {b['raw'] / 1024:>9.1f} {a['gzip'] / 1024:>8.1f} "
              f"{b['gzip'] / 1024:>8.1f}  ×{time_x:.2f}/×{bytes_x:.2f}  {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=250_000)
    parser.add_argument("--db25", help="a seeded 25k store (default: seed geodata/)")
    parser.add_argument("--db250", help="a seeded large store (default: generate one)")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--changed", type=int, default=200, help="device changes per update")
    args = parser.parse_args()
    small_url = args.db25 or seeded_db(GEODATA_DIR)
    large_url = args.db250 or generated_db(args.devices)
    print(f"stores: {small_url}  {large_url}  (changed per live update: {args.changed})\n")
    report(measure(small_url, args.runs, args.changed),
           measure(large_url, args.runs, args.changed))


if __name__ == "__main__":
    main()
