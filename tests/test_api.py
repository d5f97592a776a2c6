"""The read API: health, layers and scope checking (summary figures are tested with the domain)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import box

from twin_dashboard.app import create_app, services_of_app
from twin_dashboard.config import Settings
from twin_dashboard.testing import add_user, sign_in


@pytest.fixture
def client(tmp_path):
    app = create_app(Settings(db_url=f"sqlite:///{tmp_path}/t.db", simulate=False), seed=False)
    store = services_of_app(app).store
    store.replace_layer("subdistricts", gpd.GeoDataFrame(
        {"id": ["s1", "s2"], "name": ["甲街道", "乙街道"]},
        geometry=[box(121.46, 31.25, 121.47, 31.26), box(121.47, 31.25, 121.48, 31.26)],
        crs="EPSG:4326"))
    store.replace_layer("neighborhoods", gpd.GeoDataFrame(
        {"id": ["n1", "n2"], "name": ["一小区", "二小区"], "subdistrict_id": ["s1", "s2"]},
        geometry=[box(121.461, 31.251, 121.462, 31.252), box(121.471, 31.251, 121.472, 31.252)],
        crs="EPSG:4326"))
    add_user(store, "boss", "commander")
    with TestClient(app.server) as c:
        c.store = store
        sign_in(c, "boss")
        yield c


def test_api001_layers_are_geojson_within_scope(client):
    body = client.get("/api/v1/layers/neighborhoods", params={"subdistrict": "s2"}).json()
    assert body["type"] == "FeatureCollection"
    assert [f["properties"]["id"] for f in body["features"]] == ["n2"]
    assert body["features"][0]["geometry"]["type"] == "Polygon"


@pytest.mark.parametrize("params,message", [
    ({"subdistrict": "nope"}, "unknown subdistrict 'nope'"),
    ({"neighborhood": "nope"}, "unknown neighborhood 'nope'"),
    ({"subdistrict": "s1", "neighborhood": "n2"}, "'n2' is in 's2', not in 's1'"),
])
def test_api002_unknown_scope_is_refused_by_name(client, params, message):
    response = client.get("/api/v1/layers/neighborhoods", params=params)
    assert response.status_code == 422
    assert message in response.json()["detail"]


def test_api003_unknown_layer_is_404(client):
    response = client.get("/api/v1/layers/rivers")
    assert response.status_code == 404
    assert "unknown layer 'rivers'" in response.json()["detail"]


def test_api004_healthz_reports_age_and_staleness(client):
    now = pd.Timestamp.now(tz="UTC")
    client.store.touch_source("sensors", now - pd.Timedelta(hours=1))
    client.store.touch_source("incidents", now)
    body = client.get("/healthz").json()
    assert body["status"] == "degraded"
    assert body["sources"]["sensors"]["stale"] is True
    assert body["sources"]["sensors"]["age_seconds"] >= 3600
    assert body["sources"]["incidents"]["stale"] is False


def test_api005_openapi_describes_the_api(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/summary" in spec["paths"]
    assert "/api/v1/layers/{layer}" in spec["paths"]
