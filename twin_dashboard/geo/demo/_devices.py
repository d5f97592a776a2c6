"""Devices (物联感知设备): ~1,000 per neighborhood over the 19 categories, by catalog share.

The five-piece set sits in the elders' homes, one of each per household; building-bound
sensors (elevators, tilt, falling-object cameras, e-bike chargers) go in or beside fitting
buildings; the rest stand on the open ground of the neighborhood. Street lights along main
roads outside neighborhoods have no neighborhood.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from twin_dashboard.catalog import CATEGORY_BY_CODE, DEVICE_CATEGORIES, ELDERLY_CATEGORIES
from twin_dashboard.geo.demo._base import AS_OF_TS, DAY, HISTORY_DAYS, HOUR, Area, rng
from twin_dashboard.geo.demo._buildings import Building
from twin_dashboard.geo.demo._people import Household
from twin_dashboard.geo.demo._roads import Road

DEVICES_PER_NB = (930, 1040)  # inclusive range of a neighborhood's device count
ROAD_LIGHT_SPACING_M = 90.0
# Building-bound categories: weight of each building kind as a host.
HOST_WEIGHTS: dict[str, dict[str, float]] = {
    "elevator": {"highrise": 6.0, "commercial": 2.0, "walkup": 1.0, "public": 1.0},
    "building_tilt": {"lane": 5.0, "walkup": 2.0, "highrise": 0.5, "public": 0.5},
    "falling_object": {"highrise": 5.0, "walkup": 1.5, "commercial": 1.0},
    "ebike_charging": {"walkup": 3.0, "lane": 2.0, "highrise": 3.0, "public": 0.3},
}
INSIDE_HOST = ("elevator", "building_tilt")  # the rest stand just outside their building


@dataclass(frozen=True)
class Device:
    id: str
    category: str
    name: str
    subdistrict_id: str
    neighborhood_id: str
    building_id: str
    household_id: str
    installed_at: float
    x: float
    y: float


def budget(nb_ids: list[str]) -> dict[str, int]:
    """Each neighborhood's device count (drawn once, so households can be sized from it)."""
    r = rng("budget")
    return {nid: int(r.integers(DEVICES_PER_NB[0], DEVICES_PER_NB[1] + 1)) for nid in nb_ids}


def scaled(budgets: dict[str, int], total: int) -> dict[str, int]:
    """The budgets scaled to about ``total`` devices in all, keeping their proportions (a
    city-scale store for benchmarks: ``generate-demo --devices 250000``)."""
    if total < len(budgets):
        raise ValueError(f"devices must be at least {len(budgets)} (one per neighborhood)")
    factor = total / sum(budgets.values())
    return {nid: max(round(n * factor), 1) for nid, n in budgets.items()}


def households_for(total: int) -> int:
    """One household per five-piece set: the elderly categories' share of the total."""
    return round(total * CATEGORY_BY_CODE[ELDERLY_CATEGORIES[0]].share)


def category_counts(total: int, n_households: int) -> dict[str, int]:
    """Devices per category for one neighborhood, summing to ``total``."""
    counts = {c.code: n_households if c.elderly else round(total * c.share)
              for c in DEVICE_CATEGORIES}
    counts["parking"] += total - sum(counts.values())  # absorb rounding in the largest one
    return counts


def _open_ground(poly: BaseGeometry, built: BaseGeometry, n: int,
                 r: np.random.Generator) -> np.ndarray:
    """n points inside ``poly`` but not inside a building, as an (n, 2) array."""
    x0, y0, x1, y1 = poly.bounds
    shapely.prepare(poly)
    shapely.prepare(built)
    found: list[np.ndarray] = []
    have = 0
    while have < n:
        pts = np.column_stack((r.uniform(x0, x1, 4 * n + 16), r.uniform(y0, y1, 4 * n + 16)))
        keep = shapely.contains_xy(poly, pts[:, 0], pts[:, 1])
        keep &= ~shapely.contains_xy(built, pts[:, 0], pts[:, 1])
        found.append(pts[keep])
        have += int(keep.sum())
    return np.concatenate(found)[:n]


def _in_or_beside(b: Building, inside: bool, r: np.random.Generator,
                  within: BaseGeometry) -> tuple[float, float]:
    """A point in the footprint, or a few metres outside its edge but still ``within``."""
    p = b.geom.point_on_surface()
    if inside:
        return p.x, p.y
    ring = b.geom.exterior
    q = ring.interpolate(r.uniform(0, ring.length))
    dx, dy = q.x - p.x, q.y - p.y
    norm = max(float(np.hypot(dx, dy)), 1.0)
    step = r.uniform(2.0, 6.0)
    x, y = q.x + dx / norm * step, q.y + dy / norm * step
    return (x, y) if shapely.contains_xy(within, x, y) else (p.x, p.y)


def _hosts(buildings: list[Building], category: str, n: int,
           r: np.random.Generator) -> list[Building]:
    weights = np.array([HOST_WEIGHTS[category].get(b.kind, 0.0) for b in buildings])
    if weights.sum() == 0:
        weights = np.ones(len(buildings))
    picks = r.choice(len(buildings), size=n, p=weights / weights.sum())
    return [buildings[int(i)] for i in picks]


def _installed(r: np.random.Generator, n: int) -> np.ndarray:
    """Install times before the 90-day history, in working hours."""
    days = np.floor(r.uniform(HISTORY_DAYS + 5, 3 * 365, n))
    return AS_OF_TS - days * DAY + HOUR + r.uniform(0, 8 * HOUR, n)  # 09:00-17:00


class _Ids:
    def __init__(self) -> None:
        self.devices: list[Device] = []

    def add(self, category: str, name: str, sid: str, nid: str, bid: str, hid: str,
            installed: float, x: float, y: float) -> None:
        self.devices.append(Device(f"dev-{len(self.devices) + 1:06d}", category, name, sid,
                                   nid, bid, hid, float(installed), float(x), float(y)))


def _elderly(ids: _Ids, nb: Area, households: list[Household], r: np.random.Generator) -> None:
    """One of each of the five per household, at the home, installed on the same day."""
    installed = _installed(r, len(households))
    for seq, (hh, t) in enumerate(zip(households, installed, strict=True), start=1):
        for code in ELDERLY_CATEGORIES:
            jx, jy = r.uniform(-1.5, 1.5, 2)
            zh = CATEGORY_BY_CODE[code].zh
            ids.add(code, f"{zh}{seq:03d}", nb.subdistrict_id, nb.id,
                    hh.building_id, hh.id, t, hh.x + jx, hh.y + jy)


def _others(ids: _Ids, nb: Area, counts: dict[str, int], homes: list[Building],
            r: np.random.Generator) -> None:
    built = shapely.union_all([b.geom for b in homes])
    for cat in DEVICE_CATEGORIES:
        n = counts[cat.code]
        if cat.elderly or n == 0:
            continue
        installed = _installed(r, n)
        if cat.code in HOST_WEIGHTS:
            hosts = _hosts(homes, cat.code, n, r)
            spots = [_in_or_beside(b, cat.code in INSIDE_HOST, r, nb.geom) for b in hosts]
            bids = [b.id for b in hosts]
        else:
            spots = [tuple(p) for p in _open_ground(nb.geom.buffer(-2.0), built, n, r)]
            bids = [""] * n
        for k in range(n):
            ids.add(cat.code, f"{cat.zh}{k + 1:03d}", nb.subdistrict_id, nb.id,
                    bids[k], "", installed[k], *spots[k])


def _subdistrict_at(subs: list[Area], x: float, y: float) -> str:
    return next((s.id for s in subs if shapely.contains_xy(s.geom, x, y)), "")


def _road_lights(ids: _Ids, roads: list[Road], subs: list[Area], nbs: list[Area],
                 r: np.random.Generator) -> None:
    """Street lights every ROAD_LIGHT_SPACING_M along main roads outside neighborhoods."""
    inside = shapely.union_all([nb.geom for nb in nbs])
    shapely.prepare(inside)
    zh = CATEGORY_BY_CODE["street_light"].zh
    for road in roads:
        if road.road_class == "branch":
            continue
        for k, d in enumerate(np.arange(20.0, road.geom.length, ROAD_LIGHT_SPACING_M)):
            p, q = road.geom.interpolate(d), road.geom.interpolate(min(d + 1, road.geom.length))
            side = 9.0 if k % 2 else -9.0
            nx, ny = -(q.y - p.y), q.x - p.x
            norm = max(float(np.hypot(nx, ny)), 1e-9)
            x, y = p.x + nx / norm * side, p.y + ny / norm * side
            sid = _subdistrict_at(subs, x, y)
            if not sid or shapely.contains_xy(inside, x, y):
                continue
            ids.add("street_light", f"{road.name}{zh}{road.id[-4:]}-{k + 1:02d}", sid, "",
                    "", "", _installed(r, 1)[0], x, y)


def devices(subs: list[Area], nbs: list[Area], budgets: dict[str, int],
            households: dict[str, list[Household]], buildings: list[Building],
            roads: list[Road]) -> list[Device]:
    """All devices, neighborhood by neighborhood, then the road lights."""
    ids = _Ids()
    for nb in nbs:
        r = rng(f"devices:{nb.id}")
        homes = [b for b in buildings if b.neighborhood_id == nb.id]
        hhs = households[nb.id]
        _elderly(ids, nb, hhs, r)
        _others(ids, nb, category_counts(budgets[nb.id], len(hhs)), homes, r)
    _road_lights(ids, roads, subs, nbs, rng("road-lights"))
    return ids.devices
