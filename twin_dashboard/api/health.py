"""GET /healthz: overall status and, per data source, when it last delivered and how long ago."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from twin_dashboard.runtime import runtime

router = APIRouter(tags=["health"])

# A source that has not delivered for this long is stale (seconds).
STALE_AFTER_S: dict[str, float] = {"sensors": 300, "incidents": 6 * 3600,
                                   "patrols": 48 * 3600, "geodata": float("inf")}
DEFAULT_STALE_AFTER_S = 3600.0


@router.get("/healthz")
def healthz() -> JSONResponse:
    """200 with status ok/degraded while the store answers; 503 when it does not."""
    rt = runtime()
    now = rt.now()
    try:
        sources = rt.store.sources()
    except Exception as err:  # the store itself is down: that is the one unhealthy state
        return JSONResponse({"status": "down", "error": str(err)}, status_code=503)
    report: dict[str, Any] = {}
    for row in sources.itertuples(index=False):
        age = (now - row.updated_at).total_seconds()
        limit = STALE_AFTER_S.get(row.name, DEFAULT_STALE_AFTER_S)
        report[row.name] = {"updated_at": row.updated_at.isoformat(),
                            "age_seconds": round(age, 1), "stale": age > limit}
    status = "degraded" if any(s["stale"] for s in report.values()) else "ok"
    return JSONResponse({"status": status, "now": now.isoformat(), "sources": report})
