"""The charts: figures of the summary (funnel, devices, alarms) and of incident/patrol history."""

from __future__ import annotations

import asyncio

import pandas as pd
from dash import Dash, Input, Output, State
from dash.exceptions import PreventUpdate

from twin_dashboard.callbacks._context import lang_of, scope_of, screen_of
from twin_dashboard.domain.incidents import incidents_over_time
from twin_dashboard.domain.patrols import zone_coverage
from twin_dashboard.domain.time import as_utc_series
from twin_dashboard.layouts import ids
from twin_dashboard.layouts.places import places
from twin_dashboard.runtime import runtime
from twin_dashboard.store.base import Scope
from twin_dashboard.views import charts as view

TREND_DAYS = 30  # the trend shows the last month, day by day


def _style(screen: dict | None, viewport: dict | None) -> view.ChartStyle:
    return view.chart_style(screen_of(screen), (viewport or {}).get("width"), lang_of(screen))


def _from_summary(draw):
    """A callback drawing one figure from a part of the summary."""
    def figure(summary: dict | None, viewport: dict | None, screen: dict | None):
        if not summary:
            raise PreventUpdate
        return draw(summary, _style(screen, viewport))
    return figure


def _trend_data(selection: dict | None) -> pd.DataFrame:
    rt = runtime()
    incidents = rt.store.read_records("incidents", scope_of(selection))
    since = rt.now() - pd.Timedelta(days=TREND_DAYS)
    return incidents_over_time(incidents[as_utc_series(incidents["reported_at"]) >= since])


def _coverage_data(selection: dict | None) -> pd.DataFrame:
    rt, sel = runtime(), selection or {}
    sub = sel.get("subdistrict") or places().parent.get(sel.get("neighborhood") or "")
    scope = Scope.of(sub)  # patrols belong to subdistricts (as in summarize)
    zones = rt.store.read_layer("patrol-zones", scope)
    return zone_coverage(zones, rt.store.read_records("patrols", scope), rt.now())


def _from_store(load, draw):
    """An async callback loading data for the selection in a thread, then drawing it."""
    async def figure(selection: dict | None, _tick, viewport: dict | None, screen: dict | None):
        data = await asyncio.to_thread(load, selection)
        return draw(data, _style(screen, viewport))
    return figure


def register(app: Dash) -> None:
    summary_charts = {
        ids.FUNNEL_CHART: lambda s, st: view.funnel_figure(s["incidents"]["funnel"], st),
        ids.DEVICE_CHART: lambda s, st: view.device_state_figure(s["devices"]["by_category"], st),
        ids.ALARM_CHART: lambda s, st: view.alarm_figure(s["alarms"]["by_rule"], st),
    }
    for graph_id, draw in summary_charts.items():
        app.callback(Output(graph_id, "figure"), Input(ids.SUMMARY, "data"),
                     Input(ids.VIEWPORT, "data"), State(ids.SCREEN, "data"))(_from_summary(draw))
    history_charts = {
        ids.INCIDENT_TREND_CHART: (_trend_data, view.incident_trend_figure),
        ids.COVERAGE_CHART: (_coverage_data, view.coverage_figure),
    }
    for graph_id, (load, draw) in history_charts.items():
        app.callback(Output(graph_id, "figure"), Input(ids.SELECTION, "data"),
                     Input(ids.CLOCK, "n_intervals"), Input(ids.VIEWPORT, "data"),
                     State(ids.SCREEN, "data"))(_from_store(load, draw))
