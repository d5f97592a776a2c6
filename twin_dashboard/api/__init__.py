"""The HTTP API (README, OpenAPI), mounted on the app's FastAPI server."""

from __future__ import annotations

from fastapi import FastAPI

from twin_dashboard.api import access, alarms, health, layers, live, readings, summary


def register_api(server: FastAPI) -> None:
    server.include_router(health.router)
    server.include_router(summary.router)
    server.include_router(layers.router)
    server.include_router(readings.router)
    server.include_router(alarms.router)
    server.include_router(live.router)
    server.include_router(access.router)
