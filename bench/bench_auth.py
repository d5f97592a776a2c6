"""Bench what sign-in costs a neighborhood switch: server time per callback, with and without.

    python bench/bench_auth.py [--db sqlite:////path.db] [--runs 60]

With no ``--db`` it seeds a temporary store from geodata/ (25k devices). The same app code
answers both sides, in-process through the whole ASGI stack (no network), for the same
``POST /_dash-update-component`` bodies of a neighborhood switch (map data, map view, summary,
feed, incident table — what the desk asks for when the neighborhood changes):

* **without**: the app with its auth middleware taken out and a fixed district-wide caller set
  instead (what the screens did before people signed in);
* **with**: the app as served — session cookie resolved in the store (and the idle clock moved
  on), CSRF checked, the viewer's scope narrowing every callback — signed in as a commander
  and as an officer switching between the neighborhoods of their own subdistrict.

It prints p50/p95 per callback and per whole switch, the difference, and what one sign-in
(argon2) takes, which a session pays once.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from twin_dashboard.app import create_app, services_of_app
from twin_dashboard.auth.context import Caller, reset_caller, set_caller
from twin_dashboard.auth.middleware import AuthMiddleware
from twin_dashboard.config import GEODATA_DIR, Settings
from twin_dashboard.domain.access import Viewer
from twin_dashboard.layouts import ids
from twin_dashboard.store.base import open_store
from twin_dashboard.testing import add_user, sign_in

OUTPUTS = [f"{ids.MAP_DATA}.data", f"{ids.MAP_VIEW}.data", f"{ids.SUMMARY}.data",
           f"..{ids.ALARM_FEED}.children...{ids.INBOX_COUNT}.children..",
           f"{ids.INCIDENT_TABLE}.data"]
LIMIT_MS = 5.0


class FixedCaller:
    """ASGI middleware standing in for sign-in: every request is the district's commander."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.caller = Caller(Viewer("bench", "commander"), "token")

    async def __call__(self, scope, receive, send) -> None:
        token = set_caller(self.caller)
        try:
            await self.app(scope, receive, send)
        finally:
            reset_caller(token)


def p(times: list[float], q: int) -> float:
    return statistics.quantiles(times, n=100, method="inclusive")[q - 1]


def body(app, output: str, neighborhood: str) -> dict[str, Any]:
    spec = app.callback_map[output]
    values = {(ids.SELECTION, "data"): {"subdistrict": None, "neighborhood": neighborhood},
              (ids.SCREEN, "data"): {"screen": "desk", "lang": "zh"},
              (ids.CLOCK, "n_intervals"): 1, (ids.MAP_MODE, "value"): "3d"}

    def args(items: list[dict]) -> list[dict]:
        return [{"id": i["id"], "property": i["property"],
                 "value": values.get((i["id"], i["property"]))} for i in items]

    outs = [{"id": o.split(".")[0], "property": o.split(".")[1]}
            for o in output.strip(".").split("...")]
    return {"output": output, "outputs": outs if len(outs) > 1 else outs[0],
            "inputs": args(spec["inputs"]), "state": args(spec.get("state", [])),
            "changedPropIds": [f"{ids.SELECTION}.data"]}


def switches(client: TestClient, app, hoods: list[str], runs: int) -> dict[str, list[float]]:
    """Milliseconds per callback and per whole switch, over ``runs`` switches (2 warm-up)."""
    times: dict[str, list[float]] = {o: [] for o in [*OUTPUTS, "switch"]}
    for i in range(runs + 2):
        hood = hoods[i % len(hoods)]
        total = 0.0
        for output in OUTPUTS:
            start = time.perf_counter()
            response = client.post("/_dash-update-component", json=body(app, output, hood))
            elapsed = (time.perf_counter() - start) * 1000
            assert response.status_code in (200, 204), response.text[:300]
            total += elapsed
            if i >= 2:
                times[output].append(elapsed)
        if i >= 2:
            times["switch"].append(total)
    return times


def without_auth(db_url: str):
    app = create_app(Settings(db_url=db_url, simulate=False), seed=False)
    server = app.server
    server.user_middleware = [m for m in server.user_middleware if m.cls is not AuthMiddleware]
    server.add_middleware(FixedCaller)
    return app


def seeded_db() -> str:
    from twin_dashboard.seed import seed_store

    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='bench-auth-')) / 'twin.db'}"
    seed_store(open_store(url), GEODATA_DIR)
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a seeded store (default: seed a temporary one)")
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    db_url = args.db or seeded_db()
    plain = without_auth(db_url)
    signed = create_app(Settings(db_url=db_url, simulate=False), seed=False)
    store = services_of_app(signed).store
    places = services_of_app(signed).atlas.places()
    officer_sub = "beiwaitan"
    for name, role, area in (("bench-commander", "commander", {}),
                             ("bench-officer", "officer", {"subdistrict": officer_sub})):
        if store.accounts.user(name) is None:
            add_user(store, name, role, **area)
    hoods = list(places.neighborhoods)
    own = places.children(officer_sub)
    print(f"store: {db_url}  neighborhoods: {len(hoods)}  runs: {args.runs}\n")

    results: dict[str, dict[str, list[float]]] = {}
    with TestClient(plain.server) as client:
        results["without checks"] = switches(client, plain, hoods, args.runs)
    sign_ms = []
    for who, cycle in (("bench-commander", hoods), ("bench-officer", own)):
        with TestClient(signed.server) as client:
            start = time.perf_counter()
            sign_in(client, who)
            sign_ms.append((time.perf_counter() - start) * 1000)
            results[f"with checks ({who.removeprefix('bench-')})"] = switches(
                client, signed, cycle, args.runs)
    with TestClient(plain.server) as client:  # again, so a warmer cache favours neither side
        again = switches(client, plain, hoods, args.runs)
        for key, values in again.items():
            results["without checks"][key] += values

    print(f"{'server time per callback (ms)':<44}" + "".join(f"{k:>26}" for k in results))
    for output in [*OUTPUTS, "switch"]:
        cells = "".join(f"{p(r[output], 50):>12.1f} p50 {p(r[output], 95):>7.1f} p95"
                        for r in results.values())
        print(f"{output.strip('.'):<44}{cells}")
    base = p(results["without checks"]["switch"], 50)
    print()
    worst = 0.0
    for name, r in results.items():
        if name.startswith("with "):
            added = p(r["switch"], 50) - base
            worst = max(worst, added)
            print(f"{name}: +{added:.2f} ms p50 per neighborhood switch "
                  f"({len(OUTPUTS)} callbacks; +{added / len(OUTPUTS):.2f} ms each)")
    print(f"one sign-in (POST /login, argon2): {statistics.median(sign_ms):.0f} ms, once per "
          "session")
    verdict = "within" if worst <= LIMIT_MS else "OVER"
    print(f"\n{verdict} the {LIMIT_MS:g} ms budget: +{worst:.2f} ms p50 at worst")


if __name__ == "__main__":
    main()
