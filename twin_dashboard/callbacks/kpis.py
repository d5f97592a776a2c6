"""The selection's summary (the one source of KPI and chart figures) and the KPI tiles.

``summarize()`` is what ``GET /api/v1/summary`` returns, so the tiles equal the API. It runs in
a worker thread: it reads the whole scope, and a plain ``def`` would block the event loop.
"""

from __future__ import annotations

import asyncio
from typing import Any

from dash import Dash, Input, Output, State
from dash.exceptions import PreventUpdate

from twin_dashboard.callbacks._context import page_lang, replayed, scope_of, viewing
from twin_dashboard.domain.access import Viewer
from twin_dashboard.domain.replay import summary_at
from twin_dashboard.domain.summary import summarize
from twin_dashboard.layouts import ids
from twin_dashboard.layouts.components import kpi_tile
from twin_dashboard.services import Services
from twin_dashboard.views.tables import kpis


def summary_of(services: Services, viewer: Viewer, selection: dict | None,
               replay_at: str | None = None) -> dict[str, Any]:
    """Now, or as the figures stood at ``replay_at`` (the replay bar's ``ids.REPLAY_AT``)."""
    scope = scope_of(services, viewer, selection)
    now = services.now()
    at = replayed(replay_at, now)
    if at is None:
        return summarize(services.store, scope.store_scope, now)
    return summary_at(services.store, scope.store_scope, at)


def show_kpis(summary: dict | None, screen: dict | None) -> list:
    if not summary:
        raise PreventUpdate
    lang = page_lang(screen)
    return [kpi_tile(kpi, lang) for kpi in kpis(summary, lang)]


def register(app: Dash, services: Services) -> None:
    # Also a few seconds after live events raised or changed alarms (``ids.LIVE_FIGURES``:
    # live.js gathers them, because redrawing every chart per alarm delays the feed's paint).
    # While replaying (``ids.REPLAY_AT`` set), the figures as they stood then.
    @app.callback(Output(ids.SUMMARY, "data"), Input(ids.SELECTION, "data"),
                  Input(ids.CLOCK, "n_intervals"), Input(ids.LIVE_FIGURES, "data"),
                  Input(ids.REPLAY_AT, "data", allow_optional=True))
    async def refresh_summary(selection: dict | None, _tick, _live,
                              replay_at: str | None = None) -> dict[str, Any]:
        return await asyncio.to_thread(summary_of, services, viewing(), selection, replay_at)

    app.callback(Output(ids.KPI_TILES, "children"), Input(ids.SUMMARY, "data"),
                 State(ids.SCREEN, "data"))(show_kpis)
