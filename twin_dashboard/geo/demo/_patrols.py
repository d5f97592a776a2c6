"""Road-chief patrols (patrols.geojson): GPS tracks along each zone's road segments.

Each zone has a fixed route (its segments chained nearest-first); a patrol walks all of it or
a stretch, about once a day, on foot. Most zones are patrolled within their target interval;
a few lag (skipped days, short walks, nothing for the last several days), as real ones do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from shapely.geometry import LineString

from twin_dashboard.geo.demo._base import AS_OF_TS, DAY, HISTORY_DAYS, HOUR, rng
from twin_dashboard.geo.demo._roads import Road, Zone

WALK_M_PER_S = 4.5 * 1000 / 3600
STOP_S = 120.0  # a look around on every segment
GPS_STEP_M = 300.0
GPS_NOISE_M = 2.5
LAGGING_ZONES = 3
FINDING_CHANCE = 0.35


@dataclass(frozen=True)
class Patrol:
    id: str
    zone_id: str
    chief_id: str
    subdistrict_id: str
    started_at: float
    ended_at: float
    road_ids: tuple[str, ...]
    track: LineString


@dataclass(frozen=True)
class Finding:
    """Something a patrol saw, to become a patrol-sourced incident."""

    zone_id: str
    subdistrict_id: str
    chief_id: str
    ts: float
    x: float
    y: float


def route(segments: list[Road]) -> list[tuple[Road, bool]]:
    """Chain segments nearest-end-first from the first one: (segment, reversed?)."""
    left = list(segments)
    first = left.pop(0)
    out = [(first, False)]
    end = first.geom.coords[-1]
    while left:
        dist = [min(np.hypot(s.geom.coords[0][0] - end[0], s.geom.coords[0][1] - end[1]),
                    np.hypot(s.geom.coords[-1][0] - end[0], s.geom.coords[-1][1] - end[1]))
                for s in left]
        seg = left.pop(int(np.argmin(dist)))
        head, tail = seg.geom.coords[0], seg.geom.coords[-1]
        rev = np.hypot(tail[0] - end[0], tail[1] - end[1]) < np.hypot(head[0] - end[0],
                                                                       head[1] - end[1])
        out.append((seg, bool(rev)))
        end = head if rev else tail
    return out


def _track(legs: list[tuple[Road, bool]], r: np.random.Generator) -> LineString:
    """GPS fixes every GPS_STEP_M or so along the legs, one fix where two legs join."""
    pts: list[np.ndarray] = []
    for seg, rev in legs:
        line = seg.geom
        n = max(2, int(line.length // GPS_STEP_M) + 2)
        ds = np.linspace(line.length, 0, n) if rev else np.linspace(0, line.length, n)
        leg = np.array([line.interpolate(d).coords[0] for d in ds])
        if pts and np.hypot(*(leg[0] - pts[-1][-1])) < 1.0:
            leg = leg[1:]
        pts.append(leg)
    xy = np.concatenate(pts)
    return LineString(xy + r.normal(0, GPS_NOISE_M, xy.shape))


def _days(zone: Zone, lagging: bool, r: np.random.Generator) -> list[int]:
    """Which days back (1 = yesterday) the zone was patrolled."""
    chance = 0.93 if zone.target_hours <= 24 else 0.6
    if lagging:
        chance *= 0.6
    days = [d for d in range(HISTORY_DAYS, 0, -1) if r.random() < chance]
    if lagging:
        quiet = int(r.integers(3, 6)) * int(zone.target_hours // 24)
        return [d for d in days if d > quiet]
    return days if 1 in days else days + [1]


def zone_patrols(zone: Zone, segments: list[Road], lagging: bool) -> list[Patrol]:
    """A zone's 90 days of patrols (ids filled in later, in time order)."""
    r = rng(f"patrol:{zone.id}")
    legs = route(segments)
    out = []
    for day in _days(zone, lagging, r):
        share = r.uniform(0.4, 0.8) if lagging else (
            1.0 if r.random() < 0.85 else r.uniform(0.6, 0.95))
        n = max(1, round(share * len(legs)))
        first = int(r.integers(0, len(legs) - n + 1))
        walk = legs[first:first + n]
        track = _track(walk, r)
        start = AS_OF_TS - 8 * HOUR - day * DAY + r.uniform(8.5, 15.0) * HOUR
        end = start + track.length / WALK_M_PER_S + STOP_S * len(walk)
        chief = zone.gov_chief_id if r.random() < 0.5 else zone.community_chief_id
        out.append(Patrol("", zone.id, chief, zone.subdistrict_id, start, end,
                          tuple(seg.id for seg, _ in walk), track))
    return out


def patrols(zones: list[Zone], roads: list[Road]) -> list[Patrol]:
    """All patrols of all zones, oldest first, ids in that order."""
    order = rng("lagging").permutation(len(zones))
    lagging = {zones[int(i)].id for i in order[:LAGGING_ZONES]}  # membership only
    rows = []
    for zone in zones:
        segs = [road for road in roads if road.zone_id == zone.id]
        if segs:
            rows += zone_patrols(zone, segs, zone.id in lagging)
    rows.sort(key=lambda p: (p.started_at, p.zone_id))
    return [Patrol(f"pat-{i:05d}", p.zone_id, p.chief_id, p.subdistrict_id, p.started_at,
                   p.ended_at, p.road_ids, p.track) for i, p in enumerate(rows, start=1)]


def findings(rows: list[Patrol]) -> list[Finding]:
    """Points along some patrols where the chief reported a problem."""
    r = rng("findings")
    out = []
    for p in rows:
        if r.random() >= FINDING_CHANCE:
            continue
        coords = p.track.coords
        i = int(r.integers(len(coords)))
        ts = p.started_at + (p.ended_at - p.started_at) * i / max(1, len(coords) - 1)
        out.append(Finding(p.zone_id, p.subdistrict_id, p.chief_id, ts, *coords[i]))
    return out
