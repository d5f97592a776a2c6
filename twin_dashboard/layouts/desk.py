"""The desk 中屏: selectors, map with layer toggles, incident table, details and all charts."""

from __future__ import annotations

from dash import html

from twin_dashboard.domain.roles import ROLES
from twin_dashboard.layouts import brain, ids
from twin_dashboard.layouts import components as c
from twin_dashboard.layouts.context import ScreenContext


def layout(ctx: ScreenContext) -> html.Div:
    """A grid: KPIs; map | details + funnel; table | devices; alarms, trend, coverage; the
    road-chief board."""
    lang, sub = ctx.lang, ctx.selection.get("subdistrict")
    neighborhoods = {n: ctx.places.neighborhoods[n] for n in ctx.places.children(sub)}
    tools = [c.selectors(lang, ctx.places.subdistricts, neighborhoods, ctx.selection),
             c.search_box(lang)]
    grid = html.Main([
        html.Div(c.kpi_strip(lang), className="area-kpis"),
        html.Div([c.map_slot(ctx.screen, lang, ctx.paint), brain.open_button(lang),
                  c.replay_bar(lang)],
                 className="area-map"),
        html.Div([c.details_panel(lang),
                  c.funnel_card(lang), c.report_card(lang)],
                 className="area-side"),
        html.Div(c.incident_table(lang), className="area-table"),
        html.Div(c.devices_card(lang),
                 className="area-devices"),
        html.Div([c.chart_card(ids.ALARM_CHART, "chart.alarms", lang),
                  c.chart_card(ids.INCIDENT_TREND_CHART, "chart.trend", lang),
                  c.chart_card(ids.COVERAGE_CHART, "chart.coverage", lang)],
                 className="area-charts"),
        html.Div(c.road_chief_board(lang), className="area-board"),
    ], className="desk-grid")
    admin = [c.audit_panel(lang)] if ctx.user and ctx.user.admin else []
    drawer = brain.brain_panel(lang, bool(ctx.user) and ROLES[ctx.user.role].personal != "never",
                               admin=bool(ctx.user and ctx.user.admin))
    return html.Div([c.header(ctx.screen, lang, ctx.scope_name, tools, ctx.user,
                               ctx.district_name), grid, *admin,
                     drawer],
                    className="layout layout-desk")
