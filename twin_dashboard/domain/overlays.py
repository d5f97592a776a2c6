"""What the twin map shows for a scope: base geography and live overlays, ready for the views.

Two speeds. The base geography (district, water, boundaries, roads, buildings, the device
registry, patrol zones) changes only by import: :class:`~twin_dashboard.domain.atlas.Atlas` reads
it once per app and keeps it. The overlays — device states, open alarms and incidents, patrol
coverage — are read per call through the store's scoped reads, so that a neighborhood switch
reads about a thousand rows, not the district. This module holds the pure parts of both.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from twin_dashboard.catalog import DEVICE_STATES, OPEN_STATUSES
from twin_dashboard.domain.devices import current_states
from twin_dashboard.domain.places import MapScope, Places
from twin_dashboard.domain.time import HOUR, as_utc, as_utc_series
from twin_dashboard.domain.tracks import staff_names
from twin_dashboard.store.base import Scope, Store

OVERLAYS: tuple[str, ...] = ("devices", "alarms", "incidents", "patrol_zones", "patrol_tracks",
                             "visits")
# What a map shows before anyone chooses (the wall always): visit coverage is asked for.
DEFAULT_OVERLAYS: tuple[str, ...] = tuple(o for o in OVERLAYS if o != "visits")
# At district zoom only these device states are drawn one by one (the rest are aggregated).
NOTABLE_STATES: tuple[str, ...] = ("alarm", "fault")
MAX_NOTABLE_POINTS = 4000  # worst first; keeps the district view light on a slow wall PC
STATUS_COLUMNS: tuple[str, ...] = ("device_id", "state", "last_seen", "battery")
MAX_DETAIL_POINTS = 20000  # devices in view when zoomed in at district scope (MAP_DETAIL)
LATE_FACTOR = 2.0  # a zone patrolled within 2× its target is "late", beyond that "uncovered"
TRACK_WINDOWS: tuple[int, ...] = (1, 7)  # days of patrol tracks the map may show: 24 h or a week
TRACK_DAYS = 7  # the default window
MAX_TRACKS = 500  # newest first: ~500 tracks keep MAP_DATA small (docs/browser.md)
TRACK_SIMPLIFY_DEG = 0.00002  # ≈ 2 m: GPS jitter below that is invisible at any zoom we allow
BASE_LAYERS: tuple[str, ...] = (
    "district", "landcover", "subdistricts", "neighborhoods", "roads", "buildings",
    "patrol-zones",
)


@dataclass(frozen=True)
class BaseGeo:
    """The static geography of one store, as read once."""

    layers: dict[str, gpd.GeoDataFrame]
    devices: pd.DataFrame  # id, category, name, subdistrict_id, neighborhood_id, lon, lat
    device_rows: dict[str, np.ndarray] = field(default_factory=dict)  # scope key -> row index
    token: str = field(default_factory=lambda: uuid.uuid4().hex)  # this read, for caches of views

    @classmethod
    def read(cls, store: Store) -> BaseGeo:
        """Every base layer and the device registry of ``store`` (one read, ~0.5 s)."""
        layers = {name.replace("-", "_"): store.read_layer(name) for name in BASE_LAYERS}
        geo = cls(layers=layers, devices=_device_registry(store.read_layer("devices")))
        geo.device_rows.update(_index_rows(geo.devices))
        return geo

    @cached_property
    def places(self) -> Places:
        return Places.from_layers(self.layers["subdistricts"], self.layers["neighborhoods"],
                                  self.layers["district"])

    @property
    def areas(self) -> gpd.GeoDataFrame:
        """Subdistricts (rank 0) and neighborhoods (rank 1) together, for labels."""
        parts = [self.layers["subdistricts"].assign(rank=0),
                 self.layers["neighborhoods"].assign(rank=1)]
        frame = pd.concat([p[["id", "name", "name_en", "rank", "geometry"]] for p in parts],
                          ignore_index=True)
        return gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")


@dataclass
class Overlays:
    """The live layers of one scope; ``None`` for a layer switched off."""

    scope: MapScope
    devices: pd.DataFrame | None = None  # one row per device drawn as a point
    columns: pd.DataFrame | None = None  # per-neighborhood counts (district scope only)
    alarms: pd.DataFrame | None = None
    incidents: pd.DataFrame | None = None
    zones: gpd.GeoDataFrame | None = None
    tracks: gpd.GeoDataFrame | None = None  # recent patrol tracks, newest first
    visits: pd.DataFrame | None = None  # households, visited within 30 days or due
    outline: Any = None  # the scope's geometry (None for the whole district)


def _device_registry(devices: gpd.GeoDataFrame) -> pd.DataFrame:
    geoms = devices.geometry.to_numpy()
    out = pd.DataFrame(devices[["id", "category", "name", "subdistrict_id", "neighborhood_id"]])
    out["lon"], out["lat"] = shapely.get_x(geoms), shapely.get_y(geoms)
    return out.reset_index(drop=True)


def _index_rows(devices: pd.DataFrame) -> dict[str, np.ndarray]:
    """Row positions per ``sub:<id>`` and ``nbh:<id>``, so a scope's devices are one take."""
    rows: dict[str, np.ndarray] = {}
    for column, prefix in (("subdistrict_id", "sub"), ("neighborhood_id", "nbh")):
        for value, index in devices.groupby(column, sort=False).indices.items():
            if value:
                rows[f"{prefix}:{value}"] = np.asarray(index)
    return rows


def scope_geometry(geo: BaseGeo, scope: MapScope) -> Any:
    """The outline of the scope; ``None`` means the whole district."""
    layer, value = (("neighborhoods", scope.neighborhood) if scope.neighborhood
                    else ("subdistricts", scope.subdistrict) if scope.subdistrict
                    else ("district", scope.district))
    if value is None:
        return None
    frame = geo.layers[layer]
    return shapely.union_all(frame.geometry[frame["id"] == value].to_numpy())


def scope_bounds(geo: BaseGeo, scope: MapScope) -> tuple[float, float, float, float]:
    """``(west, south, east, north)`` of the scope (the district's for the whole district)."""
    geometry = scope_geometry(geo, scope)
    if geometry is None:
        district = geo.layers["district"]
        frame = district if len(district) else geo.layers["subdistricts"]
        bounds = tuple(float(v) for v in frame.total_bounds)
        return with_label_room(bounds) if len(district) > 1 else bounds  # type: ignore
    return tuple(float(v) for v in shapely.bounds(geometry))  # type: ignore[return-value]


def with_label_room(bounds: tuple[float, ...]) -> tuple[float, float, float, float]:
    """A city's bounds widened so that each district's label (centred on the district, above
    its northern edge, wider than a small district) stays on screen at the edges."""
    west, south, east, north = bounds
    dx, dy = (east - west) * 0.12, (north - south) * 0.15
    return west - dx, south - dy * 0.3, east + dx, north + dy


def scope_outline(geo: BaseGeo, scope: MapScope) -> list[list[float]]:
    """The corners of the scope's convex hull: what a turned camera must keep in view."""
    geometry = scope_geometry(geo, scope)
    if geometry is None:
        district = geo.layers["district"]
        frame = district if len(district) else geo.layers["subdistricts"]
        geometry = (shapely.box(*scope_bounds(geo, scope)) if len(district) > 1
                    else shapely.union_all(frame.geometry.to_numpy()))
    hull = shapely.convex_hull(geometry).simplify(0.0003)
    return [[round(float(x), 6), round(float(y), 6)] for x, y in shapely.get_coordinates(hull)]


def scoped_states(store: Store, geo: BaseGeo, scope: MapScope,
                  now: pd.Timestamp) -> pd.DataFrame:
    """Current device states of the scope, with each device's name."""
    key = f"nbh:{scope.neighborhood}" if scope.neighborhood else (
        f"sub:{scope.subdistrict}" if scope.subdistrict else None)
    none = np.zeros(0, dtype=int)
    if key is None and scope.district:  # one district of a city: its subdistricts' rows
        rows = [geo.device_rows.get(f"sub:{s}", none)
                for s in sorted(scope.district_subdistricts or ())]
        devices = geo.devices.iloc[np.sort(np.concatenate([none, *rows]))]
    else:
        devices = geo.devices if key is None else geo.devices.iloc[
            geo.device_rows.get(key, none)]
    # only what current_states reads: at 250k devices the full rows cost twice as long
    status = store.read_columns("device_status", list(STATUS_COLUMNS), scope.store_scope)
    states = current_states(devices, status, now)
    states["name"] = devices["name"].to_numpy()
    return states


def neighborhood_counts(states: pd.DataFrame, hoods: gpd.GeoDataFrame) -> pd.DataFrame:
    """Devices per neighborhood and state, placed at a point inside each neighborhood."""
    counts = pd.crosstab(states["neighborhood_id"], states["state"]) if len(states) else None
    counts = (pd.DataFrame(columns=list(DEVICE_STATES)) if counts is None else counts)
    counts = counts.reindex(index=hoods["id"], columns=list(DEVICE_STATES), fill_value=0)
    points = hoods.geometry.representative_point()
    out = pd.DataFrame({
        "neighborhood_id": hoods["id"].to_numpy(), "name": hoods["name"].to_numpy(),
        "name_en": hoods["name_en"].to_numpy() if "name_en" in hoods else None,
        "subdistrict_id": hoods["subdistrict_id"].to_numpy(),
        "lon": points.x.to_numpy(), "lat": points.y.to_numpy(),
    })
    for state in DEVICE_STATES:
        out[state] = counts[state].fillna(0).astype(int).to_numpy()
    return out


def notable(states: pd.DataFrame, limit: int = MAX_NOTABLE_POINTS) -> pd.DataFrame:
    """Devices worth a dot at district zoom: in alarm or fault, worst first, at most ``limit``."""
    rank = {s: i for i, s in enumerate(NOTABLE_STATES)}
    rows = states[states["state"].isin(NOTABLE_STATES)]
    order = rows["state"].map(rank).to_numpy().argsort(kind="stable")
    return rows.iloc[order[:limit]].reset_index(drop=True)


def in_bounds(states: pd.DataFrame, bounds: tuple[float, float, float, float],
              limit: int = MAX_DETAIL_POINTS) -> pd.DataFrame:
    """The devices within ``(west, south, east, north)``; over ``limit``, the worst first."""
    west, south, east, north = bounds
    lon, lat = states["lon"].to_numpy(float), states["lat"].to_numpy(float)
    rows = states[(lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)]
    if len(rows) > limit:
        worst = {s: i for i, s in enumerate(("alarm", "fault", "offline", "low_battery"))}
        order = rows["state"].map(worst).fillna(len(worst)).to_numpy().argsort(kind="stable")
        rows = rows.iloc[order[:limit]]
    return rows.reset_index(drop=True)


def located(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows that have a position (an alarm of a household without coordinates cannot be drawn)."""
    return frame[frame["lon"].notna() & frame["lat"].notna()].reset_index(drop=True)


def open_with_breach(incidents: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    """Open incidents with a position, and ``breach``: past their SLA deadline at ``now``."""
    rows = located(incidents[incidents["status"].isin(OPEN_STATUSES)])
    due = as_utc_series(rows["sla_due_at"]) if len(rows) else pd.Series(dtype="datetime64[ns, UTC]")
    rows = rows.assign(breach=(due < as_utc(now)).fillna(False).to_numpy(bool))
    return rows


def zones_for(geo: BaseGeo, scope: MapScope, coverage: pd.Series) -> gpd.GeoDataFrame:
    """Patrol zones of the scope's subdistrict (all for the district) with a coverage class."""
    zones = geo.layers["patrol_zones"]
    if scope.subdistrict:
        zones = zones[zones["subdistrict_id"] == scope.subdistrict]
    elif scope.district:
        zones = zones[zones["subdistrict_id"].isin(scope.district_subdistricts or ())]
    return zones.assign(coverage=zones["id"].map(coverage).fillna("uncovered").to_numpy())


def coverage_classes(coverage: pd.DataFrame) -> pd.Series:
    """Per zone id: ``covered`` (within target), ``late`` (within 2× target) or ``uncovered``."""
    ratio = coverage["hours_since"] / coverage["target_hours"]
    classes = np.where(coverage["covered"], "covered",
                       np.where(ratio <= LATE_FACTOR, "late", "uncovered"))
    return pd.Series(classes, index=coverage["zone_id"].to_numpy())


TRACK_COLUMNS: tuple[str, ...] = (
    "id", "zone_id", "zone_name", "subdistrict_id", "chief_id", "chief_name", "chief_role",
    "started_at", "ended_at", "age_hours", "geometry",
)


def recent_tracks(store: Store, geo: BaseGeo, scope: MapScope, now: pd.Timestamp,
                  days: float = TRACK_DAYS, limit: int = MAX_TRACKS) -> gpd.GeoDataFrame:
    """Patrol tracks of the scope's subdistrict (all for the district) started within the last
    ``days`` up to ``now``, newest first, at most ``limit`` — simplified to ≈ 2 m.

    Returns ``TRACK_COLUMNS``: the zone's name, the chief's name (staff, not residents) and role
    (``gov`` | ``community`` | ``""``), and ``age_hours`` since the patrol ended (0 while under
    way). Like the patrol zones, tracks belong to subdistricts: a neighborhood shows its
    subdistrict's.
    """
    at = as_utc(now)
    patrols = store.read_records("patrols", Scope.of(scope.subdistrict) if scope.subdistrict
                                 else Scope(scope.district_subdistricts))
    if not isinstance(patrols, gpd.GeoDataFrame) or patrols.empty:
        return gpd.GeoDataFrame({c: [] for c in TRACK_COLUMNS[:-1]}, geometry=[],
                                crs="EPSG:4326")
    started = as_utc_series(patrols["started_at"])
    drawn = ~(patrols.geometry.isna() | patrols.geometry.is_empty)
    keep = ((started <= at) & (started > at - pd.Timedelta(days=days)) & drawn).to_numpy()
    rows = patrols[keep].assign(_start=started[keep])
    rows = rows.sort_values(["_start", "id"], ascending=[False, True], kind="stable").head(limit)
    ended = as_utc_series(rows["ended_at"])
    end = ended.where(ended <= at, at).fillna(at)
    zones = geo.layers["patrol_zones"].set_index("id")
    out = gpd.GeoDataFrame({
        "id": rows["id"].to_numpy(), "zone_id": rows["zone_id"].to_numpy(),
        "zone_name": rows["zone_id"].map(zones.get("name", {}))
        .fillna("").to_numpy(),
        "subdistrict_id": rows["subdistrict_id"].fillna("").to_numpy(),
        "chief_id": rows["chief_id"].fillna("").to_numpy(),
        "started_at": rows["_start"].to_numpy(), "ended_at": end.to_numpy(),
        "age_hours": ((at - end) / HOUR).astype(float).to_numpy(),
    }, geometry=shapely.simplify(rows.geometry.to_numpy(), TRACK_SIMPLIFY_DEG),
        crs="EPSG:4326")
    out["chief_name"] = out["chief_id"].map(staff_names(store, out["chief_id"])).fillna("")
    out["chief_role"] = _chief_roles(zones, out)
    return out[list(TRACK_COLUMNS)].reset_index(drop=True)


def _chief_roles(zones: pd.DataFrame, tracks: pd.DataFrame) -> np.ndarray:
    """``gov`` or ``community``: which of its zone's two chiefs walked each track."""
    roles = []
    for zone_id, chief in zip(tracks["zone_id"], tracks["chief_id"], strict=True):
        zone = zones.loc[zone_id] if zone_id in zones.index else {}
        roles.append(next((role for role in ("gov", "community")
                           if chief and zone.get(f"{role}_chief_id") == chief), ""))
    return np.asarray(roles, dtype=object)
