"""Incidents under /api/v1: list, one with every step, report a new one, and the workflow's actions.

The rules are ``domain/workflow.py``'s: what the status allows (else 409) and what the caller's
role and scope allow (else 403); both answers name what the caller may do now in ``allowed``.
A ``property`` caller sees only property-level incidents. Every action is a step naming the actor
(the caller's linked person, else their account) and the time, is audited as
``incident.<action>``, and reaches open screens as an entry of the live event's ``incidents``.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from twin_dashboard.api.models import NotBlank, Number, comma_list
from twin_dashboard.api.problems import Problem
from twin_dashboard.api.scope import scope_from_query
from twin_dashboard.auth.context import ViewerDep, caller_ip
from twin_dashboard.catalog import INCIDENT_SOURCES, INCIDENT_STATUSES, LEVELS
from twin_dashboard.domain import workflow
from twin_dashboard.domain.access import OutOfScope, Viewer
from twin_dashboard.live.actions import announce_incident
from twin_dashboard.services import Services, ServicesDep

router = APIRouter(prefix="/api/v1", tags=["incidents"])
MAX_LIMIT = 5000  # incidents per list response; ``count`` still tells how many matched
Level = Literal[LEVELS]  # type: ignore[valid-type]
Source = Literal[INCIDENT_SOURCES]  # type: ignore[valid-type]
Text = Annotated[str, Field(min_length=1, max_length=workflow.NOTE_MAX, pattern=NotBlank)]
# Where: a neighborhood, or a point (located in the neighborhood that covers it).
PLACED = {"anyOf": [
    {"required": ["neighborhood_id"],
     "properties": {"neighborhood_id": {"type": "string", "minLength": 1}}},
    {"required": ["lon", "lat"],
     "properties": {"lon": {"type": "number"}, "lat": {"type": "number"}}}]}


class Incident(BaseModel):
    id: str
    source: str = Field(description=" | ".join(INCIDENT_SOURCES))
    kind: str | None
    title: str | None
    subdistrict_id: str | None
    neighborhood_id: str | None
    zone_id: str | None
    device_id: str | None
    level: str = Field(description="property | committee | subdistrict: who handles it now")
    status: str = Field(description=" → ".join(INCIDENT_STATUSES))
    reported_at: datetime
    dispatched_at: datetime | None
    accepted_at: datetime | None
    started_at: datetime | None
    resolved_at: datetime | None
    verified_at: datetime | None
    closed_at: datetime | None
    sla_due_at: datetime | None = Field(description="deadline at the current level")
    overdue: bool = Field(description="open and past its deadline now")
    assignee: str | None = Field(description="person handling it, once dispatched or accepted")
    reopened: int = Field(description="times reopened after resolving or closing (返工)")
    lon: float | None
    lat: float | None
    allowed: list[str] = Field(description="what the caller may do with it now")


class IncidentList(BaseModel):
    count: int = Field(description="incidents matching, before `limit`")
    incidents: list[Incident] = Field(description="newest first (then the higher id)")


class IncidentStep(BaseModel):
    ts: datetime
    action: str = Field(description="report, or a workflow action: " + ", ".join(workflow.ACTIONS))
    level: str | None = Field(description="the level after the step")
    actor: str | None = Field(description="person id (or account name) who acted")
    note: str | None


class IncidentDetail(Incident):
    steps: list[IncidentStep] = Field(description="in order: who did what and when")


class NewIncident(BaseModel):
    model_config = ConfigDict(json_schema_extra=PLACED)

    kind: str = Field(min_length=1, max_length=64, description="e.g. leak, noise, clutter")
    title: Text
    source: Source
    neighborhood_id: str | None = Field(None, description="where (unknown: 404); or lon and lat")
    lon: Number | None = Field(None, ge=-180, le=180, description="WGS84; with lat, a point "
                                                                  "inside a neighborhood")
    lat: Number | None = Field(None, ge=-90, le=90, description="WGS84")
    level: Level = Field("property", description="the level it is first meant for")

    @model_validator(mode="after")
    def _placed(self) -> NewIncident:
        if not self.neighborhood_id and (self.lon is None or self.lat is None):
            raise ValueError("give neighborhood_id, or lon and lat")
        return self


class Created(BaseModel):
    id: str


class DispatchRequest(BaseModel):
    level: Level | None = Field(None, description="default: the incident's level")
    assignee: str | None = Field(None, description="a person id (unknown: 404)")


class ReasonRequest(BaseModel):
    reason: Text


class NoteRequest(BaseModel):
    note: str | None = Field(None, max_length=workflow.NOTE_MAX)


class Refusal(BaseModel):
    detail: str
    allowed: list[str] = Field([], description="what the caller may do with the incident now "
                                               "(absent when it is outside the scope)")


class Refused(HTTPException):
    """403 or 409 with the actions the caller may take instead."""

    def __init__(self, status: int, detail: str, allowed: list[str]) -> None:
        super().__init__(status, detail)
        self.allowed = allowed


async def refused(_request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, Refused)
    return JSONResponse({"detail": err.detail, "allowed": err.allowed}, err.status_code)


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "not signed in"},
    403: {"model": Refusal, "description": "not the caller's role, level or scope"},
    404: {"model": Problem, "description": "unknown incident, or unknown assignee"},
    409: {"model": Refusal, "description": "not possible in the incident's current status"},
    422: {"model": Problem, "description": "a point outside every neighborhood"}}


@router.get("/incidents", response_model=IncidentList,
            summary="Incidents within the caller's scope, newest first")
def list_incidents(
    services: ServicesDep,
    viewer: ViewerDep,
    status: str | None = Query(None, pattern=comma_list(INCIDENT_STATUSES),
                               description="comma-separated statuses; default all"),
    level: str | None = Query(None, pattern=comma_list(LEVELS),
                              description="comma-separated levels"),
    source: str | None = Query(None, pattern=comma_list(INCIDENT_SOURCES),
                               description="comma-separated sources"),
    subdistrict: str | None = Query(None, description="subdistrict id, e.g. beiwaitan"),
    neighborhood: str | None = Query(None, description="neighborhood id, e.g. yunfang"),
    limit: int = Query(500, ge=1, le=MAX_LIMIT),
) -> IncidentList:
    where = {k: list(v) for k, v in (("status", _listed(status, INCIDENT_STATUSES, "status")),
                                     ("level", _listed(level, LEVELS, "level")),
                                     ("source", _listed(source, INCIDENT_SOURCES, "source")))
             if v}
    scope = scope_from_query(services, viewer, subdistrict, neighborhood)
    frame = services.store.read_records("incidents", scope, where=where)
    rows = [r for r in _records(frame) if workflow.visible(viewer, r)]
    rows.sort(key=lambda r: (r["reported_at"], r["id"]), reverse=True)  # newest first
    now = services.now()
    return IncidentList(count=len(rows),
                        incidents=[_incident(r, viewer, now) for r in rows[:limit]])


@router.get("/incidents/{incident_id}", response_model=IncidentDetail,
            responses={403: ERRORS[403], 404: ERRORS[404]},
            summary="One incident with every step (who did what, when)")
def get_incident(services: ServicesDep, viewer: ViewerDep, incident_id: str) -> IncidentDetail:
    return _detail(services, incident_id, viewer)


@router.post("/incidents", response_model=Created, status_code=201,
             responses={403: ERRORS[403], 404: {"model": Problem, "description":
                                                "unknown neighborhood_id"}, 422: ERRORS[422]},
             summary="Report a new incident")
def report_incident(services: ServicesDep, viewer: ViewerDep, body: NewIncident) -> Created:
    """At a neighborhood, or a point located in its neighborhood; refused outside the scope."""
    if body.neighborhood_id and body.neighborhood_id not in services.atlas.places().neighborhoods:
        raise HTTPException(404, f"neighborhood_id: unknown neighborhood {body.neighborhood_id!r}")
    with _answers():
        incident_id = workflow.create_incident(
            services.store, services.atlas.geo().layers["neighborhoods"], viewer, services.now(),
            **body.model_dump())
    row = _records(services.store.read_records("incidents", where={"id": incident_id}))[0]
    announce(services, row, "report", viewer)
    return Created(id=incident_id)


@router.post("/incidents/{incident_id}/dispatch", response_model=IncidentDetail,
             responses=ERRORS, summary="Dispatch to a level (and a person): officer, commander")
def dispatch(services: ServicesDep, viewer: ViewerDep, incident_id: str,
             body: DispatchRequest | None = None) -> IncidentDetail:
    body = body or DispatchRequest()
    if body.assignee is not None and services.store.read_records(
            "people", where={"id": body.assignee}).empty:
        _detail(services, incident_id, viewer)  # an unknown incident first
        raise HTTPException(404, f"assignee: unknown person {body.assignee!r}")
    return _act(services, viewer, incident_id, "dispatch", level=body.level,
                assignee=body.assignee)


@router.post("/incidents/{incident_id}/accept", response_model=IncidentDetail,
             responses=ERRORS, summary="Accept a dispatched incident: its level's handler")
def accept(services: ServicesDep, viewer: ViewerDep, incident_id: str) -> IncidentDetail:
    return _act(services, viewer, incident_id, "accept")


@router.post("/incidents/{incident_id}/start", response_model=IncidentDetail,
             responses=ERRORS, summary="Start work on an accepted incident: its level's handler")
def start(services: ServicesDep, viewer: ViewerDep, incident_id: str) -> IncidentDetail:
    return _act(services, viewer, incident_id, "start")


@router.post("/incidents/{incident_id}/escalate", response_model=IncidentDetail,
             responses=ERRORS, summary="Hand up one level (property → committee → subdistrict)")
def escalate(services: ServicesDep, viewer: ViewerDep, incident_id: str,
             body: ReasonRequest) -> IncidentDetail:
    return _act(services, viewer, incident_id, "escalate", reason=body.reason)


@router.post("/incidents/{incident_id}/resolve", response_model=IncidentDetail,
             responses=ERRORS, summary="Report back: dealt with (its level's handler)")
def resolve(services: ServicesDep, viewer: ViewerDep, incident_id: str,
            body: NoteRequest | None = None) -> IncidentDetail:
    return _act(services, viewer, incident_id, "resolve", note=body.note if body else None)


@router.post("/incidents/{incident_id}/verify", response_model=IncidentDetail,
             responses=ERRORS, summary="Verify a resolved incident (核实): officer, commander")
def verify(services: ServicesDep, viewer: ViewerDep, incident_id: str,
           body: NoteRequest | None = None) -> IncidentDetail:
    return _act(services, viewer, incident_id, "verify", note=body.note if body else None)


@router.post("/incidents/{incident_id}/close", response_model=IncidentDetail,
             responses=ERRORS, summary="Close a verified incident (结案): officer, commander")
def close(services: ServicesDep, viewer: ViewerDep, incident_id: str,
          body: NoteRequest | None = None) -> IncidentDetail:
    return _act(services, viewer, incident_id, "close", note=body.note if body else None)


@router.post("/incidents/{incident_id}/reopen", response_model=IncidentDetail,
             responses=ERRORS, summary="Reopen a resolved or closed incident (返工)")
def reopen(services: ServicesDep, viewer: ViewerDep, incident_id: str,
           body: ReasonRequest) -> IncidentDetail:
    return _act(services, viewer, incident_id, "reopen", reason=body.reason)


# --- helpers ----------------------------------------------------------------------------------

def _act(services: Services, viewer: Viewer, incident_id: str, action: str,
         **params: Any) -> IncidentDetail:
    _detail(services, incident_id, viewer)  # 404, then 403 for what the caller may not see
    with _answers():
        row = workflow.act(services.store, incident_id, action, viewer, services.now(),
                           **params)
    announce(services, _records(pd.DataFrame([row]))[0], action, viewer)
    # The actor sees what they did, even when it left their view (property escalating it).
    return _detail(services, incident_id, viewer, check=False)


@contextmanager
def _answers():
    """The workflow's refusals as HTTP answers: 404, 403 and 409 (with ``allowed``), 422."""
    try:
        yield
    except workflow.UnknownIncident as err:
        raise HTTPException(404, str(err)) from None
    except workflow.NotPermitted as err:
        raise Refused(403, str(err), err.allowed) from None
    except workflow.IllegalAction as err:
        raise Refused(409, str(err), err.allowed) from None
    except OutOfScope as err:
        raise HTTPException(403, str(err)) from None
    except ValueError as err:
        raise HTTPException(422, str(err)) from None


def announce(services: Services, row: dict[str, Any], action: str, viewer: Viewer) -> None:
    """Audit an incident's step and tell open screens (``live/actions.py``)."""
    announce_incident(services, viewer, row, action, caller_ip())


def _detail(services: Services, incident_id: str, viewer: Viewer,
            check: bool = True) -> IncidentDetail:
    found = services.store.read_records("incidents", where={"id": incident_id})
    if found.empty:
        raise HTTPException(404, f"unknown incident {incident_id!r}")
    row = _records(found)[0]
    if check and not workflow.visible(viewer, row):
        raise Refused(403, f"incident {incident_id!r} is outside the scope of {viewer.name!r} "
                           f"({viewer.role})", [])
    steps = _records(workflow.steps(services.store, incident_id))
    return IncidentDetail(**_incident(row, viewer, services.now()).model_dump(),
                          steps=[IncidentStep(**s) for s in steps])


def _incident(row: dict[str, Any], viewer: Viewer, now: pd.Timestamp) -> Incident:
    return Incident(**{**row, "reopened": row.get("reopened") or 0},
                    overdue=workflow.overdue(row, now),
                    allowed=workflow.allowed_actions(row, viewer))


def _listed(value: str | None, known: tuple[str, ...], what: str) -> tuple[str, ...]:
    """Comma-separated values of a filter; 422 naming an unknown one."""
    asked = tuple(v.strip() for v in (value or "").split(",") if v.strip())
    unknown = [v for v in asked if v not in known]
    if unknown:
        raise HTTPException(422, f"unknown {what} {', '.join(map(repr, unknown))}: one of "
                                 f"{', '.join(known)}")
    return asked


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts with NaN/NaT as ``None`` and timestamps as datetimes."""
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def _plain(value: Any) -> Any:
    if value is None or (not isinstance(value, str | list | dict) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value
