"""Alarms and inboxes under /api/v1: list, details with every step, and the actions on an alarm.

Who acts is the signed-in caller's linked person (``people``): an account without one, or a
read-only role (kiosk, admin), may not act (403). Every list and object is within the caller's
scope: an alarm outside it is 403. Acknowledging and closing are for the alarm's recipients
(those it was routed or escalated to); escalating and opening an incident for anyone in scope.
Every action is recorded as a step with who and when (``domain/routing.py``), audited, and
screens hear of it through the live stream (``updates``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import pandas as pd
from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from twin_dashboard.api.models import comma_list
from twin_dashboard.api.problems import Problem
from twin_dashboard.api.scope import require_covered, scope_from_query
from twin_dashboard.auth.context import ViewerDep, caller_ip
from twin_dashboard.catalog import ALARM_STATUSES, LEVELS
from twin_dashboard.domain import routing
from twin_dashboard.domain.access import Viewer
from twin_dashboard.domain.alarms import OPEN_ALARM_STATUSES
from twin_dashboard.live.actions import ActionRefused, act_on_alarm
from twin_dashboard.services import Services, ServicesDep

router = APIRouter(prefix="/api/v1", tags=["alarms"])
MAX_LIMIT = 5000  # alarms per list response; ``count`` still tells how many matched
Level = Literal[LEVELS]  # type: ignore[valid-type]


class Alarm(BaseModel):
    id: str
    rule: str = Field(description="device category code or elderly-care rule name")
    severity: str
    status: str = Field(description="open | acknowledged | escalated | closed")
    device_id: str | None
    household_id: str | None
    subdistrict_id: str | None
    neighborhood_id: str | None
    lon: float | None
    lat: float | None
    raised_at: datetime
    acked_at: datetime | None
    acked_by: str | None
    escalated_at: datetime | None
    closed_at: datetime | None
    incident_id: str | None


class AlarmList(BaseModel):
    count: int = Field(description="alarms matching, before `limit`")
    alarms: list[Alarm] = Field(description="newest first")


class Step(BaseModel):
    ts: datetime
    action: str = Field(description="raised, notified, acknowledged, escalated, escalated_to, "
                                    "incident, closed, notify_failed")
    actor: str = Field(description="person id, or 'system' for automatic steps")
    person_id: str | None = Field(description="whom the step concerns (e.g. who was notified)")
    note: str | None


class Recipient(BaseModel):
    person_id: str
    role: str = Field(description="cadre | buddy | duty_officer")
    since: datetime


class AlarmDetail(Alarm):
    recipients: list[Recipient]
    steps: list[Step] = Field(description="in order: who did what and when")


class InboxAlarm(Alarm):
    role: str = Field(description="why it is in this inbox: cadre | buddy | duty_officer")


class Inbox(BaseModel):
    person_id: str
    count: int = Field(description="alarms waiting for this person (open or escalated)")
    alarms: list[InboxAlarm] = Field(description="newest first")


class CloseRequest(BaseModel):
    note: str | None = Field(None, max_length=500, description="e.g. what a visit found")


class IncidentRequest(BaseModel):
    level: Level = Field("committee", description="level that handles the incident first")


class IncidentCreated(BaseModel):
    incident_id: str
    alarm: AlarmDetail


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "not signed in"},
    403: {"model": Problem, "description": "outside the caller's scope, a read-only caller, "
                                           "or (ack, close) the caller was not sent this alarm"},
    404: {"model": Problem, "description": "unknown alarm"},
    409: {"model": Problem, "description": "not possible in the alarm's current status"}}


@router.get("/alarms", response_model=AlarmList, responses={403: ERRORS[403]},
            summary="Alarms within a scope, newest first")
def list_alarms(
    services: ServicesDep,
    viewer: ViewerDep,
    status: str | None = Query(None, pattern=comma_list(ALARM_STATUSES, alone=("all",)),
                               description="comma-separated statuses; default: the "
                               "waiting ones (open,escalated); 'all' for every status"),
    subdistrict: str | None = Query(None, description="subdistrict id, e.g. beiwaitan"),
    neighborhood: str | None = Query(None, description="neighborhood id, e.g. yunfang"),
    limit: int = Query(500, ge=1, le=MAX_LIMIT),
) -> AlarmList:
    """Alarms of the scope (within the caller's) with the given statuses."""
    statuses = _statuses(status)
    scope = scope_from_query(services, viewer, subdistrict, neighborhood)
    frame = _mine(services.store.read_records("alarms", scope, where={"status": list(statuses)}),
                  viewer)
    frame = frame.sort_values(["raised_at", "id"], ascending=[False, True], kind="stable")
    return AlarmList(count=len(frame), alarms=[Alarm(**r) for r in _records(frame[:limit])])


@router.get("/alarms/{alarm_id}", response_model=AlarmDetail,
            responses={403: ERRORS[403], 404: ERRORS[404]},
            summary="One alarm with its recipients and every step (who and when)")
def get_alarm(services: ServicesDep, viewer: ViewerDep, alarm_id: str) -> AlarmDetail:
    return _detail(services, alarm_id, viewer)


@router.post("/alarms/{alarm_id}/ack", response_model=AlarmDetail, responses=ERRORS,
             summary="Acknowledge: the actor (a recipient) takes the alarm on")
def ack_alarm(services: ServicesDep, viewer: ViewerDep, alarm_id: str) -> AlarmDetail:
    _act(services, viewer, alarm_id, "ack")
    return _detail(services, alarm_id, viewer)


@router.post("/alarms/{alarm_id}/escalate", response_model=AlarmDetail, responses=ERRORS,
             summary="Escalate to the subdistrict's duty officer now (once)")
def escalate_alarm(services: ServicesDep, viewer: ViewerDep, alarm_id: str) -> AlarmDetail:
    _act(services, viewer, alarm_id, "escalate")
    return _detail(services, alarm_id, viewer)


@router.post("/alarms/{alarm_id}/close", response_model=AlarmDetail, responses=ERRORS,
             summary="Close: the actor (a recipient) has dealt with the alarm")
def close_alarm(services: ServicesDep, viewer: ViewerDep, alarm_id: str,
                body: CloseRequest | None = None) -> AlarmDetail:
    _act(services, viewer, alarm_id, "close", note=body.note if body else None)
    return _detail(services, alarm_id, viewer)


@router.post("/alarms/{alarm_id}/incident", response_model=IncidentCreated, status_code=201,
             responses=ERRORS, summary="Open an incident (work order) from the alarm")
def alarm_to_incident(services: ServicesDep, viewer: ViewerDep, alarm_id: str,
                      body: IncidentRequest | None = None) -> IncidentCreated:
    incident_id = _act(services, viewer, alarm_id, "incident",
                       level=body.level if body else "committee")
    return IncidentCreated(incident_id=incident_id, alarm=_detail(services, alarm_id, viewer))


@router.get("/inbox/{person_id}", response_model=Inbox,
            responses={403: ERRORS[403], 404: ERRORS[404]},
            summary="A person's inbox: the alarms waiting for them, with a count")
def inbox(services: ServicesDep, viewer: ViewerDep, person_id: str) -> Inbox:
    """The caller's own inbox; another person's only for a role whose area covers theirs."""
    store = services.store
    found = store.read_records("people", where={"id": person_id})
    if found.empty:
        raise HTTPException(404, f"unknown person {person_id!r}")
    if person_id != viewer.person_id:
        if viewer.spec.area not in ("district", "subdistrict"):
            raise HTTPException(403, f"{viewer.name!r} ({viewer.role}) may read only their own "
                                     "inbox")
        require_covered(viewer, found.iloc[0].to_dict(), f"person {person_id!r}")
    frame = _mine(routing.inbox(store, person_id), viewer)
    return Inbox(person_id=person_id, count=len(frame),
                 alarms=[InboxAlarm(**r) for r in _records(frame)])


# --- helpers ----------------------------------------------------------------------------------

def _statuses(status: str | None) -> tuple[str, ...]:
    """The statuses asked for; 422 naming any unknown one."""
    if not status:
        return OPEN_ALARM_STATUSES
    asked = tuple(s.strip() for s in status.split(",") if s.strip())
    if asked == ("all",):
        return ALARM_STATUSES
    unknown = [s for s in asked if s not in ALARM_STATUSES]
    if unknown or not asked:
        raise HTTPException(422, f"unknown status {', '.join(map(repr, unknown)) or status!r}:"
                                 f" one of {', '.join(ALARM_STATUSES)} or 'all'")
    return asked


def _mine(frame: pd.DataFrame, viewer: Viewer) -> pd.DataFrame:
    """Only rows within the viewer's scope (a buddy: their elders' households only)."""
    if frame.empty:
        return frame
    keep = [viewer.covers_row(r) for r in frame.to_dict("records")]
    return frame[keep]


def _act(services: Services, viewer: Viewer, alarm_id: str, action: str,
         **params: Any) -> Any:
    """Take an action (``live/actions.py``); a refusal becomes its HTTP status."""
    try:
        return act_on_alarm(services, viewer, alarm_id, action, ip=caller_ip(), **params)
    except ActionRefused as err:
        raise HTTPException(err.status, str(err)) from None


def _detail(services: Services, alarm_id: str, viewer: Viewer) -> AlarmDetail:
    store = services.store
    found = store.read_records("alarms", where={"id": alarm_id})
    if found.empty:
        raise HTTPException(404, f"unknown alarm {alarm_id!r}")
    require_covered(viewer, found.iloc[0].to_dict(), f"alarm {alarm_id!r}")
    held = store.read_records("alarm_inbox", where={"alarm_id": alarm_id})
    held = held.sort_values(["since", "person_id"], kind="stable")
    steps = routing.history(store, alarm_id)
    return AlarmDetail(**_records(found)[0],
                       recipients=[Recipient(**r) for r in _records(held)],
                       steps=[Step(**r) for r in _records(steps)])


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts with NaN/NaT as ``None`` and timestamps as datetimes."""
    out = []
    for row in frame.to_dict("records"):
        out.append({k: _plain(v) for k, v in row.items()})
    return out


def _plain(value: Any) -> Any:
    if value is None or (not isinstance(value, str | list | dict) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value
