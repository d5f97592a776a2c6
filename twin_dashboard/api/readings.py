"""POST /api/v1/readings: batches of sensor readings from gateways (README: command line and HTTP).

The raw body is read here — not by FastAPI — so the size limit is enforced before parsing and
NDJSON is accepted beside JSON; the request schema is still declared for the OpenAPI document.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from twin_dashboard.api.problems import Problem
from twin_dashboard.domain.ingest import MAX_ERRORS, READING, BatchRefused
from twin_dashboard.domain.tokens import verify_token
from twin_dashboard.services import ServicesDep

router = APIRouter(prefix="/api/v1", tags=["readings"])
# auto_error=False: a missing token is answered by us, 401 with the reason, not FastAPI's 403.
gateway_token = HTTPBearer(auto_error=False, scheme_name="GatewayToken",
                           description="a gateway token from `twin-dashboard token create`")
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl")
JSON_TYPES = ("application/json", "")
_ARRAY = {"type": "array", "items": READING.json_schema()}


class Accepted(BaseModel):
    accepted: int  # readings newly stored
    duplicates: int  # readings this gateway had sent already (or repeated in the batch)
    alarms: list[str]  # alarms this batch raised


class ItemError(BaseModel):
    index: int | None  # 0-based item (NDJSON: non-blank line); None for the body as a whole
    field: str | None
    reason: str


class Refused(BaseModel):
    detail: str
    error_count: int
    errors: list[ItemError]  # the first MAX_ERRORS


@router.post(
    "/readings", response_model=Accepted,
    summary="Ingest a batch of readings (JSON array or NDJSON), idempotent on the gateway's "
            "reading_id",
    responses={401: {"model": Problem}, 413: {"model": Problem}, 415: {"model": Problem},
               422: {"model": Refused}},
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": _ARRAY},
        "application/x-ndjson": {"schema": {"type": "string", "description":
                                            "one Reading object per line"}}}}},
)
async def post_readings(
    services: ServicesDep,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(gateway_token)],
) -> Any:
    """Store a batch; any invalid item refuses the whole batch (422, per-item errors)."""
    token = credentials.credentials if credentials else None
    gateway = await run_in_threadpool(verify_token, services.store, token)
    if gateway is None:
        return JSONResponse({"detail": "missing, unknown or revoked gateway token"}, 401,
                            headers={"WWW-Authenticate": "Bearer"})
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in JSON_TYPES + NDJSON_TYPES:
        return JSONResponse({"detail": f"unsupported content type {media!r}"}, 415)
    limit = services.settings.max_batch_bytes
    body = await _read_limited(request, limit)
    if body is None:
        return JSONResponse({"detail": f"body larger than {limit} bytes"}, 413)
    loop = asyncio.get_running_loop()
    try:
        result = await loop.run_in_executor(services.writer, partial(
            services.ingestor.ingest_body, body, media in NDJSON_TYPES, gateway=gateway))
    except BatchRefused as err:
        return JSONResponse({"detail": "batch refused: nothing was stored",
                             "error_count": len(err.errors),
                             "errors": err.errors[:MAX_ERRORS]}, 422)
    return Accepted(accepted=result.accepted, duplicates=result.duplicates,
                    alarms=result.alarms)


async def _read_limited(request: Request, limit: int) -> bytes | None:
    """The body, or None once it exceeds ``limit`` (by header or while streaming)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
