"""GET /api/v1/layers/{layer}: a layer as GeoJSON FeatureCollections in WGS84, page by page.

A layer of 25,000 devices read whole by 40 callers at once took 2 GB and stalled /healthz for
seconds. So a response is one page (``limit`` features in id order, ``after`` the last id of the
page before; the ``next`` link carries it), at most ``Settings.max_heavy_reads`` pages are read
at once — read, encoded and compressed in threads of their own, never on the event loop — and a
caller beyond that is told to come back (503 + ``Retry-After``) rather than queued without
bound.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Callable
from functools import partial
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import URL

from twin_dashboard.api.problems import Problem
from twin_dashboard.api.scope import scope_from_query
from twin_dashboard.auth.context import ViewerDep
from twin_dashboard.domain.access import Viewer
from twin_dashboard.geo.export import geojson_collection
from twin_dashboard.geo.layers import LAYER_NAMES
from twin_dashboard.services import Services, ServicesDep
from twin_dashboard.store.base import StoreError

router = APIRouter(prefix="/api/v1", tags=["layers"])
DEFAULT_PAGE = 1000  # features per page unless ``limit`` says otherwise: ~0.3 MB of devices
MAX_PAGE = 10_000
BUSY_RETRY_AFTER_S = 1  # a page takes well under a second to read
# Compressing here, in the reader thread, keeps the event loop free (the app's middleware would
# gzip at level 9 on the loop); level 5 is 3x faster than 9 for a few per cent more bytes.
GZIP_LEVEL = 5


@router.get("/layers/{layer}", response_class=Response, responses={
    200: {"content": {"application/geo+json": {
              "schema": {"$ref": "#/components/schemas/LayerPage"}}},
          "description": "a FeatureCollection with numberMatched, numberReturned and, when "
                         "more features follow, a `next` link (also in the Link header)"},
    404: {"model": Problem, "description": "unknown layer, subdistrict or neighborhood"},
    500: {"model": Problem, "description": "the store could not read the layer"},
    503: {"model": Problem, "description": "too many layer reads at once: retry after "
                                           "Retry-After seconds"}},
    summary="A layer as GeoJSON in WGS84, one page of features in id order")
async def layer(
    services: ServicesDep,
    viewer: ViewerDep,
    request: Request,
    layer: Annotated[str, Path(description="the layer (unknown: 404)",
                               json_schema_extra={"enum": list(LAYER_NAMES)})],
    subdistrict: str | None = Query(None, description="subdistrict id, e.g. beiwaitan"),
    neighborhood: str | None = Query(None, description="neighborhood id, e.g. yunfang"),
    district: str | None = Query(None, description="district id of a city"),
    limit: int = Query(DEFAULT_PAGE, ge=1, le=MAX_PAGE, description="features per page"),
    after: str | None = Query(None, description="the id of the previous page's last feature "
                                                "(the `next` link carries it)"),
) -> Response:
    """The features of ``layer`` within the caller's scope, one page in id order."""
    if layer not in LAYER_NAMES:
        raise HTTPException(404, f"unknown layer {layer!r}: one of {', '.join(LAYER_NAMES)}")
    slots = services.heavy_reads
    if slots.locked():  # checked and taken on the event loop: no race between the two
        return JSONResponse(
            {"detail": f"{services.settings.max_heavy_reads} layer reads are running already: "
                       f"retry after {BUSY_RETRY_AFTER_S} s"}, 503,
            headers={"Retry-After": str(BUSY_RETRY_AFTER_S)})
    gzipped = "gzip" in request.headers.get("accept-encoding", "").lower()
    async with slots:
        body, next_href = await asyncio.get_running_loop().run_in_executor(
            services.readers, partial(_page, services, viewer, layer, subdistrict, neighborhood,
                                      after, limit, partial(_next_href, str(request.url)),
                                      gzipped, district))
    headers = {"Vary": "Accept-Encoding"}
    if gzipped:  # compressed in the reader thread: the app's GZip middleware passes it on
        headers["Content-Encoding"] = "gzip"
    if next_href:
        headers["Link"] = f'<{next_href}>; rel="next"'
    return Response(body, media_type="application/geo+json", headers=headers)


def _page(services: Services, viewer: Viewer, layer: str, subdistrict: str | None,
          neighborhood: str | None, after: str | None, limit: int,
          next_href: Callable[[str], str], gzipped: bool,
          district: str | None = None) -> tuple[bytes, str | None]:
    """One page as GeoJSON bytes (gzipped if asked) and the link to the next one (None on the
    last page)."""
    scope = scope_from_query(services, viewer, subdistrict, neighborhood, district)
    try:
        frame = services.store.read_layer(layer, scope, after=after, limit=limit + 1)
        matched = services.store.count(layer, scope)
    except StoreError as err:
        raise HTTPException(500, str(err)) from err
    more = len(frame) > limit
    frame = frame.iloc[:limit]
    href = next_href(str(frame["id"].iloc[-1])) if more else None
    if "household_id" in frame.columns:
        frame = _households_as_allowed(frame, viewer)
    links = [{"rel": "next", "type": "application/geo+json", "href": href}] if href else []
    members = {"numberMatched": matched, "numberReturned": len(frame), "links": links}
    body = geojson_collection(frame, members)
    return (gzip.compress(body, GZIP_LEVEL, mtime=0) if gzipped else body), href


def _next_href(url: str, last_id: str) -> str:
    return str(URL(url).include_query_params(after=last_id))


def _households_as_allowed(frame, viewer: Viewer):
    """A buddy's devices are their elders'; without personal data, no device names a household."""
    if viewer.households is not None:
        frame = frame[frame["household_id"].isna() | frame["household_id"].isin(
            viewer.households)]
    if not viewer.personal_data:
        frame = frame.drop(columns="household_id")
    return frame
