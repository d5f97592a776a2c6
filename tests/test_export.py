"""export_layer: RFC 7946 GeoJSON and GeoPackage, in WGS84 or GCJ-02."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from twin_dashboard.geo import export as export_module
from twin_dashboard.geo.crs import wgs84_to_gcj02
from twin_dashboard.geo.export import export_layer
from twin_dashboard.geo.importer import prepare_import

# Clockwise on purpose: RFC 7946 wants exteriors counter-clockwise on output.
CW_BOX = shapely.Polygon([(121.48, 31.26), (121.48, 31.27), (121.49, 31.27), (121.49, 31.26)])


@pytest.fixture
def frame() -> gpd.GeoDataFrame:
    """A layer as the store reads it: typed columns, a props dict, EPSG:4326."""
    return gpd.GeoDataFrame({
        "id": ["b-1", "b-2"],
        "name": ["甲楼", None],
        "floors": pd.Series([6, None], dtype="Int64"),
        "installed_at": pd.to_datetime(["2024-03-01T00:00:00Z", None], utc=True),
        "props": [{"source": "survey", "name": "ignored", "tags": ["a", "b"]}, {}],
    }, geometry=[CW_BOX, shapely.Point(121.485, 31.265)], crs="EPSG:4326")


def test_geojson_is_rfc7946_with_props_merged(frame, tmp_path):
    path = tmp_path / "b.geojson"
    export_layer(frame, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection" and "crs" not in data
    first, second = data["features"]
    assert first["id"] == "b-1"
    assert first["properties"] == {"id": "b-1", "name": "甲楼", "floors": 6,
                                   "installed_at": "2024-03-01T00:00:00+00:00",
                                   "source": "survey", "tags": ["a", "b"]}  # columns win
    assert second["properties"] == {"id": "b-2", "name": None, "floors": None,
                                    "installed_at": None}
    ring = shapely.geometry.shape(first["geometry"]).exterior
    assert ring.is_ccw
    assert second["geometry"] == {"type": "Point", "coordinates": [121.485, 31.265]}


def test_geojson_in_gcj02(frame, tmp_path):
    path = tmp_path / "b.json"
    export_layer(frame, path, crs="gcj02")
    data = json.loads(path.read_text())
    lon, lat = wgs84_to_gcj02(121.485, 31.265)
    assert data["features"][1]["geometry"]["coordinates"] == \
        pytest.approx([round(float(lon), 7), round(float(lat), 7)])
    assert data["coordinate_system"] == "gcj02"


def test_gcj02_export_reimports_to_the_same_place(frame, tmp_path):
    path = tmp_path / "b.geojson"
    export_layer(frame.iloc[:1], path, crs="gcj02")
    back = prepare_import("buildings", path).frame  # the file says it is GCJ-02
    a = shapely.get_coordinates(shapely.normalize(back.geometry[0]))
    b = shapely.get_coordinates(shapely.normalize(CW_BOX))
    assert np.abs(a - b).max() < 1e-6
    assert back.loc[0, "props"] == {"installed_at": "2024-03-01T00:00:00+00:00",
                                    "source": "survey", "tags": ["a", "b"]}


def test_geopackage(frame, tmp_path):
    path = tmp_path / "my buildings.gpkg"
    export_layer(frame, path)
    back = gpd.read_file(path)
    assert back.crs == "EPSG:4326"
    assert list(back.columns) == ["id", "name", "floors", "installed_at", "source", "tags",
                                  "geometry"]
    assert back.loc[0, "tags"] == '["a", "b"]'
    assert back.geometry[1].equals(shapely.Point(121.485, 31.265))


def test_geopackage_in_gcj02_declares_no_wgs84(frame, tmp_path):
    path = tmp_path / "b.gpkg"
    export_layer(frame, path, crs="gcj02")
    assert gpd.read_file(path).crs is None


def test_empty_layer(tmp_path):
    empty = gpd.GeoDataFrame({"id": [], "props": []}, geometry=gpd.GeoSeries([], crs=4326))
    export_layer(empty, tmp_path / "e.geojson")
    assert json.loads((tmp_path / "e.geojson").read_text())["features"] == []
    export_layer(empty, tmp_path / "e.gpkg")
    assert len(gpd.read_file(tmp_path / "e.gpkg")) == 0


@pytest.mark.parametrize("name", ["b.shp", "b.csv", "b"])
def test_other_suffixes_refused(frame, tmp_path, name):
    with pytest.raises(ValueError, match=r"cannot export to .*use a \.geojson, \.json or \.gpkg"):
        export_layer(frame, tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_other_crs_refused(frame, tmp_path):
    with pytest.raises(ValueError, match="cannot export in 'EPSG:3857'"):
        export_layer(frame, tmp_path / "b.geojson", crs="EPSG:3857")


def test_failed_export_keeps_the_old_file(frame, tmp_path, monkeypatch):
    path = tmp_path / "b.geojson"
    path.write_text("old")

    def broken(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(export_module, "_write_geojson", broken)
    with pytest.raises(OSError, match="disk full"):
        export_layer(frame, path)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["b.geojson"]
