"""GET /api/v1/districts: the districts of a city the caller sees, each with its headline KPIs.

What the city-level view labels its districts with (``domain/city.py``); one district's full
figures are ``GET /api/v1/summary?district=ID``. Names come from the data's district layer.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from twin_dashboard.api.problems import Problem
from twin_dashboard.auth.context import ViewerDep
from twin_dashboard.domain.city import city_figures
from twin_dashboard.i18n import lang_of
from twin_dashboard.services import ServicesDep

router = APIRouter(prefix="/api/v1", tags=["districts"])


class DistrictOut(BaseModel):
    id: str
    name: str = Field(description="from the district layer (name, or name_en for lang=en; the "
                                  "id when the data names none)")
    subdistricts: int = Field(description="subdistricts of the district within the scope")
    devices: int
    devices_online: int = Field(description="devices not offline")
    open_alarms: int
    open_incidents: int
    sla_breaches: int = Field(description="open incidents past their SLA deadline")


class DistrictsOut(BaseModel):
    as_of: str = Field(description="ISO 8601 moment the figures were judged at (UTC)")
    districts: list[DistrictOut]


ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": Problem, "description": "not signed in"}}


@router.get("/districts", response_model=DistrictsOut, responses=ERRORS,
            summary="The districts the caller sees, each with its KPIs")
def districts(services: ServicesDep, viewer: ViewerDep,
              lang: str | None = Query(None, description="zh (default) or en: the names' "
                                                         "language")) -> DistrictsOut:
    """Within the caller's scope: each district of which it sees a part, with devices (and
    those online), open alarms, open incidents and SLA breaches — each counted as
    ``/summary?district=`` counts it."""
    places = services.atlas.places(lang_of(lang))
    scope = viewer.store_scope
    scopes = {d: viewer.in_district(places, d, scope) for d in viewer.districts(places)}
    now = services.now()
    rows = city_figures(services.store, places, scopes, now)
    return DistrictsOut(as_of=now.isoformat(),
                        districts=[DistrictOut(**row.as_dict()) for row in rows])
