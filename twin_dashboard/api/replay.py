"""GET /api/v1/replay/delta: one replay step — what changed on the map between two moments.

A replaying screen asks for the step from the moment it shows to the next one and applies it
to the map it already has (``assets/replay.js`` → ``twin_map.applyDelta``, as live events), so
the device layer is never re-sent per frame (DESIGN.md §4.3; bench/bench_replay.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from twin_dashboard.api.models import ReplayDelta, moment
from twin_dashboard.api.scope import scope_from_query
from twin_dashboard.api.summary import checked_time
from twin_dashboard.auth.context import ViewerDep
from twin_dashboard.domain.replay import replay_delta
from twin_dashboard.services import ServicesDep

router = APIRouter(prefix="/api/v1", tags=["replay"])
MOMENT = ("ISO 8601 time within the last 90 days, not in the future; empty or missing: now "
          "(live), so the step back to live is the same call")


@router.get("/replay/delta", response_model=ReplayDelta,
            summary="One replay step: what changed on the map between two moments")
def delta(
    services: ServicesDep,
    viewer: ViewerDep,
    start: str | None = moment(MOMENT, alias="from"),
    end: str | None = moment(MOMENT, alias="to"),
    subdistrict: str | None = Query(None, description="subdistrict id, e.g. beiwaitan"),
    neighborhood: str | None = Query(None, description="neighborhood id, e.g. yunfang"),
) -> dict[str, Any]:
    """Within the caller's scope: devices whose state differs at ``to`` from ``from`` (their
    state at ``to``), alarms and incidents open at ``to`` that were not (or differed), and the
    ids of those open at ``from`` that no longer are."""
    scope = scope_from_query(services, viewer, subdistrict, neighborhood)
    now = services.now()
    first = checked_time(start, now) or now
    last = checked_time(end, now) or now
    return replay_delta(services.store, scope, first, last, services.replay_frames)
