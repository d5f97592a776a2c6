"""The map's views: tiny hand-built frames in, exact deck.gl layer dicts out."""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import pytest
import shapely

from twin_dashboard.catalog import DEVICE_STATES
from twin_dashboard.views import _map_base as base
from twin_dashboard.views import map_layers as ml
from twin_dashboard.views._map_columns import (
    JSON_OPTIONS,
    column_data,
    encode,
    path_shape,
    polygon_shape,
)
from twin_dashboard.views._map_view import fit_zoom, mercator, unmercator, view_for
from twin_dashboard.views.theme import BASE, LEVEL_COLORS, SEVERITY_COLORS, STATE_COLORS

# Only these accessor expressions may appear in layer props: data never becomes code.
ALLOWED_EXPRESSIONS = {
    "@@=[lon, lat]", "@@=color", "@@=line", "@@=radius", "@@=fill", "@@=polygon", "@@=path",
    "@@=height", "@@=width", "@@=name", "@@=size",
}


TWIN_MAP_JS = Path(__file__).parent.parent / "assets" / "twin_map.js"
# Loads assets/twin_map.js as the page does (it sets window.twinMap) and maps its own rowsOf
# over the JSON array of envelopes on stdin.
ROWS_OF_JS = """
globalThis.window = {};
require("vm").runInThisContext(require("fs").readFileSync(process.argv[1], "utf8"));
let input = "";
process.stdin.on("data", (chunk) => { input += chunk; }).on("end", () => {
  process.stdout.write(JSON.stringify(JSON.parse(input).map(window.dash_clientside.twin_map.rowsOf)));
});
"""


def rows(data: dict) -> list[dict]:
    """A Python mirror of assets/twin_map.js ``rowsOf``, to read the envelopes these tests build
    (``test_rows_mirror_matches_twin_map_js`` holds it to the real function, run by node)."""
    n, out = data["length"], [{} for _ in range(data["length"])]
    for name, values in data["columns"].items():
        names = data.get("codes", {}).get(name)
        for i in range(n):
            value = values[i].item() if isinstance(values[i], np.generic) else values[i]
            out[i][name] = names[value] if names else value
    for name, shape in data.get("shapes", {}).items():
        for row, value in zip(out, shape_rows(shape), strict=True):
            row[name] = value
    for name, (source, table) in data.get("derive", {}).items():
        for row in out:
            row[name] = table[row[source]]
    return out


def shape_rows(shape: dict) -> list[list]:
    """Ragged ``coords`` cut into rows: of rings of [x, y] (polygon) or of [x, y] (path)."""
    coords, offsets = np.asarray(shape["coords"]).tolist(), np.asarray(shape["rows"]).tolist()

    def ring(start: int, end: int) -> list[list[float]]:
        return [[coords[2 * p], coords[2 * p + 1]] for p in range(start, end)]

    if shape["kind"] == "polygon":
        rings = np.asarray(shape["rings"]).tolist()
        return [[ring(rings[r], rings[r + 1]) for r in range(offsets[i], offsets[i + 1])]
                for i in range(len(offsets) - 1)]
    return [ring(offsets[i], offsets[i + 1]) for i in range(len(offsets) - 1)]


def devices_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "id": ["d1", "d2", "d3", "d4"], "category": ["smoke", "gas", "elevator", "parking"],
        "name": ["@@=evil", "b", None, "d"], "state": ["alarm", "normal", "offline", "fault"],
        "lon": [121.4812345678, 121.49, 121.5, 121.51], "lat": [31.25, 31.26, 31.27, 31.28],
        "subdistrict_id": ["beiwaitan"] * 4, "neighborhood_id": ["yunfang", "yunfang", "", None],
    })


def all_strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in all_strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in all_strings(v)]
    return []


# --- the wire format ----------------------------------------------------------------------

def test_encode_keeps_vocabulary_order():
    codes, vocab = encode(["alarm", "normal", "alarm"], DEVICE_STATES)
    assert vocab == list(DEVICE_STATES)
    assert codes.tolist() == [1, 0, 1] and codes.dtype == np.uint8


def test_encode_refuses_unknown_values():
    with pytest.raises(ValueError, match="outside the vocabulary: exploded"):
        encode(["normal", "exploded"], DEVICE_STATES)


def test_column_data_checks_lengths():
    with pytest.raises(ValueError, match="column 'lat' has 1 rows, expected 2"):
        column_data(2, {"lon": [1.0, 2.0], "lat": [1.0]})


def test_polygon_shape_explodes_multipolygons_and_keeps_holes():
    holed = shapely.box(4, 4, 5, 5).difference(shapely.box(4.2, 4.2, 4.4, 4.4))
    shape, source = polygon_shape([shapely.box(0, 0, 1, 1),
                                   shapely.MultiPolygon([shapely.box(2, 2, 3, 3), holed])])
    assert source.tolist() == [0, 1, 1]
    assert shape["rows"].tolist() == [0, 1, 2, 4]  # the holed part has two rings
    assert shape["rings"].tolist() == [0, 5, 10, 15, 20]
    assert len(shape["coords"]) == 2 * 20


def test_path_shape_takes_polygon_boundaries():
    shape, source = path_shape([shapely.box(0, 0, 1, 1), shapely.LineString([(0, 0), (1, 1)])])
    assert source.tolist() == [0, 1]
    assert shape["rows"].tolist() == [0, 5, 7]


def test_coordinates_are_rounded_to_six_decimals():
    layer = ml.device_points(devices_frame(), "dark", "zh")
    assert layer["data"]["columns"]["lon"][0] == 121.481235


# --- devices --------------------------------------------------------------------------------

def test_device_points_colour_by_state():
    layer = ml.device_points(devices_frame(), "dark", "zh")
    got = rows(layer["data"])
    assert [r["state"] for r in got] == ["alarm", "normal", "offline", "fault"]
    assert [r["color"] for r in got] == [STATE_COLORS[s] for s in
                                         ("alarm", "normal", "offline", "fault")]
    assert got[0]["radius"] > got[1]["radius"]  # alarms stand out
    assert got[0]["line"][3] > 0 and got[1]["line"][3] == 0  # and carry a ring
    assert got[0]["state_label"] == "告警" and got[0]["category_label"] == "烟感"
    assert layer["getFillColor"] == "@@=color" and layer["meta"]["pick"] == "devices"


def test_device_columns_have_one_value_per_device():
    layer = ml.device_points(devices_frame(), "light", "en")
    data = layer["data"]
    assert data["length"] == 4
    assert {len(v) for v in data["columns"].values()} == {4}
    assert rows(data)[2]["neighborhood_id"] == ""


def test_data_strings_are_never_accessors():
    """A device named ``@@=evil`` stays data; only fixed expressions are in the props."""
    layer = ml.device_points(devices_frame(), "dark", "zh")
    assert rows(layer["data"])[0]["name"] == "@@=evil"
    props = {k: v for k, v in layer.items() if k not in ("data", "meta")}
    assert {s for s in all_strings(props) if s.startswith("@@=")} <= ALLOWED_EXPRESSIONS


def counts_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "neighborhood_id": ["a", "b", "c"], "subdistrict_id": ["s", "s", "t"],
        "name": ["A", "B", "C"], "lon": [121.0, 121.1, 121.2], "lat": [31.0, 31.1, 31.2],
        "normal": [10, 5, 7], "alarm": [0, 2, 0], "fault": [1, 0, 0], "offline": [3, 1, 0],
        "low_battery": [0, 0, 0],
    })


def test_device_columns_aggregate_by_worst_state():
    layer = ml.device_columns(counts_frame(), "zh")
    got = rows(layer["data"])
    assert [r["worst"] for r in got] == ["fault", "alarm", "normal"]
    assert [r["color"] for r in got] == [STATE_COLORS["fault"], STATE_COLORS["alarm"],
                                         STATE_COLORS["normal"]]
    assert [r["total"] for r in got] == [14, 8, 7]
    # 4 and 3 devices not normal: the worst at full height, the next in proportion.
    assert [r["height"] for r in got] == [20 + 450, int(20 + 450 * 3 / 4), 20]
    assert layer["meta"]["pick"] == "neighborhoods" and got[1]["id"] == "b"


# --- alarms, incidents, zones, outline ------------------------------------------------------

def alarms_frame() -> pd.DataFrame:
    return pd.DataFrame({"id": ["a1", "a2"], "rule": ["smoke", "no_activity_12h"],
                         "severity": ["critical", "minor"], "device_id": ["d1", None],
                         "neighborhood_id": ["n", "n"], "subdistrict_id": ["s", "s"],
                         "lon": [121.0, 121.1], "lat": [31.0, 31.1]})


def test_alarm_rings_by_severity():
    got = rows(ml.alarm_rings(alarms_frame(), "en")["data"])
    assert [r["color"] for r in got] == [SEVERITY_COLORS["critical"], SEVERITY_COLORS["minor"]]
    assert got[1]["severity_label"] == "Minor"


def incidents_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "id": ["i1", "i2", "i3"], "title": ["积水", "井盖", "噪声"],
        "level": ["property", "committee", "subdistrict"],
        "status": ["reported", "dispatched", "in_progress"], "breach": [False, True, True],
        "lon": [121.0, 121.1, 121.2], "lat": [31.0, 31.1, 31.2],
        "neighborhood_id": ["n"] * 3, "subdistrict_id": ["s"] * 3,
    })


def test_incidents_by_level_and_status_with_breach_halo():
    halo, marks = ml.incident_marks(incidents_frame(), "dark", "zh")
    got = rows(marks["data"])
    assert got[0]["fill"] == LEVEL_COLORS["property"][:3] + [60]  # reported: hollow
    assert got[0]["line"] == LEVEL_COLORS["property"]
    assert got[1]["fill"] == LEVEL_COLORS["committee"]
    assert got[2]["fill"] == LEVEL_COLORS["subdistrict"]
    assert [r["breach_label"] for r in got] == ["", " · 已超时", " · 已超时"]
    assert halo["id"] == "incident_halo" and halo["data"]["columns"]["id"] == ["i2", "i3"]
    assert halo["meta"]["z"] < marks["meta"]["z"]


def zones_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({
        "id": ["z1", "z2", "z3"], "name": ["一", "二", "三"], "subdistrict_id": ["s"] * 3,
        "coverage": ["covered", "late", "uncovered"],
    }, geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(2, 0, 3, 1)])


def test_patrol_zones_coloured_by_coverage():
    layer = ml.patrol_zones(zones_frame(), "light", "zh")
    got = rows(layer["data"])
    assert [r["line"] for r in got] == [ml.COVERAGE_COLORS[c] for c in
                                        ("covered", "late", "uncovered")]
    assert got[0]["fill"] == ml.COVERAGE_COLORS["covered"][:3] + [30]
    assert layer["data"]["shapes"]["polygon"]["rows"].tolist() == [0, 1, 2, 3]


def tracks_frame() -> gpd.GeoDataFrame:
    """Two tracks (one fresh, one four days old, a multi-part line) as from recent_tracks."""
    now = pd.Timestamp("2026-03-02T02:00:00Z")
    return gpd.GeoDataFrame({
        "id": ["p1", "p2"], "zone_id": ["z1", "z2"], "zone_name": ["一片", "二片"],
        "subdistrict_id": ["s", "s"], "chief_id": ["c1", "c2"], "chief_name": ["王某", "@@=evil"],
        "chief_role": ["gov", ""], "started_at": [now - pd.Timedelta(hours=2),
                                                  now - pd.Timedelta(days=4)],
        "ended_at": [now - pd.Timedelta(hours=1), now - pd.Timedelta(days=4, hours=-1)],
        "age_hours": [1.0, 95.0],
    }, geometry=[shapely.LineString([(0, 0), (1, 1)]), shapely.MultiLineString(
        [[(2, 0), (3, 1)], [(3, 1), (3, 2), (4, 2)]])], crs="EPSG:4326")


def test_patrol_tracks_are_paths_coloured_by_age():
    layer = ml.patrol_tracks(tracks_frame(), "light", "en")
    assert layer["@@type"] == "PathLayer" and layer["getPath"] == "@@=path"
    got = rows(layer["data"])
    strong, faded = ml.track_colors("light")["day"], ml.track_colors("light")["week"]
    assert [r["color"] for r in got] == [strong, faded, faded]  # the multi-line: two rows
    assert strong[3] > faded[3] and strong[:3] == faded[:3]
    assert [r["id"] for r in got] == ["z1", "z2", "z2"]  # a click opens the zone
    assert [r["patrol_id"] for r in got] == ["p1", "p2", "p2"]
    assert got[2]["path"] == [[3.0, 1.0], [3.0, 2.0], [4.0, 2.0]]
    assert got[0]["chief"] == "Government chief 王某" and got[1]["chief"] == "@@=evil"
    assert got[0]["time"] == "03-02 08:00–09:00"  # the district's clock
    assert layer["meta"]["pick"] == "patrol_zones"
    assert "{zone_name}" in layer["meta"]["tooltip"] and "{chief}" in layer["meta"]["tooltip"]


def test_patrol_tracks_in_chinese_and_empty():
    got = rows(ml.patrol_tracks(tracks_frame(), "dark", "zh")["data"])
    assert got[0]["chief"] == "政府路长 王某"
    assert got[0]["color"] == ml.TRACK_RGB["dark"] + [ml.TRACK_ALPHA["day"]]
    empty = ml.patrol_tracks(tracks_frame().iloc[:0], "light", "zh")
    assert empty["data"]["length"] == 0


def test_track_ages_split_at_a_day():
    assert ml.track_ages([0.0, 24.0, 24.5, 150.0]).tolist() == ["day", "day", "week", "week"]


def test_scope_outline_uses_the_highlight_colour():
    layer = ml.scope_outline(shapely.box(0, 0, 1, 1), "dark")
    assert layer["getColor"] == BASE["dark"]["selected"]
    assert layer["data"]["length"] == 1


def test_layer_key_changes_with_data_only():
    a = ml.device_points(devices_frame(), "dark", "zh")
    b = ml.device_points(devices_frame(), "dark", "zh")
    changed = devices_frame().assign(state=["normal"] * 4)
    assert a["meta"]["key"] == b["meta"]["key"]
    assert ml.device_points(changed, "dark", "zh")["meta"]["key"] != a["meta"]["key"]


def test_layers_serialize_with_orjson():
    halo, marks = ml.incident_marks(incidents_frame(), "dark", "zh")
    text = orjson.dumps([halo, marks], option=JSON_OPTIONS)
    assert b'"getFillColor":"@@=fill"' in text


def test_camel_case_at_the_edge():
    assert ml.camel("get_fill_color") == "getFillColor"
    assert ml.camel("radius") == "radius"


# --- base board -----------------------------------------------------------------------------

def buildings_frame() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({
        "id": ["b1", "b2"], "name": ["1号楼", ""], "floors": [6, None], "kind": ["walkup", "lane"],
        "subdistrict_id": ["s", "s"], "neighborhood_id": ["n", ""],
    }, geometry=[shapely.box(0, 0, 1, 1), shapely.box(2, 2, 3, 3)])


def test_buildings_extruded_by_floors():
    layer = base.buildings(buildings_frame(), "dark", "zh")
    got = rows(layer["data"])
    assert [r["height"] for r in got] == [18.0, 3.0]
    assert got[0]["color"] == BASE["dark"]["building_in_neighborhood"]
    assert got[1]["color"] == BASE["dark"]["building"]
    assert layer["extruded"] is True and layer["getElevation"] == "@@=height"


def test_base_spec_leaves_out_missing_parts_and_orders_by_z():
    areas = gpd.GeoDataFrame({"id": ["s"], "name": ["北外滩街道"], "name_en": ["North Bund"],
                              "subdistrict_id": ["s"], "rank": [0]},
                             geometry=[shapely.box(0, 0, 1, 1)])
    spec = base.base_spec({"subdistricts": areas, "areas": areas,
                           "roads": gpd.GeoDataFrame({"road_class": []}, geometry=[])},
                          "light", "en", {"controller": True})
    assert [layer["id"] for layer in spec["layers"]] == ["subdistricts", "labels_sub",
                                                         "labels_nbh"]
    assert spec["deck"] == {"controller": True} and spec["theme"] == "light"
    assert rows(spec["layers"][1]["data"])[0]["name"] == "North Bund"
    assert spec["layers"][2]["data"]["length"] == 0  # no neighborhoods among the areas
    assert spec["layers"][1]["meta"]["maxZoom"] == base.SUBDISTRICT_LABELS_UNTIL


# --- camera ---------------------------------------------------------------------------------

def test_mercator_round_trip():
    lon, lat = unmercator(*mercator(121.48, 31.28))
    assert lon == pytest.approx(121.48) and lat == pytest.approx(31.28)


def test_fit_zoom_fits_the_tighter_side():
    # One degree of longitude at the equator is 512/360 px at zoom 0.
    lon, lat, zoom = fit_zoom((0.0, -0.1, 1.0, 0.1), 1000, 1000, padding=0)
    assert lon == pytest.approx(0.5) and lat == pytest.approx(0.0, abs=1e-9)
    assert zoom == pytest.approx(math.log2(1000 / (512 / 360)))


def test_fit_zoom_refuses_inverted_bounds():
    with pytest.raises(ValueError, match="bounds must be"):
        fit_zoom((1.0, 0.0, 0.0, 1.0), 100, 100)


@pytest.mark.parametrize(("screen", "mode", "pitch"), [
    ("wall", None, 50.0), ("desk", "2d", 0.0), ("desk", "3d", 38.0), ("tablet", None, 0.0),
])
def test_view_for_tilts_by_screen_and_mode(screen, mode, pitch):
    view = view_for((121.47, 31.24, 121.52, 31.26), screen, mode, "nbh:x")
    assert view["pitch"] == pitch
    assert view["bounds"] == [121.47, 31.24, 121.52, 31.26]
    assert 121.47 < view["longitude"] < 121.52 and 31.24 < view["latitude"] < 31.26
    assert view["transitionDuration"] > 0
    assert view["key"] == f"nbh:x:{'2d' if pitch == 0 else '3d'}"


# --- the mirror against the real rowsOf ------------------------------------------------------

@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_rows_mirror_matches_twin_map_js():
    """The envelopes above, as they go over the wire, read by assets/twin_map.js's own rowsOf
    under node: the same rows as the Python mirror the tests read them with."""
    holed = shapely.box(4, 4, 5, 5).difference(shapely.box(4.2, 4.2, 4.4, 4.4))
    zones = zones_frame()
    zones.loc[2, "geometry"] = shapely.MultiPolygon([shapely.box(2, 0, 3, 1), holed])
    layers = [ml.device_points(devices_frame(), "dark", "zh"),
              ml.device_points(devices_frame(), "light", "en"),
              ml.device_columns(counts_frame(), "en"), ml.alarm_rings(alarms_frame(), "zh"),
              *ml.incident_marks(incidents_frame(), "light", "en"),
              ml.patrol_zones(zones, "dark", "zh"), ml.scope_outline(holed, "dark"),
              ml.patrol_tracks(tracks_frame(), "light", "en"),
              base.buildings(buildings_frame(), "light", "en")]
    wire = orjson.loads(orjson.dumps([layer["data"] for layer in layers], option=JSON_OPTIONS))
    assert all(data["length"] for data in wire)
    assert any("shapes" in data for data in wire) and any("derive" in data for data in wire)
    out = subprocess.run(["node", "-e", ROWS_OF_JS, str(TWIN_MAP_JS)], input=orjson.dumps(wire),
                         capture_output=True, check=True, timeout=60)
    assert orjson.loads(out.stdout) == [rows(data) for data in wire]


def test_english_subdistrict_labels_drop_the_suffix_the_map_makes_plain():
    areas = gpd.GeoDataFrame(
        {"id": ["s", "t", "n"], "name": ["四川北路街道", "江湾镇", "云舫小区"],
         "name_en": ["North Sichuan Road Subdistrict", "Jiangwan Town", "Yunfang Subdistrict"],
         "rank": [0, 0, 1]}, geometry=[shapely.box(0, 0, 1, 1)] * 3)
    sub_en, nbh_en = base.place_labels(areas, "dark", "en")
    assert [r["name"] for r in rows(sub_en["data"])] == ["North Sichuan Road", "Jiangwan Town"]
    assert [r["name"] for r in rows(nbh_en["data"])] == ["Yunfang Subdistrict"]  # as named
    sub_zh, _ = base.place_labels(areas, "dark", "zh")
    assert [r["name"] for r in rows(sub_zh["data"])] == ["四川北路街道", "江湾镇"]
