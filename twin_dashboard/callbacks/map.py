"""The twin map's callbacks: scope and toggles → overlays and camera; stores → the deck in JS.

Static layers are never re-sent: a scope switch returns only ``MAP_DATA`` (the scope's overlays)
and ``MAP_VIEW``. The work runs in a worker thread (``asyncio.to_thread``) because on Dash's
FastAPI backend a plain callback would hold the event loop and every other request with it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from dash import ClientsideFunction, Dash, Input, Output, State
from dash.exceptions import PreventUpdate

from twin_dashboard.callbacks._context import page_lang, scope_of, screen_of, viewing
from twin_dashboard.domain.overlays import (
    DEFAULT_OVERLAYS,
    TRACK_DAYS,
    TRACK_WINDOWS,
    in_bounds,
    scope_bounds,
    scope_outline,
)
from twin_dashboard.domain.places import MapScope
from twin_dashboard.layouts import ids
from twin_dashboard.layouts.map_panel import MapPaint
from twin_dashboard.profiles import profile
from twin_dashboard.services import Services
from twin_dashboard.views import ViewState, base_board, overlay_spec, view_for
from twin_dashboard.views.city_map import city_layers
from twin_dashboard.views.map_layers import detail_spec

NO_DETAIL: dict[str, Any] = {"scope": None, "bounds": None, "layers": []}


def board(services: Services, screen: str, lang: str) -> dict[str, Any]:
    """The static base board of a screen and language, built once per geography read."""
    geo = services.atlas.geo()
    key = (geo.token, screen, lang)
    spec = services.specs.get(key)
    if spec is None:
        spec = services.specs[key] = base_board(geo, screen, lang)
    return spec


def map_data(services: Services, scope: MapScope, layers: list[str] | None, screen: str,
             lang: str, track_days: Any = TRACK_DAYS) -> dict[str, Any]:
    """``MAP_DATA`` for a scope: the overlays switched on, in the screen's theme; patrol
    tracks of the last ``track_days`` (one of ``TRACK_WINDOWS``; anything else: the default)."""
    wanted = DEFAULT_OVERLAYS if layers is None else layers
    days = track_days if track_days in TRACK_WINDOWS else TRACK_DAYS
    overlays = services.atlas.overlays(scope, services.now(), wanted, days)
    found = overlay_spec(overlays, profile(screen).theme, lang,
                         services.atlas.places(lang).neighborhoods)
    if scope.key == "district" and services.atlas.places().is_city:  # a city seen whole
        found["layers"] += city_layers(services.atlas.geo().layers["district"],
                                       services.atlas.city(services.now(), lang),
                                       profile(screen).theme, lang)
    return found


def asked_bounds(ask: Any) -> tuple[float, float, float, float] | None:
    """``[west, south, east, north]`` from the browser's ask, or ``None`` when it is not four
    finite numbers in order (the ask only frames the view; the scope is the server's)."""
    bounds = (ask or {}).get("bounds") if isinstance(ask, dict) else None
    if not isinstance(bounds, list) or len(bounds) != 4:
        return None
    try:
        west, south, east, north = (float(v) for v in bounds)
    except (TypeError, ValueError):
        return None
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        return None
    return west, south, east, north


def map_detail(services: Services, scope: MapScope, ask: Any, layers: list[str] | None,
               screen: str, lang: str) -> dict[str, Any]:
    """``MAP_DETAIL`` when the scope is drawn as columns (the whole district) and devices are
    switched on: the columns anew when the ask says ``columns`` (live changes came), every
    device in the asked bounds when it has some (zoomed in); otherwise nothing."""
    bounds = asked_bounds(ask)
    columns = isinstance(ask, dict) and ask.get("columns") is True
    wanted = DEFAULT_OVERLAYS if layers is None else layers
    if scope.key != "district" or "devices" not in wanted or not (bounds or columns):
        return NO_DETAIL
    counts = (services.atlas.overlays(scope, services.now(), ["devices"]).columns
              if columns else None)
    states = (in_bounds(services.atlas.district_states(services.now()), bounds)
              if bounds else None)
    return detail_spec(scope.key, profile(screen).theme, lang, counts=counts, states=states,
                       bounds=[round(b, 6) for b in bounds] if bounds else None)


def map_view(services: Services, scope: MapScope, mode: str | None, screen: str, *,
             fly: bool = True) -> ViewState:
    """``MAP_VIEW``: fly to the scope's bounds, tilted unless the mode is 2D."""
    geo = services.atlas.geo()
    return view_for(scope_bounds(geo, scope), screen, mode, scope.key, fly=fly,
                    outline=scope_outline(geo, scope))


def first_paint(services: Services, scope: MapScope, screen: str, lang: str) -> MapPaint:
    """What a page embeds so that its map draws without a round trip."""
    return MapPaint(spec=board(services, screen, lang),
                    data=map_data(services, scope, None, screen, lang),
                    view=map_view(services, scope, None, screen, fly=False))


def register(app: Dash, services: Services) -> None:
    @app.callback(Output(ids.MAP_DATA, "data"), Input(ids.SELECTION, "data"),
                  Input(ids.MAP_LAYERS, "value", allow_optional=True),
                  Input(ids.MAP_TRACK_DAYS, "value", allow_optional=True),
                  State(ids.SCREEN, "data", allow_optional=True), prevent_initial_call=True)
    async def update_map_data(selection, layers, track_days, screen):
        scope = scope_of(services, viewing(), selection)
        return await asyncio.to_thread(map_data, services, scope, layers, screen_of(screen),
                                       page_lang(screen), track_days)

    # At district scope the script asks for the devices in view once zoomed in, and for the
    # columns anew a few seconds after live changes (level of detail, assets/twin_map.js).
    @app.callback(Output(ids.MAP_DETAIL, "data"), Input(ids.MAP_DETAIL_ASK, "data"),
                  State(ids.SELECTION, "data"), State(ids.MAP_LAYERS, "value", allow_optional=True),
                  State(ids.SCREEN, "data", allow_optional=True), prevent_initial_call=True)
    async def update_map_detail(ask, selection, layers, screen):
        scope = scope_of(services, viewing(), selection)
        return await asyncio.to_thread(map_detail, services, scope, ask, layers,
                                       screen_of(screen), page_lang(screen))

    @app.callback(Output(ids.MAP_VIEW, "data"), Input(ids.SELECTION, "data"),
                  Input(ids.MAP_MODE, "value", allow_optional=True),
                  State(ids.SCREEN, "data", allow_optional=True), prevent_initial_call=True)
    async def update_map_view(selection, mode, screen):
        scope = scope_of(services, viewing(), selection)
        return await asyncio.to_thread(map_view, services, scope, mode, screen_of(screen))

    # Incidents move by people's steps and by SLA breaches (live/sla.py): an event that moved
    # one redraws the incident layers alone; the device layer keeps going by its deltas (a
    # whole MAP_DATA computed before a delta and arriving after it would undo that delta).
    @app.callback(Output(ids.MAP_INCIDENTS, "data"), Input(ids.LIVE_EVENT, "data"),
                  State(ids.SELECTION, "data"), State(ids.MAP_LAYERS, "value", allow_optional=True),
                  State(ids.SCREEN, "data", allow_optional=True), prevent_initial_call=True)
    async def update_map_incidents(event, selection, layers, screen):
        if not (event or {}).get("incidents") or (layers is not None and
                                                  "incidents" not in layers):
            raise PreventUpdate
        scope = scope_of(services, viewing(), selection)
        return await asyncio.to_thread(map_data, services, scope, ["incidents"],
                                       screen_of(screen), page_lang(screen))

    # The browser side (assets/twin_map.js) draws in place. `render` has an output (the scope,
    # as an attribute) because Dash runs no-output callbacks only on changes, never for a newly
    # rendered page, and the map must be drawn when a page is (re-)rendered. CLIENT_CONFIG tells
    # it the ids of the page (layouts/client.py).
    app.clientside_callback(ClientsideFunction("twin_map", "render"),
                            Output(ids.TWIN_MAP, "data-scope"),
                            Input(ids.MAP_SPEC, "data"), Input(ids.MAP_DATA, "data"),
                            Input(ids.MAP_VIEW, "data"), State(ids.CLIENT_CONFIG, "data"))
    app.clientside_callback(ClientsideFunction("twin_map", "delta"), Input(ids.MAP_DELTA, "data"))
    app.clientside_callback(ClientsideFunction("twin_map", "incidents"),
                            Input(ids.MAP_INCIDENTS, "data"))
    app.clientside_callback(ClientsideFunction("twin_map", "detail"),
                            Input(ids.MAP_DETAIL, "data"))
