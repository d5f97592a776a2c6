"""prepare_import on the real Hongkou files and on small broken files built here."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from tests._realdata import ADDRESSES, DATAV, SUBDISTRICTS
from twin_dashboard.geo.crs import wgs84_to_bd09
from twin_dashboard.geo.export import export_layer
from twin_dashboard.geo.importer import ImportRefused, PreparedImport, prepare_import
from twin_dashboard.geo.layers import layer_spec

# Of the CSV's 1810 points, 45 lie outside the bare boundary (SOURCES.md); 17 of those are
# within the 200 m the rule allows, so 28 are refused and 1782 kept.
OUTSIDE_200M = 28


@pytest.fixture(scope="module")
def district(realdata) -> PreparedImport:
    return prepare_import("district", realdata / DATAV, crs="gcj02")


def iou(a: shapely.Geometry, b: shapely.Geometry) -> float:
    return a.intersection(b).area / a.union(b).area


def write_features(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features},
                               ensure_ascii=False))
    return path


def polygon_feature(shape: shapely.Geometry, **props) -> dict:
    return {"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(shape)}


# --- the real district -------------------------------------------------------------------


def test_district_frame_shape(district):
    frame = district.frame
    assert list(frame.columns) == ["id", "name", "adcode", "name_en", "props", "geometry"]
    assert frame.crs == "EPSG:4326"
    assert frame.loc[0, "id"] == "district-001"
    assert (frame.loc[0, "name"], frame.loc[0, "adcode"]) == ("虹口区", 310109)
    assert frame.loc[0, "props"]["level"] == "district"
    coords = shapely.get_coordinates(frame.geometry.to_numpy())
    np.testing.assert_array_equal(coords, np.round(coords, 7))
    assert district.notes == []


def test_gcj02_conversion_makes_district_and_subdistricts_agree(realdata, district):
    subdistricts = prepare_import("subdistricts", realdata / SUBDISTRICTS,
                                  district=district.frame)
    assert list(subdistricts.frame.columns) == ["id", "name", "name_en", "district_id", "props",
                                                "geometry"]
    # each row is placed in the one stored district whose boundary holds it
    assert set(subdistricts.frame["district_id"]) == set(district.frame["id"])
    assert len(subdistricts.frame) == 8
    assert subdistricts.frame.loc[0, "id"] == "subdistricts-001"
    assert subdistricts.frame["name"].str.endswith("街道").all()
    union = subdistricts.frame.union_all()
    assert iou(district.frame.union_all(), union) >= 0.98
    # Read as if it were WGS84, the same boundary sits ~450 m off.
    unconverted = prepare_import("district", realdata / DATAV)
    assert iou(unconverted.frame.union_all(), union) < 0.8


def test_export_to_gcj02_gives_back_the_original(realdata, district, tmp_path):
    out = tmp_path / "district.geojson"
    export_layer(district.frame, out, crs="gcj02")
    original = shapely.geometry.shape(json.loads((realdata / DATAV).read_text())[0]["geometry"])
    exported = shapely.geometry.shape(json.loads(out.read_text())["features"][0]["geometry"])
    a = shapely.get_coordinates(shapely.normalize(original))
    b = shapely.get_coordinates(shapely.normalize(exported))
    assert a.shape == b.shape == (220, 2)
    assert np.abs(a - b).max() < 1e-6


def test_addresses_outside_the_district_refuse_the_file(realdata, district):
    with pytest.raises(ImportRefused) as refused:
        prepare_import("addresses", realdata / ADDRESSES, district=district.frame)
    message = str(refused.value)
    assert message.startswith(f"{OUTSIDE_200M} problems in 1810 features "
                              f"({OUTSIDE_200M} outside the district):")
    # 新建路145号 was geocoded into another part of Shanghai, 52 km away.
    assert "feature 1379 ('新建路145号'): outside the district: 52.3 km beyond its boundary" \
        in message
    assert f"… and {OUTSIDE_200M - 20} more" in message


def test_addresses_drop_outside(realdata, district):
    prepared = prepare_import("addresses", realdata / ADDRESSES, district=district.frame,
                              drop_outside=True)
    assert len(prepared.frame) == 1810 - OUTSIDE_200M
    assert prepared.notes[0] == f"dropped {OUTSIDE_200M} feature(s) outside the district:"
    assert len(prepared.notes) == 1 + OUTSIDE_200M
    assert any("'新建路145号'" in line for line in prepared.notes)
    frame = prepared.frame
    assert list(frame.columns) == ["id", "address", "subdistrict_id", "neighborhood_id",
                                   "building_id", "district_id", "props", "geometry"]
    assert "addresses-1379" not in set(frame["id"])  # ids follow the file's rows
    assert frame.loc[0, "props"]["street_level"] == "凉城新村街道"
    assert frame.geometry.within(district.frame.union_all().buffer(0.01)).all()


def test_addresses_from_their_gcj02_columns(realdata, district):
    wgs = prepare_import("addresses", realdata / ADDRESSES, district=district.frame,
                         drop_outside=True)
    gcj = prepare_import("addresses", realdata / ADDRESSES, crs="gcj02",
                         district=district.frame, drop_outside=True)
    # The author's own GCJ→WGS conversion and ours agree to within a few metres.
    shared = wgs.frame.merge(gcj.frame, on="id")
    metric = "EPSG:32651"
    gap = gpd.GeoSeries(shared["geometry_x"], crs=4326).to_crs(metric).distance(
        gpd.GeoSeries(shared["geometry_y"], crs=4326).to_crs(metric))
    assert len(shared) > 1700 and gap.quantile(0.99) < 5


def test_no_district_yet_skips_the_rule_with_a_note(realdata):
    prepared = prepare_import("subdistricts", realdata / SUBDISTRICTS, district=None)
    assert len(prepared.frame) == 8
    assert "inside-district check was skipped" in prepared.notes[0]
    empty = gpd.GeoDataFrame({"id": []}, geometry=gpd.GeoSeries([], crs=4326))
    assert prepare_import("subdistricts", realdata / SUBDISTRICTS, district=empty).notes


# --- broken inputs -------------------------------------------------------------------------

BOX = shapely.box(121.48, 31.26, 121.49, 31.27)
BOWTIE = shapely.Polygon([(121.48, 31.26), (121.49, 31.27), (121.49, 31.26), (121.48, 31.27)])


def test_truncated_json(tmp_path):
    path = write_features(tmp_path / "b.geojson", [polygon_feature(BOX, name="甲")])
    path.write_text(path.read_text()[:-30])
    with pytest.raises(ImportRefused, match=r"b.geojson is not valid JSON: .*line 1, column"):
        prepare_import("buildings", path)


def test_zero_byte_file(tmp_path):
    path = tmp_path / "b.geojson"
    path.touch()
    with pytest.raises(ImportRefused, match=r"is empty \(0 bytes\)"):
        prepare_import("buildings", path)


def test_empty_feature_collection(tmp_path):
    with pytest.raises(ImportRefused, match="holds no features"):
        prepare_import("buildings", write_features(tmp_path / "b.geojson", []))


def test_unrepairable_bowtie(tmp_path):
    path = write_features(tmp_path / "b.geojson", [polygon_feature(BOX, name="甲"),
                                                   polygon_feature(BOWTIE, name="蝴蝶楼")])
    with pytest.raises(ImportRefused, match=r"feature 2 \('蝴蝶楼'\): invalid geometry "
                                            r"\(Self-intersection\[.*MultiPolygon"):
        prepare_import("buildings", path)


def test_projected_zip_without_prj(tmp_path):
    frame = gpd.GeoDataFrame({"name": ["甲"]}, geometry=[BOX], crs=4326).to_crs(32651)
    (tmp_path / "shp").mkdir()
    frame.to_file(tmp_path / "shp" / "b.shp")
    archive = tmp_path / "b.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for part in (tmp_path / "shp").iterdir():
            if part.suffix != ".prj":
                out.write(part, part.name)
    with pytest.raises(ImportRefused, match=r"b.zip has no CRS .*not degrees.*--crs EPSG:N"):
        prepare_import("buildings", archive)
    prepared = prepare_import("buildings", archive, crs="EPSG:32651")
    back = shapely.normalize(prepared.frame.geometry[0])
    assert back.equals_exact(shapely.normalize(BOX), 1e-6)


def test_polygon_given_to_roads(tmp_path):
    road = shapely.LineString([(121.48, 31.26), (121.49, 31.27)])
    path = write_features(tmp_path / "r.geojson", [
        polygon_feature(road, name="中山路"), polygon_feature(BOX, name="广场")])
    with pytest.raises(ImportRefused, match=r"feature 2 \('广场'\): a Polygon is not allowed "
                                            r"in layer roads"):
        prepare_import("roads", path)


def test_duplicate_ids(tmp_path):
    path = write_features(tmp_path / "b.geojson", [
        polygon_feature(BOX, id="b-1"), polygon_feature(BOX, id="b-2"),
        polygon_feature(BOX, id="b-1")])
    with pytest.raises(ImportRefused, match=r"feature 3 \(id 'b-1'\): duplicate id 'b-1', "
                                            r"also feature 1"):
        prepare_import("buildings", path)


def test_all_problems_are_reported_together(tmp_path, district):
    far = shapely.box(121.0, 31.0, 121.01, 31.01)
    path = write_features(tmp_path / "b.geojson", [
        polygon_feature(BOX, id="b-1", kind="castle"), polygon_feature(BOWTIE, id="b-2"),
        polygon_feature(far, id="b-3"), polygon_feature(BOX, id="b-1")])
    with pytest.raises(ImportRefused) as refused:
        prepare_import("buildings", path, district=district.frame)
    lines = str(refused.value).splitlines()
    assert lines[0].startswith("4 problems in 4 features")
    assert [line.split(":")[0].strip() for line in lines[1:]] == [
        "feature 1 (id 'b-1')", "feature 2 (id 'b-2')", "feature 3 (id 'b-3')",
        "feature 4 (id 'b-1')"]


def test_unknown_layer_and_crs(tmp_path):
    path = write_features(tmp_path / "b.geojson", [polygon_feature(BOX)])
    with pytest.raises(ImportRefused, match="unknown layer 'parks'"):
        prepare_import("parks", path)
    with pytest.raises(ImportRefused, match="unknown CRS 'mars'"):
        prepare_import("buildings", path, crs="mars")


# --- conversions and progress ---------------------------------------------------------------


def test_bd09_points_are_converted(tmp_path):
    lon, lat = wgs84_to_bd09(np.array([121.49]), np.array([31.27]))
    path = tmp_path / "d.csv"
    path.write_text(f"category,lng,lat\nsmoke,{lon[0]},{lat[0]}\n")
    prepared = prepare_import("devices", path, crs="bd09")
    point = prepared.frame.geometry[0]
    assert (point.x, point.y) == pytest.approx((121.49, 31.27), abs=2e-7)
    assert prepared.frame.loc[0, "category"] == "smoke"


def test_progress_bar_on_large_inputs(tmp_path, capsys):
    rows = "\n".join(f"smoke,{121.48 + i * 1e-6},31.27" for i in range(2100))
    path = tmp_path / "d.csv"
    path.write_text("category,lon,lat\n" + rows + "\n")
    prepare_import("devices", path, progress=True)
    assert "checking" in capsys.readouterr().err
    prepare_import("devices", path, progress=False)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("name, props", [
    ("subdistricts", {}), ("neighborhoods", {}), ("buildings", {"kind": "lane"}),
    ("landcover", {"kind": "water"}), ("patrol-zones", {"target_hours": 24}),
])
def test_layer_columns_match_the_spec_for_every_polygon_layer(tmp_path, name, props):
    path = write_features(tmp_path / "x.geojson", [polygon_feature(BOX, name="甲", **props)])
    frame = prepare_import(name, path).frame
    assert list(frame.columns) == ["id", *layer_spec(name).column_names, "props", "geometry"]


# --- shapefiles: cut field names, encodings ----------------------------------------------------


def test_fail006_cut_field_names_fill_the_layers_columns(tmp_path):
    from tests._shapefiles import neighborhoods, zip_shapefile

    prepared = prepare_import("neighborhoods", zip_shapefile(tmp_path, neighborhoods(), "GBK"))
    frame = prepared.frame
    assert list(frame["name"]) == ["云舫小区", "北外滩一号"]
    assert list(frame["subdistrict_id"]) == ["beiwaitan", "beiwaitan"]
    assert all("subdistric" not in props for props in frame["props"])
    assert any("'subdistric' read as 'subdistrict_id'" in note for note in prepared.notes)
    assert any("read as GB18030" in note for note in prepared.notes)


def test_fail006_every_cut_device_column_is_mapped(tmp_path):
    from shapely.geometry import Point

    from tests._shapefiles import zip_shapefile

    devices = gpd.GeoDataFrame(
        {"id": ["d1"], "category": ["smoke"], "subdistrict_id": ["beiwaitan"],
         "neighborhood_id": ["yunfang"], "building_id": ["b1"], "household_id": ["h1"],
         "installed_at": ["2026-01-01T08:00:00+08:00"]},
        geometry=[Point(121.49, 31.25)], crs="EPSG:4326")
    frame = prepare_import("devices", zip_shapefile(tmp_path, devices, "UTF-8")).frame
    row = frame.iloc[0]
    assert (row["subdistrict_id"], row["neighborhood_id"], row["building_id"],
            row["household_id"]) == ("beiwaitan", "yunfang", "b1", "h1")
    assert str(row["installed_at"]) == "2026-01-01 00:00:00+00:00"
    assert row["props"] == {}


def test_fail006_a_cut_name_of_two_columns_is_refused():
    import pandas as pd

    from twin_dashboard.geo.importer import full_field_names
    from twin_dashboard.geo.layers import Column, LayerSpec

    spec = LayerSpec("x", "x", ("Point",), (Column("subdistrict_id"), Column("subdistrict_name")))
    with pytest.raises(ImportRefused, match="'subdistric' may be subdistrict_id or "
                                            "subdistrict_name cut to 10 characters"):
        full_field_names(pd.DataFrame({"id": ["a"], "subdistric": ["s"]}), spec)


def test_fail006_a_renumbered_cut_name_is_refused(tmp_path):
    from tests._shapefiles import neighborhoods, zip_shapefile

    frame = neighborhoods(subdistrict_code=["310109", "310109"])  # cut: subdistric, subdistr_1
    with pytest.raises(ImportRefused, match="'subdistr_1' looks like a name cut to 10 "
                                            "characters and numbered apart"):
        prepare_import("neighborhoods", zip_shapefile(tmp_path, frame, "UTF-8"))


# --- vertex limit --------------------------------------------------------------------------


def test_fail007_a_feature_over_the_vertex_limit_refuses_the_file_by_name(tmp_path):
    huge = shapely.Point(121.49, 31.26).buffer(0.002, quad_segs=15_000)  # 60,001 vertices
    small = shapely.box(121.48, 31.25, 121.485, 31.255)
    path = write_features(tmp_path / "n.geojson", [
        polygon_feature(small, id="ok", name="小"), polygon_feature(huge, id="huge", name="大")])
    with pytest.raises(ImportRefused) as refused:
        prepare_import("neighborhoods", path)
    message = str(refused.value)
    assert "1 problem in 2 features" in message
    assert ("feature 2 (id 'huge'): 60,001 vertices, more than the 50,000 a feature of layer "
            "neighborhoods may have: simplify it first") in message


def test_fail007_each_layer_states_its_limit():
    assert layer_spec("neighborhoods").max_vertices == 50_000
    assert layer_spec("buildings").max_vertices == 5_000
    assert layer_spec("roads").max_vertices == 10_000
