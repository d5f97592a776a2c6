"""Builds a screen from the shared components: page state, then the screen's composition."""

from __future__ import annotations

from dash import html

from twin_dashboard.layouts import desk, tablet, wall
from twin_dashboard.layouts.components import page_stores
from twin_dashboard.layouts.context import ScreenContext
from twin_dashboard.layouts.live import live_parts
from twin_dashboard.layouts.places import Places, places
from twin_dashboard.views.theme import SCREEN_THEME

COMPOSITIONS = {"wall": wall.layout, "desk": desk.layout, "tablet": tablet.layout}
MIN_ROTATE_S = 5  # faster than this, nobody can read a subdistrict before it changes


def rotate_seconds(screen: str, rotate: str | None) -> int | None:
    """The wall's rotation period from the ``rotate`` parameter; None when absent or invalid."""
    if screen != "wall" or not rotate:
        return None
    try:
        seconds = int(float(rotate))
    except ValueError:
        return None
    return max(seconds, MIN_ROTATE_S) if seconds > 0 else None


def _places() -> Places:
    try:
        return places()
    except Exception:  # an unseeded or broken store still renders a page (with no names)
        return Places()


def build(screen: str, *, subdistrict: str | None, neighborhood: str | None, lang: str,
          rotate: str | None) -> html.Div:
    """The page of ``screen`` for the query parameters (unknown place ids are ignored)."""
    found = _places()
    ctx = ScreenContext(screen, lang, found.clean(subdistrict, neighborhood), found,
                        rotate_seconds(screen, rotate))
    stores = page_stores(screen, lang, ctx.selection, ctx.rotate_s, list(found.subdistricts))
    live = live_parts(screen, lang, ctx.selection, found)
    return html.Div([*stores, *live, COMPOSITIONS[screen](ctx)],
                    className=f"screen screen-{screen} theme-{SCREEN_THEME[screen]}",
                    lang="en" if lang == "en" else "zh-CN")
