"""The app factory: one Dash app (FastAPI backend) with the API beside it on the same server."""

from __future__ import annotations

import asyncio
import inspect
import logging

import dash
import pydeck
import uvicorn
from fastapi import FastAPI

from twin_dashboard import runtime as rt
from twin_dashboard.api import register_api
from twin_dashboard.callbacks import register_all
from twin_dashboard.config import ASSETS_DIR, Settings
from twin_dashboard.i18n import t
from twin_dashboard.layouts.pages import register_pages
from twin_dashboard.store.base import open_store
from twin_dashboard.vendor import DECK_SCRIPT_URL, register_vendor

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, seed: bool = True) -> dash.Dash:
    """Build the app on ``settings``' store, seeding an empty store from geodata/ first."""
    settings = settings or Settings()
    store = open_store(settings.db_url)
    if seed:
        from twin_dashboard.seed import ensure_seeded

        report = ensure_seeded(store, settings.geodata_dir)
        if report is not None:
            log.info("seeded an empty store: %s", report)
    rt.bind(rt.Runtime(settings=settings, store=store))

    # Our own FastAPI instance so the API's OpenAPI document sits where DESIGN.md §4 says.
    server = FastAPI(title="twin-dashboard API", version="1",
                     openapi_url="/api/v1/openapi.json", docs_url=None, redoc_url=None)
    register_vendor(server)
    register_api(server)  # before Dash adds its catch-all route
    app = dash.Dash(
        __name__,
        server=server,
        use_pages=True,
        pages_folder="",
        assets_folder=str(ASSETS_DIR),
        serve_locally=True,
        compress=True,
        suppress_callback_exceptions=True,
        external_scripts=[DECK_SCRIPT_URL],
        title=t("app.title"),
        update_title=None,
    )
    register_pages()
    register_all(app)
    _run_first_request_hooks(app)
    return app


def _run_first_request_hooks(app: dash.Dash) -> None:
    """Run Dash's once-only set-up now rather than on the first request to / or /_dash-*.

    The FastAPI backend reads assets/ and registers the pages router in those hooks, so a
    first visit straight to /wall would otherwise get no CSS and a broken router callback.
    """
    for hook in list(app.backend._before_request_funcs):
        result = hook()
        if inspect.iscoroutine(result):
            asyncio.run(result)


def run(settings: Settings) -> None:
    """``twin-dashboard serve``: build the app and serve it with uvicorn."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    app = create_app(settings)
    log.info("serving on http://%s:%s (pydeck %s)", settings.host, settings.port,
             pydeck.__version__)
    from twin_dashboard.live import start_live

    stop_live = start_live(rt.runtime())  # rules ticker, simulator, MQTT as configured
    try:
        uvicorn.run(app.server, host=settings.host, port=settings.port, log_level="warning",
                    timeout_graceful_shutdown=5)  # open event streams must not hold exit
    finally:
        stop_live()
