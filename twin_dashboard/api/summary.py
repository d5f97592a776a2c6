"""GET /api/v1/summary: the figures the screens show, for checking screens against data."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from twin_dashboard.api.scope import scope_from_query
from twin_dashboard.auth.context import ViewerDep
from twin_dashboard.domain.summary import summarize
from twin_dashboard.services import ServicesDep

router = APIRouter(prefix="/api/v1", tags=["summary"])


@router.get("/summary")
def summary(
    services: ServicesDep,
    viewer: ViewerDep,
    subdistrict: str | None = Query(None, description="subdistrict id, e.g. beiwaitan"),
    neighborhood: str | None = Query(None, description="neighborhood id, e.g. yunfang"),
) -> dict[str, Any]:
    """Within the caller's scope: device states by category, open alarms, incidents by level
    and status, patrol coverage."""
    scope = scope_from_query(services, viewer, subdistrict, neighborhood)
    return summarize(services.store, scope, services.now())
