"""Bench first paint against its floor: time to a painted map and bytes, side by side in one
headless Chromium.

    python bench/bench_paint.py [--runs 5] [--db sqlite:////path.db] [--screens wall,desk]

Serves the app in-process on a free loopback port (``--test-hooks``, so pages expose
``window.twinMap``) over a store seeded from geodata/ (25k devices), plus three bench-only
paths beside it, under ``/_floor/``: a bare HTML page that loads the same deck.gl bundle
(``/vendor/…/deck.js``) and ``assets/twin_map.js``, fetches the same first paint the screen
embeds (base board, overlays and camera of ``callbacks.map.first_paint``, JSON as Dash encodes
it, gzip-compressed)
the moment the page starts, and draws it. That page is the **floor**: what deck.gl itself costs
to paint the same layers from the same data, with no Dash, no plotly, no other script.

One Chromium (SwiftShader WebGL, every host but ours unresolvable, HTTP cache off) signs in
once and then loads, in turn, each screen and its floor, ``--runs`` times (after one unrecorded
warm-up of each). Time to painted map = navigation start to the first frame deck.gl drew with
data (``window.twinMap.status().drawnAt``, set by twin_map.js's ``onAfterRender``). Bytes = the
transfer sizes (compressed, with headers) of the document and every resource the page loaded
until its callbacks were done, by kind. Prints medians and the screen / floor ratio (the aim:
≤ 1.5×, issue 11).
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from plotly.io.json import to_json_plotly

from twin_dashboard.app import create_app, services_of_app
from twin_dashboard.callbacks.map import first_paint
from twin_dashboard.config import Settings
from twin_dashboard.domain.access import Viewer
from twin_dashboard.i18n import lang_of
from twin_dashboard.testing import bench_account, free_port, sign_in_driver, wait_healthy
from twin_dashboard.vendor import DECK_SCRIPT_URL

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from conftest import CHROMEDRIVER, DASH_IDLE, chrome_options  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import TimeoutException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

# screen -> its page (the scope the floor draws is the same query's)
SCREENS: dict[str, str] = {
    "wall": "/wall",
    "desk": "/desk",
    "tablet": "/tablet?neighborhood=yunfang",
}
SIZE = (1920, 1080)  # one window for all: the floor and its screen see the same canvas size
PAINT_TIMEOUT_S = 180
FLOOR = "/_floor"

# The floor page: the fetch starts before the 4 MB bundle is even requested; twin_map.js draws
# exactly as on a screen (its `render` callback, the same client config, the same ids).
FLOOR_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><title>floor</title>
<link rel="stylesheet" href="/assets/twin_map.css">
<link rel="stylesheet" href="{floor}/floor.css">
<script src="{floor}/floor.js"></script>
<script src="{deck}"></script>
<script src="/assets/twin_map.js"></script>
</head><body>
<div id="twin-map" class="twin-map"><div class="twin-map-canvas"></div></div>
</body></html>
"""
FLOOR_CSS = "html, body { margin: 0; height: 100%; } #twin-map { position: absolute; inset: 0; }"
FLOOR_JS = """
(function () {
  var paint = fetch("FLOOR/paint.json" + window.location.search).then(function (r) {
    return r.json();
  });
  document.addEventListener("DOMContentLoaded", function () {
    paint.then(function (p) {
      window.dash_clientside.twin_map.render(p.spec, p.data, p.view,
                                             {ids: {map: "twin-map"}, test_hooks: true});
    });
  });
})();
""".replace("FLOOR", FLOOR)


def floor_app(paint_of: Callable[[str, str | None, str | None], dict[str, Any]]) -> FastAPI:
    """The bench-only pages under ``/_floor/``; ``paint_of(screen, neighborhood, lang)``."""
    floor = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @floor.get(f"{FLOOR}/page")
    def page() -> HTMLResponse:
        return HTMLResponse(FLOOR_HTML.format(floor=FLOOR, deck=DECK_SCRIPT_URL))

    @floor.get(f"{FLOOR}/floor.js")
    def script() -> Response:
        return Response(FLOOR_JS, media_type="text/javascript")

    @floor.get(f"{FLOOR}/floor.css")
    def style() -> Response:
        return Response(FLOOR_CSS, media_type="text/css")

    @floor.get(f"{FLOOR}/paint.json")
    def paint(screen: str = "wall", neighborhood: str | None = None,
              lang: str | None = None) -> Response:
        body = gzip.compress(to_json_plotly(paint_of(screen, neighborhood, lang)).encode(), 5)
        return Response(body, media_type="application/json",
                        headers={"Content-Encoding": "gzip", "Cache-Control": "no-store"})

    return floor


def serve(db_url: str, user: str) -> tuple[str, Callable[[], None]]:
    """The app (as ``serve --no-simulate --test-hooks`` builds it) with the floor beside it."""
    app = create_app(Settings(db_url=db_url, simulate=False, test_hooks=True))
    services = services_of_app(app)
    viewer = Viewer(user, "commander")

    def paint_of(screen: str, neighborhood: str | None, lang: str | None) -> dict[str, Any]:
        lang = lang_of(lang)
        scope = viewer.narrow(services.atlas.places(lang), None, neighborhood)
        made = first_paint(services, scope, screen, lang)
        return {"spec": made.spec, "data": made.data, "view": made.view}

    floor = floor_app(paint_of)

    async def asgi(scope, receive, send) -> None:
        bench_only = scope["type"] == "http" and scope["path"].startswith(FLOOR + "/")
        await (floor if bench_only else app.server)(scope, receive, send)

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(asgi, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    wait_healthy(base, timeout_s=60)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=15)
        services.close()

    return base, stop


def floor_path(screen: str) -> str:
    path = SCREENS[screen]
    query = path.split("?", 1)[1] if "?" in path else ""
    return f"{FLOOR}/page?screen={screen}" + (f"&{query}" if query else "")


RESOURCES_JS = """
const nav = performance.getEntriesByType('navigation')[0];
return [[nav.name, 'navigation', nav.transferSize]].concat(
  performance.getEntriesByType('resource').map(e => [e.name, e.initiatorType, e.transferSize]));
"""


def kind_of(url: str, initiator: str) -> str:
    """A resource's kind for the bytes table."""
    path = url.split("?", 1)[0]
    if initiator == "navigation":
        return "html"
    if "plotly" in path:
        return "plotly"
    if path.endswith(DECK_SCRIPT_URL):
        return "deck.gl"
    if path.endswith(".js"):
        return "other js"
    if path.endswith(".css"):
        return "css"
    if initiator in ("fetch", "xmlhttprequest"):
        return "data"
    return "other"


KINDS = ("html", "deck.gl", "plotly", "other js", "css", "data", "other")


def measure(driver: webdriver.Chrome, url: str, dash: bool) -> dict[str, float]:
    """Load ``url`` cold; time to painted map (ms) and bytes by kind (KB)."""
    driver.get("about:blank")
    driver.get(url)
    # A main thread busy with the first frame may time a script out: that counts as "not yet".
    wait = WebDriverWait(driver, PAINT_TIMEOUT_S, poll_frequency=0.05,
                         ignored_exceptions=[TimeoutException])
    wait.until(lambda d: d.execute_script(
        "return window.twinMap && window.twinMap.status().drawnAt"))
    status = driver.execute_script("return window.twinMap.status()")
    if dash:  # the page's bytes: until its callbacks (and the charts' plotly) are done
        wait.until(lambda d: d.execute_script(f"return {DASH_IDLE}"))
    time.sleep(1.0)
    kb = dict.fromkeys(KINDS, 0.0)
    for name, initiator, size in driver.execute_script(RESOURCES_JS):
        kb[kind_of(name, initiator)] += size / 1024
    return {"painted_ms": float(status["drawnAt"]), "created_ms": float(status["createdAt"]),
            **{f"kb:{k}": v for k, v in kb.items()}, "kb:total": sum(kb.values())}


def seeded(tmp: Path) -> str:
    from twin_dashboard.seed import ensure_seeded
    from twin_dashboard.store.base import open_store

    db_url = f"sqlite:///{tmp / 'bench.db'}"
    store = open_store(db_url)
    try:
        ensure_seeded(store, Settings().geodata_dir)
    finally:
        store.close()
    return db_url


def median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def report(results: dict[str, list[dict[str, float]]], screens: list[str]) -> None:
    print(f"\n{'page':14s} {'painted ms p50':>15s} {'min':>7s} {'max':>7s} {'× floor':>8s} "
          f"{'deck made ms':>13s}")
    for screen in screens:
        floor = median(results[f"{screen} floor"], "painted_ms")
        for name in (f"{screen} floor", screen):
            paint = [r["painted_ms"] for r in results[name]]
            print(f"{name:14s} {statistics.median(paint):15.0f} {min(paint):7.0f} "
                  f"{max(paint):7.0f} {statistics.median(paint) / floor:8.2f} "
                  f"{median(results[name], 'created_ms'):13.0f}")
    print(f"\nbytes on the wire, KB (median): {'':1s}")
    print(f"{'page':14s} " + " ".join(f"{k:>9s}" for k in (*KINDS, "total")))
    for name in results:
        print(f"{name:14s} " + " ".join(f"{median(results[name], 'kb:' + k):9.0f}"
                                        for k in (*KINDS, "total")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", help="a seeded store (default: seed a temporary one)")
    parser.add_argument("--screens", default=",".join(SCREENS),
                        help="comma-separated, of: " + ", ".join(SCREENS))
    args = parser.parse_args()
    screens = [s for s in args.screens.split(",") if s]
    with tempfile.TemporaryDirectory() as tmp:
        db_url = args.db or seeded(Path(tmp))
        user = bench_account(db_url)
        base, stop = serve(db_url, user)
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=chrome_options(*SIZE))
        try:
            driver.set_page_load_timeout(PAINT_TIMEOUT_S)
            driver.set_script_timeout(PAINT_TIMEOUT_S)
            sign_in_driver(driver, base, user)
            driver.execute_cdp_cmd("Network.enable", {})
            driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
            pages = {name: (url, dash) for screen in screens for name, url, dash in (
                (f"{screen} floor", base + floor_path(screen), False),
                (screen, base + SCREENS[screen], True))}
            results: dict[str, list[dict[str, float]]] = {name: [] for name in pages}
            for run in range(args.runs + 1):  # run 0 warms the server's caches: not recorded
                for name, (url, dash) in pages.items():
                    figures = measure(driver, url, dash)
                    if run:
                        results[name].append(figures)
                    print(f"run {run} {name:14s} painted {figures['painted_ms']:6.0f} ms "
                          f"{figures['kb:total']:6.0f} KB", flush=True)
            report(results, screens)
        finally:
            driver.quit()
            stop()


if __name__ == "__main__":
    main()
