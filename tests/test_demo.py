"""The demo district generator (geo/demo/) and the committed geodata/ it writes."""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

import pytest
import shapely
from shapely.geometry import Point, shape

from twin_dashboard.catalog import (
    CATEGORY_BY_CODE,
    DEVICE_CATEGORIES,
    ELDERLY_CATEGORIES,
    INCIDENT_SOURCES,
    LEVELS,
    OPEN_STATUSES,
    PERSON_TAGS,
    POLICY_TAGS,
)
from twin_dashboard.config import GEODATA_DIR
from twin_dashboard.geo.demo import generate
from twin_dashboard.geo.demo._write import write_files

BUDGET_BYTES = 15 * 1024 * 1024
SUBDISTRICT_IDS = {"ouyanglu", "quyanglu", "guangzhonglu", "jiaxinglu", "liangchengxincun",
                   "jiangwanzhen", "sichuanbeilu", "beiwaitan"}
# geodata/README.md, column for column.
COLUMNS: dict[str, tuple[str, ...]] = {
    "district.geojson": ("id", "name", "adcode", "name_en"),
    "subdistricts.geojson": ("id", "name", "name_en"),
    "neighborhoods.geojson": ("id", "name", "name_en", "subdistrict_id"),
    "buildings.geojson": ("id", "name", "floors", "kind", "subdistrict_id", "neighborhood_id"),
    "roads.geojson": ("id", "name", "road_class", "subdistrict_id", "zone_id"),
    "landcover.geojson": ("id", "name", "kind"),
    "patrol_zones.geojson": ("id", "name", "subdistrict_id", "gov_chief_id",
                             "community_chief_id", "target_hours"),
    "addresses.csv": ("id", "address", "subdistrict_id", "neighborhood_id", "building_id",
                      "lon", "lat"),
    "devices.csv": ("id", "category", "name", "subdistrict_id", "neighborhood_id", "building_id",
                    "household_id", "installed_at", "lon", "lat"),
    "people.csv": ("id", "name", "phone", "role", "subdistrict_id", "neighborhood_id", "tags"),
    "households.csv": ("id", "subdistrict_id", "neighborhood_id", "building_id", "address",
                       "elder_id", "cadre_id", "buddy_id", "lon", "lat"),
    "readings.csv": ("reading_id", "device_id", "ts", "event", "value", "battery"),
    "alarms.csv": ("id", "device_id", "household_id", "subdistrict_id", "neighborhood_id",
                   "rule", "severity", "status", "raised_at", "acked_at", "acked_by",
                   "escalated_at", "closed_at", "incident_id", "lon", "lat"),
    "incidents.csv": ("id", "source", "kind", "title", "subdistrict_id", "neighborhood_id",
                      "zone_id", "device_id", "level", "status", "reported_at", "dispatched_at",
                      "resolved_at", "closed_at", "sla_due_at", "lon", "lat"),
    "incident_events.csv": ("incident_id", "ts", "action", "level", "actor", "note"),
    "patrols.geojson": ("id", "zone_id", "chief_id", "subdistrict_id", "started_at", "ended_at",
                        "road_ids"),
}
# Times of things that happened (sla_due_at is a deadline: open incidents' lie ahead).
TIME_FIELDS = {"installed_at", "ts", "raised_at", "acked_at", "escalated_at", "closed_at",
               "reported_at", "dispatched_at", "resolved_at", "started_at", "ended_at"}


class Demo:
    """One generated district, read back from its files."""

    def __init__(self, root: Path, counts: dict[str, int]) -> None:
        self.root, self.counts = root, counts
        self.manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
        self.as_of = datetime.fromisoformat(self.manifest["as_of"])
        self._cache: dict[str, list] = {}

    def rows(self, name: str) -> list[dict[str, str]]:
        if name not in self._cache:
            with open(self.root / name, encoding="utf-8", newline="") as fh:
                self._cache[name] = list(csv.DictReader(fh))
        return self._cache[name]

    def features(self, name: str) -> list[dict]:
        if name not in self._cache:
            doc = json.loads((self.root / name).read_text(encoding="utf-8"))
            assert doc["type"] == "FeatureCollection"
            self._cache[name] = doc["features"]
        return self._cache[name]

    def props(self, name: str) -> list[dict]:
        return [f["properties"] for f in self.features(name)]

    def shapes(self, name: str) -> dict[str, shapely.Geometry]:
        return {f["properties"]["id"]: shape(f["geometry"]) for f in self.features(name)}

    def table(self, name: str) -> list[dict]:
        return self.props(name) if name.endswith(".geojson") else self.rows(name)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    out = tmp_path_factory.mktemp("demo")
    return Demo(out, generate(out))


def _data_files(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.is_file() and p.name != "README.md")


def test_generation_is_deterministic(demo: Demo, tmp_path: Path) -> None:
    generate(tmp_path)
    assert _data_files(tmp_path) == _data_files(demo.root)
    for name in _data_files(demo.root):
        assert (tmp_path / name).read_bytes() == (demo.root / name).read_bytes(), name


def test_committed_geodata_is_a_fresh_generation(demo: Demo) -> None:
    """Nobody hand-edits geodata/: regenerate with `twin-dashboard generate-demo geodata/`."""
    assert _data_files(GEODATA_DIR) == _data_files(demo.root)
    for name in _data_files(demo.root):
        assert (GEODATA_DIR / name).read_bytes() == (demo.root / name).read_bytes(), name


def test_committed_geodata_fits_the_budget() -> None:
    total = sum(p.stat().st_size for p in GEODATA_DIR.iterdir() if p.is_file())
    assert total < BUDGET_BYTES


def test_files_and_columns_follow_the_readme(demo: Demo) -> None:
    assert set(_data_files(demo.root)) == set(COLUMNS) | {"manifest.json"}
    for name, columns in COLUMNS.items():
        if name.endswith(".csv"):
            text = (demo.root / name).read_bytes()
            assert b"\r" not in text, name
            assert tuple(text.split(b"\n", 1)[0].decode().split(",")) == columns, name
        else:
            assert all(tuple(p) == columns for p in demo.props(name)), name
        assert demo.counts[name] == len(demo.table(name)) == demo.manifest["counts"][name]


def test_manifest(demo: Demo) -> None:
    assert set(demo.manifest) == {"as_of", "seed", "generator_version", "counts"}
    assert demo.as_of.utcoffset().total_seconds() == 8 * 3600


def test_coordinates_have_at_most_six_decimals(demo: Demo) -> None:
    text = (demo.root / "buildings.geojson").read_text(encoding="utf-8")
    numbers = text.split('"coordinates":')[1][:400].replace("[", ",").replace("]", ",")
    assert all(len(n.split(".")[1]) <= 6 for n in numbers.split(",") if "." in n)
    assert all(len(r["lon"].split(".")[1]) == 6 for r in demo.rows("devices.csv")[:100])


def test_times_are_local_iso_and_not_after_as_of(demo: Demo) -> None:
    for name in COLUMNS:
        for row in demo.table(name):
            for key in TIME_FIELDS & set(row):
                if row[key]:
                    t = datetime.fromisoformat(row[key])
                    assert row[key].endswith("+08:00") and t <= demo.as_of, (name, key, row)
    for row in demo.rows("incidents.csv"):
        assert row["sla_due_at"].endswith("+08:00") and row["sla_due_at"] > row["reported_at"]


def test_subdistricts_tile_the_district(demo: Demo) -> None:
    district = shape(demo.features("district.geojson")[0]["geometry"])
    subs = demo.shapes("subdistricts.geojson")
    assert set(subs) == SUBDISTRICT_IDS
    names = {p["id"]: p["name"] for p in demo.props("subdistricts.geojson")}
    assert names["jiangwanzhen"] == "江湾镇" and names["beiwaitan"] == "北外滩街道"
    assert all(n.endswith("街道") for sid, n in names.items() if sid != "jiangwanzhen")
    union = shapely.union_all(list(subs.values()))
    assert union.symmetric_difference(district).area < 1e-9
    parts = list(subs.values())
    overlap = sum(a.intersection(b).area for i, a in enumerate(parts) for b in parts[i + 1:])
    assert overlap < 1e-12
    minx, miny, maxx, maxy = district.bounds
    assert minx >= 121.45 and maxx <= 121.52 and miny >= 31.24 and maxy <= 31.32


def test_neighborhoods_lie_within_their_subdistricts(demo: Demo) -> None:
    subs = demo.shapes("subdistricts.geojson")
    nbs = demo.props("neighborhoods.geojson")
    shapes = demo.shapes("neighborhoods.geojson")
    assert len(nbs) == 25 and {n["subdistrict_id"] for n in nbs} == SUBDISTRICT_IDS
    assert {"id": "yunfang", "name": "云舫小区"}.items() <= next(
        n for n in nbs if n["id"] == "yunfang").items()
    assert next(n for n in nbs if n["id"] == "yunfang")["subdistrict_id"] == "beiwaitan"
    for n in nbs:
        assert subs[n["subdistrict_id"]].contains(shapes[n["id"]]), n["id"]
    union_area = shapely.union_all(list(shapes.values())).area
    assert union_area == pytest.approx(sum(s.area for s in shapes.values()))  # no overlaps


def test_buildings_are_plausible(demo: Demo) -> None:
    blds = demo.props("buildings.geojson")
    assert 2000 <= len(blds) <= 5000
    floors = defaultdict(list)
    for b in blds:
        floors[b["kind"]].append(b["floors"])
    assert set(floors) == {"lane", "walkup", "highrise", "public", "commercial"}
    assert set(floors["lane"]) <= {2, 3} and Counter(floors["walkup"]).most_common(1)[0][0] == 6
    assert min(floors["highrise"]) >= 18 and max(floors["highrise"]) <= 33
    nb_area = sum(s.area for s in demo.shapes("neighborhoods.geojson").values())
    district = shape(demo.features("district.geojson")[0]["geometry"])
    inside = sum(1 for b in blds if b["neighborhood_id"])
    # dense in neighborhoods, sparser elsewhere
    assert inside / nb_area > 2 * (len(blds) - inside) / (district.area - nb_area)


def test_polygons_are_valid_and_buildings_do_not_overlap(demo: Demo) -> None:
    for name in ("district.geojson", "subdistricts.geojson", "neighborhoods.geojson",
                 "buildings.geojson", "landcover.geojson", "patrol_zones.geojson"):
        assert all(s.is_valid and not s.is_empty for s in demo.shapes(name).values()), name
    blds = list(demo.shapes("buildings.geojson").values())
    tree = shapely.STRtree(blds)
    pairs = tree.query(blds, predicate="intersects")
    touching = [(a, b) for a, b in pairs.T if a < b]
    assert sum(blds[a].intersection(blds[b]).area for a, b in touching) < 1e-12


def test_devices_per_neighborhood_and_category(demo: Demo) -> None:
    devices = demo.rows("devices.csv")
    assert 24_000 <= len(devices) <= 26_000
    assert {d["category"] for d in devices} == {c.code for c in DEVICE_CATEGORIES}
    per_nb = Counter(d["neighborhood_id"] for d in devices if d["neighborhood_id"])
    assert len(per_nb) == 25 and all(900 <= n <= 1100 for n in per_nb.values())
    outside = [d for d in devices if not d["neighborhood_id"]]
    assert {d["category"] for d in outside} == {"street_light"}
    shapes = demo.shapes("neighborhoods.geojson")
    for nid, shp in shapes.items():
        shapely.prepare(shp)
        pts = [(float(d["lon"]), float(d["lat"])) for d in devices if d["neighborhood_id"] == nid]
        xs, ys = zip(*pts, strict=True)
        assert shapely.contains_xy(shp, xs, ys).all(), nid


def test_each_elderly_household_has_the_five_piece_set(demo: Demo) -> None:
    by_home = defaultdict(list)
    for d in demo.rows("devices.csv"):
        if d["household_id"]:
            by_home[d["household_id"]].append(d["category"])
    homes = demo.rows("households.csv")
    assert len(homes) > 1000 and set(by_home) == {h["id"] for h in homes}
    assert all(sorted(cats) == sorted(ELDERLY_CATEGORIES) for cats in by_home.values())
    elderly = [d for d in demo.rows("devices.csv") if d["category"] in ELDERLY_CATEGORIES]
    assert all(d["household_id"] for d in elderly)


def test_people_roles_tags_and_phones(demo: Demo) -> None:
    people = {p["id"]: p for p in demo.rows("people.csv")}
    homes = demo.rows("households.csv")
    assert all(people[h["elder_id"]]["role"] == "resident" for h in homes)
    assert all(people[h["cadre_id"]]["role"] == "cadre" for h in homes)
    assert all(people[h["buddy_id"]]["role"] == "buddy" for h in homes)
    assert sum("独居老人" in people[h["elder_id"]]["tags"] for h in homes) > 0.7 * len(homes)
    tags = {t for p in people.values() for t in p["tags"].split(";") if t}
    assert tags <= set(PERSON_TAGS) | set(POLICY_TAGS) and len(tags) >= 8
    phones = [p["phone"] for p in people.values()]
    assert len(set(phones)) == len(phones)
    assert all(p.startswith("170-0000-") and len(p) == 13 for p in phones)
    cadres = Counter(p["neighborhood_id"] for p in people.values() if p["role"] == "cadre")
    assert len(cadres) == 25 and set(cadres.values()) <= {1, 2}
    zones = demo.props("patrol_zones.geojson")
    assert 20 <= len(zones) <= 30
    assert all(people[z["gov_chief_id"]]["role"] == "gov_chief" for z in zones)
    assert all(people[z["community_chief_id"]]["role"] == "community_chief" for z in zones)


def test_resolution_funnel(demo: Demo) -> None:
    """~90/8/2 % across the district; a few neighborhoods noticeably worse; the pilot healthy."""
    closed = [i for i in demo.rows("incidents.csv") if i["status"] == "closed"]
    share = {level: n / len(closed) for level, n in Counter(i["level"] for i in closed).items()}
    assert share["property"] == pytest.approx(0.90, abs=0.03)
    assert share["committee"] == pytest.approx(0.08, abs=0.03)
    assert share["subdistrict"] == pytest.approx(0.02, abs=0.015)
    by_nb = defaultdict(Counter)
    for i in closed:
        by_nb[i["neighborhood_id"]][i["level"]] += 1
    prop = {nid: c["property"] / sum(c.values()) for nid, c in by_nb.items() if nid}
    assert sum(p <= 0.82 for p in prop.values()) >= 2
    assert prop["yunfang"] >= 0.86


def test_incidents_sources_lifecycle_and_open_ones(demo: Demo) -> None:
    incidents = demo.rows("incidents.csv")
    assert {i["source"] for i in incidents} == set(INCIDENT_SOURCES)
    assert {i["level"] for i in incidents} == set(LEVELS)
    open_ = [i for i in incidents if i["status"] in OPEN_STATUSES]
    assert {i["status"] for i in open_} == set(OPEN_STATUSES)
    late = [i for i in open_ if datetime.fromisoformat(i["sla_due_at"]) < demo.as_of]
    assert 0 < len(late) < len(open_)
    events = defaultdict(list)
    for e in demo.rows("incident_events.csv"):
        events[e["incident_id"]].append(e)
    for i in incidents:
        steps = events[i["id"]]
        assert steps[0]["action"] == "report" and steps[0]["ts"] == i["reported_at"]
        assert [s["ts"] for s in steps] == sorted(s["ts"] for s in steps)
        assert steps[-1]["level"] == i["level"]
        assert (steps[-1]["action"] == "close") == (i["status"] == "closed")


def test_device_states_can_be_derived_from_readings(demo: Demo) -> None:
    devices = {d["id"]: d for d in demo.rows("devices.csv")}
    last, last_event, battery = {}, {}, {}
    for r in demo.rows("readings.csv"):
        t = datetime.fromisoformat(r["ts"])
        last[r["device_id"]] = max(last.get(r["device_id"], t), t)
        if r["event"] in ("alarm", "smoke", "gas", "fault", "clear"):
            last_event[r["device_id"]] = r["event"]
        if r["battery"]:
            battery[r["device_id"]] = float(r["battery"])
    states = Counter()
    for did, d in devices.items():
        window = CATEGORY_BY_CODE[d["category"]].heartbeat_hours * 3600
        if (demo.as_of - last[did]).total_seconds() > window:
            states["offline"] += 1
        elif last_event.get(did) in ("alarm", "smoke", "gas"):
            states["alarm"] += 1
        elif last_event.get(did) == "fault":
            states["fault"] += 1
        elif battery.get(did, 1.0) < 0.15:
            states["low_battery"] += 1
    n = len(devices)
    assert 0.02 <= states["offline"] / n <= 0.04
    assert 0.005 <= states["fault"] / n <= 0.015
    assert 0.01 <= states["alarm"] / n <= 0.02
    assert states["low_battery"] > 0
    open_device_alarms = [a for a in demo.rows("alarms.csv")
                          if a["status"] != "closed" and a["device_id"]
                          and a["rule"] == devices[a["device_id"]]["category"]]
    assert len(open_device_alarms) == states["alarm"]


def test_alarms_rules_and_links(demo: Demo) -> None:
    alarms = demo.rows("alarms.csv")
    rules = {a["rule"] for a in alarms}
    assert {"no_activity_12h", "no_water_24h", "water_running_2h", "smoke", "gas"} <= rules
    assert rules <= {"no_activity_12h", "no_water_24h", "water_running_2h"} | set(CATEGORY_BY_CODE)
    status = Counter(a["status"] for a in alarms)
    assert status["closed"] > 0.8 * len(alarms) and status["open"] > 0
    incidents = {i["id"]: i for i in demo.rows("incidents.csv")}
    linked = [a for a in alarms if a["incident_id"]]
    assert linked and all(incidents[a["incident_id"]]["source"] == "sensor" for a in linked)


def test_patrols_cover_most_zones_within_target(demo: Demo) -> None:
    roads = demo.props("roads.geojson")
    latest: dict[str, datetime] = {}
    for p in demo.props("patrols.geojson"):
        end = datetime.fromisoformat(p["ended_at"])
        for rid in p["road_ids"].split(";"):
            latest[rid] = max(latest.get(rid, end), end)
    covered = []
    for z in demo.props("patrol_zones.geojson"):
        segs = [r["id"] for r in roads if r["zone_id"] == z["id"]]
        ok = [rid in latest and (demo.as_of - latest[rid]).total_seconds()
              <= z["target_hours"] * 3600 for rid in segs]
        covered.append(sum(ok) / len(ok))
    assert sum(c >= 0.9 for c in covered) >= 0.75 * len(covered)
    assert sum(c < 0.5 for c in covered) >= 2  # a few zones lag
    assert len(demo.features("patrols.geojson")) >= 60 * len(covered)


def test_ids_are_unique_and_prefixed(demo: Demo) -> None:
    prefixes = {"buildings.geojson": "bld-", "roads.geojson": "road-",
                "patrol_zones.geojson": "zone-", "devices.csv": "dev-", "households.csv": "hh-",
                "people.csv": "p-", "incidents.csv": "inc-", "alarms.csv": "alm-",
                "patrols.geojson": "pat-", "addresses.csv": "addr-"}
    for name, prefix in prefixes.items():
        ids = [r["id"] for r in demo.table(name)]
        assert len(set(ids)) == len(ids) and all(i.startswith(prefix) for i in ids), name
        assert len({len(i) for i in ids}) == 1, name  # zero-padded
    readings = [r["reading_id"] for r in demo.rows("readings.csv")]
    assert len(set(readings)) == len(readings)


def test_foreign_keys_resolve(demo: Demo) -> None:
    ids = {name: {r["id"] for r in demo.table(name)} for name in COLUMNS
           if name not in ("readings.csv", "incident_events.csv")}
    targets = {"subdistrict_id": "subdistricts.geojson", "zone_id": "patrol_zones.geojson",
               "building_id": "buildings.geojson", "household_id": "households.csv",
               "device_id": "devices.csv", "incident_id": "incidents.csv",
               "elder_id": "people.csv", "cadre_id": "people.csv", "buddy_id": "people.csv",
               "acked_by": "people.csv", "chief_id": "people.csv",
               "gov_chief_id": "people.csv", "community_chief_id": "people.csv",
               "actor": "people.csv"}
    ids["neighborhood_id"] = ids["neighborhoods.geojson"]
    for name in COLUMNS:
        for row in demo.table(name):
            for key, target in targets.items():
                value = row.get(key)
                if value and not (key == "actor" and value == "system"):
                    assert value in ids[target], (name, key, value)
            if row.get("neighborhood_id"):
                assert row["neighborhood_id"] in ids["neighborhood_id"], (name, row)
    for p in demo.props("patrols.geojson"):
        assert set(p["road_ids"].split(";")) <= ids["roads.geojson"]


def test_scoped_rows_carry_consistent_areas(demo: Demo) -> None:
    nb_sub = {n["id"]: n["subdistrict_id"] for n in demo.props("neighborhoods.geojson")}
    for name in ("buildings.geojson", "devices.csv", "households.csv", "incidents.csv",
                 "alarms.csv", "addresses.csv"):
        for row in demo.table(name):
            assert row["subdistrict_id"] in SUBDISTRICT_IDS, (name, row["id"])
            if row["neighborhood_id"]:
                assert nb_sub[row["neighborhood_id"]] == row["subdistrict_id"], (name, row)


def test_points_lie_in_the_district(demo: Demo) -> None:
    district = shape(demo.features("district.geojson")[0]["geometry"]).buffer(0.002)
    for name in ("devices.csv", "households.csv", "addresses.csv", "incidents.csv"):
        rows = demo.rows(name)
        assert all(district.contains(Point(float(r["lon"]), float(r["lat"])))
                   for r in rows[:: max(1, len(rows) // 500)]), name


def test_a_failed_write_leaves_nothing_half_written(tmp_path: Path) -> None:
    (tmp_path / "keep.csv").write_text("old\n")
    with pytest.raises(TypeError):
        write_files(tmp_path, {"keep.csv": "new\n", "bad.csv": None})  # type: ignore[dict-item]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.csv"]
    assert (tmp_path / "keep.csv").read_text() == "old\n"
