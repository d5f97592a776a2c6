"""The wall 大屏: dark, KPIs around a large 3D map, live feed; no pointer needed."""

from __future__ import annotations

from dash import html

from twin_dashboard.layouts import components as c
from twin_dashboard.layouts import ids
from twin_dashboard.layouts.context import ScreenContext


def layout(ctx: ScreenContext) -> html.Div:
    """Three columns: device and trend charts | KPIs over the map | feed and funnel."""
    lang = ctx.lang
    left = html.Div([
        c.devices_card(lang),
        c.chart_card(ids.INCIDENT_TREND_CHART, "chart.trend", lang),
    ], className="col col-left")
    center = html.Div([c.kpi_strip(lang), c.map_slot(ctx.screen, lang, ctx.paint),
                       c.replay_bar(lang)],
                      className="col col-center")
    right = html.Div([
        c.feed_panel(lang),
        c.funnel_card(lang),
    ], className="col col-right")
    return html.Div([c.header(ctx.screen, lang, ctx.scope_name, place=ctx.district_name),
                     html.Main([left, center, right], className="wall-grid")],
                    className="layout layout-wall")
