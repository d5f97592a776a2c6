"""Alarms and inboxes under /api/v1: scope, ack/escalate/close/incident with who and when."""

from __future__ import annotations

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from tests._live_fixtures import add_other_neighborhood, load_district
from twin_dashboard.app import create_app, services_of_app
from twin_dashboard.config import Settings
from twin_dashboard.domain.accounts import issue_api_token
from twin_dashboard.domain.ingest import Ingestor
from twin_dashboard.testing import FixedClock, add_user

T0 = pd.Timestamp("2026-03-02T02:00:00Z")


@pytest.fixture
def api(tmp_path):
    """An app on a tiny district with one smoke alarm (h1, yunfang) raised at T0."""
    clock = FixedClock(T0)
    app = create_app(Settings(db_url=f"sqlite:///{tmp_path}/a.db", simulate=False), seed=False,
                     clock=clock)
    store = services_of_app(app).store
    load_district(store)
    add_other_neighborhood(store)
    ingestor = Ingestor(store, clock=clock)
    alarm_id = ingestor.ingest([{"reading_id": "s1", "device_id": "h1-smoke", "ts": T0,
                                 "event": "smoke"}]).alarms[0]
    with TestClient(app.server, base_url="http://localhost") as client:
        client.tokens = people_with_tokens(store)
        client.headers["Authorization"] = f"Bearer {client.tokens['boss']}"  # a commander
        yield client, store, clock, ingestor, alarm_id


def people_with_tokens(store) -> dict[str, str]:
    """An account with a personal API token per person of the tiny district, and a commander
    ("boss") and an admin ("root") linked to nobody."""
    accounts = {"p-cadre": ("cadre", {"neighborhoods": ("yunfang",)}),
                "p-buddy": ("buddy", {}), "p-duty": ("officer", {"subdistrict": "beiwaitan"}),
                "p-elder": ("officer", {"subdistrict": "beiwaitan"}),
                "boss": ("commander", {}), "root": ("admin", {})}
    tokens = {}
    for name, (role, area) in accounts.items():
        add_user(store, name, role, person=name if name.startswith("p-") else None, **area)
        tokens[name] = issue_api_token(store, name, T0)
    return tokens


def actor(client: TestClient, person: str) -> dict[str, str]:
    """Headers that make ``person`` (their account's personal token) the caller."""
    return {"Authorization": f"Bearer {client.tokens[person]}"}


def test_alm001_list_within_scope_newest_first(api):
    client, _, clock, ingestor, alarm_id = api
    later = T0 + pd.Timedelta(minutes=1)
    other = ingestor.ingest([{"reading_id": "g1", "device_id": "o-gas", "ts": later,
                              "event": "gas"}]).alarms[0]
    everything = client.get("/api/v1/alarms").json()
    assert everything["count"] == 2
    assert [a["id"] for a in everything["alarms"]] == [other, alarm_id]
    mine = client.get("/api/v1/alarms", params={"neighborhood": "yunfang"}).json()
    assert [a["id"] for a in mine["alarms"]] == [alarm_id]
    assert mine["alarms"][0]["raised_at"].startswith("2026-03-02T02:00:00")
    theirs = client.get("/api/v1/alarms", params={"neighborhood": "other"}).json()
    assert [a["id"] for a in theirs["alarms"]] == [other]
    bad = client.get("/api/v1/alarms", params={"neighborhood": "nowhere"})
    assert bad.status_code == 404 and "nowhere" in bad.json()["detail"]  # names nothing
    assert client.get("/api/v1/alarms", params={"status": "closed"}).json()["count"] == 0
    wrong = client.get("/api/v1/alarms", params={"status": "opne"})
    assert wrong.status_code == 422 and "'opne'" in str(wrong.json()["detail"])


def test_alm002_ack_records_who_and_when_and_leaves_the_open_list(api):
    client, store, clock, _, alarm_id = api
    clock.at = T0 + pd.Timedelta(minutes=3)
    response = client.post(f"/api/v1/alarms/{alarm_id}/ack", headers=actor(client, "p-buddy"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["acked_by"]) == ("acknowledged", "p-buddy")
    assert pd.Timestamp(body["acked_at"]) == clock.at
    step = body["steps"][-1]
    assert (step["action"], step["actor"], pd.Timestamp(step["ts"])) == (
        "acknowledged", "p-buddy", clock.at)
    assert client.get("/api/v1/alarms").json()["count"] == 0
    assert client.get("/api/v1/inbox/p-cadre").json()["count"] == 0
    detail = client.get(f"/api/v1/alarms/{alarm_id}").json()
    assert [s["action"] for s in detail["steps"]] == ["raised", "notified", "notified",
                                                      "acknowledged"]
    assert {r["person_id"] for r in detail["recipients"]} == {"p-cadre", "p-buddy"}


def test_alm003_escalate_goes_to_the_duty_officer(api):
    client, _, clock, _, alarm_id = api
    assert client.get("/api/v1/inbox/p-duty").json()["count"] == 0
    response = client.post(f"/api/v1/alarms/{alarm_id}/escalate", headers=actor(client, "p-cadre"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "escalated"
    assert [(s["action"], s["actor"], s["person_id"]) for s in body["steps"][-2:]] == [
        ("escalated", "p-cadre", None), ("escalated_to", "system", "p-duty")]
    inbox = client.get("/api/v1/inbox/p-duty").json()
    assert inbox["count"] == 1 and inbox["alarms"][0]["role"] == "duty_officer"
    again = client.post(f"/api/v1/alarms/{alarm_id}/escalate", headers=actor(client, "p-cadre"))
    assert again.status_code == 409 and "escalated" in again.json()["detail"]
    # the duty officer, now a recipient, may acknowledge it
    assert client.post(f"/api/v1/alarms/{alarm_id}/ack",
                       headers=actor(client, "p-duty")).status_code == 200


def test_alm004_close_then_ack_is_409(api):
    client, _, _, _, alarm_id = api
    closed = client.post(f"/api/v1/alarms/{alarm_id}/close", headers=actor(client, "p-cadre"),
                         json={"note": "visited: toast burnt"})
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    assert closed.json()["steps"][-1]["note"] == "visited: toast burnt"
    late = client.post(f"/api/v1/alarms/{alarm_id}/ack", headers=actor(client, "p-buddy"))
    assert late.status_code == 409
    assert "closed" in late.json()["detail"] and alarm_id in late.json()["detail"]


def test_alm005_incident_from_alarm(api):
    client, store, _, _, alarm_id = api
    response = client.post(f"/api/v1/alarms/{alarm_id}/incident", headers=actor(client, "p-cadre"),
                           json={"level": "property"})
    assert response.status_code == 201, response.text
    body = response.json()
    incident = store.read_records("incidents", where={"id": body["incident_id"]})
    assert len(incident) == 1
    assert (incident["source"].iloc[0], incident["level"].iloc[0]) == ("sensor", "property")
    assert body["alarm"]["incident_id"] == body["incident_id"]
    assert body["alarm"]["steps"][-1]["action"] == "incident"
    twice = client.post(f"/api/v1/alarms/{alarm_id}/incident", headers=actor(client, "p-cadre"))
    assert twice.status_code == 409 and "already" in twice.json()["detail"]
    bad_level = client.post(f"/api/v1/alarms/{alarm_id}/incident", headers=actor(client, "p-cadre"),
                            json={"level": "mayor"})
    assert bad_level.status_code == 422


@pytest.mark.parametrize("path", ["ack", "escalate", "close", "incident"])
def test_alm006_unknown_alarm_is_404_and_actor_is_checked(api, path):
    client, _, _, _, alarm_id = api
    missing = client.post(f"/api/v1/alarms/nope/{path}", headers=actor(client, "p-cadre"))
    assert missing.status_code == 404 and "'nope'" in missing.json()["detail"]
    anonymous = client.post(f"/api/v1/alarms/{alarm_id}/{path}", headers={"Authorization": ""})
    assert anonymous.status_code == 401
    unlinked = client.post(f"/api/v1/alarms/{alarm_id}/{path}", headers=actor(client, "boss"))
    assert unlinked.status_code == 403 and "not linked to a person" in unlinked.json()["detail"]
    admin = client.post(f"/api/v1/alarms/{alarm_id}/{path}", headers=actor(client, "root"))
    assert admin.status_code == 403 and "read-only" in admin.json()["detail"]


def test_alm007_only_recipients_ack_or_close(api):
    client, _, _, _, alarm_id = api
    for path in ("ack", "close"):
        response = client.post(f"/api/v1/alarms/{alarm_id}/{path}",
                               headers=actor(client, "p-elder"))
        assert response.status_code == 403 and "'p-elder'" in response.json()["detail"]
    assert client.get("/api/v1/alarms").json()["count"] == 1


def test_alm008_inbox_with_count_and_unknown_person(api):
    client, _, _, _, alarm_id = api
    inbox = client.get("/api/v1/inbox/p-cadre").json()
    assert inbox == {"person_id": "p-cadre", "count": 1, "alarms": [
        {**client.get("/api/v1/alarms").json()["alarms"][0], "role": "cadre"}]}
    assert client.get("/api/v1/alarms/nope").status_code == 404
    missing = client.get("/api/v1/inbox/p-ghost")
    assert missing.status_code == 404 and "'p-ghost'" in missing.json()["detail"]


def test_alm009_openapi_describes_the_models(api):
    client, *_ = api
    doc = client.get("/api/v1/openapi.json").json()
    paths = doc["paths"]
    for path in ("/api/v1/alarms", "/api/v1/alarms/{alarm_id}", "/api/v1/alarms/{alarm_id}/ack",
                 "/api/v1/alarms/{alarm_id}/escalate", "/api/v1/alarms/{alarm_id}/close",
                 "/api/v1/alarms/{alarm_id}/incident", "/api/v1/inbox/{person_id}",
                 "/api/v1/live"):
        assert path in paths, path
    ack = paths["/api/v1/alarms/{alarm_id}/ack"]["post"]
    assert {"200", "403", "404", "409"} <= set(ack["responses"])
    assert not any(p["name"] == "x-actor" for p in ack.get("parameters", []))
    assert "401" in ack["responses"]
    schemas = doc["components"]["schemas"]
    assert {"AlarmDetail", "Step", "Inbox", "AlarmList"} <= set(schemas)
    assert "text/event-stream" in paths["/api/v1/live"]["get"]["responses"]["200"]["content"]
