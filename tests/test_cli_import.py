"""``twin-dashboard import`` / ``export`` end to end: all or nothing, against a real store."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely
from click.testing import CliRunner

from tests._realdata import ADDRESSES, DATAV, SUBDISTRICTS
from twin_dashboard.cli import main
from twin_dashboard.store.base import open_store

BOWTIE = {"type": "Polygon", "coordinates": [
    [[121.48, 31.26], [121.49, 31.27], [121.49, 31.26], [121.48, 31.27], [121.48, 31.26]]]}


@pytest.fixture
def db(tmp_path) -> str:
    return f"sqlite:///{tmp_path}/t.db"


def run(db: str, *args: str):
    return CliRunner().invoke(main, [*args, "--db", db], catch_exceptions=False)


def state(db: str, layer: str) -> tuple[str, int]:
    """What a refused import must leave untouched: the layer's fingerprint and row count."""
    store = open_store(db)
    try:
        return store.layer_fingerprint(layer), store.count(layer)
    finally:
        store.close()


@pytest.fixture
def loaded(db, realdata) -> str:
    """A store holding the real district (from GCJ-02) and its subdistricts."""
    result = run(db, "import", "district", str(realdata / DATAV), "--crs", "gcj02")
    assert result.exit_code == 0, result.output
    assert "imported 1 features into district" in result.stdout
    result = run(db, "import", "subdistricts", str(realdata / SUBDISTRICTS))
    assert result.exit_code == 0, result.output
    return db


def test_import_real_files(loaded):
    assert state(loaded, "district")[1] == 1
    assert state(loaded, "subdistricts")[1] == 8
    store = open_store(loaded)
    try:
        district = store.read_layer("district").union_all()
        union = store.read_layer("subdistricts").union_all()
    finally:
        store.close()
    assert district.intersection(union).area / district.union(union).area >= 0.98


def test_refused_import_changes_nothing(loaded, realdata):
    result = run(loaded, "import", "addresses", str(realdata / ADDRESSES), "--drop-outside")
    assert result.exit_code == 0, result.output
    assert "imported 1782 features into addresses" in result.stdout
    assert "dropped 28 feature(s) outside the district:" in result.stderr
    assert "新建路145号" in result.stderr
    before = state(loaded, "addresses")

    result = run(loaded, "import", "addresses", str(realdata / ADDRESSES))
    assert result.exit_code != 0
    assert "import refused" in result.stderr
    assert "feature 1379 ('新建路145号'): outside the district: 52.3 km" in result.stderr
    assert state(loaded, "addresses") == before


def test_refused_broken_file_changes_nothing(loaded, tmp_path):
    before = state(loaded, "subdistricts")
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "好街道"},
         "geometry": {"type": "Polygon", "coordinates": [
             [[121.48, 31.26], [121.49, 31.26], [121.49, 31.27], [121.48, 31.26]]]}},
        {"type": "Feature", "properties": {"name": "蝴蝶街道"}, "geometry": BOWTIE}]}))
    result = run(loaded, "import", "subdistricts", str(path))
    assert result.exit_code == 2
    assert "feature 2 ('蝴蝶街道'): invalid geometry (Self-intersection" in result.stderr
    assert state(loaded, "subdistricts") == before


def test_zero_byte_file_refused(db, tmp_path):
    path = tmp_path / "empty.geojson"
    path.touch()
    result = run(db, "import", "roads", str(path))
    assert result.exit_code == 2
    assert "empty.geojson is empty (0 bytes)" in result.stderr
    assert state(db, "roads")[1] == 0


def test_without_a_district_the_rule_is_skipped_with_a_note(db, realdata):
    result = run(db, "import", "subdistricts", str(realdata / SUBDISTRICTS))
    assert result.exit_code == 0, result.output
    assert "inside-district check was skipped" in result.stderr


def test_export_district_to_gcj02_gives_back_the_original(loaded, realdata, tmp_path):
    out = tmp_path / "district.geojson"
    result = run(loaded, "export", "district", str(out), "--crs", "gcj02")
    assert result.exit_code == 0, result.output
    original = json.loads((realdata / DATAV).read_text())[0]["geometry"]
    exported = json.loads(out.read_text())["features"][0]["geometry"]
    a, b = (shapely.get_coordinates(shapely.normalize(shapely.geometry.shape(g)))
            for g in (original, exported))
    assert a.shape == b.shape and np.abs(a - b).max() < 1e-6


def test_export_refuses_unknown_suffix(loaded, tmp_path):
    result = run(loaded, "export", "district", str(tmp_path / "district.kml"))
    assert result.exit_code == 2
    assert "cannot export to 'district.kml'" in result.stderr


def test_fail006_gbk_shapefile_without_cpg_imports_readable_names(db, tmp_path):
    from tests._shapefiles import neighborhoods, zip_shapefile

    archive = zip_shapefile(tmp_path, neighborhoods(), "GBK")
    result = run(db, "import", "neighborhoods", str(archive))
    assert result.exit_code == 0, result.output
    assert "read as GB18030" in result.stderr and "'subdistric' read as" in result.stderr
    store = open_store(db)
    try:
        frame = store.read_layer("neighborhoods")
    finally:
        store.close()
    assert list(frame["name"]) == ["云舫小区", "北外滩一号"]
    assert list(frame["subdistrict_id"]) == ["beiwaitan", "beiwaitan"]


def test_fail006_a_wrong_encoding_option_refuses_the_file(db, tmp_path):
    from tests._shapefiles import neighborhoods, zip_shapefile

    archive = zip_shapefile(tmp_path, neighborhoods(), "GBK")
    result = run(db, "import", "neighborhoods", str(archive), "--encoding", "utf-8")
    assert result.exit_code == 2
    assert "its text is not utf-8" in result.stderr
    assert state(db, "neighborhoods")[1] == 0
    ok = run(db, "import", "neighborhoods", str(archive), "--encoding", "gbk")
    assert ok.exit_code == 0 and "read as GB18030" not in ok.stderr


@pytest.mark.slow
def test_fail007_a_million_vertex_polygon_is_refused_and_changes_nothing(db, tmp_path):
    """The 10^6-vertex polygon that took the neighborhoods from 67 KB to 21 MB."""
    angles = np.linspace(0, 2 * np.pi, 1_000_000, endpoint=False)
    huge = shapely.Polygon(np.column_stack([121.49 + 0.002 * np.cos(angles),
                                            31.26 + 0.002 * np.sin(angles)]))
    path = tmp_path / "n.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "huge", "name": "大"},
         "geometry": shapely.geometry.mapping(huge)}]}))
    before = state(db, "neighborhoods")
    result = run(db, "import", "neighborhoods", str(path))
    assert result.exit_code == 2
    assert "feature 1 (id 'huge'): 1,000,001 vertices, more than the 50,000" in result.stderr
    assert state(db, "neighborhoods") == before
