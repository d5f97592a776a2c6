"""Click-to-details: a map pick (ids.MAP_PICK), a feed item, an incident row or a search result
(ids.SEARCH_PICK) → the panel.

The object is gathered by ``domain/details.py`` (which decides what the signed-in viewer may see:
an object outside their scope is "not found") and drawn by ``layouts/details.py``. Each view of
a resident's personal data is audited (who, whose, why).

"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable
from typing import Any

import pandas as pd
from dash import ALL, Dash, Input, Output, State, ctx, html
from dash.exceptions import PreventUpdate

from twin_dashboard.auth.context import caller_ip
from twin_dashboard.callbacks._context import page_lang, scope_of, screen_of, viewing
from twin_dashboard.domain import audit, sessions, visits, workflow
from twin_dashboard.domain.access import OutOfScope, Viewer
from twin_dashboard.domain.details import Lookup, Pick, details
from twin_dashboard.i18n import t
from twin_dashboard.layouts import details as view
from twin_dashboard.layouts import ids
from twin_dashboard.live.actions import ActionRefused, act_on_alarm, announce_incident
from twin_dashboard.services import Services


def _area(data: dict[str, Any], lang: str) -> list:
    return view.area_details(data["kind"], data["name"], data["summary"], lang,
                             data.get("visited"))


DRAW: dict[str, Callable[[Any, str], list]] = {
    "devices": view.device_details, "incidents": view.incident_details,
    "alarms": view.alarm_details, "patrol_zones": view.zone_details,
    "neighborhoods": _area, "subdistricts": _area, "buildings": view.building_details,
    "households": view.household_details,
}


def render(services: Services, viewer: Viewer, pick: Pick, screen: dict | None) -> list:
    """The panel for ``pick`` as the signed-in viewer may see it."""
    lang = page_lang(screen)

    def seen(household_id: str) -> None:
        audit.record(services.store, services.now(), viewer.name, "personal.view",
                     household_id, reason=viewer.reason or f"role {viewer.role}",
                     detail=f"{pick.get('layer')}:{pick.get('id')}")

    lookup = Lookup(services.store, services.atlas.places(lang), services.ingestor.directory(),
                    services.now(), viewer, screen_of(screen), seen)
    data = details(pick, lookup)
    return view.not_found(lang) if data is None else DRAW[pick["layer"]](data, lang)


def picked(pick: dict | None, cell: dict | None, found: dict | None = None) -> dict | None:
    """What was picked, from whichever input fired: map, incident row, feed item or a
    search result (what it opens, if anything)."""
    trigger = ctx.triggered_id
    if trigger == ids.SEARCH_PICK:
        return (found or {}).get("open")
    if trigger == ids.INCIDENT_TABLE and cell and cell.get("rowId"):
        return {"layer": "incidents", "id": cell["rowId"]}
    if isinstance(trigger, dict) and trigger.get("type") == ids.OPEN_HOUSEHOLD:
        if not ctx.triggered[0]["value"]:
            raise PreventUpdate
        return {"layer": "households", "id": trigger["id"]}
    if isinstance(trigger, dict) and trigger.get("type") == ids.FEED_ITEM:
        if not ctx.triggered[0]["value"]:  # a refreshed feed, not a tap
            raise PreventUpdate
        return {"layer": f"{trigger['kind']}s", "id": trigger["id"]}
    return pick


def register(app: Dash, services: Services) -> None:
    @app.callback(Output(ids.DETAILS_PANEL, "children"),
                  Input(ids.MAP_PICK, "data", allow_optional=True),
                  Input(ids.INCIDENT_TABLE, "cellClicked", allow_optional=True),
                  Input(ids.feed_item(ALL, ALL), "n_clicks"),
                  Input(ids.open_household(ALL), "n_clicks"),
                  Input(ids.SEARCH_PICK, "data", allow_optional=True),
                  State(ids.SCREEN, "data"), prevent_initial_call=True)
    async def show_details(pick: dict | None, cell: dict | None, _taps: list | None,
                           _homes: list | None, found: dict | None, screen: dict | None) -> list:
        pick = picked(pick, cell, found)
        if not pick or pick.get("layer") not in DRAW:  # a city's district drills in instead
            raise PreventUpdate
        return await asyncio.to_thread(render, services, viewing(), pick, screen)

    # An action button of the alarm in the panel (ack, escalate, close, open an incident).
    @app.callback(Output(ids.DETAILS_PANEL, "children", allow_duplicate=True),
                  Input(ids.alarm_action(ALL, ALL), "n_clicks"),
                  State(ids.alarm_note(ALL), "value"), State(ids.SCREEN, "data"),
                  prevent_initial_call=True)
    async def act(clicks: list | None, notes: list | None, screen: dict | None) -> list:
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not any(clicks or []):
            raise PreventUpdate
        return await asyncio.to_thread(take_action, services, viewing(), trigger["id"],
                                       trigger["action"], (notes or [None])[0], screen)

    # A workflow step of the incident in the panel (dispatch … reopen).
    @app.callback(Output(ids.DETAILS_PANEL, "children", allow_duplicate=True),
                  Input(ids.incident_action(ALL, ALL), "n_clicks"),
                  State(ids.incident_note(ALL), "value"),
                  State(ids.incident_level(ALL), "value"), State(ids.SCREEN, "data"),
                  prevent_initial_call=True)
    async def step(clicks: list | None, notes: list | None, levels: list | None,
                   screen: dict | None) -> list:
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not any(clicks or []):
            raise PreventUpdate
        return await asyncio.to_thread(take_incident_step, services, viewing(), trigger["id"],
                                       trigger["action"], (notes or [None])[0],
                                       (levels or [None])[0], screen)

    # 上报事件: the header's button opens the form; its submit opens the incident.
    @app.callback(Output(ids.DETAILS_PANEL, "children", allow_duplicate=True),
                  Input(ids.REPORT_OPEN, "n_clicks"),
                  State(ids.MAP_PICK, "data"), State(ids.SELECTION, "data"),
                  State(ids.SCREEN, "data"), prevent_initial_call=True)
    async def report(clicks: int | None, pick: dict | None, selection: dict | None,
                     screen: dict | None) -> list:
        if not clicks:
            raise PreventUpdate
        return await asyncio.to_thread(open_report, services, viewing(), pick, selection,
                                       screen)

    @app.callback(Output(ids.DETAILS_PANEL, "children", allow_duplicate=True),
                  Input(ids.REPORT_SUBMIT, "n_clicks"),
                  State(ids.REPORT_TITLE, "value"), State(ids.REPORT_KIND, "value"),
                  State(ids.REPORT_SOURCE, "value"), State(ids.MAP_PICK, "data"),
                  State(ids.SELECTION, "data"), State(ids.SCREEN, "data"),
                  prevent_initial_call=True)
    async def submit(clicks: int | None, title: str | None, kind: str | None,
                     source: str | None, pick: dict | None, selection: dict | None,
                     screen: dict | None) -> list:
        if not clicks:
            raise PreventUpdate
        return await asyncio.to_thread(submit_report, services, viewing(), title, kind,
                                       source, pick, selection, screen)

    # 大走访 / 大排查: the checklist opens from a household card or a building; submitted,
    # each problem opens an incident.
    @app.callback(Output(ids.DETAILS_PANEL, "children", allow_duplicate=True),
                  Input(ids.visit_open(ALL, ALL), "n_clicks"), State(ids.SCREEN, "data"),
                  prevent_initial_call=True)
    async def start_visit(clicks: list | None, screen: dict | None) -> list:
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not any(clicks or []):
            raise PreventUpdate
        return await asyncio.to_thread(open_visit, services, viewing(), trigger["kind"],
                                       trigger["id"], screen)

    @app.callback(Output(ids.DETAILS_PANEL, "children", allow_duplicate=True),
                  Input(ids.visit_submit(ALL, ALL, ALL), "n_clicks"),
                  State(ids.visit_item(ALL), "value"), State(ids.visit_note(ALL), "value"),
                  State(ids.SCREEN, "data"), prevent_initial_call=True)
    async def record(clicks: list | None, _choices, _notes, screen: dict | None) -> list:
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not any(clicks or []):
            raise PreventUpdate
        choices, notes = ctx.states_list[0], ctx.states_list[1]
        return await asyncio.to_thread(submit_visit, services, viewing(), trigger["kind"],
                                       trigger["id"], trigger["started"], choices, notes,
                                       screen)

    # A commander states why they need a household's personal data: recorded for this session
    # (domain/sessions.py, audited), then the same device is drawn again, unmasked.
    @app.callback(Output(ids.DETAILS_PANEL, "children", allow_duplicate=True),
                  Input(ids.reveal("button", ALL), "n_clicks"),
                  State(ids.reveal("reason", ALL), "value"), State(ids.SCREEN, "data"),
                  prevent_initial_call=True)
    async def reveal(clicks: list | None, reasons: list | None, screen: dict | None) -> list:
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not any(clicks or []):
            raise PreventUpdate
        return await asyncio.to_thread(state_reason, services, viewing(), trigger["id"],
                                       (reasons or [""])[0] or "", screen)


def take_action(services: Services, viewer: Viewer, alarm_id: str, action: str,
                note: str | None, screen: dict | None) -> list:
    """Take an alarm action as the signed-in viewer; the panel redrawn with what happened."""
    lang = page_lang(screen)
    try:
        incident = act_on_alarm(services, viewer, alarm_id, action, note=note or None,
                                ip=caller_ip())
        message = html.P(t(f"act.done.{action}", lang, incident=incident or ""),
                         className="act-done", role="status")
    except ActionRefused:
        message = html.P(t("act.refused", lang), className="act-refused", role="alert")
    return [message, *render(services, viewer, {"layer": "alarms", "id": alarm_id}, screen)]


def take_incident_step(services: Services, viewer: Viewer, incident_id: str, action: str,
                       note: str | None, level: str | None, screen: dict | None) -> list:
    """Take a workflow step as the signed-in viewer; the panel redrawn with what happened."""
    lang = page_lang(screen)
    label = t(f"do.{action}", lang) if action in workflow.ACTIONS else action
    text = (note or "").strip() or None
    params = {"level": level} if action == "dispatch" else \
        {"reason": text} if action in view.NEEDS_REASON else {"note": text}
    try:
        row = workflow.act(services.store, incident_id, action, viewer, services.now(), **params)
    except (workflow.NotPermitted, workflow.IllegalAction, workflow.UnknownIncident):
        message = html.P(t("do.refused", lang), className="act-refused", role="alert")
    except ValueError:  # a missing reason
        message = html.P(t("do.needs_reason", lang, action=label), className="act-refused",
                         role="alert")
    else:
        announce_incident(services, viewer, row, action, caller_ip())
        message = html.P(t("do.done", lang, action=label), className="act-done", role="status")
    return [message, *render(services, viewer, {"layer": "incidents", "id": incident_id},
                             screen)]


def report_place(services: Services, viewer: Viewer, pick: dict | None,
                 selection: dict | None, lang: str = "zh") -> tuple[dict, str | None, bool]:
    """Where a report lands: the last map pick's point, or the selected neighborhood (inside
    the viewer's scope); with the name shown on the form and whether it is a point."""
    scope = scope_of(services, viewer, selection)
    names = services.atlas.places(lang).neighborhoods
    if pick and pick.get("lon") is not None and pick.get("lat") is not None:
        lon, lat = float(pick["lon"]), float(pick["lat"])
        return {"lon": lon, "lat": lat}, f"{lon:.5f}, {lat:.5f}", True
    if scope.neighborhood:
        return {"neighborhood_id": scope.neighborhood}, names.get(scope.neighborhood), False
    return {}, None, False


def open_report(services: Services, viewer: Viewer, pick: dict | None,
                selection: dict | None, screen: dict | None) -> list:
    if viewer.read_only:
        raise PreventUpdate
    _, name, at_point = report_place(services, viewer, pick, selection, page_lang(screen))
    return view.report_form(page_lang(screen), name, at_point)


def submit_report(services: Services, viewer: Viewer, title: str | None, kind: str | None,
                  source: str | None, pick: dict | None, selection: dict | None,
                  screen: dict | None) -> list:
    """Open an incident from the form as the signed-in viewer; refused whole with a reason."""
    lang = page_lang(screen)
    place, name, at_point = report_place(services, viewer, pick, selection, page_lang(screen))

    def again(key: str) -> list:
        return [html.P(t(key, lang), className="act-refused", role="alert"),
                *view.report_form(lang, name, at_point)]

    if not (title or "").strip():
        return again("report.needs_title")
    if not place:
        return again("report.needs_place")
    try:
        incident_id = workflow.create_incident(
            services.store, services.atlas.geo().layers["neighborhoods"], viewer,
            services.now(), kind=kind if kind in view.REPORT_KINDS else "other",
            title=title.strip(), source=source if source in view.REPORT_SOURCES else "resident",
            **place)
    except (workflow.NotPermitted, OutOfScope, ValueError):
        return again("report.needs_place")
    row = services.store.read_records("incidents", where={"id": incident_id}).iloc[0].to_dict()
    announce_incident(services, viewer, row, "report", caller_ip())
    done = html.P(t("report.done", lang, incident=incident_id), className="act-done",
                  role="status")
    return [done, *render(services, viewer, {"layer": "incidents", "id": incident_id}, screen)]


VISIT_TARGETS = {"visit": ("households", "household"), "inspection": ("buildings", "building")}


def open_visit(services: Services, viewer: Viewer, kind: str, place_id: str,
               screen: dict | None) -> list:
    """The checklist of ``kind`` for a place the viewer may visit (nothing otherwise)."""
    lang = page_lang(screen)
    if kind not in VISIT_TARGETS or not viewer.may_record(kind):
        raise PreventUpdate
    try:
        place = visits.find_place(services.store, VISIT_TARGETS[kind][1], place_id)
    except visits.VisitRefused:
        return view.not_found(lang)
    if not viewer.covers_row(place.row()):
        return view.not_found(lang)
    label = place.label if viewer.personal_data or kind == "inspection" else None
    return view.visit_form(kind, place_id, label, visits.checklist(kind),
                           services.now().isoformat(), lang)


def submit_visit(services: Services, viewer: Viewer, kind: str, place_id: str, started: str,
                 choices: list[dict], notes: list[dict], screen: dict | None) -> list:
    """Record the visit as the signed-in viewer: one incident per problem, all or nothing."""
    lang = page_lang(screen)
    noted = {n["id"]["item"]: n.get("value") for n in notes}
    findings = tuple(visits.Finding(c["id"]["item"], c.get("value") != "problem",
                                    (noted.get(c["id"]["item"]) or "").strip() or None)
                     for c in choices)
    now = services.now()
    target, column = VISIT_TARGETS.get(kind, (None, None))
    try:
        if target is None or not viewer.may_record(kind):
            raise visits.VisitRefused(f"{viewer.role} may not record a {kind}")
        visit = visits.Visit(kind, place_id if column == "household" else None,
                             place_id if column == "building" else None,
                             pd.Timestamp(started), now, findings, viewer.person_id)
        visits.check_visit(visit, now)
        place = visits.find_place(services.store, column, place_id)
        if not viewer.covers_row(place.row()):
            raise visits.VisitRefused(f"{column} {place_id!r} is outside the scope")
    except (visits.VisitRefused, ValueError):
        return [html.P(t("visit.refused", lang), className="act-refused", role="alert"),
                *open_visit(services, viewer, kind, place_id, screen)]
    visit_id, incident_ids = visits.record_visit(services.store, visit, place, viewer.name, now)
    audit.record(services.store, now, viewer.name, f"{kind}.record", visit_id,
                 detail=f"{column}={place_id} incidents={','.join(incident_ids) or '-'}",
                 ip=caller_ip())
    for row in services.store.read_records("incidents", where={"id": incident_ids}).to_dict(
            "records"):
        announce_incident(services, viewer, row, "report", caller_ip())
    done = html.P(t("visit.done", lang, count=len(incident_ids)), className="act-done",
                  role="status")
    return [done, *render(services, viewer, {"layer": target, "id": place_id}, screen)]


def state_reason(services: Services, viewer: Viewer, device_id: str, reason: str,
                 screen: dict | None) -> list:
    """Record a commander's reason and redraw the device; a refused reason says why."""
    lang = page_lang(screen)
    if viewer.spec.personal != "with_reason" or viewer.session is None:
        raise PreventUpdate
    try:
        sessions.state_reason(services.store, viewer.session, viewer.name, reason,
                              services.now())
    except ValueError:
        panel = render(services, viewer, {"layer": "devices", "id": device_id}, screen)
        return [html.P(t("reveal.short", lang), className="reveal-error", role="alert"), *panel]
    unlocked = dataclasses.replace(viewer, reason=" ".join(reason.split()))
    minutes = int(sessions.DEFAULT_POLICY.reason_for.total_seconds() // 60)
    return [html.P(t("reveal.done", lang, minutes=minutes), className="reveal-done"),
            *render(services, unlocked, {"layer": "devices", "id": device_id}, screen)]
