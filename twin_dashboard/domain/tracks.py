"""Patrol tracks from the field: checking a GPS track and finding the road segments it walked.

A road chief's tablet posts a track (GeoJSON LineString, WGS84) with start and end times. The
track is refused whole when it is malformed, mostly outside the district (the importer's
rule: 90 % within 200 m) or timed wrongly. The road segments it passes — at least half of a
segment, or :data:`ROAD_ENOUGH_M` of it, within :data:`ROAD_NEAR_M` of the track, measured in
metres — become the patrol's ``road_ids``, from which coverage follows (``patrols.py``).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from twin_dashboard.domain.patrols import ROAD_SEPARATOR, chief_board, zone_board
from twin_dashboard.domain.time import as_utc
from twin_dashboard.geo.layers import DISTRICT_BUFFER_M, INSIDE_SHARE
from twin_dashboard.geo.validate import inside_shares, metric_crs
from twin_dashboard.store.base import Scope, Store

ROAD_NEAR_M = 20.0  # GPS on foot between buildings is off by 5–15 m; a road is ~10–30 m wide
ROAD_SHARE = 0.5  # walked along: half of a segment near the track …
ROAD_ENOUGH_M = 200.0  # … or this much of a long one (crossing a road gives ~2 × ROAD_NEAR_M)
MAX_POINTS = 50_000  # a day's walk at one fix a second; more is not a phone's track
FUTURE_SLACK = pd.Timedelta(minutes=1)  # a tablet's clock may run a little ahead
_GEOD = pyproj.Geod(ellps="WGS84")


class TrackRefused(ValueError):
    """A patrol track that cannot be recorded; the message names the value and the reason."""


def parse_track(track: Mapping[str, Any]) -> LineString:
    """A GeoJSON LineString (lon, lat in WGS84) as a shapely line; :class:`TrackRefused`
    naming what is wrong (type, fewer than 2 distinct points, coordinates off the globe)."""
    if not isinstance(track, Mapping) or track.get("type") != "LineString":
        kind = track.get("type") if isinstance(track, Mapping) else type(track).__name__
        raise TrackRefused(f"track: a GeoJSON LineString is needed, not {kind!r}")
    coords = track.get("coordinates")
    try:
        xy = np.asarray(coords, dtype=float)
    except (TypeError, ValueError):
        raise TrackRefused("track: coordinates must be [lon, lat] pairs of numbers") from None
    if xy.ndim != 2 or xy.shape[1] not in (2, 3) or len(xy) > MAX_POINTS:
        raise TrackRefused(f"track: coordinates must be up to {MAX_POINTS} [lon, lat] pairs")
    xy = xy[:, :2]
    if not np.isfinite(xy).all() or (np.abs(xy[:, 0]) > 180).any() \
            or (np.abs(xy[:, 1]) > 90).any():
        raise TrackRefused("track: a coordinate is not a WGS84 lon/lat")
    if len(np.unique(xy, axis=0)) < 2:
        raise TrackRefused("track: at least 2 distinct points are needed")
    return LineString(xy)


def check_times(started_at: pd.Timestamp, ended_at: pd.Timestamp, now: pd.Timestamp) -> None:
    """:class:`TrackRefused` unless ``ended_at`` is after ``started_at`` and not in the future
    (beyond :data:`FUTURE_SLACK`)."""
    if as_utc(ended_at) <= as_utc(started_at):
        raise TrackRefused(f"ended_at {ended_at.isoformat()} is not after started_at "
                           f"{started_at.isoformat()}")
    if as_utc(ended_at) > as_utc(now) + FUTURE_SLACK:
        raise TrackRefused(f"ended_at {ended_at.isoformat()} is in the future")


def check_inside(track: LineString, district: BaseGeometry | None) -> None:
    """:class:`TrackRefused` when less than 90 % of the track lies within 200 m of the
    district (``None``: no geography loaded, nothing to check against)."""
    if district is None or district.is_empty:
        return
    shares, distance = inside_shares(np.array([track], dtype=object), district)
    if shares[0] < INSIDE_SHARE:
        raise TrackRefused(f"track: outside the district: only {shares[0]:.0%} of it lies "
                           f"within {DISTRICT_BUFFER_M:.0f} m of it ({INSIDE_SHARE:.0%} must; "
                           f"{distance[0]:.0f} m from its boundary)")


def district_outline(store: Store) -> BaseGeometry | None:
    """The district (or, without that layer, its subdistricts together); ``None`` if neither."""
    for layer in ("district", "subdistricts"):
        frame = store.read_layer(layer)
        if len(frame):
            return shapely.union_all(frame.geometry.to_numpy())
    return None


def roads_passed(track: LineString, roads: gpd.GeoDataFrame,
                 near_m: float = ROAD_NEAR_M) -> list[str]:
    """Ids of the road segments the track walked along, in ``roads`` order.

    Parameters
    ----------
    track : LineString
        In WGS84.
    roads : GeoDataFrame
        The ``roads`` layer (``id``, geometry in WGS84).
    near_m : float, default 20
        How far from the track a road still counts as walked (GPS error, road width).

    Returns
    -------
    list of str
        Segments with at least :data:`ROAD_SHARE` of their length, or :data:`ROAD_ENOUGH_M`,
        within ``near_m`` of the track — measured in a metric CRS centred on the track.
    """
    if roads.empty:
        return []
    crs = metric_crs(track)
    corridor = gpd.GeoSeries([track], crs="EPSG:4326").to_crs(crs).buffer(near_m).iloc[0]
    metric = roads.geometry.set_crs("EPSG:4326", allow_override=True).to_crs(crs)
    near = metric.sindex.query(corridor, predicate="intersects")
    lines = metric.iloc[near].to_numpy()
    inside = shapely.length(shapely.intersection(lines, corridor))
    whole = shapely.length(lines)
    walked = (inside >= ROAD_SHARE * whole) | (inside >= ROAD_ENOUGH_M)
    return [str(i) for i in roads["id"].iloc[np.sort(near[walked])]]


def track_length_m(tracks: Any) -> np.ndarray:
    """Geodesic length in metres of each WGS84 line (0 for a missing one)."""
    out = []
    for line in np.asarray(tracks, dtype=object).ravel():
        ok = line is not None and not (isinstance(line, float) and math.isnan(line))
        out.append(_GEOD.geometry_length(line) if ok and not line.is_empty else 0.0)
    return np.asarray(out, dtype=float)


def record_patrol(store: Store, zone: Mapping[str, Any], chief_id: str | None,
                  started_at: pd.Timestamp, ended_at: pd.Timestamp, track: LineString,
                  road_ids: list[str]) -> str:
    """Store a checked patrol of ``zone`` (``id``, ``subdistrict_id``); returns its id."""
    patrol_id = f"pat-{uuid.uuid4().hex[:12]}"
    with store.live_tx() as tx:
        tx.add_patrol({"id": patrol_id, "zone_id": zone["id"], "chief_id": chief_id,
                       "subdistrict_id": zone.get("subdistrict_id"),
                       "started_at": int(as_utc(started_at).timestamp()),
                       "ended_at": int(as_utc(ended_at).timestamp()),
                       "road_ids": ROAD_SEPARATOR.join(road_ids),
                       "geom": shapely.to_wkb(track)})
    return patrol_id


def patrol_lengths(patrols: pd.DataFrame) -> pd.Series:
    """Each patrol's track length in metres, indexed by patrol id (0 without a track)."""
    geoms = patrols.geometry.to_numpy() if isinstance(patrols, gpd.GeoDataFrame) \
        else np.full(len(patrols), None)
    return pd.Series(track_length_m(geoms), index=patrols["id"].to_numpy(), dtype=float)


def road_chief_boards(store: Store, scope: Scope, now: pd.Timestamp
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The desk's road-chief view within ``scope``: ``patrols.zone_board`` (per zone: both
    chiefs, last patrol, overdue, coverage) and ``patrols.chief_board`` (per chief: patrols and
    km in the last 7 days). Zones, roads and patrols belong to subdistricts, so a scope's
    subdistricts decide."""
    area = Scope(scope.subdistrict_ids)
    zones = store.read_layer("patrol-zones", area)
    roads = store.read_columns("roads", ["id", "zone_id", "subdistrict_id"], area)
    patrols = store.read_records("patrols", area)
    return (zone_board(zones, roads, patrols, now),
            chief_board(zones, patrols, now, patrol_lengths(patrols)))


def staff_names(store: Store, person_ids: Any) -> dict[str, str]:
    """Names of road chiefs (staff, not residents: shown on every screen) by person id."""
    wanted = sorted({str(p) for p in person_ids if isinstance(p, str) and p})
    if not wanted:
        return {}
    people = store.read_records("people", where={"id": wanted})
    return dict(zip(people["id"], people["name"].fillna(""), strict=True))


def road_chief_board_for(store: Store, scope: Scope, zones: frozenset[str] | None,
                         now: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """:func:`road_chief_boards` kept to ``zones`` when given (a road chief: their own zones,
    as ``GET /api/v1/patrols`` does), with the chiefs' names."""
    by_zone, by_chief = road_chief_boards(store, scope, now)
    if zones is not None:
        by_zone = by_zone[by_zone["zone_id"].isin(zones)].reset_index(drop=True)
        mine = np.fromiter((bool(set(z) & zones) for z in by_chief["zone_ids"]), dtype=bool,
                           count=len(by_chief))
        by_chief = by_chief[mine].reset_index(drop=True)
    return by_zone, by_chief, staff_names(store, by_chief["chief_id"])
