"""POST /api/v1/readings: batches of sensor readings from gateways (DESIGN.md §4).

The raw body is read here — not by FastAPI — so the size limit is enforced before parsing and
NDJSON is accepted beside JSON; the request schema is still declared for the OpenAPI document.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from twin_dashboard.domain.ingest import (
    MAX_BODY_BYTES,
    MAX_ERRORS,
    READING,
    BatchRefused,
    ingestor_for,
)
from twin_dashboard.domain.tokens import verify_token
from twin_dashboard.runtime import runtime

router = APIRouter(prefix="/api/v1", tags=["readings"])
# SQLite takes one writer at a time anyway; one thread keeps one connection whose page cache
# stays warm (connections of other threads would see it invalidated by each commit): 2x faster.
_WRITER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest")
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl")
JSON_TYPES = ("application/json", "")
_ARRAY = {"type": "array", "items": READING.json_schema()}


class Accepted(BaseModel):
    accepted: int  # readings newly stored
    duplicates: int  # readings whose reading_id was already stored (or repeated in the batch)
    alarms: list[str]  # alarms this batch raised


class ItemError(BaseModel):
    index: int | None  # 0-based item (NDJSON: non-blank line); None for the body as a whole
    field: str | None
    reason: str


class Refused(BaseModel):
    detail: str
    error_count: int
    errors: list[ItemError]  # the first MAX_ERRORS


class Problem(BaseModel):
    detail: str


@router.post(
    "/readings", response_model=Accepted,
    summary="Ingest a batch of readings (JSON array or NDJSON), idempotent on reading_id",
    responses={401: {"model": Problem}, 413: {"model": Problem}, 415: {"model": Problem},
               422: {"model": Refused}},
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": _ARRAY},
        "application/x-ndjson": {"schema": {"type": "string", "description":
                                            "one Reading object per line"}}}}},
)
async def post_readings(request: Request) -> Any:
    """Store a batch; any invalid item refuses the whole batch (422, per-item errors)."""
    rt = runtime()
    token = _bearer(request.headers.get("authorization", ""))
    if await run_in_threadpool(verify_token, rt.store, token) is None:
        return JSONResponse({"detail": "missing, unknown or revoked gateway token"}, 401,
                            headers={"WWW-Authenticate": "Bearer"})
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in JSON_TYPES + NDJSON_TYPES:
        return JSONResponse({"detail": f"unsupported content type {media!r}"}, 415)
    body = await _read_limited(request, MAX_BODY_BYTES)
    if body is None:
        return JSONResponse({"detail": f"body larger than {MAX_BODY_BYTES} bytes"}, 413)
    ingestor = ingestor_for(rt.store, clock=rt.now)
    loop = asyncio.get_running_loop()
    try:
        result = await loop.run_in_executor(_WRITER, ingestor.ingest_body, body,
                                            media in NDJSON_TYPES)
    except BatchRefused as err:
        return JSONResponse({"detail": "batch refused: nothing was stored",
                             "error_count": len(err.errors),
                             "errors": err.errors[:MAX_ERRORS]}, 422)
    return Accepted(accepted=result.accepted, duplicates=result.duplicates,
                    alarms=result.alarms)


def _bearer(header: str) -> str | None:
    scheme, _, value = header.partition(" ")
    return (value.strip() or None) if scheme.lower() == "bearer" else None


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
