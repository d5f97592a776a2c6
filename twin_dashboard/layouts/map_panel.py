"""The twin map panel: the deck.gl container, its stores, overlay toggles, 2D/3D and legend.

Everything the first paint needs is embedded: the static base board (``MAP_SPEC``, built once
per process, screen and language), the overlays of the page's scope (``MAP_DATA``) and the
camera (``MAP_VIEW``). Later changes arrive through the callbacks of ``callbacks/map.py``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from dash import dcc, html

from twin_dashboard.domain import overlays as ov
from twin_dashboard.i18n import t
from twin_dashboard.layouts import ids
from twin_dashboard.runtime import runtime
from twin_dashboard.views._map_base import base_spec
from twin_dashboard.views._map_view import DEFAULT_MODE, view_for
from twin_dashboard.views.map_layers import COVERAGE_CLASSES, COVERAGE_COLORS, overlay_spec
from twin_dashboard.views.theme import (
    LEVEL_COLORS,
    SCREEN_THEME,
    SEVERITY_COLORS,
    STATE_COLORS,
    hex_of,
)

# Per screen, the deck props that are not layers. The wall has no pointer: no controller.
DECK_PROPS: dict[str, dict[str, Any]] = {
    "wall": {"controller": False, "pickingRadius": 4, "pulse": True},
    "desk": {"controller": {"dragRotate": True, "touchRotate": True, "inertia": True},
             "pickingRadius": 5, "pulse": False},
    "tablet": {"controller": {"dragRotate": False, "touchRotate": True, "inertia": True},
               "pickingRadius": 14, "pulse": False},
}
DEFAULT_LAYERS: tuple[str, ...] = ov.OVERLAYS
LEGEND_STATES: tuple[str, ...] = ("normal", "alarm", "fault", "offline", "low_battery")


@lru_cache(maxsize=32)
def static_spec(store_url: str, screen: str, lang: str) -> dict[str, Any]:
    """The base board for a screen and language, built once per process (``store_url`` keys it
    so that tests building apps on other stores get their own)."""
    geo = ov.base_geo(runtime().store)
    parts = {**geo.layers, "areas": geo.areas}
    parts.pop("patrol_zones", None)  # an overlay: drawn from MAP_DATA with its coverage
    return base_spec(parts, SCREEN_THEME[screen], lang, DECK_PROPS[screen])


def map_panel(screen: str, lang: str, subdistrict: str | None,
              neighborhood: str | None) -> html.Div:
    """The map of ``screen`` at the scope the page's URL asks for (unknown ids: the district)."""
    rt = runtime()
    theme = SCREEN_THEME[screen]
    geo = ov.base_geo(rt.store)
    scope = ov.resolve_scope(geo, subdistrict, neighborhood)
    overlays = ov.map_overlays(rt.store, scope, rt.now(), DEFAULT_LAYERS)
    view = view_for(ov.scope_bounds(geo, scope), screen, None, scope.key, fly=False,
                    outline=ov.scope_outline(geo, scope))
    return html.Div(className=f"twin-map-panel twin-map--{theme} twin-map--{screen}", children=[
        html.Div(id=ids.TWIN_MAP, className="twin-map", children=[
            html.Div(className="twin-map-canvas"), _loading(lang)]),
        dcc.Store(id=ids.MAP_SPEC, data=static_spec(rt.store.url, screen, lang)),
        dcc.Store(id=ids.MAP_DATA, data=overlay_spec(overlays, theme, lang)),
        dcc.Store(id=ids.MAP_VIEW, data=view),
        dcc.Store(id=ids.MAP_DELTA),
        dcc.Store(id=ids.MAP_PICK),
        *_controls(screen, lang),
        legend(lang, screen),
    ])


def _loading(lang: str) -> html.Div:
    return html.Div(className="twin-map-loading", role="status", children=[
        html.Div(className="twin-map-spinner"), html.Span(t("map.loading", lang))])


def _controls(screen: str, lang: str) -> list[Any]:
    """Overlay toggles (not on the wall: no pointer there) and the desk's 2D/3D switch."""
    if screen == "wall":
        return []
    toggles = dcc.Checklist(
        id=ids.MAP_LAYERS, value=list(DEFAULT_LAYERS), className="twin-map-layers",
        inputClassName="twin-map-check", labelClassName="twin-map-check-label",
        options=[{"label": t(f"map.layer.{name}", lang), "value": name}
                 for name in ov.OVERLAYS])
    box = [html.Div(className="twin-map-controls", children=[
        html.Div(t("map.layers", lang), className="twin-map-controls-title"), toggles])]
    if screen == "desk":
        box.append(dcc.RadioItems(
            id=ids.MAP_MODE, value=DEFAULT_MODE["desk"], className="twin-map-mode",
            inputClassName="twin-map-mode-input", labelClassName="twin-map-mode-label",
            options=[{"label": t(f"map.mode.{m}", lang), "value": m} for m in ("2d", "3d")]))
    return box


def legend(lang: str, screen: str) -> html.Div:
    """What the colours mean: device states, incident levels, SLA breach and coverage."""
    def swatch(color: list[int], text: str, shape: str = "dot") -> html.Div:
        return html.Div(className="twin-map-legend-item", children=[
            html.Span(className=f"twin-map-swatch twin-map-swatch--{shape}",
                      style={"--swatch": hex_of(color)}), html.Span(text)])

    sections = [
        (t("map.legend.devices", lang),
         [swatch(STATE_COLORS[s], t(f"map.state.{s}", lang)) for s in LEGEND_STATES]),
        (t("map.legend.incidents", lang),
         [swatch(LEVEL_COLORS[lv], t(f"map.level.{lv}", lang)) for lv in LEVEL_COLORS]
         + [swatch(SEVERITY_COLORS["critical"], t("map.legend.sla", lang), "ring")]),
        (t("map.legend.coverage", lang),
         [swatch(COVERAGE_COLORS[c], t(f"map.coverage.{c}", lang), "square")
          for c in COVERAGE_CLASSES]),
    ]
    return html.Div(id=ids.MAP_LEGEND, className=f"twin-map-legend twin-map-legend--{screen}",
                    children=[html.Div(className="twin-map-legend-section", children=[
                        html.Div(title, className="twin-map-legend-title"), *items])
                        for title, items in sections]
                    + [html.Div(t("map.legend.column", lang), className="twin-map-legend-note")])
