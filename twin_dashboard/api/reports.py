"""GET /api/v1/reports/{daily|weekly}.{pdf|xlsx}: a report of the caller's scope, made now.

The one path that builds a report file for a browser: the desk's report card links here.
"""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Literal

from fastapi import APIRouter, HTTPException, Query, Response

from twin_dashboard.api.problems import problem
from twin_dashboard.api.scope import scope_from_query
from twin_dashboard.auth.context import ViewerDep
from twin_dashboard.domain.places import MapScope
from twin_dashboard.domain.reports import ReportRefused, parse_day, parse_scope
from twin_dashboard.i18n import lang_of
from twin_dashboard.live.reports import make_report
from twin_dashboard.services import Services, ServicesDep
from twin_dashboard.views.report_charts import ChartsUnavailable
from twin_dashboard.views.report_pdf import FontMissing
from twin_dashboard.views.reports import MEDIA_TYPES

router = APIRouter(prefix="/api/v1", tags=["reports"])
# YYYY-MM-DD of 1900–2099 (and a real day: 2026-02-30 is a 422 naming it).
DAY_PATTERN = r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
SCOPE_PATTERN = r"^(district|(subdistrict|neighborhood):.+)$"


@router.get("/reports/{kind}.{fmt}", response_class=Response, responses={
    200: {"content": {MEDIA_TYPES["pdf"]: {"schema": {"type": "string", "format": "binary"}},
                      MEDIA_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}}},
          "description": "the report file (Content-Disposition: attachment)"},
    403: problem("a scope outside the caller's"),
    404: problem("a subdistrict or neighborhood id that names nothing"),
    422: problem("a date that is not a day on the calendar, or a scope not of the form "
                 "district | subdistrict:ID | neighborhood:ID"),
    503: problem("the report's font or chart renderer is missing on the server")},
    summary="The daily or weekly report of a scope, as PDF or XLSX")
async def report(
    services: ServicesDep,
    viewer: ViewerDep,
    kind: Literal["daily", "weekly"],
    fmt: Literal["pdf", "xlsx"],
    date: str | None = Query(None, pattern=DAY_PATTERN, json_schema_extra={"format": "date"},
                             description="YYYY-MM-DD on the district's clock (default: today); "
                                         "a weekly report covers its Mon–Sun week"),
    scope: str | None = Query(None, pattern=SCOPE_PATTERN,
                              description="district, subdistrict:ID or neighborhood:ID "
                                          "(default: the caller's whole scope)"),
    lang: Literal["zh", "en"] | None = Query(None, description="zh (default) or en"),
) -> Response:
    """The daily or weekly report of ``scope`` (inside the caller's: 403 outside it) as PDF or
    XLSX; its figures are those of ``GET /api/v1/summary`` for the same scope."""
    now = services.now()
    try:
        day = parse_day(date, now)
        subdistrict, neighborhood = parse_scope(scope) if scope else (None, None)
    except ReportRefused as err:
        raise HTTPException(422, str(err)) from None
    if scope == "district" and not viewer.allows(MapScope()):
        raise HTTPException(403, f"'district' is outside the scope of {viewer.name!r} "
                                 f"({viewer.role})")
    checked = scope_from_query(services, viewer, subdistrict, neighborhood)
    async with services.heavy_reads:  # a report is a heavy read: at most that many at once
        name, body = await asyncio.get_running_loop().run_in_executor(
            services.readers, partial(_make, services, checked, kind, day, now, fmt,
                                      lang_of(lang)))
    return Response(body, media_type=MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _make(services: Services, scope, kind, day, now, fmt, lang) -> tuple[str, bytes]:
    try:
        return make_report(services.store, scope, kind, day, now, fmt, lang)
    except ReportRefused as err:
        raise HTTPException(422, str(err)) from None
    except (FontMissing, ChartsUnavailable) as err:
        raise HTTPException(503, str(err)) from None
