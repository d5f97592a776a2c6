"""GET /api/v1/search: the search box's results, within the caller's scope."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query

from twin_dashboard.api.models import SearchResults
from twin_dashboard.auth.context import ViewerDep, caller_ip
from twin_dashboard.domain.search import LIMIT, MAX_QUERY, normalize
from twin_dashboard.services import ServicesDep

router = APIRouter(prefix="/api/v1", tags=["search"])


@router.get("/search", response_model=SearchResults,
            summary="The search box: places, addresses, devices, incidents (and residents)")
def search(
    services: ServicesDep,
    viewer: ViewerDep,
    q: str = Query(min_length=1, max_length=MAX_QUERY,
                   description=f"what to find (at most {MAX_QUERY} characters): an "
                   "address, a device or incident id, an incident title, a place (zh, English "
                   "or pinyin initials, e.g. bwt), a resident's name"),
    limit: int = Query(LIMIT, ge=1, le=50, description="at most this many results"),
) -> dict[str, Any]:
    """Results best first (exact id > prefix > substring): kind, id, label and secondary line
    (zh/en), lon/lat or bbox, the selection to set and the details to open. Only what the
    caller's scope holds; residents only for roles allowed personal data (audited)."""
    if not normalize(q):  # only spaces: nothing to look for, so nothing found
        return {"q": q, "results": []}
    try:
        results = services.search.search(q, viewer, services.now(), limit=limit,
                                         ip=caller_ip())
    except ValueError as err:
        raise HTTPException(422, str(err)) from None
    return {"q": q, "results": results}
