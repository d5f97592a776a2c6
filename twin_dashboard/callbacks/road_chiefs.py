"""The desk's road-chief board 双路长制: per zone and per chief, in the viewer's scope.

Zones, roads and patrols belong to subdistricts: the board shows the selection's subdistrict
(the whole district for a district-wide viewer), a road chief only their own zones.
"""

from __future__ import annotations

import asyncio

from dash import Dash, Input, Output, State

from twin_dashboard.callbacks._context import page_lang, scope_of, viewing
from twin_dashboard.domain.access import Viewer
from twin_dashboard.domain.tracks import road_chief_board_for
from twin_dashboard.layouts import ids
from twin_dashboard.services import Services
from twin_dashboard.store.base import Scope
from twin_dashboard.views.tables import chief_board_rows, zone_board_rows


def rows(services: Services, viewer: Viewer, selection: dict | None,
         lang: str) -> tuple[list[dict], list[dict]]:
    """The two grids' rows: per zone, per chief."""
    scope = scope_of(services, viewer, selection)
    by_zone, by_chief, names = road_chief_board_for(
        services.store, Scope.of(scope.subdistrict), viewer.zones, services.now())
    zone_names = dict(zip(by_zone["zone_id"], by_zone["name"].fillna(by_zone["zone_id"]),
                          strict=True))
    subdistricts = services.atlas.places(lang).subdistricts
    return (zone_board_rows(by_zone, names, subdistricts, lang),
            chief_board_rows(by_chief, names, zone_names, lang))


def register(app: Dash, services: Services) -> None:
    @app.callback(Output(ids.ZONE_BOARD, "rowData"), Output(ids.CHIEF_BOARD, "rowData"),
                  Input(ids.SELECTION, "data"), Input(ids.CLOCK, "n_intervals"),
                  State(ids.SCREEN, "data"))
    async def refresh_board(selection: dict | None, _tick, screen: dict | None):
        return await asyncio.to_thread(rows, services, viewing(), selection, page_lang(screen))
