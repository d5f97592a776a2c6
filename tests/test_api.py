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
    with TestClient(app.server, base_url="http://localhost") as c:
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
    """A place that does not exist (there) is not found: 404 naming it (issue 12)."""
    response = client.get("/api/v1/layers/neighborhoods", params=params)
    assert response.status_code == 404
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


def test_fail003_layers_come_in_pages_linked_by_next(client):
    from tests._live_fixtures import devices_frame

    client.store.replace_layer("devices", devices_frame(extra=7))  # 15 devices
    ids, url, pages = [], "/api/v1/layers/devices?limit=4", 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        body = response.json()
        pages += 1
        assert body["numberMatched"] == 15 and body["numberReturned"] == len(body["features"])
        ids += [f["properties"]["id"] for f in body["features"]]
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
        assert (response.headers.get("Link") is not None) == (url is not None)
    assert pages == 4 and ids == sorted(ids) and len(set(ids)) == 15
    assert client.get("/api/v1/layers/devices").json()["numberReturned"] == 15  # default page
    assert client.get("/api/v1/layers/devices?limit=10001").status_code == 422
    # Compressed in the reader thread when asked, plain otherwise.
    assert client.get("/api/v1/layers/devices").headers["content-encoding"] == "gzip"
    plain = client.get("/api/v1/layers/devices", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.json()["numberReturned"] == 15


def test_fail003_a_page_keeps_the_properties_of_a_whole_layer(client):
    body = client.get("/api/v1/layers/neighborhoods").json()
    first = body["features"][0]
    assert first["type"] == "Feature" and first["geometry"]["type"] == "Polygon"
    assert first["properties"] == {"id": "n1", "name": "一小区", "name_en": None,
                                   "subdistrict_id": "s1", "district_id": None, "props": {}}
    assert body["links"] == []


def test_fail003_reads_beyond_the_cap_are_told_to_retry(tmp_path):
    """With every heavy-read slot taken, one more layer read is answered 503 at once."""
    import threading

    app = create_app(Settings(db_url=f"sqlite:///{tmp_path}/t.db", simulate=False,
                              max_heavy_reads=1), seed=False)
    services = services_of_app(app)
    inside, release = threading.Event(), threading.Event()
    read = services.store.read_layer

    def slow_read(*args, **kwargs):
        inside.set()
        release.wait(10)
        return read(*args, **kwargs)

    add_user(services.store, "boss", "commander")  # before the slow read stands in
    services.store.read_layer = slow_read
    with TestClient(app.server, base_url="http://localhost") as c:
        sign_in(c, "boss")
        first = threading.Thread(target=lambda: c.get("/api/v1/layers/subdistricts"))
        first.start()
        assert inside.wait(10)
        busy = c.get("/api/v1/layers/subdistricts")
        assert c.get("/healthz").status_code == 200  # health is not behind the cap
        release.set()
        first.join(10)
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "1"
        assert "layer reads are running already" in busy.json()["detail"]
        assert c.get("/api/v1/layers/subdistricts").status_code == 200
