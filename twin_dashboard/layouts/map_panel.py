"""The twin map panel: the deck.gl container, its stores, overlay toggles, 2D/3D and legend.

Everything the first paint needs is embedded (:class:`MapPaint`): the static base board
(``MAP_SPEC``), the overlays of the page's scope (``MAP_DATA``) and the camera (``MAP_VIEW``).
Later changes arrive through the callbacks of ``callbacks/map.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dash import dcc, html

from twin_dashboard.catalog import DEVICE_STATES
from twin_dashboard.domain.overlays import (
    DEFAULT_OVERLAYS,
    OVERLAYS,
    TRACK_DAYS,
    TRACK_WINDOWS,
)
from twin_dashboard.i18n import t
from twin_dashboard.layouts import ids
from twin_dashboard.profiles import profile
from twin_dashboard.views import COVERAGE_CLASSES, COVERAGE_COLORS, track_colors
from twin_dashboard.views.map_layers import VISIT_CLASSES, VISIT_COLORS
from twin_dashboard.views.theme import LEVEL_COLORS, SEVERITY_COLORS, STATE_COLORS, hex_of

DEFAULT_LAYERS: tuple[str, ...] = DEFAULT_OVERLAYS


@dataclass(frozen=True)
class MapPaint:
    """The three stores a page embeds so that its map draws without a round trip."""

    spec: dict[str, Any]  # the static base board
    data: dict[str, Any]  # the overlays of the page's scope
    view: dict[str, Any]  # the camera


def map_panel(screen: str, lang: str, paint: MapPaint | None) -> html.Div:
    """The map of ``screen``; ``paint`` is ``None`` where a store has no geography yet."""
    theme = profile(screen).theme
    paint = paint or MapPaint({}, {}, {})
    return html.Div(className=f"twin-map-panel twin-map--{theme} twin-map--{screen}", children=[
        html.Div(id=ids.TWIN_MAP, className="twin-map", children=[
            html.Div(className="twin-map-canvas"), _loading(lang)]),
        dcc.Store(id=ids.MAP_SPEC, data=paint.spec),
        dcc.Store(id=ids.MAP_DATA, data=paint.data),
        dcc.Store(id=ids.MAP_VIEW, data=paint.view),
        dcc.Store(id=ids.MAP_DELTA),
        dcc.Store(id=ids.MAP_INCIDENTS),
        dcc.Store(id=ids.MAP_PICK),
        dcc.Store(id=ids.MAP_DETAIL_ASK), dcc.Store(id=ids.MAP_DETAIL),
        *_controls(screen, lang),
        legend(lang, screen),
    ])


def _loading(lang: str) -> html.Div:
    return html.Div(className="twin-map-loading", role="status", children=[
        html.Div(className="twin-map-spinner"), html.Span(t("map.loading", lang))])


def _controls(screen: str, lang: str) -> list[Any]:
    """Overlay toggles (only where there is a pointer) and the 2D/3D switch where asked for."""
    shown = profile(screen)
    if not shown.pointer:
        return []
    toggles = dcc.Checklist(
        id=ids.MAP_LAYERS, value=list(DEFAULT_LAYERS), className="twin-map-layers",
        inputClassName="twin-map-check", labelClassName="twin-map-check-label",
        options=[{"label": t(f"map.layer.{name}", lang), "value": name}
                 for name in OVERLAYS])
    window = dcc.RadioItems(
        id=ids.MAP_TRACK_DAYS, value=TRACK_DAYS, className="twin-map-window",
        inputClassName="twin-map-window-input", labelClassName="twin-map-window-label",
        options=[{"label": t(f"map.tracks.{d}", lang), "value": d} for d in TRACK_WINDOWS])
    box = [html.Div(className="twin-map-controls", children=[
        html.Div(t("map.layers", lang), className="twin-map-controls-title"), toggles,
        html.Div(t("map.tracks.window", lang), className="twin-map-controls-title"), window])]
    if shown.mode_switch:
        box.append(dcc.RadioItems(
            id=ids.MAP_MODE, value=shown.default_mode, className="twin-map-mode",
            inputClassName="twin-map-mode-input", labelClassName="twin-map-mode-label",
            options=[{"label": t(f"map.mode.{m}", lang), "value": m} for m in ("2d", "3d")]))
    return box


def legend(lang: str, screen: str) -> html.Div:
    """What the colours mean: device states, incident levels, SLA breach, coverage and the
    patrol tracks' ages."""
    shown = profile(screen)
    theme = shown.theme
    def swatch(color: list[int], text: str, shape: str = "dot") -> html.Div:
        return html.Div(className="twin-map-legend-item", children=[
            html.Span(className=f"twin-map-swatch twin-map-swatch--{shape}",
                      style={"--swatch": hex_of(color)}), html.Span(text)])

    sections = [
        (t("map.legend.devices", lang),
         [swatch(STATE_COLORS[s], t(f"state.{s}", lang)) for s in DEVICE_STATES]),
        (t("map.legend.incidents", lang),
         [swatch(LEVEL_COLORS[lv], t(f"level.{lv}", lang)) for lv in LEVEL_COLORS]
         + [swatch(SEVERITY_COLORS["critical"], t("map.legend.sla", lang), "ring")]),
        (t("map.legend.coverage", lang),
         [swatch(COVERAGE_COLORS[c], t(f"map.coverage.{c}", lang), "square")
          for c in COVERAGE_CLASSES]),
        (t("map.layer.patrol_tracks", lang),
         [swatch(color, t(f"map.legend.track.{age}", lang), f"line twin-map-swatch--{age}")
          for age, color in track_colors(theme).items()]),
    ]
    if shown.pointer:  # visit coverage is a layer one switches on (not on the wall)
        sections.append((t("map.legend.visits", lang),
                         [swatch(VISIT_COLORS[c], t(f"map.visit.{c}", lang), "ring")
                          for c in VISIT_CLASSES]))
    return html.Div(id=ids.MAP_LEGEND, className=f"twin-map-legend twin-map-legend--{screen}",
                    children=[html.Div(className="twin-map-legend-section", children=[
                        html.Div(title, className="twin-map-legend-title"), *items])
                        for title, items in sections]
                    + [html.Div(t("map.legend.column", lang), className="twin-map-legend-note")])
