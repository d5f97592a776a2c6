"""大走访 / 大排查 under /api/v1/visits: record a visit with its findings, list visits in scope.

Who may record which kind is the role's (``Role.records``): a ``visit`` of a household —
commander, officer, cadre; an ``inspection`` of a building — those and property managers. A
visit with any wrong part is refused whole (422 naming it), one outside the caller's scope 403.
Each failed checklist item opens a property-level incident (``domain/visits.py``); every visit
is audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Body, HTTPException, Query
from pydantic import BaseModel, Field

from twin_dashboard.api.models import Flag, Moment
from twin_dashboard.api.problems import Problem
from twin_dashboard.api.scope import require_covered, scope_from_query
from twin_dashboard.auth.context import ViewerDep, caller_ip
from twin_dashboard.catalog import CHECKLISTS, VISIT_TARGETS
from twin_dashboard.domain import audit, visits
from twin_dashboard.domain.access import Viewer
from twin_dashboard.services import ServicesDep

router = APIRouter(prefix="/api/v1", tags=["visits"])
MAX_FINDINGS = 50  # a checklist has a handful of items; more is not a visit
MAX_LIMIT = 5000


VisitItem = Literal[CHECKLISTS["visit"]]  # type: ignore[valid-type]
InspectionItem = Literal[CHECKLISTS["inspection"]]  # type: ignore[valid-type]
UNIQUE_ITEMS = "each item at most once (a repeated item: 422)"
TIMES = "ended_at after started_at and not in the future (else 422)"


class VisitFinding(BaseModel):
    item: VisitItem = Field(description="a 大走访 checklist item")
    ok: Flag
    note: str | None = Field(None, max_length=500, description="what was seen")


class InspectionFinding(BaseModel):
    item: InspectionItem = Field(description="a 大排查 checklist item")
    ok: Flag
    note: str | None = Field(None, max_length=500, description="what was seen")


class HouseholdVisit(BaseModel):
    """大走访: a visit of a household."""

    kind: Literal["visit"]
    household_id: str = Field(min_length=1, description="the household (unknown: 404)")
    building_id: None = Field(None, description="not for a visit")
    started_at: Moment
    ended_at: Moment = Field(description=TIMES)
    findings: list[VisitFinding] = Field(min_length=1, max_length=len(CHECKLISTS["visit"]),
                                         description=UNIQUE_ITEMS)


class BuildingInspection(BaseModel):
    """大排查: an inspection of a building."""

    kind: Literal["inspection"]
    building_id: str = Field(min_length=1, description="the building (unknown: 404)")
    household_id: None = Field(None, description="not for an inspection")
    started_at: Moment
    ended_at: Moment = Field(description=TIMES)
    findings: list[InspectionFinding] = Field(
        min_length=1, max_length=len(CHECKLISTS["inspection"]), description=UNIQUE_ITEMS)


VisitIn = Annotated[HouseholdVisit | BuildingInspection, Field(discriminator="kind")]


class VisitCreated(BaseModel):
    id: str
    incident_ids: list[str] = Field(description="one per finding with ok: false, in order")


class FindingOut(BaseModel):
    item: str
    ok: bool
    note: str | None
    incident_id: str | None


class VisitOut(BaseModel):
    id: str
    kind: str
    household_id: str | None = Field(description="only for callers who see personal data")
    building_id: str | None
    subdistrict_id: str | None
    neighborhood_id: str | None
    visitor_id: str | None
    recorded_by: str | None
    started_at: datetime
    ended_at: datetime
    lon: float | None
    lat: float | None
    findings: list[FindingOut]


class VisitList(BaseModel):
    count: int = Field(description="visits matching, before `limit`")
    visits: list[VisitOut] = Field(description="newest first")


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "not signed in"},
    403: {"model": Problem, "description": "a role that may not record this kind, or a "
                                           "household or building outside the caller's scope"},
    404: {"model": Problem, "description": "unknown household or building"},
    422: {"model": Problem, "description": "an item given twice; an end not after the start, "
                                           "or in the future"}}


@router.post("/visits", response_model=VisitCreated, status_code=201, responses=ERRORS,
             summary="Record a 大走访 visit or 大排查 inspection; failed items open incidents")
def create_visit(services: ServicesDep, viewer: ViewerDep,
                 body: Annotated[VisitIn, Body()]) -> VisitCreated:
    now = services.now()
    visit = _visit(body, viewer)
    _may_record(viewer, body.kind)
    try:
        visits.check_visit(visit, now)
    except visits.VisitRefused as err:
        raise HTTPException(422, str(err)) from None
    try:
        place = visits.find_place(services.store, VISIT_TARGETS[visit.kind],
                                  visit.household_id or visit.building_id or "")
    except visits.VisitRefused as err:  # an id that names no household or building
        raise HTTPException(404, str(err)) from None
    require_covered(viewer, place.row(), f"{place.kind} {place.id!r}")
    visit_id, incident_ids = visits.record_visit(services.store, visit, place, viewer.name, now)
    audit.record(services.store, now, viewer.name, f"{visit.kind}.record", visit_id,
                 detail=f"{place.kind}={place.id} findings={len(visit.findings)} "
                        f"incidents={','.join(incident_ids) or '-'}", ip=caller_ip())
    return VisitCreated(id=visit_id, incident_ids=incident_ids)


@router.get("/visits", response_model=VisitList, summary="Visits within a scope, newest first")
def list_visits(
    services: ServicesDep,
    viewer: ViewerDep,
    since: Annotated[Moment | None,
                     Query(description="started at or after (RFC 3339)")] = None,
    subdistrict: str | None = Query(None, description="subdistrict id"),
    neighborhood: str | None = Query(None, description="neighborhood id"),
    kind: Literal["visit", "inspection"] | None = Query(
        None, description="visit | inspection; default both"),
    limit: int = Query(500, ge=1, le=MAX_LIMIT),
) -> VisitList:
    if kind is not None and kind not in CHECKLISTS:
        raise HTTPException(422, f"unknown kind {kind!r}: one of {', '.join(CHECKLISTS)}")
    scope = scope_from_query(services, viewer, subdistrict, neighborhood)
    frame = visits.read_visits(services.store, scope,
                               pd.Timestamp(since) if since is not None else None)
    if kind is not None:
        frame = frame[frame["kind"] == kind]
    rows = [_shown(r, viewer) for r in _records(frame) if viewer.covers_row(r)]
    return VisitList(count=len(rows), visits=[VisitOut(**r) for r in rows[:limit]])


def _visit(body: HouseholdVisit | BuildingInspection, viewer: Viewer) -> visits.Visit:
    findings = tuple(visits.Finding(f.item, f.ok, f.note) for f in body.findings)
    return visits.Visit(body.kind, body.household_id, body.building_id,
                        pd.Timestamp(body.started_at), pd.Timestamp(body.ended_at), findings,
                        viewer.person_id)


def _may_record(viewer: Viewer, kind: str) -> None:
    """403 for a read-only caller or a role that does not record this kind (422: unknown)."""
    if kind not in CHECKLISTS:
        raise HTTPException(422, f"unknown kind {kind!r}: one of {', '.join(CHECKLISTS)}")
    if not viewer.may_record(kind):
        allowed = ", ".join(viewer.spec.records) or "nothing"
        raise HTTPException(403, f"{viewer.name!r} ({viewer.role}) may not record a {kind}: "
                                 f"the role records {allowed}")


def _shown(row: dict[str, Any], viewer: Viewer) -> dict[str, Any]:
    """Without personal data, a household visit names no household, place or notes."""
    if row.get("household_id") is None or viewer.personal_data:
        return row
    findings = [{**f, "note": None} for f in row["findings"]]
    return {**row, "household_id": None, "lon": None, "lat": None, "findings": findings}


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for row in frame.to_dict("records"):
        out.append({k: _plain(v) for k, v in row.items()})
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return [{k: _plain(v) for k, v in item.items()} for item in value]
    if value is None or (not isinstance(value, str | dict) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value
