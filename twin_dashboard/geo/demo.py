"""The deterministic demo district: ``generate(out_dir)`` writes geodata/ byte for byte.

A Hongkou-like district (8 real subdistrict names, 25 invented neighborhoods, synthetic people)
with 90 days of history up to a fixed ``as_of``. Each part draws from its own seeded random
stream (``_demo_base.rng``), so the same code always writes the same bytes, and changing one
part leaves the others' numbers alone. The parts live in the private ``_demo_*`` modules:

shapes (outline, subdistricts, water, parks) → roads and patrol zones → neighborhoods →
buildings and addresses → people and households → devices → states, alarms, readings →
patrols → incidents and their closed loop → tables → files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from twin_dashboard.geo import (
    _demo_alarms,
    _demo_buildings,
    _demo_devices,
    _demo_incidents,
    _demo_loop,
    _demo_neighborhoods,
    _demo_patrols,
    _demo_people,
    _demo_readings,
    _demo_rhythm,
    _demo_roads,
    _demo_shapes,
)
from twin_dashboard.geo._demo_alarms import Alarm, States
from twin_dashboard.geo._demo_base import AS_OF, GENERATOR_VERSION, SEED, Area, geom_to_xy, rng
from twin_dashboard.geo._demo_buildings import Building
from twin_dashboard.geo._demo_devices import Device
from twin_dashboard.geo._demo_incidents import Incident
from twin_dashboard.geo._demo_patrols import Patrol
from twin_dashboard.geo._demo_people import Household, Roster, Staff
from twin_dashboard.geo._demo_readings import Reading
from twin_dashboard.geo._demo_roads import Road, Zone
from twin_dashboard.geo._demo_tables import World, counts, render
from twin_dashboard.geo._demo_write import write_files

__all__ = ["AS_OF", "GENERATOR_VERSION", "SEED", "build", "generate"]

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
    subs = _demo_shapes.subdistricts()
    cover = _demo_shapes.landcover()
    water = shapely.union_all([g for _, kind, g in cover if kind == "water"])
    parks = shapely.union_all([g for _, kind, g in cover if kind == "green"])
    rivers = shapely.union_all([g for name, _, g in cover if name in _demo_shapes.RIVER_NAMES])
    named = [(name, cls, line.difference(rivers)) for name, cls, line in
             _demo_roads.named_lines()]  # creeks are bridged, the rivers are not
    branch = _demo_roads.branch_lines(subs, [line for *_, line in named],
                                      shapely.union_all([rivers, parks]))
    zones = _demo_roads.zones(subs)
    roads = _demo_roads.segments(named + branch, zones)
    main = shapely.union_all([line.buffer(ROAD_GAP_M) for *_, line in named])
    blocked = shapely.union_all([water.buffer(15.0), parks.buffer(10.0), main])
    nbs = _demo_neighborhoods.neighborhoods(subs, blocked)
    return Ground(geom_to_xy(_demo_shapes.district_outline()), subs, cover, zones, roads, nbs,
                  shapely.union_all([water, parks]))


def _population(g: Ground, buildings: list[Building],
                budgets: dict[str, int]) -> tuple[Roster, Staff, dict[str, list[Household]]]:
    """Officials, then each neighborhood's people and elderly households."""
    roster = Roster()
    sub_duty = _demo_people.officials(roster, g.subdistricts, g.zones)
    staff = Staff({sid: p.id for sid, p in sub_duty.items()})
    households: dict[str, list[Household]] = {}
    first = 1
    for nb in g.neighborhoods:
        homes = [b for b in buildings if b.neighborhood_id == nb.id]
        n = _demo_devices.households_for(budgets[nb.id])
        made = _demo_people.neighborhood_people(roster, nb, homes, n, first)
        first += n
        households[nb.id] = made.households
        staff.nb_duty[nb.id] = made.duty.id
        staff.nb_cadres[nb.id] = [p.id for p in made.cadres]
        staff.nb_residents[nb.id] = [p.id for p in made.residents]
    return roster, staff, households


def _readings(devices: list[Device], households: list[Household], states: States,
              alarms: list[Alarm]) -> list[Reading]:
    """Heartbeats and state events per device, recent alarm/clear pairs, the homes' rhythm."""
    r = rng("readings")
    rows: list[Reading] = []
    for d in devices:
        rows += _demo_readings.device_readings(d, states, r)
    seen = {row.device_id: row.ts for row in rows if row.event == "heartbeat"}
    by_id = {d.id: d for d in devices}
    by_home = {(d.household_id, d.category): d for d in devices if d.household_id}
    rows += _demo_readings.cleared_readings(alarms, by_id, states, r)
    rows += _demo_rhythm.rhythm_readings(households, by_home, states, seen)
    return sorted(rows, key=lambda x: (x.ts, x.device_id, x.event))


def _incidents(g: Ground, buildings: list[Building], staff: Staff, alarms: list[Alarm],
               patrols: list[Patrol]) -> list[Incident]:
    names = {a.id: a.name for a in g.subdistricts + g.neighborhoods}
    r = rng("stubs")
    found = _demo_patrols.findings(patrols)
    stubs = (_demo_incidents.sensor_stubs(alarms, names, r)
             + _demo_incidents.patrol_stubs(found, g.neighborhoods, names, r)
             + _demo_incidents.citizen_stubs(g.neighborhoods, buildings, staff))
    return _demo_loop.incidents(stubs, staff)


def build() -> World:
    """Generate the whole district in memory."""
    g = _ground()
    buildings = _demo_buildings.buildings(g.subdistricts, g.neighborhoods, g.roads, g.no_build)
    budgets = _demo_devices.budget([nb.id for nb in g.neighborhoods])
    roster, staff, by_nb = _population(g, buildings, budgets)
    households = [hh for nb in g.neighborhoods for hh in by_nb[nb.id]]
    devices = _demo_devices.devices(g.subdistricts, g.neighborhoods, budgets, by_nb,
                                    buildings, g.roads)
    states = _demo_alarms.pick_states(devices, households)
    alarms = _demo_alarms.alarms(devices, households, states, staff)
    patrols = _demo_patrols.patrols(g.zones, g.roads)
    incidents = _incidents(g, buildings, staff, alarms, patrols)
    return World(g.district, g.subdistricts, g.neighborhoods, g.landcover, g.zones, g.roads,
                 buildings, roster.people, households, devices,
                 _readings(devices, households, states, alarms), alarms, incidents, patrols)


def manifest(rows: dict[str, int]) -> str:
    """manifest.json: the clock the data is relative to, how it was made, rows per file."""
    return json.dumps({"as_of": AS_OF.isoformat(), "seed": SEED,
                       "generator_version": GENERATOR_VERSION,
                       "counts": dict(sorted(rows.items()))},
                      ensure_ascii=False, indent=2) + "\n"


def generate(out_dir: Path) -> dict[str, int]:
    """Write the demo district's files into ``out_dir``; returns rows per file.

    Everything is generated in memory first and written through temporary files, so a run
    that fails leaves the directory as it was.
    """
    world = build()
    rows = counts(world)
    files = render(world)
    files["manifest.json"] = manifest(rows)
    write_files(Path(out_dir), files)
    return dict(sorted(rows.items()))
