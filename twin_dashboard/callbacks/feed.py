"""Live parts of every screen, refreshed by ids.CLOCK and live events: feed, freshness, clock."""

from __future__ import annotations

import asyncio

from dash import Dash, Input, Output, State

from twin_dashboard.callbacks._context import page_lang, scope_of, screen_of, store_at, viewing
from twin_dashboard.domain.access import Viewer
from twin_dashboard.domain.queries import feed, freshness, work_queue
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
# The count badge is red while something waits, grey at zero.
COUNT_CLASS_JS = """
function(count) {
    const waiting = String(count || "0").replace(/,/g, "") !== "0";
    return waiting ? "count-badge" : "count-badge is-zero";
}
"""
VIEWPORT_JS = """
function(_screen) { return {width: window.innerWidth, height: window.innerHeight}; }
"""


def feed_panel(services: Services, viewer: Viewer, selection: dict | None, screen: str,
               lang: str, replay_at: str | None = None) -> tuple[list, str]:
    """Open alarms and incidents, and the count of open alarms. The tablet's to-do holds the
    alarms routed to the signed-in person, with an acknowledge button each (never a guess from
    the page: a viewer without a person, or who may not act, has none), and the open
    incidents at the levels they handle. While replaying (``replay_at``), the open alarms and
    incidents as they stood then."""
    shown = profile(screen)
    store, now = store_at(services, replay_at)
    inbox = viewer.person_id if shown.inbox and store is services.store else None
    alarms, incidents = feed(store, scope_of(services, viewer, selection), inbox_of=inbox)
    if shown.inbox:  # the tablet's to-do: alarms sent to me, incidents at the levels I handle
        incidents = work_queue(incidents, viewer, "level", now)
        if inbox is None:  # nobody to send alarms to (e.g. a property account)
            alarms = alarms.iloc[0:0]
    alarms = alarms[[viewer.covers_row(r) for r in alarms.to_dict("records")]] \
        if len(alarms) else alarms
    levels = viewer.spec.incident_levels
    if incidents is not None and levels is not None and len(incidents):
        incidents = incidents[incidents["level"].isin(levels)]
    items = feed_items(alarms, incidents, services.atlas.places(lang).neighborhoods, now,
                       lang, shown.feed_limit)
    return feed_entries(items, lang, ack=bool(inbox) and not viewer.read_only), f"{len(alarms):,}"


def badges(services: Services, lang: str) -> list:
    ages = [(f.name, f.age_seconds, f.stale) for f in freshness(services.store, services.now())]
    return freshness_badges(ages, lang)


def register(app: Dash, services: Services) -> None:
    # Also on a live event (new or acted-on alarms), so the feed follows without a reload.
    @app.callback(Output(ids.ALARM_FEED, "children"), Output(ids.INBOX_COUNT, "children"),
                  Input(ids.SELECTION, "data"), Input(ids.CLOCK, "n_intervals"),
                  Input(ids.LIVE_EVENT, "data"), State(ids.SCREEN, "data"),
                  Input(ids.REPLAY_AT, "data", allow_optional=True))
    async def refresh_feed(selection, _tick, _event, screen,
                           replay_at: str | None = None) -> tuple[list, str]:
        return await asyncio.to_thread(feed_panel, services, viewing(), selection,
                                       screen_of(screen), page_lang(screen), replay_at)

    app.clientside_callback(COUNT_CLASS_JS, Output(ids.INBOX_COUNT, "className"),
                            Input(ids.INBOX_COUNT, "children"))

    @app.callback(Output(ids.FRESHNESS, "children"), Input(ids.CLOCK, "n_intervals"),
                  State(ids.SCREEN, "data"))
    async def refresh_freshness(_tick, screen: dict | None) -> list:
        return await asyncio.to_thread(badges, services, page_lang(screen))

    app.clientside_callback(CLOCK_JS, Output(ids.CLOCK_TEXT, "children"),
                            Input(ids.CLOCK, "n_intervals"))
    app.clientside_callback(VIEWPORT_JS, Output(ids.VIEWPORT, "data"),
                            Input(ids.SCREEN, "data"))
