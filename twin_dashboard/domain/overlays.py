"""What the twin map shows for a scope: base geography and live overlays, ready for the views.

Two speeds. The base geography (district, water, boundaries, roads, buildings, the device
registry, patrol zones) changes only by import: it is read once per process and store, and kept
(:func:`base_geo`; :func:`clear_cache` after an import in the same process). The overlays —
device states, open alarms and incidents, patrol coverage — are read per call through the store's
scoped reads, so that a neighborhood switch reads about a thousand rows, not the district.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from twin_dashboard.catalog import DEVICE_STATES, OPEN_STATUSES
from twin_dashboard.domain.alarms import OPEN_ALARM_STATUSES, open_alarms
from twin_dashboard.domain.devices import current_states
from twin_dashboard.domain.patrols import zone_coverage
from twin_dashboard.domain.time import as_utc, as_utc_series
from twin_dashboard.store.base import Scope, Store

OVERLAYS: tuple[str, ...] = ("devices", "alarms", "incidents", "patrol_zones")
# At district zoom only these device states are drawn one by one (the rest are aggregated).
NOTABLE_STATES: tuple[str, ...] = ("alarm", "fault")
MAX_NOTABLE_POINTS = 4000  # worst first; keeps the district view light on a slow wall PC
LATE_FACTOR = 2.0  # a zone patrolled within 2× its target is "late", beyond that "uncovered"
COVERAGE_TTL_S = 30.0  # patrol coverage moves in hours: recomputing it per click is waste
# Every page opens on the whole district (25k status rows, ~0.1 s): share that read for a few
# seconds between page loads; live changes reach open pages as deltas (MAP_DELTA) anyway.
DISTRICT_STATES_TTL_S = 5.0
_BASE_LAYERS: tuple[str, ...] = (
    "district", "landcover", "subdistricts", "neighborhoods", "roads", "buildings",
    "patrol-zones",
)

T = TypeVar("T")


@dataclass(frozen=True)
class BaseGeo:
    """The static geography of one store, as read once."""

    layers: dict[str, gpd.GeoDataFrame]
    devices: pd.DataFrame  # id, category, name, subdistrict_id, neighborhood_id, lon, lat
    device_rows: dict[str, np.ndarray] = field(default_factory=dict)  # scope key -> row index

    @property
    def areas(self) -> gpd.GeoDataFrame:
        """Subdistricts (rank 0) and neighborhoods (rank 1) together, for labels."""
        parts = [self.layers["subdistricts"].assign(rank=0),
                 self.layers["neighborhoods"].assign(rank=1)]
        frame = pd.concat([p[["id", "name", "name_en", "rank", "geometry"]] for p in parts],
                          ignore_index=True)
        return gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")


@dataclass(frozen=True)
class MapScope:
    """A resolved scope: unknown ids dropped, a neighborhood's subdistrict filled in."""

    subdistrict: str | None = None
    neighborhood: str | None = None

    @property
    def key(self) -> str:
        return (f"nbh:{self.neighborhood}" if self.neighborhood
                else f"sub:{self.subdistrict}" if self.subdistrict else "district")

    @property
    def store_scope(self) -> Scope:
        return Scope.of(self.subdistrict, self.neighborhood)


@dataclass
class Overlays:
    """The live layers of one scope; ``None`` for a layer switched off."""

    scope: MapScope
    devices: pd.DataFrame | None = None  # one row per device drawn as a point
    columns: pd.DataFrame | None = None  # per-neighborhood counts (district scope only)
    alarms: pd.DataFrame | None = None
    incidents: pd.DataFrame | None = None
    zones: gpd.GeoDataFrame | None = None
    outline: Any = None  # the scope's geometry (None for the whole district)


_lock = threading.Lock()
_base: dict[str, BaseGeo] = {}
_memo: dict[tuple[Any, ...], tuple[float, Any]] = {}


def clear_cache() -> None:
    """Forget cached geography and figures (after an import into this process's store)."""
    with _lock:
        _base.clear()
        _memo.clear()


def base_geo(store: Store) -> BaseGeo:
    """The store's static geography, read once per process."""
    with _lock:
        cached = _base.get(store.url)
    if cached is not None:
        return cached
    layers = {name.replace("-", "_"): store.read_layer(name) for name in _BASE_LAYERS}
    geo = BaseGeo(layers=layers, devices=_device_registry(store.read_layer("devices")))
    geo.device_rows.update(_index_rows(geo.devices))
    with _lock:
        return _base.setdefault(store.url, geo)


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


def resolve_scope(geo: BaseGeo, subdistrict: str | None, neighborhood: str | None) -> MapScope:
    """The scope the map can show: unknown ids are dropped, a neighborhood names its subdistrict."""
    hoods = geo.layers["neighborhoods"]
    if neighborhood and (hoods["id"] == neighborhood).any():
        parent = hoods.loc[hoods["id"] == neighborhood, "subdistrict_id"].iloc[0]
        return MapScope(str(parent) if parent else None, neighborhood)
    if subdistrict and (geo.layers["subdistricts"]["id"] == subdistrict).any():
        return MapScope(subdistrict, None)
    return MapScope()


def scope_geometry(geo: BaseGeo, scope: MapScope) -> Any:
    """The outline of the scope; ``None`` means the whole district."""
    layer, value = (("neighborhoods", scope.neighborhood) if scope.neighborhood
                    else ("subdistricts", scope.subdistrict))
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
        return tuple(float(v) for v in frame.total_bounds)  # type: ignore[return-value]
    return tuple(float(v) for v in shapely.bounds(geometry))  # type: ignore[return-value]


def scope_outline(geo: BaseGeo, scope: MapScope) -> list[list[float]]:
    """The corners of the scope's convex hull: what a turned camera must keep in view."""
    geometry = scope_geometry(geo, scope)
    if geometry is None:
        district = geo.layers["district"]
        frame = district if len(district) else geo.layers["subdistricts"]
        geometry = shapely.union_all(frame.geometry.to_numpy())
    hull = shapely.convex_hull(geometry).simplify(0.0003)
    return [[round(float(x), 6), round(float(y), 6)] for x, y in shapely.get_coordinates(hull)]


def map_overlays(store: Store, scope: MapScope, now: pd.Timestamp,
                 layers: Iterable[str] = OVERLAYS) -> Overlays:
    """The live overlays of ``scope`` at ``now``, only for the ``layers`` switched on."""
    geo = base_geo(store)
    wanted = set(layers)
    out = Overlays(scope=scope, outline=scope_geometry(geo, scope))
    if "devices" in wanted and scope.key == "district":
        out.columns, out.devices = _memoized(
            ("district-states", store.url, as_utc(now).floor("10s")), DISTRICT_STATES_TTL_S,
            lambda: _district_devices(store, geo, now))
    elif "devices" in wanted:
        out.devices = scoped_states(store, geo, scope, now)
    if "alarms" in wanted:
        out.alarms = located(open_alarms(store.read_records(
            "alarms", scope.store_scope, where={"status": list(OPEN_ALARM_STATUSES)})))
    if "incidents" in wanted:
        out.incidents = open_with_breach(store.read_records(
            "incidents", scope.store_scope, where={"status": list(OPEN_STATUSES)}), now)
    if "patrol_zones" in wanted:
        out.zones = zones_for(store, geo, scope, now)
    return out


def scoped_states(store: Store, geo: BaseGeo, scope: MapScope,
                  now: pd.Timestamp) -> pd.DataFrame:
    """Current device states of the scope, with each device's name."""
    key = f"nbh:{scope.neighborhood}" if scope.neighborhood else (
        f"sub:{scope.subdistrict}" if scope.subdistrict else None)
    devices = geo.devices if key is None else geo.devices.iloc[
        geo.device_rows.get(key, np.zeros(0, dtype=int))]
    status = store.read_records("device_status", scope.store_scope)
    states = current_states(devices, status, now)
    states["name"] = devices["name"].to_numpy()
    return states


def _district_devices(store: Store, geo: BaseGeo,
                      now: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-neighborhood counts and the notable devices of the whole district."""
    states = scoped_states(store, geo, MapScope(), now)
    return neighborhood_counts(states, geo.layers["neighborhoods"]), notable(states)


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


def located(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows that have a position (an alarm of a household without coordinates cannot be drawn)."""
    return frame[frame["lon"].notna() & frame["lat"].notna()].reset_index(drop=True)


def open_with_breach(incidents: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    """Open incidents with a position, and ``breach``: past their SLA deadline at ``now``."""
    rows = located(incidents[incidents["status"].isin(OPEN_STATUSES)])
    due = as_utc_series(rows["sla_due_at"]) if len(rows) else pd.Series(dtype="datetime64[ns, UTC]")
    rows = rows.assign(breach=(due < as_utc(now)).fillna(False).to_numpy(bool))
    return rows


def zones_for(store: Store, geo: BaseGeo, scope: MapScope,
              now: pd.Timestamp) -> gpd.GeoDataFrame:
    """Patrol zones of the scope's subdistrict (all for the district) with a coverage class."""
    zones = geo.layers["patrol_zones"]
    if scope.subdistrict:
        zones = zones[zones["subdistrict_id"] == scope.subdistrict]
    coverage = _memoized(("coverage", store.url, as_utc(now).floor("min")), COVERAGE_TTL_S,
                         lambda: coverage_classes(zone_coverage(
                             geo.layers["patrol_zones"], store.read_records("patrols"), now)))
    return zones.assign(coverage=zones["id"].map(coverage).fillna("uncovered").to_numpy())


def coverage_classes(coverage: pd.DataFrame) -> pd.Series:
    """Per zone id: ``covered`` (within target), ``late`` (within 2× target) or ``uncovered``."""
    ratio = coverage["hours_since"] / coverage["target_hours"]
    classes = np.where(coverage["covered"], "covered",
                       np.where(ratio <= LATE_FACTOR, "late", "uncovered"))
    return pd.Series(classes, index=coverage["zone_id"].to_numpy())


def _memoized(key: tuple[Any, ...], ttl_s: float, compute: Callable[[], T]) -> T:
    """``compute()``, reused for ``ttl_s`` seconds per ``key``."""
    now = time.monotonic()
    with _lock:
        hit = _memo.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    value = compute()
    with _lock:
        _memo[key] = (now + ttl_s, value)
    return value
