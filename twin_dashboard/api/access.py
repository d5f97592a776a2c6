"""Who am I, stating a reason for personal data, and the audit trail (admins only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from twin_dashboard.api.models import Moment, NotBlank
from twin_dashboard.api.problems import Problem
from twin_dashboard.auth.context import ViewerDep
from twin_dashboard.domain import audit, sessions
from twin_dashboard.services import ServicesDep

router = APIRouter(prefix="/api/v1", tags=["access"])
MAX_AUDIT = 10_000


class Me(BaseModel):
    name: str
    role: str
    person_id: str | None
    subdistricts: list[str] | None = Field(description="None: the whole district")
    neighborhoods: list[str] | None = Field(description="None: all within the subdistricts")
    personal_data: bool = Field(description="whether residents' data is shown unmasked now")
    read_only: bool


class RevealRequest(BaseModel):
    reason: str = Field(min_length=4, max_length=sessions.MAX_REASON,
                        pattern=rf"(?:{NotBlank}[\s\S]*){{4}}",
                        description="why personal data is needed (recorded in the audit): at "
                                    "least 4 characters besides spaces")


class Revealed(BaseModel):
    until: datetime = Field(description="personal data is shown in this session until then")


class AuditEntry(BaseModel):
    seq: int
    ts: datetime
    actor: str | None
    action: str
    subject: str | None
    reason: str | None
    detail: str | None
    ip: str | None


@router.get("/me", response_model=Me, summary="The signed-in caller: role and scope")
def me(viewer: ViewerDep) -> Me:
    def listed(ids: frozenset[str] | None) -> list[str] | None:
        return None if ids is None else sorted(ids)
    return Me(name=viewer.name, role=viewer.role, person_id=viewer.person_id,
              subdistricts=listed(viewer.subdistricts),
              neighborhoods=listed(viewer.neighborhoods),
              personal_data=viewer.personal_data, read_only=viewer.read_only)


@router.post("/reveal", response_model=Revealed,
             responses={403: {"model": Problem, "description": "not a commander's session"}},
             summary="A commander states a reason: personal data for this session, a while")
def reveal(services: ServicesDep, viewer: ViewerDep, body: RevealRequest) -> Revealed:
    if viewer.spec.personal != "with_reason":
        raise HTTPException(403, f"{viewer.name!r} ({viewer.role}): stating a reason unlocks "
                                 "nothing for this role")
    if viewer.session is None:
        raise HTTPException(403, "a reason is stated in a signed-in browser session, "
                                 "not with an API token")
    try:
        until = sessions.state_reason(services.store, viewer.session, viewer.name, body.reason,
                                      services.now())
    except ValueError as err:
        raise HTTPException(422, str(err)) from None
    return Revealed(until=until.to_pydatetime())


@router.get("/audit", response_model=list[AuditEntry],
            responses={403: {"model": Problem, "description": "not an admin"}},
            summary="The audit trail, oldest first (admins only)")
def audit_trail(
    services: ServicesDep,
    viewer: ViewerDep,
    since: Annotated[Moment | None, Query(description="RFC 3339; entries from then on")] = None,
    actor: str | None = Query(None, description="user name"),
    limit: int = Query(1000, ge=1, le=MAX_AUDIT),
) -> list[dict[str, Any]]:
    if not viewer.spec.admin:
        raise HTTPException(403, f"{viewer.name!r} ({viewer.role}): the audit is for admins")
    at = pd.Timestamp(since).tz_localize("UTC") if since and since.tzinfo is None else (
        pd.Timestamp(since) if since else None)
    return audit.entries(services.store, at, actor, limit)
