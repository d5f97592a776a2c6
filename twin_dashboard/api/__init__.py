"""The HTTP API (README, OpenAPI), mounted on the app's FastAPI server."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from twin_dashboard.api import (
    access,
    alarms,
    brain,
    districts,
    health,
    incidents,
    layers,
    live,
    patrols,
    readings,
    replay,
    reports,
    search,
    summary,
    visits,
)
from twin_dashboard.store.base import StoreUnavailable

STORE_RETRY_AFTER_S = 30  # a read-only or full store is not fixed in a second


def register_api(server: FastAPI) -> None:
    server.include_router(health.router)
    server.include_router(summary.router)
    server.include_router(layers.router)
    server.include_router(readings.router)
    server.include_router(alarms.router)
    server.include_router(visits.router)
    server.include_router(patrols.router)
    server.include_router(incidents.router)
    server.include_router(live.router)
    server.include_router(replay.router)
    server.include_router(access.router)
    server.include_router(reports.router)
    server.include_router(brain.router)
    server.include_router(search.router)
    server.include_router(districts.router)
    server.add_exception_handler(StoreUnavailable, store_unavailable)
    server.add_exception_handler(incidents.Refused, incidents.refused)


async def store_unavailable(_request: Request, err: Exception) -> JSONResponse:
    """503 naming why the store cannot take the write (read-only, disk full…), not a bare 500."""
    return JSONResponse({"detail": f"the store is unavailable: {err}"}, 503,
                        headers={"Retry-After": str(STORE_RETRY_AFTER_S)})
