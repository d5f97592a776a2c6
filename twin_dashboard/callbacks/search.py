"""The search box: a query → the results list; a chosen result → ids.SEARCH_PICK.

The pick is rebuilt on the server from the index for the signed-in viewer (a row's id in the
browser only names what was chosen), and what it sets goes the screens' usual ways: the
selection through ``callbacks/selection.py`` (narrowed to the viewer's scope again), the details
through ``callbacks/details.py`` (which checks the scope again), the camera in
``assets/twin_map.js`` (``focus``: a point or a road is flown to after the selection's camera).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from dash import ALL, ClientsideFunction, Dash, Input, Output, State, ctx
from dash.exceptions import PreventUpdate

from twin_dashboard.auth.context import caller_ip
from twin_dashboard.callbacks._context import page_lang, screen_of, viewing
from twin_dashboard.domain.access import Viewer
from twin_dashboard.domain.search import labels_in, normalize
from twin_dashboard.layouts import ids
from twin_dashboard.layouts.components import search_results
from twin_dashboard.profiles import profile
from twin_dashboard.services import Services

# Kinds whose place is finer than the selection they set: the map flies on to them.
FOCUS_BOUNDS = frozenset({"road", "zone"})
AREAS = frozenset({"subdistrict", "neighborhood"})


def results(services: Services, viewer: Viewer, q: str | None, screen: dict | None) -> list:
    """The list for ``q`` as the viewer may see it (empty for an empty box)."""
    lang = page_lang(screen)
    if not normalize(q):
        return []
    try:
        found = services.search.search(q or "", viewer, services.now(),
                                       personal=profile(screen_of(screen)).personal_data,
                                       ip=caller_ip())
    except ValueError:  # too long: nothing to list
        return search_results([], lang)
    return search_results(labels_in(found, lang), lang)


def as_pick(result: dict[str, Any]) -> dict[str, Any]:
    """The SEARCH_PICK store: the selection to set, the details to open, where to fly."""
    opened = result.get("open")
    focus = None
    if result["kind"] in FOCUS_BOUNDS and result.get("bbox"):
        focus = {"bounds": result["bbox"]}
    elif result["kind"] not in AREAS and result.get("lon") is not None:
        focus = {"lon": result["lon"], "lat": result["lat"]}
    return {"kind": result["kind"], "id": result["id"], "select": result["select"],
            "open": {**opened, **{k: result["select"].get(k)
                                  for k in ("subdistrict", "neighborhood")}} if opened else None,
            "focus": focus, "t": time.time()}


def choose(services: Services, viewer: Viewer, trigger: Any, q: str | None,
           screen: dict | None) -> dict[str, Any]:
    """The chosen result (a row, or Enter: the first), rechecked for the viewer."""
    personal = profile(screen_of(screen)).personal_data
    if isinstance(trigger, dict) and trigger.get("type") == ids.SEARCH_HIT:
        found = services.search.find(str(trigger.get("kind")), str(trigger.get("id")), viewer,
                                     personal)
    else:
        try:
            first = services.search.search(q or "", viewer, services.now(), personal=personal,
                                           limit=1, ip=caller_ip())
        except ValueError:
            raise PreventUpdate from None
        found = first[0] if first else None
    if found is None:
        raise PreventUpdate
    return as_pick(found)


def register(app: Dash, services: Services) -> None:
    @app.callback(Output(ids.SEARCH_RESULTS, "children"), Input(ids.SEARCH_INPUT, "value"),
                  State(ids.SCREEN, "data"), prevent_initial_call=True)
    async def type_ahead(q: str | None, screen: dict | None) -> list:
        return await asyncio.to_thread(results, services, viewing(), q, screen)

    @app.callback(Output(ids.SEARCH_PICK, "data"),
                  Output(ids.SEARCH_RESULTS, "children", allow_duplicate=True),
                  Input(ids.search_hit(ALL, ALL), "n_clicks"),
                  Input(ids.SEARCH_INPUT, "n_submit"),
                  State(ids.SEARCH_INPUT, "value"), State(ids.SCREEN, "data"),
                  prevent_initial_call=True)
    async def pick(_clicks: list | None, _submits: int | None, q: str | None,
                   screen: dict | None) -> tuple[dict, list]:
        trigger = ctx.triggered_id
        if trigger is None or not ctx.triggered[0]["value"]:  # a new list, not a choice
            raise PreventUpdate
        chosen = await asyncio.to_thread(choose, services, viewing(), trigger, q, screen)
        return chosen, []

    app.clientside_callback(ClientsideFunction("twin_map", "focus"),
                            Input(ids.SEARCH_PICK, "data"))
