"""Reading each accepted format into source coordinates, and refusing unreadable files."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from twin_dashboard.geo.readers import ReadError, read_features


def feature(geometry: dict | None, **props) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def point(lon: float, lat: float) -> dict:
    return {"type": "Point", "coordinates": [lon, lat]}


def write_json(path: Path, data) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_feature_collection(tmp_path):
    path = write_json(tmp_path / "a.geojson", {"type": "FeatureCollection", "features": [
        feature(point(121.49, 31.27), name="甲"), feature(point(121.5, 31.28), name="乙")]})
    data = read_features(path)
    assert data.crs == "wgs84"
    assert list(data.properties["name"]) == ["甲", "乙"]
    assert [g.wkt for g in data.geometry] == ["POINT (121.49 31.27)", "POINT (121.5 31.28)"]


def test_bare_array_and_feature_level_id(tmp_path):
    item = feature(point(121.49, 31.27), name="甲") | {"id": "f-1"}
    data = read_features(write_json(tmp_path / "a.json", [item]))
    assert data.properties.loc[0, "id"] == "f-1"


def test_datav_bare_array(realdata):
    data = read_features(realdata / "datav_310109_hongkou.json", crs="gcj02")
    assert data.crs == "gcj02"
    assert len(data.geometry) == 1
    assert data.geometry[0].geom_type == "MultiPolygon"
    assert shapely.get_num_coordinates(data.geometry[0]) == 220
    assert data.properties.loc[0, "adcode"] == 310109


def test_truncated_json_names_line_and_column(tmp_path):
    text = json.dumps({"type": "FeatureCollection",
                       "features": [feature(point(121.49, 31.27))]})
    path = tmp_path / "cut.geojson"
    path.write_text(text[:-20])
    with pytest.raises(ReadError, match=r"not valid JSON: .* at line 1, column \d+ .*truncated"):
        read_features(path)


def test_zero_byte_file_cannot_be_read(tmp_path):
    path = tmp_path / "empty.geojson"
    path.touch()
    with pytest.raises(ReadError, match=r"empty.geojson is empty \(0 bytes\)"):
        read_features(path)


def test_unknown_suffix(tmp_path):
    path = tmp_path / "roads.kml"
    path.write_text("<kml/>")
    with pytest.raises(ReadError, match=r"unknown file type '\.kml'"):
        read_features(path)


def test_missing_file(tmp_path):
    with pytest.raises(ReadError, match="no such file"):
        read_features(tmp_path / "nope.geojson")


def test_not_a_feature_collection(tmp_path):
    with pytest.raises(ReadError, match="expected a FeatureCollection.*'Point'"):
        read_features(write_json(tmp_path / "p.geojson", point(1, 2)))


def test_unreadable_geometry_is_recorded_per_feature(tmp_path):
    bad = {"type": "Polygon", "coordinates": [[[121.49, 31.27], [121.5, 31.27]]]}
    path = write_json(tmp_path / "a.geojson", [feature(point(121.49, 31.27)), feature(bad)])
    data = read_features(path)
    assert data.geometry[1] is None
    assert "unreadable geometry" in data.geometry_errors[1]


def test_old_geojson_crs_member_is_honoured(tmp_path):
    path = write_json(tmp_path / "m.geojson", {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}},
        "features": [feature(point(13524000.0, 3667000.0))]})
    assert read_features(path).crs == "EPSG:3857"


def test_crs_option_overrides_the_file(tmp_path):
    path = write_json(tmp_path / "a.geojson", [feature(point(121.49, 31.27))])
    assert read_features(path, crs="gcj02").crs == "gcj02"
    assert read_features(path, crs="EPSG:4490").crs == "wgs84"


def test_geojson_in_metres_without_crs_is_refused(tmp_path):
    path = write_json(tmp_path / "m.geojson", [feature(point(355000.0, 3461000.0))])
    with pytest.raises(ReadError, match=r"no CRS .* not degrees \(e\.g\. x=355000\.0"):
        read_features(path)


def _frame(crs: str | None, coords=((121.49, 31.27), (121.5, 31.28))) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": ["甲", "乙"]},
                            geometry=[shapely.Point(*c) for c in coords], crs=crs)


def test_geopackage_keeps_its_crs(tmp_path):
    path = tmp_path / "a.gpkg"
    _frame("EPSG:4490").to_file(path, layer="addresses")
    data = read_features(path)
    assert data.crs == "wgs84"  # CGCS2000 is WGS84 at this scale
    assert list(data.properties["name"]) == ["甲", "乙"]


def test_geopackage_with_several_layers_picks_the_named_one(tmp_path):
    path = tmp_path / "a.gpkg"
    _frame("EPSG:4326").to_file(path, layer="roads")
    _frame("EPSG:4326").iloc[:1].to_file(path, layer="patrol_zones")
    assert len(read_features(path, layer="patrol_zones").geometry) == 1
    with pytest.raises(ReadError, match=r"holds 2 layers \(roads, patrol_zones\)"):
        read_features(path, layer="buildings")


def _zip_shapefile(tmp_path: Path, frame: gpd.GeoDataFrame, keep_prj: bool) -> Path:
    folder = tmp_path / "shp"
    folder.mkdir()
    frame.to_file(folder / "pts.shp")
    archive = tmp_path / "pts.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for part in folder.iterdir():
            if keep_prj or part.suffix != ".prj":
                out.write(part, part.name)
    return archive


def test_zipped_shapefile_with_prj(tmp_path):
    metric = _frame("EPSG:4326").to_crs("EPSG:32651")
    data = read_features(_zip_shapefile(tmp_path, metric, keep_prj=True))
    assert data.crs == "EPSG:32651"
    assert list(data.properties["name"]) == ["甲", "乙"]


def test_zipped_shapefile_without_prj_in_degrees_reads_as_wgs84(tmp_path):
    data = read_features(_zip_shapefile(tmp_path, _frame("EPSG:4326"), keep_prj=False))
    assert data.crs == "wgs84"
    assert any("names no CRS" in n for n in data.notes)


def test_zipped_shapefile_without_prj_in_metres_is_refused(tmp_path):
    metric = _frame("EPSG:4326").to_crs("EPSG:32651")
    archive = _zip_shapefile(tmp_path, metric, keep_prj=False)
    with pytest.raises(ReadError, match=r"pts.zip has no CRS \(no .prj.*not degrees.*--crs"):
        read_features(archive)
    assert read_features(archive, crs="EPSG:32651").crs == "EPSG:32651"


def test_zip_without_shapefile(tmp_path):
    archive = tmp_path / "junk.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("readme.txt", "hello")
    with pytest.raises(ReadError, match="junk.zip"):
        read_features(archive)


def test_geoparquet(tmp_path):
    path = tmp_path / "a.parquet"
    _frame("EPSG:4326").to_parquet(path)
    data = read_features(path)
    assert data.crs == "wgs84" and len(data.geometry) == 2


def test_plain_parquet_is_refused(tmp_path):
    path = tmp_path / "a.parquet"
    pd.DataFrame({"a": [1]}).to_parquet(path)
    with pytest.raises(ReadError, match="not a GeoParquet file"):
        read_features(path)


@pytest.mark.parametrize("header", ["lon,lat", "lng,lat", "Longitude,Latitude", "x,y"])
def test_csv_coordinate_columns(tmp_path, header):
    path = tmp_path / "a.csv"
    path.write_text(f"name,{header}\n甲,121.49,31.27\n", encoding="utf-8")
    data = read_features(path)
    assert data.geometry[0].wkt == "POINT (121.49 31.27)"
    assert list(data.properties.columns) == ["name"]


def test_csv_prefixed_pairs_follow_the_crs(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("name,gcj02_lng,gcj02_lat,wgs84_lng,wgs84_lat\n甲,121.5,31.3,121.49,31.29\n")
    default = read_features(path)
    assert (default.crs, default.geometry[0].wkt) == ("wgs84", "POINT (121.49 31.29)")
    gcj = read_features(path, crs="gcj02")
    assert (gcj.crs, gcj.geometry[0].wkt) == ("gcj02", "POINT (121.5 31.3)")
    with pytest.raises(ReadError, match=r"no bd09 coordinate columns, only gcj02 "
                                        r"\(gcj02_lng, gcj02_lat\), wgs84"):
        read_features(path, crs="bd09")


def test_real_csv_has_both_pairs(realdata):
    path = realdata / "hongkou_residential_addresses_2022.csv"
    wgs, gcj = read_features(path), read_features(path, crs="gcj02")
    assert len(wgs.geometry) == len(gcj.geometry) == 1810
    assert wgs.geometry[0].wkt == "POINT (121.4686331 31.29101333)"
    assert gcj.geometry[0].wkt == "POINT (121.473163 31.289098)"
    assert "gcj02_lng" not in wgs.properties.columns


def test_csv_without_coordinates(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("name,address\n甲,乙\n")
    with pytest.raises(ReadError, match="no longitude/latitude columns.*columns are: name"):
        read_features(path)


def test_csv_bad_numbers_are_per_feature(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("name,lon,lat\n甲,121.49,31.27\n乙,east,31.2\n丙,,\n")
    data = read_features(path)
    assert "'east', '31.2' are not numbers" in data.geometry_errors[1]
    assert data.geometry[2] is None and 2 not in data.geometry_errors


def test_csv_in_gbk(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes("name,lon,lat\n虹口,121.49,31.27\n".encode("gbk"))
    assert read_features(path).properties.loc[0, "name"] == "虹口"


def test_table_without_geometry_is_refused(tmp_path):
    path = tmp_path / "t.gpkg"
    pyogrio.write_dataframe(pd.DataFrame({"name": ["甲"]}), path, driver="GPKG")
    with pytest.raises(ReadError, match="t.gpkg: the table has no geometry column"):
        read_features(path)


# --- shapefile text encodings (no .cpg) ------------------------------------------------------


def test_fail006_gbk_shapefile_without_cpg_reads_as_gb18030_with_a_note(tmp_path):
    from tests._shapefiles import neighborhoods, zip_shapefile

    data = read_features(zip_shapefile(tmp_path, neighborhoods(), "GBK"))
    assert list(data.properties["name"]) == ["云舫小区", "北外滩一号"]
    assert data.short_names is True
    assert any("read as GB18030" in note for note in data.notes)


def test_fail006_utf8_shapefile_without_cpg_reads_as_utf8(tmp_path):
    from tests._shapefiles import neighborhoods, zip_shapefile

    data = read_features(zip_shapefile(tmp_path, neighborhoods(), "UTF-8"))
    assert list(data.properties["name"]) == ["云舫小区", "北外滩一号"]
    assert data.notes == []


def test_fail006_the_encoding_option_wins_and_a_wrong_one_is_refused(tmp_path):
    from tests._shapefiles import neighborhoods, zip_shapefile

    archive = zip_shapefile(tmp_path, neighborhoods(), "GBK")
    assert list(read_features(archive, encoding="gbk").properties["name"])[0] == "云舫小区"
    with pytest.raises(ReadError, match=r"layer.zip: its text is not utf-8 .*--encoding"):
        read_features(archive, encoding="utf-8")
    with pytest.raises(ReadError, match="unknown text encoding 'klingon'"):
        read_features(archive, encoding="klingon")


def test_fail006_text_in_neither_encoding_is_refused(tmp_path):
    from tests._shapefiles import neighborhoods, zip_shapefile

    archive = zip_shapefile(tmp_path, neighborhoods(names=("ÿÿ", "ÿÿÿÿ")), "ISO-8859-1")
    with pytest.raises(ReadError, match=r"no \.cpg\) and its text is neither UTF-8 nor "
                                        r"GB18030: pass --encoding"):
        read_features(archive)
    assert list(read_features(archive, encoding="latin-1").properties["name"]) == ["ÿÿ", "ÿÿÿÿ"]


def test_fail006_a_declared_encoding_is_left_to_gdal(tmp_path):
    from tests._shapefiles import neighborhoods, zip_shapefile

    data = read_features(zip_shapefile(tmp_path, neighborhoods(), "GBK", cpg=True))
    assert list(data.properties["name"]) == ["云舫小区", "北外滩一号"]
    assert data.notes == []
