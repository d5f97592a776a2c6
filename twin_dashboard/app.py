"""The app factory: one Dash app (FastAPI backend) with the API beside it on the same server."""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
import json
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import dash
import pandas as pd
import pydeck
import uvicorn
from fastapi import FastAPI

from twin_dashboard.api import register_api
from twin_dashboard.api.contract import document
from twin_dashboard.api.hardening import HardenedDash, allowed_hosts, harden
from twin_dashboard.auth.middleware import CSRF_COOKIE, AuthMiddleware
from twin_dashboard.auth.routes import router as auth_router
from twin_dashboard.callbacks import register_all
from twin_dashboard.callbacks.pages import register_pages
from twin_dashboard.config import ASSETS_DIR, Settings
from twin_dashboard.domain.atlas import Atlas
from twin_dashboard.domain.ingest import Ingestor
from twin_dashboard.domain.time import utc_now
from twin_dashboard.i18n import t
from twin_dashboard.live.bus import open_bus
from twin_dashboard.live.hub import LiveHub
from twin_dashboard.services import Services, ServicesMiddleware
from twin_dashboard.store.base import StoreUnavailable, open_store
from twin_dashboard.vendor import DECK_SCRIPT_URL, PrecompressedBundles, register_vendor

log = logging.getLogger(__name__)


def build_services(settings: Settings, *, seed: bool = True,
                   clock: Callable[[], pd.Timestamp] = utc_now) -> Services:
    """Open the store (seeding an empty one from geodata/) and build what the app shares."""
    store = open_store(settings.db_url)
    if seed:
        from twin_dashboard.seed import ensure_seeded

        report = ensure_seeded(store, settings.geodata_dir)
        if report is not None:
            log.info("seeded an empty store: %s", report)
    return Services(settings=settings, store=store, atlas=Atlas(store),
                    ingestor=Ingestor(store, clock=clock, max_age=settings.max_reading_age),
                    hub=LiveHub(store, clock, open_bus(settings.bus_url)),
                    clock=clock)


def create_app(settings: Settings | None = None, *, seed: bool = True,
               clock: Callable[[], pd.Timestamp] = utc_now) -> dash.Dash:
    """Build the app on ``settings``' store, seeding an empty store from geodata/ first.

    ``clock`` (a callable returning a UTC timestamp) is what every part of the app calls "now";
    tests pass a ``twin_dashboard.testing.FixedClock``.
    """
    services = build_services(settings or Settings(), seed=seed, clock=clock)
    # Our own FastAPI instance so the API's OpenAPI document sits at /api/v1/openapi.json.
    server = FastAPI(title="twin-dashboard API", version="1",
                     openapi_url="/api/v1/openapi.json", docs_url=None, redoc_url=None)
    server.state.services = services
    server.add_middleware(PrecompressedBundles)  # innermost: behind auth, before Dash's gzip
    server.add_middleware(ServicesMiddleware, services=services)
    server.add_middleware(AuthMiddleware, services=services)  # outermost: who calls, first
    register_vendor(server)
    server.include_router(auth_router)  # /login, /logout, /kiosk/enrol/…
    register_api(server)  # before Dash adds its catch-all route
    document(server)  # after every API route: JSON 404/405 for the rest of /api/
    app = HardenedDash(
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
        csrf_token_name=CSRF_COOKIE,  # the renderer echoes it as X-CSRFToken (auth/)
    )
    register_pages()
    register_all(app, services)
    _run_first_request_hooks(app)
    harden(app, services.settings)  # last: CSP hashes of every inline script, outermost layer
    return app


def services_of_app(app: dash.Dash) -> Services:
    """The services an app was built with (tests, benchmarks, ``serve``)."""
    return app.server.state.services


def _run_first_request_hooks(app: dash.Dash) -> None:
    """Run Dash's once-only set-up now rather than on the first request to / or /_dash-*.

    The FastAPI backend reads assets/ and registers the pages router in those hooks, so a
    first visit straight to /wall would otherwise get no CSS and a broken router callback.
    """
    for hook in list(app.backend._before_request_funcs):
        result = hook()
        if inspect.iscoroutine(result):
            asyncio.run(result)


def warn_if_unwritable(services: Services) -> bool:
    """Log a warning when the store cannot take writes (``serve`` at start); True if so."""
    try:
        services.store.check_writable()
    except StoreUnavailable as err:
        log.warning("the store cannot take writes: %s — readings and alarm actions will answer "
                    "503 and /healthz will report it until it can", err)
        return True
    return False


def _demo_users(services: Services, settings: Settings) -> None:
    """On ``--demo-users``, or a store seeded from geodata/ that has no accounts yet: one
    account per role, passwords printed once here (stored only as hashes), never logged."""
    store = services.store
    first = not store.accounts.users() and store.get_meta("geodata_as_of") is not None
    if not (settings.demo_users or first):
        return
    from twin_dashboard.seed import create_demo_users

    made = create_demo_users(store, services.now())
    if not made:
        return
    base = f"http://{settings.host}:{settings.port}"
    lines = ["", "Demo accounts (shown once; only their hashes are stored):"]
    for account in made:
        secret = base + account.secret if account.role == "kiosk" else account.secret
        lines.append(f"  {account.name:<16} {account.role:<11} {account.area:<22} {secret}")
    lines.append(f"Sign in at {base}/login")
    print("\n".join(lines), flush=True)  # the console, not the log: a log may be kept


def run(settings: Settings) -> None:
    """``twin-dashboard serve``: build the app and serve it with uvicorn (``settings.workers``
    processes: see :func:`run_workers`)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if settings.workers > 1:
        run_workers(settings)
        return
    app = create_app(settings)
    services = services_of_app(app)
    warn_if_unwritable(services)
    _demo_users(services, settings)
    log.info("serving on http://%s:%s (pydeck %s) for hosts %s", settings.host, settings.port,
             pydeck.__version__, ", ".join(allowed_hosts(settings)))
    from twin_dashboard.live.background import start_background

    stop_background = start_background(services)  # rules ticker, simulator, MQTT as configured
    try:
        uvicorn.run(app.server, **_uvicorn_options(settings))
    finally:
        stop_background()
        services.close()


def _uvicorn_options(settings: Settings) -> dict[str, Any]:
    return {"host": settings.host, "port": settings.port, "log_level": "warning",
            "timeout_graceful_shutdown": 5,  # open event streams must not hold exit
            "ws_max_size": settings.max_request_bytes}  # Dash's /_dash-ws-callback too


# --- several workers (serve --workers N) ---
SETTINGS_ENV = "TWIN_DASHBOARD_SERVE_SETTINGS"  # the parent's settings, for each worker


def run_workers(settings: Settings) -> None:
    """``serve --workers N``: the store is made ready here once (migrated, seeded, demo
    accounts), then uvicorn starts N processes, each building its app with
    :func:`worker_app`; the bus carries live events between them and picks the one that runs
    the once-only jobs."""
    services = build_services(settings)
    try:
        warn_if_unwritable(services)
        _demo_users(services, settings)
    finally:
        services.close()
    os.environ[SETTINGS_ENV] = settings_to_json(settings)
    log.info("serving on http://%s:%s with %d workers, bus %s", settings.host, settings.port,
             settings.workers, services.hub.bus)
    uvicorn.run(f"{__name__}:worker_app", factory=True, workers=settings.workers,
                **_uvicorn_options(settings))


def worker_app() -> FastAPI:
    """One worker's ASGI app (uvicorn's factory): its own services, its background started
    and stopped with the worker's lifespan."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    settings = settings_from_json(os.environ[SETTINGS_ENV])
    app = create_app(settings, seed=False)
    services = services_of_app(app)
    server: FastAPI = app.server
    inner = server.router.lifespan_context

    @asynccontextmanager
    async def lifespan(asgi: Any) -> AsyncIterator[Any]:
        from twin_dashboard.live.background import start_background

        async with inner(asgi) as state:
            stop_background = start_background(services)
            try:
                yield state
            finally:
                stop_background()
                services.close()

    server.router.lifespan_context = lifespan
    return server


def settings_to_json(settings: Settings) -> str:
    """``settings`` as JSON text (paths as text, durations in seconds)."""
    raw = dataclasses.asdict(settings)
    raw["max_reading_age"] = settings.max_reading_age.total_seconds()
    return json.dumps(raw, default=str)


def settings_from_json(text: str) -> Settings:
    raw = json.loads(text)
    raw["geodata_dir"] = Path(raw["geodata_dir"])
    raw["reports_dir"] = Path(raw["reports_dir"]) if raw["reports_dir"] else None
    raw["max_reading_age"] = timedelta(seconds=raw["max_reading_age"])
    raw["allowed_hosts"] = tuple(raw["allowed_hosts"])
    return Settings(**raw)
