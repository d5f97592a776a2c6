"""POST /api/v1/readings: stored, idempotent, all-or-nothing, authenticated, size-limited."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tests._live_fixtures import iso_now, load_district, reading
from twin_dashboard.app import create_app, services_of_app
from twin_dashboard.config import Settings
from twin_dashboard.domain.tokens import create_token, revoke_token

URL = "/api/v1/readings"


@pytest.fixture
def api(store_url):
    app = create_app(Settings(db_url=store_url, simulate=False), seed=False)
    store = services_of_app(app).store
    load_district(store)
    token = create_token(store, "gw-test")
    with TestClient(app.server, base_url="http://localhost") as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield client, store


def stored(store) -> int:
    return store.count("readings")


def test_valid_batch_is_stored_and_repeat_stores_nothing(api):
    client, store = api
    batch = [reading(i, battery=0.9, event="heartbeat") for i in range(3)]
    first = client.post(URL, json=batch)
    assert first.status_code == 200, first.text
    assert first.json() == {"accepted": 3, "duplicates": 0, "alarms": []}
    again = client.post(URL, json=batch)
    assert again.json() == {"accepted": 0, "duplicates": 3, "alarms": []}
    assert stored(store) == 3
    status = store.read_records("device_status", where={"device_id": "park-1"})
    assert list(status["state"]) == ["normal"] and status["battery"].iloc[0] == 0.9
    assert "sensors" in set(store.sources()["name"])


def test_one_bad_item_refuses_the_whole_batch(api):
    client, store = api
    batch = [reading(0), reading(1, ts="2026-01-01T08:00:00"), reading(2, battery=1.5),
             reading(3, event="boom"), reading(4, colour="red")]
    response = client.post(URL, json=batch)
    assert response.status_code == 422
    body = response.json()
    errors = {(e["index"], e["field"]) for e in body["errors"]}
    assert errors == {(1, "ts"), (2, "battery"), (3, "event"), (4, "colour")}
    assert "timezone" in body["errors"][0]["reason"] and body["error_count"] == 4
    assert stored(store) == 0


def test_unknown_device_and_future_time_are_refused_per_item(api):
    client, store = api
    batch = [reading(0), reading(1, device="nope"), reading(2, ts=iso_now(600)),
             reading(3, ts=iso_now(120))]  # within the 5-minute tolerance
    response = client.post(URL, json=batch)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["index"], e["field"]) for e in errors] == [(1, "device_id"), (2, "ts")]
    assert "unknown device 'nope'" in errors[0]["reason"]
    assert stored(store) == 0


def test_ndjson_and_json_both(api):
    client, store = api
    lines = "\n".join(json.dumps(reading(f"n{i}", event="heartbeat")) for i in range(4))
    response = client.post(URL, content=lines + "\n",
                           headers={"Content-Type": "application/x-ndjson"})
    assert response.json()["accepted"] == 4
    bad = lines + "\n{not json}\n"
    refused = client.post(URL, content=bad, headers={"Content-Type": "application/x-ndjson"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["index"] == 4
    assert stored(store) == 4


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic abc", "Bearer "])
def test_bad_or_missing_token_is_401(api, header):
    client, store = api
    headers = {"Authorization": header} if header else {}
    if header is None:
        client.headers.pop("Authorization")
    response = client.post(URL, json=[reading(0)], headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert stored(store) == 0


def test_revoked_token_is_401(api):
    client, store = api
    revoke_token(store, "gw-test")
    assert client.post(URL, json=[reading(0)]).status_code == 401


def test_oversize_body_is_413_before_parsing(api):
    client, store = api
    huge = b"[" + b" " * (Settings.max_batch_bytes + 10) + b"]"
    assert client.post(URL, content=huge,
                       headers={"Content-Type": "application/json"}).status_code == 413

    def chunks():  # no Content-Length: the limit holds while streaming too
        for _ in range(Settings.max_batch_bytes // 65536 + 2):
            yield b" " * 65536

    assert client.post(URL, content=chunks(),
                       headers={"Content-Type": "application/json"}).status_code == 413
    assert stored(store) == 0


def test_unsupported_content_type_is_415(api):
    client, _ = api
    response = client.post(URL, content="x", headers={"Content-Type": "text/csv"})
    assert response.status_code == 415


def test_smoke_raises_a_routed_alarm_once(api):
    client, store = api
    response = client.post(URL, json=[reading(0, "h1-smoke", event="smoke"),
                                      reading(1, "h1-smoke", event="smoke")])
    assert len(response.json()["alarms"]) == 1
    alarm = store.read_records("alarms").iloc[0]
    assert (alarm["rule"], alarm["severity"], alarm["household_id"]) == ("smoke", "critical", "h1")
    inbox = store.read_records("alarm_inbox")
    assert set(inbox["person_id"]) == {"p-cadre", "p-buddy"}
    assert client.post(URL, json=[reading(2, "h1-smoke", event="smoke")]).json()["alarms"] == []


def test_request_schema_is_in_openapi(api):
    client, _ = api
    doc = client.app.openapi()  # the document itself is for signed-in callers; a gateway's
    post = doc["paths"][URL]["post"]  # token only posts readings
    content = post["requestBody"]["content"]
    assert {"application/json", "application/x-ndjson"} <= set(content)
    item = content["application/json"]["schema"]["items"]
    assert {"reading_id", "device_id", "ts"} <= set(item["required"])
    assert set(post["responses"]) >= {"200", "401", "413", "422"}


def test_fail001_the_same_reading_id_from_two_gateways_is_two_readings(api):
    """reading_id is unique per gateway stream: a second gateway's r0 is not a duplicate."""
    client, store = api
    other = create_token(store, "gw-other")
    batch = [reading(i, event="heartbeat") for i in range(3)]
    assert client.post(URL, json=batch).json()["accepted"] == 3
    second = client.post(URL, json=batch, headers={"Authorization": f"Bearer {other}"})
    assert second.status_code == 200
    assert second.json() == {"accepted": 3, "duplicates": 0, "alarms": []}
    again = client.post(URL, json=batch, headers={"Authorization": f"Bearer {other}"})
    assert again.json()["duplicates"] == 3
    assert stored(store) == 6
    rows = store.read_records("readings")
    assert sorted(set(rows["gateway"])) == ["gw-other", "gw-test"]


def test_fail005_readings_older_than_the_window_are_refused_per_item(api):
    """Year 0001 was stored; now anything more than 7 days old is refused by name."""
    client, store = api
    batch = [reading(0), reading(1, ts="0001-01-01T00:00:00+00:00"),
             reading(2, ts=iso_now(-8 * 86400)), reading(3, ts=iso_now(-6 * 86400))]
    response = client.post(URL, json=batch)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["index"], e["field"]) for e in errors] == [(1, "ts"), (2, "ts")]
    assert "more than 7 days before server time (0001-01-01T00:00:00+00:00)" in \
        errors[0]["reason"]
    assert stored(store) == 0
    assert client.post(URL, json=[reading(0), reading(3, ts=iso_now(-6 * 86400))]
                       ).json()["accepted"] == 2


def test_fail005_the_window_is_a_setting(tmp_path):
    from datetime import timedelta

    app = create_app(Settings(db_url=f"sqlite:///{tmp_path}/w.db", simulate=False,
                              max_reading_age=timedelta(hours=1)), seed=False)
    store = services_of_app(app).store
    load_district(store)
    token = create_token(store, "gw")
    with TestClient(app.server, base_url="http://localhost") as client:
        response = client.post(URL, json=[reading(0, ts=iso_now(-2 * 3600))],
                               headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422
    assert "more than 1 hour before server time" in response.json()["errors"][0]["reason"]
