"""The deterministic demo district: ``generate(out_dir)`` writes geodata/ byte for byte.

A Hongkou-like district (8 real subdistrict names, 25 invented neighborhoods, synthetic people)
with 90 days of history up to a fixed ``as_of``. Each part draws from its own seeded random
stream (``_base.rng``), so the same code always writes the same bytes, and changing one
part leaves the others' numbers alone. Each part is a private module of this package, in the
order they are built:

_shapes (outline, subdistricts, water, parks) → _roads (and patrol zones) → _neighborhoods →
_buildings (and addresses) → _people (and households) → _devices → _alarms (and states),
_readings, _rhythm → _patrols → _incidents, _loop (their closed loop) → _tables → _write.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from twin_dashboard.geo.demo import (
    _alarms,
    _buildings,
    _devices,
    _incidents,
    _loop,
    _neighborhoods,
    _patrols,
    _people,
    _readings,
    _rhythm,
    _roads,
    _shapes,
)
from twin_dashboard.geo.demo._alarms import Alarm, States
from twin_dashboard.geo.demo._base import AS_OF, GENERATOR_VERSION, SEED, Area, geom_to_xy, rng
from twin_dashboard.geo.demo._buildings import Building
from twin_dashboard.geo.demo._city import city_files, row_counts
from twin_dashboard.geo.demo._devices import Device
from twin_dashboard.geo.demo._incidents import Incident
from twin_dashboard.geo.demo._patrols import Patrol
from twin_dashboard.geo.demo._people import Household, Roster, Staff
from twin_dashboard.geo.demo._readings import Reading
from twin_dashboard.geo.demo._roads import Road, Zone
from twin_dashboard.geo.demo._tables import World, counts, render
from twin_dashboard.geo.demo._write import write_files

__all__ = ["AS_OF", "GENERATOR_VERSION", "SEED", "build", "generate", "generate_city"]

ROAD_GAP_M = 12.0  # neighborhoods keep this far from main roads


@dataclass(frozen=True)
class Ground:
    """The fixed geography everything else is placed on (local metres)."""

    district: Polygon
    subdistricts: list[Area]
    landcover: list[tuple[str, str, Polygon]]
    zones: list[Zone]
    roads: list[Road]
    neighborhoods: list[Area]
    no_build: BaseGeometry  # water and parks


def _ground() -> Ground:
    """Outline, subdistricts, landcover, roads, patrol zones and neighborhoods."""
    subs = _shapes.subdistricts()
    cover = _shapes.landcover()
    water = shapely.union_all([g for _, kind, g in cover if kind == "water"])
    parks = shapely.union_all([g for _, kind, g in cover if kind == "green"])
    rivers = shapely.union_all([g for name, _, g in cover if name in _shapes.RIVER_NAMES])
    named = [(name, cls, line.difference(rivers)) for name, cls, line in
             _roads.named_lines()]  # creeks are bridged, the rivers are not
    branch = _roads.branch_lines(subs, [line for *_, line in named],
                                 shapely.union_all([rivers, parks]))
    zones = _roads.zones(subs)
    roads = _roads.segments(named + branch, zones)
    main = shapely.union_all([line.buffer(ROAD_GAP_M) for *_, line in named])
    blocked = shapely.union_all([water.buffer(15.0), parks.buffer(10.0), main])
    nbs = _neighborhoods.neighborhoods(subs, blocked)
    return Ground(geom_to_xy(_shapes.district_outline()), subs, cover, zones, roads, nbs,
                  shapely.union_all([water, parks]))


def _population(g: Ground, buildings: list[Building],
                budgets: dict[str, int]) -> tuple[Roster, Staff, dict[str, list[Household]]]:
    """Officials, then each neighborhood's people and elderly households."""
    roster = Roster()
    sub_duty = _people.officials(roster, g.subdistricts, g.zones)
    staff = Staff({sid: p.id for sid, p in sub_duty.items()})
    households: dict[str, list[Household]] = {}
    first = 1
    for nb in g.neighborhoods:
        homes = [b for b in buildings if b.neighborhood_id == nb.id]
        n = _devices.households_for(budgets[nb.id])
        made = _people.neighborhood_people(roster, nb, homes, n, first)
        first += n
        households[nb.id] = made.households
        staff.nb_duty[nb.id] = made.duty.id
        staff.nb_cadres[nb.id] = [p.id for p in made.cadres]
        staff.nb_residents[nb.id] = [p.id for p in made.residents]
    return roster, staff, households


def _all_readings(devices: list[Device], households: list[Household], states: States,
                  alarms: list[Alarm]) -> list[Reading]:
    """Heartbeats and state events per device, recent alarm/clear pairs, the homes' rhythm."""
    r = rng("readings")
    rows: list[Reading] = []
    for d in devices:
        rows += _readings.device_readings(d, states, r)
    seen = {row.device_id: row.ts for row in rows if row.event == "heartbeat"}
    by_id = {d.id: d for d in devices}
    by_home = {(d.household_id, d.category): d for d in devices if d.household_id}
    rows += _readings.cleared_readings(alarms, by_id, states, r)
    rows += _rhythm.rhythm_readings(households, by_home, states, seen)
    return sorted(rows, key=lambda x: (x.ts, x.device_id, x.event))


def _all_incidents(g: Ground, buildings: list[Building], staff: Staff, alarms: list[Alarm],
                   patrols: list[Patrol]) -> list[Incident]:
    names = {a.id: a.name for a in g.subdistricts + g.neighborhoods}
    r = rng("stubs")
    found = _patrols.findings(patrols)
    stubs = (_incidents.sensor_stubs(alarms, names, r)
             + _incidents.patrol_stubs(found, g.neighborhoods, names, r)
             + _incidents.citizen_stubs(g.neighborhoods, buildings, staff))
    return _loop.incidents(stubs, staff)


def build(total_devices: int | None = None) -> World:
    """Generate the whole district in memory; ``total_devices``: about that many devices in all
    (spread over the neighborhoods in the usual proportions) instead of ~25k."""
    g = _ground()
    buildings = _buildings.buildings(g.subdistricts, g.neighborhoods, g.roads, g.no_build)
    budgets = _devices.budget([nb.id for nb in g.neighborhoods])
    roster, staff, by_nb = _population(g, buildings, budgets)  # people stay as many
    if total_devices is not None:
        budgets = _devices.scaled(budgets, total_devices)
    households = [hh for nb in g.neighborhoods for hh in by_nb[nb.id]]
    devices = _devices.devices(g.subdistricts, g.neighborhoods, budgets, by_nb,
                               buildings, g.roads)
    states = _alarms.pick_states(devices, households)
    alarms = _alarms.alarms(devices, households, states, staff)
    patrols = _patrols.patrols(g.zones, g.roads)
    incidents = _all_incidents(g, buildings, staff, alarms, patrols)
    return World(g.district, g.subdistricts, g.neighborhoods, g.landcover, g.zones, g.roads,
                 buildings, roster.people, households, devices,
                 _all_readings(devices, households, states, alarms), alarms, incidents, patrols)


def manifest(rows: dict[str, int]) -> str:
    """manifest.json: the clock the data is relative to, how it was made, rows per file."""
    return json.dumps({"as_of": AS_OF.isoformat(), "seed": SEED,
                       "generator_version": GENERATOR_VERSION,
                       "counts": dict(sorted(rows.items()))},
                      ensure_ascii=False, indent=2) + "\n"


def generate(out_dir: Path, devices: int | None = None) -> dict[str, int]:
    """Write the demo district's files into ``out_dir``; returns rows per file
    (``devices``: about that many devices, see :func:`build`).

    Everything is generated in memory first and written through temporary files, so a run
    that fails leaves the directory as it was.
    """
    world = build(devices)
    rows = counts(world)
    files = render(world)
    files["manifest.json"] = manifest(rows)
    write_files(Path(out_dir), files)
    return dict(sorted(rows.items()))


def generate_city(out_dir: Path, districts: int, devices: int | None = None) -> dict[str, int]:
    """Write a demo city of ``districts`` copies of the demo district (``_city.py``: the
    city-scale benchmark's data; ``devices`` per district, see :func:`build`) into
    ``out_dir``; returns rows per file."""
    files = city_files(render(build(devices)), districts)
    rows = row_counts(files)
    files["manifest.json"] = manifest(rows)
    write_files(Path(out_dir), files)
    return dict(sorted(rows.items()))
