"""Click-to-details: a map pick (ids.MAP_PICK) or an incident-table row → ids.DETAILS_PANEL.

Each kind of object is gathered from the store into a plain dict, then drawn by
``layouts/details.py``. Household data is gathered only off the wall.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
from dash import ALL, Dash, Input, Output, State, ctx
from dash.exceptions import PreventUpdate

from twin_dashboard.callbacks._context import lang_of, screen_of
from twin_dashboard.catalog import CATEGORY_BY_CODE
from twin_dashboard.domain.incidents import sla_breaches
from twin_dashboard.domain.patrols import zone_coverage
from twin_dashboard.domain.routing import Directory
from twin_dashboard.domain.summary import summarize
from twin_dashboard.domain.time import LOCAL_TZ, as_utc
from twin_dashboard.layouts import details as view
from twin_dashboard.layouts import ids
from twin_dashboard.layouts.places import places
from twin_dashboard.runtime import runtime
from twin_dashboard.store.base import Scope

Pick = Mapping[str, Any]  # {"layer", "id", "neighborhood", "subdistrict", ...} (twin_map.js)


def _near(pick: Pick) -> Scope:
    """The narrowest scope the pick names, so one object is found without reading them all."""
    return Scope.of(pick.get("subdistrict"), pick.get("neighborhood"))


def _when(value: Any) -> str | None:
    """A stored time on the district's clock, ``YYYY-MM-DD HH:MM``."""
    if value is None or pd.isna(value):
        return None
    return as_utc(value).tz_convert(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def _one(frame: pd.DataFrame, key: str, value: str) -> dict | None:
    found = frame[frame[key] == value]
    return None if found.empty else found.iloc[0].to_dict()


def _names(person_ids: list[str]) -> dict[str, str]:
    people = runtime().store.read_records("people", where={"id": [p for p in person_ids if p]})
    return dict(zip(people["id"], people["name"], strict=True))


def _household(household_id: str | None) -> dict | None:
    if not household_id:
        return None
    row = _one(runtime().store.read_records("households", where={"id": household_id}),
               "id", household_id)
    if row is None:
        return None
    names = _names([row.get("elder_id"), row.get("cadre_id"), row.get("buddy_id")])
    return {"address": row.get("address"), **{k: names.get(row.get(f"{k}_id"))
                                              for k in ("elder", "cadre", "buddy")}}


def alarm(pick: Pick, personal: bool) -> dict | None:
    row = _one(runtime().store.read_records("alarms", where={"id": pick["id"]}), "id", pick["id"])
    if row is None:
        return None
    device_pick = {"id": row.get("device_id"), "neighborhood": row.get("neighborhood_id")}
    found = device(device_pick, personal) if row.get("device_id") else None
    if found is None and personal and row.get("household_id"):
        found = {"id": "", "category": "", "household": _household(row["household_id"])}
    return {**row, "raised_at": _when(row.get("raised_at")), "device": found,
            "place": places().neighborhoods.get(row.get("neighborhood_id"))}


def incident(pick: Pick, _personal: bool) -> dict | None:
    store = runtime().store
    row = _one(store.read_records("incidents", where={"id": pick["id"]}), "id", pick["id"])
    if row is None:
        return None
    late = sla_breaches(pd.DataFrame([row]), runtime().now())
    events = store.read_records("incident_events", where={"incident_id": pick["id"]})
    history = [{**e, "ts": _when(e["ts"])} for e in events.sort_values("ts").to_dict("records")]
    return {**row, "sla_due_at": _when(row.get("sla_due_at")), "overdue": not late.empty,
            "history": history}


def zone(pick: Pick, _personal: bool) -> dict | None:
    store, now = runtime().store, runtime().now()
    row = _one(store.read_layer("patrol-zones"), "id", pick["id"])
    if row is None:
        return None
    scope = Scope.of(row.get("subdistrict_id"))
    coverage = zone_coverage(pd.DataFrame([row]), store.read_records("patrols", scope), now)
    cov = coverage.iloc[0].to_dict()
    names = _names([row.get("gov_chief_id"), row.get("community_chief_id")])
    return {**row, **cov, "gov_chief": names.get(row.get("gov_chief_id")),
            "community_chief": names.get(row.get("community_chief_id")),
            "last_patrol": _when(cov.get("last_patrol_end"))}


def area(pick: Pick, _personal: bool) -> dict:
    rt, found = runtime(), places()
    is_nbh = pick["layer"] == "neighborhoods"
    scope = Scope.of(neighborhood=pick["id"]) if is_nbh else Scope.of(pick["id"])
    name = found.neighborhoods.get(pick["id"]) if is_nbh else found.subdistricts.get(pick["id"])
    return {"kind": "details.neighborhood" if is_nbh else "details.subdistrict", "name": name,
            "summary": summarize(rt.store, scope, rt.now())}


def building(pick: Pick, _personal: bool) -> dict | None:
    return _one(runtime().store.read_layer("buildings", _near(pick)), "id", pick["id"])


GATHER: dict[str, tuple[Callable[[Pick, bool], Any], Callable[[Any, str], list]]] = {
    "devices": (lambda p, personal: device(p, personal), view.device_details),
    "incidents": (incident, view.incident_details),
    "alarms": (alarm, view.alarm_details),
    "patrol_zones": (zone, view.zone_details),
    "neighborhoods": (area, lambda d, lang: view.area_details(d["kind"], d["name"],
                                                              d["summary"], lang)),
    "subdistricts": (area, lambda d, lang: view.area_details(d["kind"], d["name"],
                                                             d["summary"], lang)),
    "buildings": (building, view.building_details),
}


def device(pick: Pick, personal: bool) -> dict | None:
    store = runtime().store
    row = _one(store.read_layer("devices", _near(pick)), "id", pick["id"])
    if row is None:
        return None
    status = _one(store.read_records("device_status", where={"device_id": pick["id"]}),
                  "device_id", pick["id"]) or {}
    category = CATEGORY_BY_CODE.get(row["category"])
    return {**row, **status, "unit": category.unit if category else "",
            "last_seen": _when(status.get("last_seen")),
            "household": _household(row.get("household_id")) if personal else None}


def render(pick: Pick, screen: str, lang: str) -> list:
    """The panel for ``pick``; personal data never on the wall."""
    gather, draw = GATHER.get(pick.get("layer", ""), (None, None))
    if gather is None or not pick.get("id"):
        return view.not_found(lang)
    data = gather(pick, screen != "wall")
    if data is None:
        return view.not_found(lang)
    if screen == "desk" and pick["layer"] == "alarms":
        data = {**data, "actor": duty_officer(data.get("subdistrict_id"))}
    return draw(data, lang)


def duty_officer(subdistrict_id: str | None) -> str | None:
    """Who the desk acts as for an alarm: its subdistrict's duty officer (DESIGN.md §2)."""
    directory = Directory.from_store(runtime().store)
    return directory.duty.get(subdistrict_id or "") or directory.any_duty


async def show_details(pick: dict | None, cell: dict | None, _taps: list | None,
                       screen: dict | None) -> list:
    trigger = ctx.triggered_id
    if trigger == ids.INCIDENT_TABLE and cell and cell.get("rowId"):
        pick = {"layer": "incidents", "id": cell["rowId"]}
    elif isinstance(trigger, dict) and trigger.get("type") == ids.FEED_ITEM:
        if not ctx.triggered[0]["value"]:  # a refreshed feed, not a tap
            raise PreventUpdate
        pick = {"layer": f"{trigger['kind']}s", "id": trigger["id"]}
    if not pick:
        raise PreventUpdate
    return await asyncio.to_thread(render, pick, screen_of(screen), lang_of(screen))


def register(app: Dash) -> None:
    app.callback(Output(ids.DETAILS_PANEL, "children"),
                 Input(ids.MAP_PICK, "data", allow_optional=True),
                 Input(ids.INCIDENT_TABLE, "cellClicked", allow_optional=True),
                 Input(ids.feed_item(ALL, ALL), "n_clicks"),
                 State(ids.SCREEN, "data"), prevent_initial_call=True)(show_details)
