"""The twin map's callbacks: scope and toggles → overlays and camera; stores → the deck in JS.

Static layers are never re-sent: a scope switch returns only ``MAP_DATA`` (the scope's overlays)
and ``MAP_VIEW``. The work runs in a worker thread (``asyncio.to_thread``) because on Dash's
FastAPI backend a plain callback would hold the event loop and every other request with it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from dash import ClientsideFunction, Dash, Input, Output, State

from twin_dashboard.domain import overlays as ov
from twin_dashboard.i18n import lang_of
from twin_dashboard.layouts import ids
from twin_dashboard.runtime import runtime
from twin_dashboard.views._map_view import ViewState, view_for
from twin_dashboard.views.map_layers import overlay_spec
from twin_dashboard.views.theme import SCREEN_THEME


def _scope(selection: dict[str, Any] | None) -> ov.MapScope:
    selection = selection or {}
    geo = ov.base_geo(runtime().store)
    return ov.resolve_scope(geo, selection.get("subdistrict"), selection.get("neighborhood"))


def _screen(screen: dict[str, Any] | None) -> tuple[str, str]:
    screen = screen or {}
    name = screen.get("screen") if screen.get("screen") in SCREEN_THEME else "desk"
    return name, lang_of(screen.get("lang"))


def map_data(selection: dict[str, Any] | None, layers: list[str] | None,
             screen: dict[str, Any] | None) -> dict[str, Any]:
    """``MAP_DATA`` for a selection: the overlays switched on, in the screen's theme."""
    name, lang = _screen(screen)
    rt = runtime()
    wanted = ov.OVERLAYS if layers is None else layers
    overlays = ov.map_overlays(rt.store, _scope(selection), rt.now(), wanted)
    return overlay_spec(overlays, SCREEN_THEME[name], lang)


def map_view(selection: dict[str, Any] | None, mode: str | None,
             screen: dict[str, Any] | None) -> ViewState:
    """``MAP_VIEW``: fly to the selection's bounds, tilted unless the mode is 2D."""
    scope = _scope(selection)
    geo = ov.base_geo(runtime().store)
    return view_for(ov.scope_bounds(geo, scope), _screen(screen)[0], mode, scope.key,
                    outline=ov.scope_outline(geo, scope))


def register(app: Dash) -> None:
    @app.callback(Output(ids.MAP_DATA, "data"), Input(ids.SELECTION, "data"),
                  Input(ids.MAP_LAYERS, "value", allow_optional=True),
                  State(ids.SCREEN, "data", allow_optional=True), prevent_initial_call=True)
    async def update_map_data(selection, layers, screen):
        return await asyncio.to_thread(map_data, selection, layers, screen)

    @app.callback(Output(ids.MAP_VIEW, "data"), Input(ids.SELECTION, "data"),
                  Input(ids.MAP_MODE, "value", allow_optional=True),
                  State(ids.SCREEN, "data", allow_optional=True), prevent_initial_call=True)
    async def update_map_view(selection, mode, screen):
        return await asyncio.to_thread(map_view, selection, mode, screen)

    # The browser side (assets/twin_map.js) draws in place. `render` has an output (the scope,
    # as an attribute) because Dash runs no-output callbacks only on changes, never for a newly
    # rendered page, and the map must be drawn when a page is (re-)rendered.
    app.clientside_callback(ClientsideFunction("twin_map", "render"),
                            Output(ids.TWIN_MAP, "data-scope"),
                            Input(ids.MAP_SPEC, "data"), Input(ids.MAP_DATA, "data"),
                            Input(ids.MAP_VIEW, "data"))
    app.clientside_callback(ClientsideFunction("twin_map", "delta"), Input(ids.MAP_DELTA, "data"))
    app.clientside_callback(ClientsideFunction("twin_map", "picked"), Input(ids.MAP_PICK, "data"))
