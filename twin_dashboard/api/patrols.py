"""Road-chief patrols 双路长制 under /api/v1/patrols: record a GPS track, list tracks in scope.

A road chief records their own patrols, in their own zones only (the chief is the signed-in
person); a commander or an officer may record one for a zone within their scope, naming the
zone's chief (``chief_id``) or else as themselves. The track's road segments become the
patrol's ``road_ids`` (``domain/tracks.py``), so coverage in ``/api/v1/summary`` follows.
A bad track is refused whole (422 naming why); every recorded patrol is audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field
from shapely.geometry import mapping

from twin_dashboard.api.models import Moment, Number, PatrolTracks
from twin_dashboard.api.problems import Problem
from twin_dashboard.api.scope import scope_from_query
from twin_dashboard.auth.context import ViewerDep, caller_ip
from twin_dashboard.domain import audit, tracks
from twin_dashboard.domain.access import Viewer
from twin_dashboard.domain.patrols import ROAD_SEPARATOR
from twin_dashboard.domain.time import as_utc_series
from twin_dashboard.services import Services, ServicesDep

router = APIRouter(prefix="/api/v1", tags=["patrols"])
DEFAULT_DAYS = 7  # without ``since``: a week of tracks (90 days of a district are ~4,000)
MAX_LIMIT = 5000


Lon = Annotated[Number, Field(ge=-180, le=180)]
Lat = Annotated[Number, Field(ge=-90, le=90)]


class LineString(BaseModel):
    """A GeoJSON LineString in WGS84; at least 2 distinct points, 90 % inside the district."""

    type: Literal["LineString"]
    coordinates: list[tuple[Lon, Lat] | tuple[Lon, Lat, Number]] = Field(
        min_length=2, max_length=tracks.MAX_POINTS, description="[lon, lat] (or [lon, lat, z])")


class PatrolIn(BaseModel):
    zone_id: str = Field(min_length=1, description="a patrol zone id (unknown: 404)")
    started_at: Moment
    ended_at: Moment = Field(description="after started_at, not in the future (else 422)")
    track: LineString
    chief_id: str | None = Field(None, description="commander/officer only: the zone's chief "
                                 "who walked it (default: the caller's own person)")


class PatrolCreated(BaseModel):
    id: str
    chief_id: str | None
    road_ids: list[str] = Field(description="road segments the track walked along")
    length_m: float


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "not signed in"},
    403: {"model": Problem, "description": "a role that does not record patrols, or a zone "
                                           "outside the caller's (a road chief's: not theirs)"},
    404: {"model": Problem, "description": "unknown patrol zone"},
    422: {"model": Problem, "description": "a chief who is not the zone's; a track of fewer "
                                           "than 2 distinct points or outside the district; an "
                                           "end not after the start, or in the future"}}


@router.post("/patrols", response_model=PatrolCreated, status_code=201, responses=ERRORS,
             summary="Record a road chief's patrol: a GPS track over a zone's roads")
def create_patrol(services: ServicesDep, viewer: ViewerDep, body: PatrolIn) -> PatrolCreated:
    store, now = services.store, services.now()
    if not viewer.may_record("patrol"):
        raise HTTPException(403, f"{viewer.name!r} ({viewer.role}) may not record patrols")
    zone = _zone(services, body.zone_id, viewer)
    chief = _chief(viewer, zone, body.chief_id)
    started, ended = pd.Timestamp(body.started_at), pd.Timestamp(body.ended_at)
    try:
        line = tracks.parse_track({"type": "LineString",  # [lon, lat]: a z is not kept
                                   "coordinates": [c[:2] for c in body.track.coordinates]})
        tracks.check_times(started, ended, now)
        tracks.check_inside(line, tracks.district_outline(store))
    except tracks.TrackRefused as err:
        raise HTTPException(422, str(err)) from None
    road_ids = tracks.roads_passed(line, store.read_layer("roads"))
    patrol_id = tracks.record_patrol(store, zone, chief, started, ended, line, road_ids)
    length = float(tracks.track_length_m([line])[0])
    audit.record(store, now, viewer.name, "patrol.record", patrol_id,
                 detail=f"zone={zone['id']} chief={chief} roads={len(road_ids)} "
                        f"m={length:.0f}", ip=caller_ip())
    return PatrolCreated(id=patrol_id, chief_id=chief, road_ids=road_ids,
                         length_m=round(length, 1))


@router.get("/patrols", response_model=PatrolTracks, responses={404: ERRORS[404]},
            summary="Patrol tracks within a scope as GeoJSON, newest first")
def list_patrols(
    services: ServicesDep,
    viewer: ViewerDep,
    since: Annotated[Moment | None, Query(
        description=f"started at or after (ISO 8601); default: the last {DEFAULT_DAYS} days")
    ] = None,
    zone: str | None = Query(None, description="patrol zone id"),
    subdistrict: str | None = Query(None, description="subdistrict id"),
    limit: int = Query(1000, ge=1, le=MAX_LIMIT),
) -> dict[str, Any]:
    """A FeatureCollection of tracks (LineStrings, WGS84); ``numberMatched`` counts them all.
    A road chief sees their own zones' patrols."""
    scope = scope_from_query(services, viewer, subdistrict, None)
    frame = services.store.read_records("patrols", scope)
    if zone is not None:
        _zone(services, zone, viewer)
        frame = frame[frame["zone_id"] == zone]
    if viewer.zones is not None:
        frame = frame[frame["zone_id"].isin(viewer.zones)]
    start = pd.Timestamp(since) if since is not None \
        else services.now() - pd.Timedelta(days=DEFAULT_DAYS)
    frame = frame[as_utc_series(frame["started_at"]) >= start]
    frame = frame.sort_values(["started_at", "id"], ascending=[False, True], kind="stable")
    lengths = tracks.patrol_lengths(frame) if len(frame) else pd.Series(dtype=float)
    features = [_feature(row, lengths) for row in frame[:limit].to_dict("records")]
    return {"type": "FeatureCollection", "numberMatched": len(frame), "features": features}


def _zone(services: Services, zone_id: str, viewer: Viewer) -> dict[str, Any]:
    """The patrol zone: 404 if unknown, 403 outside the caller's scope."""
    zones = services.store.read_layer("patrol-zones")
    found = zones[zones["id"] == zone_id]
    if found.empty:
        raise HTTPException(404, f"zone_id: unknown patrol zone {zone_id!r}")
    zone = found.drop(columns="geometry").iloc[0].to_dict()
    if not viewer.covers_zone(zone):
        raise HTTPException(403, f"patrol zone {zone_id!r} is outside the scope of "
                                 f"{viewer.name!r} ({viewer.role})")
    return zone


def _chief(viewer: Viewer, zone: dict[str, Any], asked: str | None) -> str | None:
    """Who walked it: a road chief themselves; for others the zone chief named, or the caller."""
    if viewer.spec.area == "zones":
        if not viewer.person_id:
            raise HTTPException(403, f"{viewer.name!r} is not linked to a person: "
                                     "`twin-dashboard user create … --person ID`")
        if asked not in (None, viewer.person_id):
            raise HTTPException(403, f"{viewer.name!r} records only their own patrols")
        return viewer.person_id
    if asked is None:
        return viewer.person_id
    chiefs = [c for c in (zone.get("gov_chief_id"), zone.get("community_chief_id")) if c]
    if asked not in chiefs:
        raise HTTPException(422, f"chief_id: {asked!r} is not a chief of zone {zone['id']!r} "
                                 f"({', '.join(chiefs) or 'it has none'})")
    return asked


def _feature(row: dict[str, Any], lengths: pd.Series) -> dict[str, Any]:
    geometry = row.pop("geometry", None)
    roads = [r for r in str(row.get("road_ids") or "").split(ROAD_SEPARATOR) if r]
    props = {"id": row["id"], "zone_id": row["zone_id"], "chief_id": _text(row["chief_id"]),
             "subdistrict_id": _text(row["subdistrict_id"]),
             "started_at": _iso(row["started_at"]), "ended_at": _iso(row["ended_at"]),
             "road_ids": roads, "length_m": round(float(lengths.get(row["id"], 0.0)), 1)}
    return {"type": "Feature", "id": row["id"], "properties": props,
            "geometry": mapping(geometry) if geometry is not None else None}


def _iso(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else datetime.isoformat(
        pd.Timestamp(value).to_pydatetime())


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
