"""Builds a screen from the shared components: page state, then the screen's composition."""

from __future__ import annotations

from dash import html

from twin_dashboard.domain.places import Places
from twin_dashboard.layouts import desk, tablet, wall
from twin_dashboard.layouts.client import client_store
from twin_dashboard.layouts.components import page_stores
from twin_dashboard.layouts.context import ScreenContext, UserBadge
from twin_dashboard.layouts.live import live_parts
from twin_dashboard.layouts.map_panel import MapPaint
from twin_dashboard.profiles import profile

COMPOSITIONS = {"wall": wall.layout, "desk": desk.layout, "tablet": tablet.layout}
MIN_ROTATE_S = 5  # faster than this, nobody can read a subdistrict before it changes


def rotate_seconds(screen: str, rotate: str | None) -> int | None:
    """The rotation period from the ``rotate`` parameter, on a screen that rotates; None when
    absent or invalid."""
    if not profile(screen).rotates or not rotate:
        return None
    try:
        seconds = int(float(rotate))
    except ValueError:
        return None
    return max(seconds, MIN_ROTATE_S) if seconds > 0 else None


def build(screen: str, *, lang: str, places: Places, selection: dict[str, str | None],
          rotate: str | None = None, paint: MapPaint | None = None,
          actor: str | None = None, user: UserBadge | None = None,
          test_hooks: bool = False) -> html.Div:
    """The page of ``screen`` at a resolved ``selection`` with its first map ``paint``;
    ``actor``: the person whose inbox the page shows (the tablet's); ``user``: who is signed
    in (the header's badge); ``test_hooks``: the
    scripts expose what the browser tests read (``layouts/client.py``)."""
    ctx = ScreenContext(screen, lang, selection, places, rotate_seconds(screen, rotate), paint,
                        user)
    stores = page_stores(screen, lang, ctx.selection, ctx.rotate_s, list(places.subdistricts))
    live = live_parts(screen, lang, places, actor)
    return html.Div([*stores, client_store(test_hooks), *live, COMPOSITIONS[screen](ctx)],
                    className=f"screen screen-{screen} theme-{profile(screen).theme}",
                    lang="en" if lang == "en" else "zh-CN")
