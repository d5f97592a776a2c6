"""GET /healthz: overall status and, per data source, when it last delivered and how long ago."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from twin_dashboard.api.models import Down, Health
from twin_dashboard.domain.freshness import source_freshness
from twin_dashboard.services import ServicesDep
from twin_dashboard.store.base import StoreUnavailable

router = APIRouter(tags=["health"])


@router.get("/healthz", response_class=JSONResponse, responses={
    200: {"model": Health, "description": "ok, or degraded (a data source is stale)"},
    503: {"model": Down, "description": "the store does not answer or cannot take writes"}},
    summary="Overall status and each data source's last delivery (no sign-in)")
def healthz(services: ServicesDep) -> JSONResponse:
    """200 with status ok/degraded while the store answers and can take writes; else 503."""
    now = services.now()
    try:
        sources = services.store.sources()
        services.store.check_writable()  # a read-only or full store reads fine: try a write
    except StoreUnavailable as err:
        return JSONResponse({"status": "down", "error": f"the store is unavailable: {err}"},
                            status_code=503)
    except Exception as err:  # the store itself is down: that is the one unhealthy state
        return JSONResponse({"status": "down", "error": str(err)}, status_code=503)
    report: dict[str, Any] = {
        f.name: {"updated_at": f.updated_at.isoformat(), "age_seconds": round(f.age_seconds, 1),
                 "stale": f.stale}
        for f in source_freshness(sources, now)
    }
    status = "degraded" if any(s["stale"] for s in report.values()) else "ok"
    return JSONResponse({"status": status, "now": now.isoformat(), "sources": report})
