"""What the screens look at: selectors, map picks, search results and the wall's rotation →
ids.SELECTION.

Every other screen callback reads ids.SELECTION, so selecting a subdistrict or neighborhood
filters everything at once; each reader narrows it to the signed-in viewer's scope again, and
so does this module: selectors offer, and rotation visits, only places inside that scope.
Inputs a layout lacks are ``allow_optional``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dash import Dash, Input, Output, State, ctx, no_update, set_props
from dash.exceptions import PreventUpdate

from twin_dashboard.callbacks._context import page_lang, screen_of, viewing
from twin_dashboard.domain.access import Viewer
from twin_dashboard.domain.places import Places
from twin_dashboard.layouts import ids
from twin_dashboard.layouts.components import app_title, full_title, scope_label
from twin_dashboard.profiles import profile
from twin_dashboard.services import Services

Selection = dict[str, str | None]
PICK_SELECTS: dict[str, str] = {"neighborhoods": "neighborhood", "subdistricts": "subdistrict",
                                "districts": "district"}


def next_selection(trigger: str | None, subdistrict: str | None, neighborhood: str | None,
                   pick: Mapping[str, Any] | None, current: Selection,
                   screen: Mapping[str, Any], found: Places) -> Selection | None:
    """The new selection after ``trigger`` fired, or None when it changes nothing."""
    if trigger == ids.SUBDISTRICT_SELECT:
        nbh = current.get("neighborhood")
        keep = nbh if nbh and found.parent.get(nbh) == subdistrict else None
        new = found.clean(subdistrict, keep, current.get("district"))
    elif trigger == ids.NEIGHBORHOOD_SELECT:  # cleared selectors keep a city's district
        new = found.clean(subdistrict, neighborhood, current.get("district"))
    elif trigger == ids.ROTATE_TIMER:
        new = found.clean(_next_in(screen.get("subdistricts", []), current.get("subdistrict")),
                          None)
    elif trigger == ids.SEARCH_PICK and pick:  # a search result: its place (callbacks/search)
        chosen = pick.get("select") or {}
        new = found.clean(chosen.get("subdistrict"), chosen.get("neighborhood"))
    elif trigger == ids.MAP_PICK and pick and (profile(screen.get("screen")).selectors
                                               or pick.get("layer") == "districts"):
        kind = PICK_SELECTS.get(pick.get("layer", ""))  # a city's district: on every screen
        if kind is None:
            return None
        new = found.clean(pick["id"] if kind == "subdistrict" else None,
                          pick["id"] if kind == "neighborhood" else None,
                          pick["id"] if kind == "district" else None)
    else:
        return None
    return None if new == current else new


def _next_in(cycle: list[str], current: str | None) -> str | None:
    """The entry after ``current`` in ``cycle``, wrapping round; the first when not in it."""
    if not cycle:
        return None
    return cycle[(cycle.index(current) + 1) % len(cycle)] if current in cycle else cycle[0]


def neighborhood_options(subdistrict: str | None, current: str | None,
                         found: Places) -> tuple[list[dict[str, str]], str | None]:
    """The neighborhoods of ``subdistrict`` (all for None) and the value that stays chosen."""
    children = found.children(subdistrict)
    options = [{"label": found.neighborhoods[n], "value": n} for n in children]
    return options, current if current in children else None


def select(found: Places, subdistrict, neighborhood, pick, current, screen,
           viewer: Viewer | None = None) -> Selection:
    """Selectors, map picks and rotation ticks → the selection inside the viewer's scope;
    keeps selectors in step."""
    viewer = viewer or viewing()
    screen = {**(screen or {}), "subdistricts": [  # the wall rotates only inside the scope
        s for s in (screen or {}).get("subdistricts", []) if s in viewer.areas(found).subdistricts]}
    new = next_selection(ctx.triggered_id, subdistrict, neighborhood, pick, current or {},
                         screen, found)
    if new is None:
        raise PreventUpdate
    new = viewer.narrow(found, new["subdistrict"], new["neighborhood"],
                        new.get("district")).selection
    if new == (current or {}):
        raise PreventUpdate
    if profile(screen_of(screen)).selectors and ctx.triggered_id != ids.SUBDISTRICT_SELECT:
        set_props(ids.SUBDISTRICT_SELECT, {"value": new["subdistrict"]})
        set_props(ids.NEIGHBORHOOD_SELECT, {"value": new["neighborhood"]})
    return new


def scope_title(found: Places, selection: Selection | None,
                screen: dict | None) -> tuple[list, str, str]:
    """The header's scope and titles for a selection (the titles name its district)."""
    if not selection:
        return no_update, no_update, no_update
    name = found.name(selection.get("subdistrict"), selection.get("neighborhood"))
    place = found.district_name(selection.get("subdistrict"), selection.get("district"))
    lang, shown = page_lang(screen), screen_of(screen)
    return (scope_label(name, lang, shown, place), app_title(shown, lang, place),
            full_title(lang, place))


# The selection in the address bar, so a drill-down can be bookmarked and shared (the page
# reads it back on load; the browser's back button loads the previous selection's address
# again: assets/history.js). A rotating wall replaces its entry instead of piling them up.
SELECTION_TO_URL = """
function(selection, screen) {
    const nu = window.dash_clientside.no_update;
    if (!selection) return nu;
    const params = new URLSearchParams(window.location.search);
    for (const key of ["subdistrict", "neighborhood", "district"]) {
        if (selection[key]) { params.set(key, selection[key]); } else { params.delete(key); }
    }
    const query = params.toString();
    const url = window.location.pathname + (query ? "?" + query : "");
    if (url !== window.location.pathname + window.location.search) {
        window.twinHistory.show(url, Boolean(screen && screen.rotate));
    }
    return nu;
}
"""


def register(app: Dash, services: Services) -> None:
    app.clientside_callback(SELECTION_TO_URL, Output(ids.SELECTION, "id"),
                            Input(ids.SELECTION, "data"), State(ids.SCREEN, "data"))

    def places(screen: dict | None = None) -> Places:
        return services.atlas.places(page_lang(screen))

    optional = {"allow_optional": True}
    app.callback(
        Output(ids.NEIGHBORHOOD_SELECT, "options"), Output(ids.NEIGHBORHOOD_SELECT, "value"),
        Input(ids.SUBDISTRICT_SELECT, "value"), State(ids.NEIGHBORHOOD_SELECT, "value"),
        State(ids.SCREEN, "data"), prevent_initial_call=True,
    )(lambda sub, nbh, screen: neighborhood_options(sub, nbh,
                                                    viewing().areas(places(screen))))
    app.callback(
        Output(ids.SELECTION, "data"),
        Input(ids.SUBDISTRICT_SELECT, "value", **optional),
        Input(ids.NEIGHBORHOOD_SELECT, "value", **optional),
        Input(ids.MAP_PICK, "data", **optional),
        Input(ids.ROTATE_TIMER, "n_intervals", **optional),
        Input(ids.SEARCH_PICK, "data", **optional),
        State(ids.SELECTION, "data"), State(ids.SCREEN, "data"),
        prevent_initial_call=True,
    )(lambda sub, nbh, pick, _tick, found, current, screen: select(
        places(), sub, nbh, found if ctx.triggered_id == ids.SEARCH_PICK else pick, current,
        screen))
    app.callback(
        Output(ids.SCOPE_TITLE, "children"), Output(ids.APP_TITLE, "children"),
        Output(ids.APP_TITLE, "title"),
        Input(ids.SELECTION, "data"),
        State(ids.SCREEN, "data"), prevent_initial_call=True,
    )(lambda selection, screen: scope_title(places(screen), selection, screen))
