"""The desk's incident table: the selection's incidents, open ones first, refreshed by the clock."""

from __future__ import annotations

import asyncio

from dash import Dash, Input, Output, State

from twin_dashboard.callbacks._context import lang_of, scope_of
from twin_dashboard.layouts import ids
from twin_dashboard.layouts.places import places
from twin_dashboard.runtime import runtime
from twin_dashboard.views.tables import incident_rows


def _rows(selection: dict | None, lang: str) -> list[dict]:
    rt = runtime()
    incidents = rt.store.read_records("incidents", scope_of(selection))
    return incident_rows(incidents, places().neighborhoods, rt.now(), lang)


async def refresh_table(selection: dict | None, _tick, screen: dict | None) -> list[dict]:
    return await asyncio.to_thread(_rows, selection, lang_of(screen))


def register(app: Dash) -> None:
    app.callback(Output(ids.INCIDENT_TABLE, "rowData"), Input(ids.SELECTION, "data"),
                 Input(ids.CLOCK, "n_intervals"), State(ids.SCREEN, "data"))(refresh_table)
