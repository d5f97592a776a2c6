"""Bench the twin map: server time and bytes of the first map and of a neighborhood switch.

    python bench/bench_map.py [--db sqlite:////path.db] [--runs 30] [--no-http]

With no ``--db`` it seeds a temporary store from geodata/ (25k devices). Measured side by side
in the same run:

* ours, by calling the callback functions directly and (unless ``--no-http``) through
  ``POST /_dash-update-component`` against a ``twin-dashboard serve`` subprocess;
* the naive way: a Streamlit + pydeck app re-sending ``pydeck.Deck(...).to_json()`` with all
  layers (base board and every device as one object each) on every switch — what
  ``st.pydeck_chart`` sends. Streamlit itself is not needed to measure that payload.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from twin_dashboard.app import build_services
from twin_dashboard.config import GEODATA_DIR, Settings
from twin_dashboard.domain import overlays as ov
from twin_dashboard.domain.places import MapScope
from twin_dashboard.services import Services
from twin_dashboard.store.base import open_store
from twin_dashboard.testing import bench_account, free_port, sign_in, timed


def p(times: list[float], q: float) -> float:
    return statistics.quantiles(times, n=100, method="inclusive")[int(q) - 1] if len(times) > 1 \
        else times[0]


def sizes(text: str | bytes) -> tuple[int, int]:
    raw = text.encode() if isinstance(text, str) else text
    return len(raw), len(gzip.compress(raw, 6))


def dash_json(value: Any) -> str:
    """What Dash writes for a value (plotly's encoder, orjson when installed)."""
    from dash._utils import to_json

    return to_json(value)


# --- ours ------------------------------------------------------------------------------------

def ours_initial(services: Services, screen: str = "desk", lang: str = "zh") -> str:
    """The map part of a page's layout: spec (cached per app) + overlays + camera."""
    from twin_dashboard.callbacks.map import first_paint
    from twin_dashboard.layouts.map_panel import map_panel

    return dash_json(map_panel(screen, lang, first_paint(services, MapScope(), screen, lang)))


def ours_switch(services: Services, hoods: list[str]) -> Callable[[], str]:
    from twin_dashboard.callbacks.map import map_data, map_view

    cycle = iter(hoods * 1000)
    places = services.atlas.places()

    def switch() -> str:
        scope = places.resolve(None, next(cycle))
        data = map_data(services, scope, list(ov.OVERLAYS), "desk", "zh")
        view = map_view(services, scope, "3d", "desk")
        return dash_json({"multi": True, "response": {"map-data": {"data": data},
                                                      "map-view": {"data": view}}})

    return switch


# --- the naive way ---------------------------------------------------------------------------

def naive_layers(services: Services, now: pd.Timestamp) -> Callable[[str], str]:
    """A Streamlit+pydeck app: every layer rebuilt as row objects and ``to_json`` per switch."""
    import pydeck as pdk

    store, geo = services.store, services.atlas.geo()

    def polygons(frame) -> list[dict]:
        out = []
        for row, geom in zip(frame.drop(columns="geometry").to_dict("records"),
                             frame.geometry, strict=True):
            for part in getattr(geom, "geoms", [geom]):
                out.append({**{k: v for k, v in row.items() if k != "props"},
                            "polygon": [list(c) for c in part.exterior.coords]})
        return out

    base = {name: polygons(geo.layers[name]) for name in
            ("landcover", "subdistricts", "neighborhoods", "buildings", "patrol_zones")}
    roads = [{"path": [list(c) for c in g.coords]} for g in geo.layers["roads"].geometry
             if g.geom_type == "LineString"]

    def deck(neighborhood: str) -> str:
        over = services.atlas.overlays(MapScope(), now)
        states = ov.scoped_states(store, geo, MapScope(), now)  # every device, as objects
        devices = states[["id", "category", "state", "lon", "lat"]].to_dict("records")
        layers = [pdk.Layer("PolygonLayer", base[n], get_polygon="polygon", id=n)
                  for n in ("landcover", "subdistricts", "neighborhoods", "patrol_zones")]
        layers += [pdk.Layer("PathLayer", roads, get_path="path", id="roads"),
                   pdk.Layer("PolygonLayer", base["buildings"], get_polygon="polygon",
                             extruded=True, get_elevation="floors * 3", id="buildings"),
                   pdk.Layer("ScatterplotLayer", devices, get_position=["lon", "lat"],
                             get_fill_color=[46, 204, 113], id="devices"),
                   pdk.Layer("ScatterplotLayer", over.incidents[["id", "level", "lon", "lat"]]
                             .to_dict("records"), get_position=["lon", "lat"], id="incidents"),
                   pdk.Layer("ScatterplotLayer", over.alarms[["id", "severity", "lon", "lat"]]
                             .to_dict("records"), get_position=["lon", "lat"], id="alarms")]
        bounds = ov.scope_bounds(geo, geo.places.resolve(None, neighborhood))
        view = pdk.ViewState(longitude=(bounds[0] + bounds[2]) / 2,
                             latitude=(bounds[1] + bounds[3]) / 2, zoom=16, pitch=40)
        return pdk.Deck(layers=layers, initial_view_state=view, map_provider=None,
                        map_style=None).to_json()

    return deck


# --- over HTTP -------------------------------------------------------------------------------

def http_switch(db_url: str, hoods: list[str], runs: int) -> dict[str, Any]:
    """POST the map-data and map-view callbacks to a served app, as the browser does."""
    import httpx

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "twin_dashboard", "serve", "--port",
                             str(port), "--db", db_url, "--no-simulate"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(timeout=60) as client:
            _wait(client, base, proc)
            sign_in(client, bench_account(db_url))  # the switch as a signed-in commander
            deps = client.get(f"{base}/_dash-dependencies").json()
            bodies = [_body(deps, output, hood) for hood in hoods
                      for output in ("map-data.data", "map-view.data")]
            times, raw, wire = [], [], []
            for i in range(runs + 2):
                pair = bodies[(2 * i) % len(bodies)], bodies[(2 * i + 1) % len(bodies)]
                start = time.perf_counter()
                responses = [client.post(f"{base}/_dash-update-component", json=b,
                                         headers={"Accept-Encoding": "gzip"}) for b in pair]
                elapsed = (time.perf_counter() - start) * 1000
                if i >= 2:  # warm-up
                    times.append(elapsed)
                    raw.append(sum(len(r.content) for r in responses))
                    wire.append(sum(r.num_bytes_downloaded for r in responses))
            return {"times": times, "raw": statistics.median(raw), "gzip": statistics.median(wire)}
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _wait(client, base: str, proc: subprocess.Popen) -> None:
    for _ in range(240):
        if proc.poll() is not None:
            raise RuntimeError("the server exited")
        try:
            if client.get(f"{base}/healthz").status_code == 200:
                client.get(f"{base}/")  # Dash sets up on its first own request
                return
        except httpx_errors():
            pass
        time.sleep(0.5)
    raise RuntimeError("the server did not start")


def httpx_errors() -> tuple[type[Exception], ...]:
    import httpx

    return (httpx.TransportError,)


def _body(deps: list[dict], output: str, hood: str) -> dict[str, Any]:
    spec = next(d for d in deps if d["output"] == output)
    values = {"selection.data": {"subdistrict": None, "neighborhood": hood},
              "map-layers.value": list(ov.OVERLAYS), "map-mode.value": "3d",
              "screen.data": {"screen": "desk", "lang": "zh"}}

    def args(items: list[dict]) -> list[dict]:
        return [{**i, "value": values.get(f"{i['id']}.{i['property']}")} for i in items]

    out_id, prop = output.split(".")
    return {"output": output, "outputs": {"id": out_id, "property": prop},
            "inputs": args(spec["inputs"]), "state": args(spec["state"]),
            "changedPropIds": ["selection.data"]}


# --- the table -------------------------------------------------------------------------------

def row(name: str, times: list[float], raw: int, zipped: int) -> dict[str, Any]:
    return {"what": name, "p50_ms": p(times, 50), "p95_ms": p(times, 95), "runs": len(times),
            "raw_kb": raw / 1024, "gzip_kb": zipped / 1024}


def print_table(rows: list[dict[str, Any]], pairs: list[tuple[str, str]]) -> None:
    print(f"{'what':<44} {'p50 ms':>9} {'p95 ms':>9} {'runs':>5} {'raw KB':>10} {'gzip KB':>9}")
    for r in rows:
        print(f"{r['what']:<44} {r['p50_ms']:>9.1f} {r['p95_ms']:>9.1f} {r['runs']:>5} "
              f"{r['raw_kb']:>10.1f} {r['gzip_kb']:>9.1f}")
    by = {r["what"]: r for r in rows}
    print("\nnaive / ours (higher is better for ours):")
    for naive, ours in pairs:
        if naive in by and ours in by:
            a, b = by[naive], by[ours]
            print(f"  {ours:<42} time ×{a['p50_ms'] / b['p50_ms']:.0f}   "
                  f"raw bytes ×{a['raw_kb'] / b['raw_kb']:.0f}   "
                  f"gzip bytes ×{a['gzip_kb'] / b['gzip_kb']:.0f}")


def seeded_db(geodata: Path) -> str:
    from twin_dashboard.seed import seed_store

    path = Path(tempfile.mkdtemp(prefix="bench-map-")) / "twin.db"
    url = f"sqlite:///{path}"
    seed_store(open_store(url), geodata)
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a seeded store (default: seed a temporary one)")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--no-http", action="store_true")
    args = parser.parse_args()
    db_url = args.db or seeded_db(GEODATA_DIR)
    services = build_services(Settings(db_url=db_url), seed=False)
    now = services.now()
    geo = services.atlas.geo()
    hoods = geo.layers["neighborhoods"]["id"].tolist()
    print(f"store: {db_url}  devices: {len(geo.devices):,}  buildings: "
          f"{len(geo.layers['buildings']):,}  neighborhoods: {len(hoods)}\n")

    def cold_initial() -> str:
        services.atlas.clear()
        services.specs.clear()
        return ours_initial(services)

    rows = []
    cold, text = timed(cold_initial, max(args.runs // 3, 5))
    rows.append(row("ours: first map (cold: nothing cached)", cold, *sizes(text)))
    warm, text = timed(lambda: ours_initial(services), args.runs)
    rows.append(row("ours: first map (per page, spec cached)", warm, *sizes(text)))
    times, text = timed(ours_switch(services, hoods), args.runs)
    rows.append(row("ours: neighborhood switch (callbacks)", times, *sizes(text)))
    if not args.no_http:
        http = http_switch(db_url, hoods, args.runs)
        rows.append(row("ours: neighborhood switch (HTTP POST x2)", http["times"], http["raw"],
                        http["gzip"]))
    naive = naive_layers(services, now)
    cycle = iter(hoods * 1000)
    times, text = timed(lambda: naive(next(cycle)), args.runs)
    rows.append(row("naive: pydeck to_json, all layers, per switch", times, *sizes(text)))
    print_table(rows, [("naive: pydeck to_json, all layers, per switch",
                        "ours: neighborhood switch (callbacks)"),
                       ("naive: pydeck to_json, all layers, per switch",
                        "ours: first map (per page, spec cached)")])
    if os.environ.get("BENCH_JSON"):
        Path(os.environ["BENCH_JSON"]).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
