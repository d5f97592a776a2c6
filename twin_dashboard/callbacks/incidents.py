"""The desk's incident table: the selection's incidents, open ones first, refreshed by the clock."""

from __future__ import annotations

import asyncio

from dash import Dash, Input, Output, State

from twin_dashboard.callbacks._context import page_lang, scope_of, store_at, viewing
from twin_dashboard.domain.access import Viewer
from twin_dashboard.domain.queries import incidents_in, work_queue
from twin_dashboard.layouts import ids
from twin_dashboard.services import Services
from twin_dashboard.views.tables import incident_rows


def rows(services: Services, viewer: Viewer, selection: dict | None, lang: str,
         queue: str | None = None, replay_at: str | None = None) -> list[dict]:
    """The table's rows now, or as they stood at ``replay_at`` (the replay bar's)."""
    store, now = store_at(services, replay_at)
    incidents = incidents_in(store, scope_of(services, viewer, selection))
    levels = viewer.spec.incident_levels  # e.g. property managers: property-level ones only
    if levels is not None:
        incidents = incidents[incidents["level"].isin(levels)]
    incidents = work_queue(incidents, viewer, queue or "all", now)
    return incident_rows(incidents, services.atlas.places(lang).neighborhoods, now, lang)


def register(app: Dash, services: Services) -> None:
    # Also on a live event: a step taken on any screen shows here within the push's budget.
    @app.callback(Output(ids.INCIDENT_TABLE, "rowData"), Input(ids.SELECTION, "data"),
                  Input(ids.CLOCK, "n_intervals"), Input(ids.LIVE_EVENT, "data"),
                  Input(ids.INCIDENT_QUEUE, "value", allow_optional=True),
                  State(ids.SCREEN, "data"), Input(ids.REPLAY_AT, "data", allow_optional=True))
    async def refresh_table(selection: dict | None, _tick, _event, queue: str | None,
                            screen: dict | None, replay_at: str | None = None) -> list[dict]:
        return await asyncio.to_thread(rows, services, viewing(), selection,
                                       page_lang(screen), queue, replay_at)
