"""Live parts of every screen, refreshed by ids.CLOCK and live events: feed, freshness, clock."""

from __future__ import annotations

import asyncio

from dash import Dash, Input, Output, State

from twin_dashboard.callbacks._context import page_lang, scope_of, screen_of
from twin_dashboard.domain.queries import feed, freshness
from twin_dashboard.layouts import ids
from twin_dashboard.layouts.components import feed_entries, freshness_badges
from twin_dashboard.profiles import profile
from twin_dashboard.services import Services
from twin_dashboard.views.tables import feed_items

# The header clock on the district's time (UTC+8, no DST), refreshed with the figures.
CLOCK_JS = """
function(_n) {
    const d = new Date(Date.now() + 8 * 3600 * 1000);
    const p = (v) => String(v).padStart(2, "0");
    return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ` +
           `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`;
}
"""
VIEWPORT_JS = """
function(_screen) { return {width: window.innerWidth, height: window.innerHeight}; }
"""


def feed_panel(services: Services, selection: dict | None, screen: str, lang: str,
               actor: str | None = None) -> tuple[list, str]:
    """Open alarms and incidents, and the count of open alarms; the tablet's inbox holds the
    alarms routed to ``actor`` (its area's cadre) with an acknowledge button each."""
    shown = profile(screen)
    inbox = actor if shown.inbox else None
    alarms, incidents = feed(services.store, scope_of(services, selection), inbox_of=inbox,
                             with_incidents=not shown.inbox)
    items = feed_items(alarms, incidents, services.atlas.places().neighborhoods, services.now(),
                       lang, shown.feed_limit)
    return feed_entries(items, lang, ack=bool(inbox)), f"{len(alarms):,}"


def badges(services: Services, lang: str) -> list:
    ages = [(f.name, f.age_seconds, f.stale) for f in freshness(services.store, services.now())]
    return freshness_badges(ages, lang)


def register(app: Dash, services: Services) -> None:
    # Also on a live event (new or acted-on alarms), so the feed follows without a reload.
    @app.callback(Output(ids.ALARM_FEED, "children"), Output(ids.INBOX_COUNT, "children"),
                  Input(ids.SELECTION, "data"), Input(ids.CLOCK, "n_intervals"),
                  Input(ids.LIVE_EVENT, "data"), State(ids.SCREEN, "data"),
                  State(ids.LIVE_CONFIG, "data"))
    async def refresh_feed(selection, _tick, _event, screen, live) -> tuple[list, str]:
        return await asyncio.to_thread(feed_panel, services, selection, screen_of(screen),
                                       page_lang(screen), (live or {}).get("actor"))

    @app.callback(Output(ids.FRESHNESS, "children"), Input(ids.CLOCK, "n_intervals"),
                  State(ids.SCREEN, "data"))
    async def refresh_freshness(_tick, screen: dict | None) -> list:
        return await asyncio.to_thread(badges, services, page_lang(screen))

    app.clientside_callback(CLOCK_JS, Output(ids.CLOCK_TEXT, "children"),
                            Input(ids.CLOCK, "n_intervals"))
    app.clientside_callback(VIEWPORT_JS, Output(ids.VIEWPORT, "data"),
                            Input(ids.SCREEN, "data"))
