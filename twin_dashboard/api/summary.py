"""GET /api/v1/summary: the figures the screens show, for checking screens against data.

With ``at`` (replay, DESIGN.md §4.3) the same body as the figures stood at that moment.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query

from twin_dashboard.api.models import Summary, moment
from twin_dashboard.api.scope import scope_from_query
from twin_dashboard.auth.context import ViewerDep
from twin_dashboard.domain.replay import replay_time, summary_at
from twin_dashboard.domain.summary import summarize
from twin_dashboard.services import ServicesDep

router = APIRouter(prefix="/api/v1", tags=["summary"])


@router.get("/summary", response_model=Summary,
            summary="The figures the screens show, now or as they stood at a moment")
def summary(
    services: ServicesDep,
    viewer: ViewerDep,
    subdistrict: str | None = Query(None, description="subdistrict id, e.g. beiwaitan"),
    neighborhood: str | None = Query(None, description="neighborhood id, e.g. yunfang"),
    district: str | None = Query(None, description="district id of a city, e.g. hongkou"),
    at: str | None = moment("ISO 8601 time within the last 90 days, not in the future: the "
                            "figures as they stood then (replay); empty or missing: now"),
) -> dict[str, Any]:
    """Within the caller's scope: device states by category, open alarms, incidents by level
    and status, patrol coverage — now, or as they stood ``at``."""
    scope = scope_from_query(services, viewer, subdistrict, neighborhood, district)
    now = services.now()
    moment = checked_time(at, now)
    if moment is None:
        return summarize(services.store, scope, now)
    return summary_at(services.store, scope, moment)


def checked_time(value: str | None, now: Any) -> Any:
    """``replay_time`` with its refusal as a 422 naming the parameter."""
    try:
        return replay_time(value, now)
    except ValueError as err:
        raise HTTPException(422, str(err)) from None
