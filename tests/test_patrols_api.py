"""POST/GET /api/v1/patrols: a track's roads move coverage; bad tracks refused whole; scope."""

from __future__ import annotations

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from tests._field_fixtures import LAT, T0, as_user, load_field, tokens
from twin_dashboard.app import create_app, services_of_app
from twin_dashboard.config import Settings
from twin_dashboard.domain import audit
from twin_dashboard.testing import FixedClock, refusal

START, END = T0 - pd.Timedelta(hours=1), T0 - pd.Timedelta(minutes=10)
# Along 东大名路 (r1, r2) a few metres north of it, crossing 吴淞路 (r3) on the way.
ALONG = [[121.4901, LAT + 0.00005], [121.4950, LAT + 0.00004], [121.4999, LAT + 0.00005]]


@pytest.fixture
def api(tmp_path):
    app = create_app(Settings(db_url=f"sqlite:///{tmp_path}/p.db", simulate=False), seed=False,
                     clock=FixedClock(T0))
    store = services_of_app(app).store
    load_field(store)
    with TestClient(app.server, base_url="http://localhost") as client:
        client.tokens = tokens(store)
        yield client, store


def post(client, who: str, coords=ALONG, **body):
    payload = {"zone_id": "z1", "started_at": START.isoformat(), "ended_at": END.isoformat(),
               "track": {"type": "LineString", "coordinates": coords}} | body
    return client.post("/api/v1/patrols", json=payload, headers=as_user(client.tokens, who))


def coverage(client) -> dict:
    return client.get("/api/v1/summary", headers=as_user(client.tokens, "boss")).json()["patrols"]


def test_ptl001_a_track_along_two_roads_covers_them_in_the_summary(api):
    client, store = api
    before = coverage(client)
    assert before["segments"] == 4 and before["coverage_share"] == 0.0
    response = post(client, "chief")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["road_ids"] == ["r1", "r2"]  # crossing r3 is not walking it
    assert body["chief_id"] == "p-gov" and 900 < body["length_m"] < 1000
    after = coverage(client)
    assert after["coverage_share"] == 0.5 and after["zones_covered"] == 1
    stored = store.read_records("patrols", where={"id": body["id"]}).iloc[0]
    assert stored["road_ids"] == "r1;r2" and stored["subdistrict_id"] == "beiwaitan"
    assert stored.geometry.geom_type == "LineString" and len(stored.geometry.coords) == 3
    trail = [e for e in audit.entries(store) if e["action"] == "patrol.record"]
    assert trail[-1]["actor"] == "chief" and trail[-1]["subject"] == body["id"]


@pytest.mark.parametrize(("coords", "body", "status", "reason"), [
    ([[121.49, LAT]], {}, 422, "track.coordinates: List should have at least 2 items"),
    ([[121.49, LAT], [121.49, LAT]], {}, 422, "at least 2 distinct points"),
    ([[121.49, 95.0], [121.50, LAT]], {}, 422, "less than or equal to 90"),
    ([["a", "b"], [121.50, LAT]], {}, 422, "Input should be a valid number"),
    ([[121.60, 31.25], [121.61, 31.25]], {}, 422, "outside the district"),
    (ALONG, {"track": {"type": "Point", "coordinates": [121.49, LAT]}}, 422,
     "track.type: Input should be 'LineString'"),
    (ALONG, {"ended_at": START.isoformat()}, 422, "is not after started_at"),
    (ALONG, {"ended_at": (T0 + pd.Timedelta(minutes=2)).isoformat()}, 422, "in the future"),
    (ALONG, {"zone_id": "z404"}, 404, "unknown patrol zone 'z404'"),
])
def test_ptl002_a_bad_track_is_refused_whole(api, coords, body, status, reason):
    """The schema's refusals name the field (FastAPI's list), the data's say why (issue 12)."""
    client, store = api
    response = post(client, "chief", coords, **body)
    assert response.status_code == status and reason in refusal(response), response.text
    assert store.count("patrols") == 0


def test_ptl003_a_clock_a_minute_ahead_is_tolerated(api):
    client, _ = api
    assert post(client, "chief", ended_at=(T0 + pd.Timedelta(seconds=50)).isoformat()
                ).status_code == 201


def test_ptl004_roles_zones_and_chiefs(api):
    client, store = api
    mine = post(client, "chief", zone_id="z2", coords=[[121.49, 31.27], [121.50, 31.27]])
    assert mine.status_code == 403 and "outside the scope" in mine.json()["detail"]
    assert post(client, "chief", chief_id="p-com").status_code == 403  # only their own
    assert post(client, "root").status_code == 403  # read-only
    for who in ("cadre", "prop", "buddy"):
        refused = post(client, who)
        assert refused.status_code == 403 and "may not record patrols" in refused.json()[
            "detail"], who
    assert post(client, "duty2").status_code == 403  # z1 is beiwaitan's
    named = post(client, "duty", chief_id="p-com")
    assert named.status_code == 201 and named.json()["chief_id"] == "p-com"
    wrong = post(client, "duty", chief_id="p-gov2")
    assert wrong.status_code == 422 and "not a chief of zone 'z1'" in wrong.json()["detail"]
    assert post(client, "duty").json()["chief_id"] == "p-duty"  # recorded as themselves
    assert post(client, "boss", zone_id="z2", coords=[[121.49, 31.27], [121.50, 31.27]]
                ).json()["road_ids"] == ["r9"]
    assert store.count("patrols") == 3


def test_ptl005_list_tracks_as_geojson_within_scope(api):
    client, _ = api
    first = post(client, "chief").json()
    other = post(client, "boss", zone_id="z2", coords=[[121.49, 31.27], [121.50, 31.27]]).json()
    everything = client.get("/api/v1/patrols", headers=as_user(client.tokens, "boss")).json()
    assert everything["type"] == "FeatureCollection" and everything["numberMatched"] == 2
    feature = next(f for f in everything["features"] if f["id"] == first["id"])
    assert feature["geometry"]["type"] == "LineString"
    assert feature["properties"]["road_ids"] == ["r1", "r2"]
    assert feature["properties"]["started_at"].startswith("2026-03-02T01:00:00")
    chief = client.get("/api/v1/patrols", headers=as_user(client.tokens, "chief")).json()
    assert [f["id"] for f in chief["features"]] == [first["id"]]
    officer = client.get("/api/v1/patrols", headers=as_user(client.tokens, "duty2")).json()
    assert [f["id"] for f in officer["features"]] == [other["id"]]
    zone = client.get("/api/v1/patrols", params={"zone": "z1"},
                      headers=as_user(client.tokens, "duty2"))
    assert zone.status_code == 403
    unknown = client.get("/api/v1/patrols", params={"zone": "z404"},
                         headers=as_user(client.tokens, "boss"))
    assert unknown.status_code == 404
    later = client.get("/api/v1/patrols", params={"since": T0.isoformat()},
                       headers=as_user(client.tokens, "boss")).json()
    assert later["numberMatched"] == 0
