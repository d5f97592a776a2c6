"""Live parts of every screen, refreshed by ids.CLOCK and live events: feed, freshness, clock."""

from __future__ import annotations

import asyncio

from dash import Dash, Input, Output, State

from twin_dashboard.callbacks._context import lang_of, scope_of, screen_of
from twin_dashboard.domain import routing
from twin_dashboard.domain.alarms import OPEN_ALARM_STATUSES, open_alarms
from twin_dashboard.domain.freshness import source_freshness
from twin_dashboard.domain.incidents import open_incidents
from twin_dashboard.layouts import ids
from twin_dashboard.layouts.components import feed_entries, freshness_badges
from twin_dashboard.layouts.places import places
from twin_dashboard.runtime import runtime
from twin_dashboard.views.tables import feed_items

FEED_LIMIT: dict[str, int] = {"wall": 14, "tablet": 50}  # a wall column holds ~14 lines

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


def _feed(selection: dict | None, screen: str, lang: str,
          actor: str | None = None) -> tuple[list, str]:
    """Open alarms and incidents, and the count of open alarms; the tablet's inbox holds the
    alarms routed to ``actor`` (its area's cadre) with an acknowledge button each."""
    rt = runtime()
    scope, now = scope_of(selection), rt.now()
    if screen == "tablet" and actor:
        alarms = routing.inbox(rt.store, actor)
    else:
        alarms = open_alarms(rt.store.read_records(
            "alarms", scope, where={"status": list(OPEN_ALARM_STATUSES)}))
    incidents = open_incidents(rt.store.read_records("incidents", scope))
    incidents = incidents.iloc[0:0] if screen == "tablet" else incidents
    items = feed_items(alarms, incidents, places().neighborhoods, now, lang,
                       FEED_LIMIT.get(screen, 14))
    ack = screen == "tablet" and bool(actor)
    return feed_entries(items, lang, ack=ack), f"{len(alarms):,}"


async def refresh_feed(selection: dict | None, _tick, _event, screen: dict | None,
                       live: dict | None) -> tuple[list, str]:
    """Also on a live event (new or acted-on alarms), so the feed follows without a reload."""
    return await asyncio.to_thread(_feed, selection, screen_of(screen), lang_of(screen),
                                   (live or {}).get("actor"))


def _ages() -> list[tuple[str, float, bool]]:
    """(source, age in seconds, stale) per data source, as /healthz judges them."""
    rt = runtime()
    return [(f.name, f.age_seconds, f.stale)
            for f in source_freshness(rt.store.sources(), rt.now())]


async def refresh_freshness(_tick, screen: dict | None) -> list:
    return freshness_badges(await asyncio.to_thread(_ages), lang_of(screen))


def register(app: Dash) -> None:
    app.callback(Output(ids.ALARM_FEED, "children"), Output(ids.INBOX_COUNT, "children"),
                 Input(ids.SELECTION, "data"), Input(ids.CLOCK, "n_intervals"),
                 Input(ids.LIVE_EVENT, "data"), State(ids.SCREEN, "data"),
                 State(ids.LIVE_CONFIG, "data"))(refresh_feed)
    app.callback(Output(ids.FRESHNESS, "children"), Input(ids.CLOCK, "n_intervals"),
                 State(ids.SCREEN, "data"))(refresh_freshness)
    app.clientside_callback(CLOCK_JS, Output(ids.CLOCK_TEXT, "children"),
                            Input(ids.CLOCK, "n_intervals"))
    app.clientside_callback(VIEWPORT_JS, Output(ids.VIEWPORT, "data"),
                            Input(ids.SCREEN, "data"))
