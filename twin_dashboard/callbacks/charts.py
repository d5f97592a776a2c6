"""The charts: figures of the summary (funnel, devices, alarms) and of incident/patrol history."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
from dash import Dash, Input, Output, State
from dash.exceptions import PreventUpdate

from twin_dashboard.callbacks._context import page_lang, replayed, scope_of, screen_of, viewing
from twin_dashboard.domain.access import Viewer
from twin_dashboard.domain.queries import incident_trend, patrol_coverage
from twin_dashboard.layouts import ids
from twin_dashboard.services import Services
from twin_dashboard.views import charts as view

TREND_DAYS = 30  # the trend shows the last month, day by day
Draw = Callable[..., go.Figure]


def style_of(screen: dict | None, viewport: dict | None) -> view.ChartStyle:
    return view.chart_style(screen_of(screen), (viewport or {}).get("width"), page_lang(screen))


def trend_data(services: Services, viewer: Viewer, selection: dict | None,
               at: pd.Timestamp | None = None) -> pd.DataFrame:
    """The last month up to now, or up to the replayed moment ``at``."""
    return incident_trend(services.store, scope_of(services, viewer, selection),
                          at or services.now(), TREND_DAYS)


def coverage_data(services: Services, viewer: Viewer, selection: dict | None,
                  at: pd.Timestamp | None = None) -> pd.DataFrame:
    return patrol_coverage(services.store, scope_of(services, viewer, selection),
                           at or services.now())


SUMMARY_CHARTS: dict[str, Draw] = {
    ids.FUNNEL_CHART: lambda s, st: view.funnel_figure(s["incidents"]["funnel"], st),
    ids.DEVICE_CHART: lambda s, st: view.device_state_figure(s["devices"]["by_category"], st),
    ids.ALARM_CHART: lambda s, st: view.alarm_figure(s["alarms"]["by_rule"], st),
}
HISTORY_CHARTS: dict[str, tuple[Callable[..., pd.DataFrame], Draw]] = {
    ids.INCIDENT_TREND_CHART: (trend_data, view.incident_trend_figure),
    ids.COVERAGE_CHART: (coverage_data, view.coverage_figure),
}


def from_summary(draw: Draw):
    """A callback drawing one figure from a part of the summary."""
    def figure(summary: dict | None, viewport: dict | None, screen: dict | None):
        if not summary:
            raise PreventUpdate
        return draw(summary, style_of(screen, viewport))
    return figure


def from_store(services: Services, load, draw: Draw):
    """An async callback loading data for the selection in a thread, then drawing it."""
    async def figure(selection: dict | None, _tick, viewport: dict | None, screen: dict | None,
                     replay_at: str | None = None):
        at = replayed(replay_at, services.now())
        data = await asyncio.to_thread(load, services, viewing(), selection, at)
        return draw(data, style_of(screen, viewport))
    return figure


def register(app: Dash, services: Services) -> None:
    for graph_id, draw in SUMMARY_CHARTS.items():
        app.callback(Output(graph_id, "figure"), Input(ids.SUMMARY, "data"),
                     Input(ids.VIEWPORT, "data"), State(ids.SCREEN, "data"))(from_summary(draw))
    for graph_id, (load, draw) in HISTORY_CHARTS.items():
        app.callback(Output(graph_id, "figure"), Input(ids.SELECTION, "data"),
                     Input(ids.CLOCK, "n_intervals"), Input(ids.VIEWPORT, "data"),
                     State(ids.SCREEN, "data"), Input(ids.REPLAY_AT, "data", allow_optional=True),
                     )(from_store(services, load, draw))
