"""Turn the generated world into the files of geodata/README.md, column for column."""

from __future__ import annotations

from dataclasses import dataclass

from shapely.geometry import Polygon

from twin_dashboard.geo.demo._alarms import Alarm
from twin_dashboard.geo.demo._base import Area, iso, iso_or_empty
from twin_dashboard.geo.demo._buildings import Building
from twin_dashboard.geo.demo._devices import Device
from twin_dashboard.geo.demo._loop import Incident
from twin_dashboard.geo.demo._patrols import Patrol
from twin_dashboard.geo.demo._people import Household, Person
from twin_dashboard.geo.demo._readings import Reading
from twin_dashboard.geo.demo._roads import Road, Zone
from twin_dashboard.geo.demo._write import csv_text, feature_collection, lonlat

DISTRICT = ("hongkou", "虹口区", 310109, "Hongkou District")


@dataclass
class World:
    """Everything generated, in local metres and epoch seconds, ready to be written."""

    district: Polygon
    subdistricts: list[Area]
    neighborhoods: list[Area]
    landcover: list[tuple[str, str, Polygon]]
    zones: list[Zone]
    roads: list[Road]
    buildings: list[Building]
    people: list[Person]
    households: list[Household]
    devices: list[Device]
    readings: list[Reading]
    alarms: list[Alarm]
    incidents: list[Incident]
    patrols: list[Patrol]


def _layers(w: World) -> dict[str, str]:
    fc = feature_collection
    return {
        "district.geojson": fc([({"id": DISTRICT[0], "name": DISTRICT[1], "adcode": DISTRICT[2],
                                  "name_en": DISTRICT[3]}, w.district)]),
        "subdistricts.geojson": fc(({"id": a.id, "name": a.name, "name_en": a.name_en}, a.geom)
                                   for a in w.subdistricts),
        "neighborhoods.geojson": fc(({"id": a.id, "name": a.name, "name_en": a.name_en,
                                      "subdistrict_id": a.subdistrict_id}, a.geom)
                                    for a in w.neighborhoods),
        "buildings.geojson": fc(({"id": b.id, "name": b.name, "floors": b.floors, "kind": b.kind,
                                  "subdistrict_id": b.subdistrict_id,
                                  "neighborhood_id": b.neighborhood_id}, b.geom)
                                for b in w.buildings),
        "roads.geojson": fc(({"id": r.id, "name": r.name, "road_class": r.road_class,
                              "subdistrict_id": r.subdistrict_id, "zone_id": r.zone_id}, r.geom)
                            for r in w.roads),
        "landcover.geojson": fc(({"id": f"lc-{i:03d}", "name": name, "kind": kind}, geom)
                                for i, (name, kind, geom) in enumerate(w.landcover, start=1)),
        "patrol_zones.geojson": fc(({"id": z.id, "name": z.name,
                                     "subdistrict_id": z.subdistrict_id,
                                     "gov_chief_id": z.gov_chief_id,
                                     "community_chief_id": z.community_chief_id,
                                     "target_hours": z.target_hours}, z.geom) for z in w.zones),
        "patrols.geojson": fc(({"id": p.id, "zone_id": p.zone_id, "chief_id": p.chief_id,
                                "subdistrict_id": p.subdistrict_id,
                                "started_at": iso(p.started_at), "ended_at": iso(p.ended_at),
                                "road_ids": ";".join(p.road_ids)}, p.track) for p in w.patrols),
    }


def _addresses(w: World) -> str:
    rows = []
    for b in w.buildings:
        p = b.geom.point_on_surface()
        rows.append((b.address_id, b.address, b.subdistrict_id, b.neighborhood_id, b.id,
                     *lonlat(p.x, p.y)))
    return csv_text(("id", "address", "subdistrict_id", "neighborhood_id", "building_id",
                     "lon", "lat"), rows)


def _records(w: World) -> dict[str, str]:
    """Addresses, devices, people and households."""
    return {
        "addresses.csv": _addresses(w),
        "devices.csv": csv_text(
            ("id", "category", "name", "subdistrict_id", "neighborhood_id", "building_id",
             "household_id", "installed_at", "lon", "lat"),
            ((d.id, d.category, d.name, d.subdistrict_id, d.neighborhood_id, d.building_id,
              d.household_id, iso(d.installed_at), *lonlat(d.x, d.y)) for d in w.devices)),
        "people.csv": csv_text(
            ("id", "name", "phone", "role", "subdistrict_id", "neighborhood_id", "tags"),
            ((p.id, p.name, p.phone, p.role, p.subdistrict_id, p.neighborhood_id,
              ";".join(p.tags)) for p in w.people)),
        "households.csv": csv_text(
            ("id", "subdistrict_id", "neighborhood_id", "building_id", "address", "elder_id",
             "cadre_id", "buddy_id", "lon", "lat"),
            ((h.id, h.subdistrict_id, h.neighborhood_id, h.building_id, h.address, h.elder_id,
              h.cadre_id, h.buddy_id, *lonlat(h.x, h.y)) for h in w.households)),
    }


def _history(w: World) -> dict[str, str]:
    """Readings, alarms, incidents and their steps."""
    return {
        "readings.csv": csv_text(
            ("reading_id", "device_id", "ts", "event", "value", "battery"),
            ((f"rd-{i:07d}", r.device_id, iso(r.ts), r.event, r.value, r.battery)
             for i, r in enumerate(w.readings, start=1))),
        "alarms.csv": csv_text(
            ("id", "device_id", "household_id", "subdistrict_id", "neighborhood_id", "rule",
             "severity", "status", "raised_at", "acked_at", "acked_by", "escalated_at",
             "closed_at", "incident_id", "lon", "lat"),
            ((a.id, a.device_id, a.household_id, a.subdistrict_id, a.neighborhood_id, a.rule,
              a.severity, a.status, iso(a.raised_at), iso_or_empty(a.acked_at), a.acked_by,
              iso_or_empty(a.escalated_at), iso_or_empty(a.closed_at), a.incident_id,
              *lonlat(a.x, a.y)) for a in w.alarms)),
        "incidents.csv": csv_text(
            ("id", "source", "kind", "title", "subdistrict_id", "neighborhood_id", "zone_id",
             "device_id", "level", "status", "reported_at", "dispatched_at", "resolved_at",
             "closed_at", "sla_due_at", "lon", "lat"),
            ((i.id, i.stub.source, i.stub.kind, i.stub.title, i.stub.subdistrict_id,
              i.stub.neighborhood_id, i.stub.zone_id, i.stub.device_id, i.level, i.status,
              iso(i.stub.reported_at), iso_or_empty(i.dispatched_at),
              iso_or_empty(i.resolved_at), iso_or_empty(i.closed_at), iso(i.sla_due_at),
              *lonlat(i.stub.x, i.stub.y)) for i in w.incidents)),
        "incident_events.csv": csv_text(
            ("incident_id", "ts", "action", "level", "actor", "note"),
            ((i.id, iso(ts), action, level, actor, note)
             for i in w.incidents for ts, action, level, actor, note in i.events)),
    }


def counts(w: World) -> dict[str, int]:
    """Rows (features) per file."""
    return {
        "district.geojson": 1, "subdistricts.geojson": len(w.subdistricts),
        "neighborhoods.geojson": len(w.neighborhoods), "buildings.geojson": len(w.buildings),
        "roads.geojson": len(w.roads), "landcover.geojson": len(w.landcover),
        "patrol_zones.geojson": len(w.zones), "patrols.geojson": len(w.patrols),
        "addresses.csv": len(w.buildings), "devices.csv": len(w.devices),
        "people.csv": len(w.people), "households.csv": len(w.households),
        "readings.csv": len(w.readings), "alarms.csv": len(w.alarms),
        "incidents.csv": len(w.incidents),
        "incident_events.csv": sum(len(i.events) for i in w.incidents),
    }


def render(w: World) -> dict[str, str]:
    """File name -> text for every data file."""
    return _layers(w) | _records(w) | _history(w)
