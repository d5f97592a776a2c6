"""Incidents under /api/v1: the whole loop, the refusals' bodies, scope, audit and live events."""

from __future__ import annotations

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from tests._live_fixtures import add_other_neighborhood, load_district
from twin_dashboard.app import create_app, services_of_app
from twin_dashboard.config import Settings
from twin_dashboard.domain.accounts import issue_api_token
from twin_dashboard.domain.ingest import Ingestor
from twin_dashboard.live.hub import FeedEvent, is_empty, merge
from twin_dashboard.live.sla import BREACHED, SlaWatch
from twin_dashboard.store.base import Scope
from twin_dashboard.testing import FixedClock, add_user

T0 = pd.Timestamp("2026-03-02T02:00:00Z")
YUNFANG = {"lon": 121.45, "lat": 31.25}  # inside yunfang (121.4–121.5), beiwaitan
# account: (role, area, linked person)
ACCOUNTS = {
    "prop": ("property", {"neighborhoods": ("yunfang",)}, None),
    "cadre": ("cadre", {"neighborhoods": ("yunfang",)}, "p-cadre"),
    "cadre-other": ("cadre", {"neighborhoods": ("other",)}, None),
    "officer": ("officer", {"subdistrict": "beiwaitan"}, "p-duty"),
    "boss": ("commander", {}, None),
    "root": ("admin", {}, None),
}


@pytest.fixture
def api(tmp_path):
    """An app on a tiny district (yunfang and other in beiwaitan) with a token per account."""
    clock = FixedClock(T0)
    app = create_app(Settings(db_url=f"sqlite:///{tmp_path}/i.db", simulate=False), seed=False,
                     clock=clock)
    services = services_of_app(app)
    load_district(services.store)
    add_other_neighborhood(services.store)
    published: list[dict] = []
    services.hub.publish_incident = published.append  # what open screens would be sent
    tokens = {}
    for name, (role, area, person) in ACCOUNTS.items():
        add_user(services.store, name, role, person=person, **area)
        tokens[name] = issue_api_token(services.store, name, T0)
    with TestClient(app.server, base_url="http://localhost") as client:
        yield Api(client, tokens, clock, services, published)


class Api:
    def __init__(self, client, tokens, clock, services, published):
        self.client, self.tokens, self.clock = client, tokens, clock
        self.services, self.published = services, published

    def as_(self, who: str, method: str, url: str, **kw):
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return self.client.request(method, f"/api/v1{url}", headers=headers, **kw)

    def report(self, who: str = "officer", **body) -> str:
        body = {"kind": "leak", "title": "楼道漏水", "source": "hotline", **YUNFANG, **body}
        response = self.as_(who, "POST", "/incidents", json=body)
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def step(self, who: str, incident_id: str, action: str, minutes: int, **body):
        self.clock.at = T0 + pd.Timedelta(minutes=minutes)
        response = self.as_(who, "POST", f"/incidents/{incident_id}/{action}",
                            json=body or None)
        assert response.status_code == 200, (who, action, response.text)
        return response.json()


def test_inc001_the_whole_loop_property_escalates_cadre_resolves_officer_closes(api):
    incident_id = api.report()
    assert incident_id == "inc-000001"
    mine = api.as_("prop", "GET", "/incidents").json()
    assert [i["id"] for i in mine["incidents"]] == [incident_id]
    assert mine["incidents"][0]["allowed"] == []  # reported: the officer dispatches first
    assert api.as_("officer", "GET", f"/incidents/{incident_id}").json()["allowed"] == [
        "dispatch"]
    api.step("officer", incident_id, "dispatch", 5, level="property")
    api.step("prop", incident_id, "accept", 10)
    api.step("prop", incident_id, "start", 15)
    up = api.step("prop", incident_id, "escalate", 60, reason="需居委协调")
    assert (up["status"], up["level"], up["assignee"]) == ("dispatched", "committee", None)
    assert up["sla_due_at"].startswith("2026-03-05T03:00:00")  # 72 h from the escalation
    assert api.as_("prop", "GET", f"/incidents/{incident_id}").status_code == 403  # not theirs
    assert api.as_("prop", "GET", "/incidents").json()["count"] == 0
    api.step("cadre", incident_id, "accept", 70)
    api.step("cadre", incident_id, "start", 80)
    done = api.step("cadre", incident_id, "resolve", 120, note="已修复")
    assert done["allowed"] == []  # the cadre neither verifies nor reopens
    api.step("officer", incident_id, "verify", 180)
    closed = api.step("officer", incident_id, "close", 181)
    assert (closed["status"], closed["level"], closed["allowed"]) == (
        "closed", "committee", ["reopen"])
    steps = [(s["action"], s["level"], s["actor"]) for s in closed["steps"]]
    assert steps == [
        ("report", "property", "p-duty"), ("dispatch", "property", "p-duty"),
        ("accept", "property", "prop"), ("start", "property", "prop"),
        ("escalate", "committee", "prop"), ("accept", "committee", "p-cadre"),
        ("start", "committee", "p-cadre"), ("resolve", "committee", "p-cadre"),
        ("verify", "committee", "p-duty"), ("close", "committee", "p-duty")]
    assert closed["steps"][4]["note"] == "需居委协调" and closed["steps"][7]["note"] == "已修复"
    assert closed["closed_at"].startswith("2026-03-02T05:01:00")
    trail = [e["action"] for e in api.as_("root", "GET", "/audit").json()
             if e["action"].startswith("incident.")]
    assert trail == ["incident.report", "incident.dispatch", "incident.accept", "incident.start",
                     "incident.escalate", "incident.accept", "incident.start",
                     "incident.resolve", "incident.verify", "incident.close"]
    assert [(p["action"], p["status"], p["level"]) for p in api.published][-2:] == [
        ("verify", "resolved", "committee"), ("close", "closed", "committee")]
    assert api.published[-1]["neighborhood_id"] == "yunfang"
    assert api.published[-1]["actor"] == "p-duty"


def test_inc002_refusals_say_why_and_what_is_allowed(api):
    incident_id = api.report()
    early = api.as_("officer", "POST", f"/incidents/{incident_id}/resolve")
    assert early.status_code == 409
    assert early.json()["allowed"] == ["dispatch"] and "reported" in early.json()["detail"]
    not_role = api.as_("cadre", "POST", f"/incidents/{incident_id}/dispatch")
    assert not_role.status_code == 403
    assert not_role.json() == {"detail": not_role.json()["detail"], "allowed": []}
    assert "may not dispatch" in not_role.json()["detail"]
    api.step("officer", incident_id, "dispatch", 1, level="committee")
    twice = api.as_("officer", "POST", f"/incidents/{incident_id}/dispatch")
    assert twice.status_code == 409 and twice.json()["allowed"] == ["accept", "escalate"]
    missing = api.as_("officer", "POST", "/incidents/inc-999999/accept")
    assert missing.status_code == 404 and "'inc-999999'" in missing.json()["detail"]
    assert api.as_("officer", "GET", "/incidents/inc-999999").status_code == 404
    for body in (None, {}, {"reason": ""}):
        bad = api.as_("cadre", "POST", f"/incidents/{incident_id}/escalate", json=body)
        assert bad.status_code == 422, body
    wrong_level = api.as_("officer", "POST", f"/incidents/{incident_id}/reopen",
                          json={"reason": "x"})
    assert wrong_level.status_code == 409 and wrong_level.json()["allowed"] == [
        "accept", "escalate"]
    ghost = api.report()
    bad_assignee = api.as_("officer", "POST", f"/incidents/{ghost}/dispatch",
                           json={"assignee": "p-ghost"})
    assert bad_assignee.status_code == 404 and "'p-ghost'" in bad_assignee.json()["detail"]
    assert api.as_("root", "POST", f"/incidents/{incident_id}/accept").status_code == 403


@pytest.mark.parametrize("body,words", [
    ({"kind": "leak", "title": "t", "source": "hotline"}, "neighborhood_id, or lon and lat"),
    ({"kind": "leak", "title": "t", "source": "rumour", "neighborhood_id": "yunfang"}, "source"),
    ({"kind": "leak", "title": "", "source": "hotline", "neighborhood_id": "yunfang"}, "title"),
    ({"kind": "leak", "title": "t", "source": "hotline", "lon": 100.0, "lat": 20.0},
     "lies in no neighborhood"),
    ({"kind": "leak", "title": "t", "source": "hotline", "neighborhood_id": "nowhere"},
     "'nowhere'"),  # an id that names nothing: 404 (issue 12)
    ({"kind": "leak", "title": "t", "source": "hotline", "neighborhood_id": "yunfang",
      "level": "mayor"}, "level"),
])
def test_inc003_a_bad_report_is_422_naming_the_problem(api, body, words):
    response = api.as_("officer", "POST", "/incidents", json=body)
    assert response.status_code == (404 if body.get("neighborhood_id") == "nowhere" else 422)
    assert words in str(response.json()["detail"])
    assert api.services.store.count("incidents") == 0


def test_inc004_scope_lists_objects_and_reports(api):
    here = api.report(neighborhood_id="yunfang", lon=None, lat=None)
    there = api.report(neighborhood_id="other", lon=None, lat=None, level="committee")
    listed = api.as_("officer", "GET", "/incidents").json()
    assert [i["id"] for i in listed["incidents"]] == [there, here]  # same time: higher id first
    assert [i["id"] for i in api.as_("cadre-other", "GET", "/incidents").json()[
        "incidents"]] == [there]
    assert api.as_("cadre-other", "GET", f"/incidents/{here}").status_code == 403
    outside = api.as_("cadre-other", "POST", "/incidents",
                      json={"kind": "k", "title": "t", "source": "resident", **YUNFANG})
    assert outside.status_code == 403 and "outside the scope" in outside.json()["detail"]
    assert api.as_("cadre", "GET", "/incidents", params={"neighborhood": "other"}
                   ).status_code == 403
    assert api.as_("root", "POST", "/incidents", json={
        "kind": "k", "title": "t", "source": "resident", **YUNFANG}).status_code == 403
    assert api.as_("prop", "GET", "/incidents").json()["count"] == 1  # property level only
    by = {"level": "committee"}, {"status": "reported,closed"}, {"source": "hotline"}
    counts = [api.as_("boss", "GET", "/incidents", params=p).json()["count"] for p in by]
    assert counts == [1, 2, 2]
    bad = api.as_("boss", "GET", "/incidents", params={"status": "opne"})
    assert bad.status_code == 422 and "'opne'" in str(bad.json()["detail"])


def test_inc005_overdue_follows_the_clock_and_the_level(api):
    incident_id = api.report()
    api.clock.at = T0 + pd.Timedelta(hours=25)  # property level: 24 h
    row = api.as_("officer", "GET", f"/incidents/{incident_id}").json()
    assert row["overdue"] is True and row["sla_due_at"].startswith("2026-03-03T02:00:00")


def test_inc006_an_alarm_opens_its_incident_through_the_same_path(api):
    ingestor = Ingestor(api.services.store, clock=api.clock)
    alarm_id = ingestor.ingest([{"reading_id": "s1", "device_id": "h1-smoke", "ts": T0,
                                 "event": "smoke"}]).alarms[0]
    api.report()
    response = api.as_("cadre", "POST", f"/alarms/{alarm_id}/incident")
    assert response.status_code == 201 and response.json()["incident_id"] == "inc-000002"
    detail = api.as_("cadre", "GET", "/incidents/inc-000002").json()
    assert (detail["source"], detail["level"], detail["allowed"]) == ("sensor", "committee", [])
    assert api.published[-1]["id"] == "inc-000002" and api.published[-1]["action"] == "report"


def test_inc007_live_events_carry_incidents_to_screens_of_their_place():
    change = {"id": "inc-000001", "status": "dispatched", "subdistrict_id": "beiwaitan",
              "neighborhood_id": "yunfang"}
    event = FeedEvent(3, "t", {}, [], {}, incidents=[change])
    assert event.payload(Scope.of("beiwaitan"))["incidents"] == [change]
    elsewhere = event.payload(Scope.of("ouyanglu"))
    assert "incidents" not in elsewhere and is_empty(elsewhere)
    assert not is_empty(event.payload(Scope()))
    merged = merge([event.payload(Scope()), {**event.payload(Scope()), "seq": 4}])
    assert merged is not None and len(merged["incidents"]) == 2


def test_inc008_an_sla_breach_goes_out_once_when_the_due_time_passes(api):
    watch = SlaWatch(api.services)  # started at T0
    incident_id = api.report()  # property level: due T0 + 24 h
    api.published.clear()
    api.clock.at = T0 + pd.Timedelta(hours=23)
    assert watch.tick() == [] and api.published == []
    api.clock.at = T0 + pd.Timedelta(hours=24, minutes=1)
    assert watch.tick() == [incident_id]
    (event,) = api.published
    assert (event["id"], event["action"], event["neighborhood_id"]) == (
        incident_id, BREACHED, "yunfang")
    api.clock.at = T0 + pd.Timedelta(hours=25)
    assert watch.tick() == []  # announced once
    late = SlaWatch(api.services)  # a server started after the breach: screens read it anyway
    api.clock.at = T0 + pd.Timedelta(hours=26)
    assert late.tick() == []


def test_inc009_a_closed_incident_is_not_announced_as_breached(api):
    watch = SlaWatch(api.services)
    incident_id = api.report()
    for who, action, minutes in (("officer", "dispatch", 1), ("prop", "accept", 2),
                                 ("prop", "start", 3), ("prop", "resolve", 4),
                                 ("officer", "verify", 5), ("officer", "close", 6)):
        body = {"level": "property"} if action == "dispatch" else {}
        if action == "resolve":
            body = {"note": "修好了"}
        api.step(who, incident_id, action, minutes, **body)
    api.clock.at = T0 + pd.Timedelta(days=3)
    assert watch.tick() == []
