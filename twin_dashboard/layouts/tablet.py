"""The tablet 小屏: "my area", KPIs, alarm inbox and details first, the map second."""

from __future__ import annotations

from dash import html

from twin_dashboard.i18n import t
from twin_dashboard.layouts import components as c
from twin_dashboard.layouts.context import ScreenContext


def layout(ctx: ScreenContext) -> html.Div:
    """Lists beside the map in landscape; lists above the map in portrait (tablet.css)."""
    lang = ctx.lang
    head = c.header(ctx.screen, lang, ctx.scope_name, [c.search_box(lang)], ctx.user,
                    ctx.district_name)
    lists = html.Div([c.feed_panel(lang, "feed.inbox", "inbox"), c.details_panel(lang)],
                     className="tablet-lists")
    # The figures count the whole area; the inbox holds only what was sent to the signed-in person.
    place = c.datum(ctx.scope_name) if ctx.scope_name else c.whole_scope(lang,
                                                                         ctx.district_name)
    counts = html.P([t("tablet.counts", lang), place, t("tablet.counts_inbox", lang)],
                    className="kpi-caption")
    body = html.Main([html.Div([counts, c.kpi_strip(lang)], className="tablet-kpis"), lists,
                      html.Div(c.map_slot(ctx.screen, lang, ctx.paint),
                               className="tablet-map")], className="tablet-grid")
    return html.Div([head, body], className="layout layout-tablet")
