"""GET /api/v1/layers/{layer}: a layer as a GeoJSON FeatureCollection in WGS84."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from twin_dashboard.api.scope import scope_from_query
from twin_dashboard.auth.context import ViewerDep
from twin_dashboard.domain.access import Viewer
from twin_dashboard.geo.layers import LAYER_NAMES
from twin_dashboard.services import ServicesDep
from twin_dashboard.store.base import StoreError

router = APIRouter(prefix="/api/v1", tags=["layers"])


@router.get("/layers/{layer}", response_class=Response,
            responses={200: {"content": {"application/geo+json": {}}}})
def layer(
    services: ServicesDep,
    viewer: ViewerDep,
    layer: str,
    subdistrict: str | None = Query(None),
    neighborhood: str | None = Query(None),
) -> Response:
    """The features of ``layer`` within the caller's scope."""
    if layer not in LAYER_NAMES:
        raise HTTPException(404, f"unknown layer {layer!r}: one of {', '.join(LAYER_NAMES)}")
    scope = scope_from_query(services, viewer, subdistrict, neighborhood)
    try:
        frame = services.store.read_layer(layer, scope)
    except StoreError as err:
        raise HTTPException(500, str(err)) from err
    if "household_id" in frame.columns:
        frame = _households_as_allowed(frame, viewer)
    for column in frame.columns:
        if str(frame[column].dtype).startswith("datetime64"):
            frame[column] = frame[column].map(lambda v: v.isoformat() if v is not None else None)
    return Response(frame.to_json(drop_id=True, ensure_ascii=False),
                    media_type="application/geo+json")


def _households_as_allowed(frame, viewer: Viewer):
    """A buddy's devices are their elders'; without personal data, no device names a household."""
    if viewer.households is not None:
        frame = frame[frame["household_id"].isna() | frame["household_id"].isin(
            viewer.households)]
    if not viewer.personal_data:
        frame = frame.drop(columns="household_id")
    return frame
