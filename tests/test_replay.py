"""Time replay: the figures as they stood (domain/replay.py), GET /api/v1/summary?at= and
GET /api/v1/replay/delta — an incident's loop, an alarm acknowledged later, a device going
silent, scope and refusals, and the size of a step."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from tests._live_fixtures import add_other_neighborhood, devices_frame, load_district
from twin_dashboard.app import create_app, services_of_app
from twin_dashboard.config import Settings
from twin_dashboard.domain.accounts import issue_api_token
from twin_dashboard.domain.ingest import Ingestor
from twin_dashboard.domain.replay import (
    REPLAY_DAYS,
    alarms_at,
    incidents_at,
    replay_delta,
    replay_time,
    summary_at,
)
from twin_dashboard.domain.summary import summarize
from twin_dashboard.store.base import ALL, Scope
from twin_dashboard.testing import FixedClock, add_user

T0 = pd.Timestamp("2026-03-02T02:00:00Z")
YUNFANG = {"lon": 121.45, "lat": 31.25}
ACCOUNTS = {
    "officer": ("officer", {"subdistrict": "beiwaitan"}, "p-duty"),
    "prop": ("property", {"neighborhoods": ("yunfang",)}, None),
    "cadre": ("cadre", {"neighborhoods": ("yunfang",)}, "p-cadre"),
    "cadre-other": ("cadre", {"neighborhoods": ("other",)}, None),
}


def at(minutes: float) -> pd.Timestamp:
    return T0 + pd.Timedelta(minutes=minutes)


class World:
    """An app on the tiny district whose history the tests write with a moving clock."""

    def __init__(self, client, services, clock, tokens):
        self.client, self.services, self.clock, self.tokens = client, services, clock, tokens
        self.ingest = Ingestor(services.store, clock=clock)

    def as_(self, who: str, method: str, url: str, **kw):
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return self.client.request(method, f"/api/v1{url}", headers=headers, **kw)

    def step(self, who: str, url: str, minutes: float, **body):
        self.clock.at = at(minutes)
        response = self.as_(who, "POST", url, json=body or None)
        assert response.status_code in (200, 201), (url, response.text)
        return response.json()

    def summary(self, who: str = "officer", **params):
        return self.as_(who, "GET", "/summary", params=params)


@pytest.fixture
def world(tmp_path):
    """The history: a smoke alarm at +5 min acknowledged at +30; an incident reported at 0,
    dispatched +5, escalated +60, resolved +120, closed +181; park-1 heard only at 0 (its
    heartbeat window is 2 h), mh-1 heard at 0 and in alarm at +240. Now is +2 days."""
    clock = FixedClock(T0)
    app = create_app(Settings(db_url=f"sqlite:///{tmp_path}/r.db", simulate=False), seed=False,
                     clock=clock)
    services = services_of_app(app)
    load_district(services.store)
    add_other_neighborhood(services.store)
    tokens = {}
    for name, (role, area, person) in ACCOUNTS.items():
        add_user(services.store, name, role, person=person, **area)
        tokens[name] = issue_api_token(services.store, name, T0)
    with TestClient(app.server, base_url="http://localhost") as client:
        w = World(client, services, clock, tokens)
        w.ingest.ingest([{"reading_id": "p0", "device_id": "park-1", "ts": T0,
                          "event": "heartbeat"},
                         {"reading_id": "m0", "device_id": "mh-1", "ts": T0,
                          "event": "heartbeat"}])
        inc = w.step("officer", "/incidents", 0, kind="leak", title="楼道漏水",
                     source="hotline", **YUNFANG)["id"]
        w.step("officer", f"/incidents/{inc}/dispatch", 5, level="property")
        clock.at = at(5)
        alarm = w.ingest.ingest([{"reading_id": "s1", "device_id": "h1-smoke", "ts": at(5),
                                  "event": "smoke"}]).alarms[0]
        w.step("prop", f"/incidents/{inc}/accept", 12)
        w.step("prop", f"/incidents/{inc}/start", 15)
        w.step("cadre", f"/alarms/{alarm}/ack", 30)
        w.step("prop", f"/incidents/{inc}/escalate", 60, reason="需居委协调")
        w.step("cadre", f"/incidents/{inc}/accept", 70)
        w.step("cadre", f"/incidents/{inc}/start", 80)
        w.step("cadre", f"/incidents/{inc}/resolve", 120, note="已修复")
        w.step("officer", f"/incidents/{inc}/verify", 180)
        w.step("officer", f"/incidents/{inc}/close", 181)
        clock.at = at(240)
        w.ingest.ingest([{"reading_id": "m1", "device_id": "mh-1", "ts": at(240),
                          "event": "alarm"}])
        clock.at = at(2 * 24 * 60)
        w.inc, w.alarm = inc, alarm
        yield w


# --- the rows as they stood -----------------------------------------------------------------

def test_rep001_an_incident_has_the_status_and_level_of_its_last_step_before_the_time(world):
    store = world.services.store
    rows = store.read_records("incidents")
    events = store.read_records("incident_events")
    seen = {}
    for minutes in (-1, 1, 10, 30, 90, 150, 200):
        frame = incidents_at(rows, events, at(minutes))
        seen[minutes] = tuple(frame[["status", "level"]].iloc[0]) if len(frame) else None
    assert seen == {-1: None, 1: ("reported", "property"), 10: ("dispatched", "property"),
                    30: ("in_progress", "property"), 90: ("in_progress", "committee"),
                    150: ("resolved", "committee"), 200: ("closed", "committee")}
    at_30 = incidents_at(rows, events, at(30)).iloc[0]
    assert pd.isna(at_30["resolved_at"]) and pd.isna(at_30["closed_at"])  # not yet
    # the escalation moved the deadline; before it, the property level's own (24 h from
    # the dispatch) applies, not the stored committee one
    assert at_30["sla_due_at"] == at(5) + pd.Timedelta(hours=24)
    assert rows.iloc[0]["sla_due_at"] == at(60) + pd.Timedelta(hours=72)


def test_rep002_an_alarm_acknowledged_later_was_open_before(world):
    alarms = world.services.store.read_records("alarms")
    status = {m: list(alarms_at(alarms, at(m))["status"]) for m in (0, 10, 29, 31)}
    assert status == {0: [], 10: ["open"], 29: ["open"], 31: ["acknowledged"]}
    assert pd.isna(alarms_at(alarms, at(10)).iloc[0]["acked_at"])


def test_rep003_devices_as_they_stood_going_silent_and_into_alarm(world):
    store = world.services.store

    def state(device: str, minutes: float) -> str:
        from twin_dashboard.domain.replay import device_states_at
        return device_states_at(store, ALL, at(minutes))[device]

    # park-1 was heard at 0 only: online for its 2 h window, offline after
    assert [state("park-1", m) for m in (-1, 60, 119, 121)] == [
        "offline", "normal", "normal", "offline"]
    # mh-1's stored row is its alarm at +240; before that, its readings are folded again
    assert [state("mh-1", m) for m in (60, 239, 241)] == ["normal", "normal", "alarm"]


# --- one source of truth --------------------------------------------------------------------

def test_rep004_the_summary_at_now_is_the_live_summary(world):
    store, now = world.services.store, world.clock.at
    for scope in (ALL, Scope.of("beiwaitan"), Scope.of(None, "other")):
        assert summary_at(store, scope, now) == summarize(store, scope, now)


def test_rep005_summary_at_a_time_between_the_steps(world):
    body = world.summary(at=at(90).isoformat()).json()
    assert body["as_of"] == at(90).isoformat()
    assert body["incidents"]["open"] == 1
    assert body["incidents"]["open_by_level"] == {"property": 0, "committee": 1,
                                                  "subdistrict": 0}
    assert body["incidents"]["funnel"]["committee"]["count"] == 0  # not resolved yet
    assert body["alarms"]["open"] == 0  # acknowledged at +30
    assert world.summary(at=at(20).isoformat()).json()["alarms"]["open"] == 1
    later = world.summary(at=at(200).isoformat()).json()
    assert later["incidents"]["open"] == 0
    assert later["incidents"]["funnel"]["committee"]["count"] == 1
    devices = world.summary(at=at(60).isoformat()).json()["devices"]["by_state"]
    # heard by +60: park-1 and mh-1 (normal), h1-smoke (alarm since +5); the rest never
    assert (devices["normal"], devices["alarm"], devices["offline"]) == (2, 1, 6)


# --- the API: scope and refusals ------------------------------------------------------------

def test_rep006_summary_at_keeps_to_the_callers_scope(world):
    mine = world.summary("cadre-other", at=at(90).isoformat()).json()
    assert mine["scope"]["neighborhood_ids"] == ["other"]
    assert mine["incidents"]["open"] == 0 and mine["devices"]["total"] == 1
    refused = world.summary("cadre-other", neighborhood="yunfang", at=at(90).isoformat())
    assert refused.status_code == 403
    assert world.as_("cadre-other", "GET", "/replay/delta",
                     params={"neighborhood": "yunfang"}).status_code == 403


@pytest.mark.parametrize(("value", "why"), [
    ("yesterday", "not an ISO 8601 time"),
    ("2026-13-40T00:00:00Z", "not an ISO 8601 time"),
    ("+3 days", "in the future"),
    ("-91 days", f"older than the {REPLAY_DAYS}-day"),
])
def test_rep007_a_bad_at_is_refused_with_422_naming_it(world, value, why):
    now = world.clock.at
    if value.startswith(("+", "-")):
        value = (now + pd.Timedelta(value.replace(" ", ""))).isoformat()
    for response in (world.summary(at=value),
                     world.as_("officer", "GET", "/replay/delta", params={"to": value}),
                     world.as_("officer", "GET", "/replay/delta", params={"from": value})):
        assert response.status_code == 422, response.text
        detail = response.json()["detail"]
        assert detail.startswith("at:") and why in detail, detail


def test_rep008_replay_time_reads_empty_as_live():
    assert replay_time(None, T0) is None and replay_time(" ", T0) is None
    assert replay_time("2026-03-02T10:00:00+08:00", T0 + pd.Timedelta(hours=1)) == T0


# --- steps ----------------------------------------------------------------------------------

def test_rep009_a_step_carries_what_changed_and_back_to_live_undoes_it(world):
    step = world.as_("officer", "GET", "/replay/delta",
                     params={"from": at(20).isoformat(), "to": at(250).isoformat()}).json()
    # mh-1 went into alarm at +240, park-1 silent past its 2 h window; h1-smoke stayed in alarm
    assert step["states"] == {"mh-1": "alarm", "park-1": "offline"}
    assert step["alarms_gone"] == [world.alarm]  # acknowledged: no longer open
    assert step["incidents_gone"] == [world.inc]  # closed
    new = [a["id"] for a in step["alarms"]]
    assert all(a["raised_at"] for a in step["alarms"]) and len(new) == 1  # mh-1's alarm
    back = world.as_("officer", "GET", "/replay/delta",
                     params={"from": at(20).isoformat()}).json()  # to now
    assert back["to"] == world.clock.at.isoformat()
    assert back["alarms_gone"] == [world.alarm] and back["incidents_gone"] == [world.inc]
    same = world.as_("officer", "GET", "/replay/delta",
                     params={"from": at(20).isoformat(), "to": at(20).isoformat()}).json()
    assert same["states"] == {} and same["alarms"] == [] and same["incidents"] == []


def test_rep010_a_step_with_200_changes_fits_the_live_budget(tmp_path):
    """≤ 10 KB for 200 devices changing state between two frames (DESIGN.md §4.3)."""
    clock = FixedClock(T0)
    app = create_app(Settings(db_url=f"sqlite:///{tmp_path}/b.db", simulate=False), seed=False,
                     clock=clock)
    store = services_of_app(app).store
    load_district(store, extra_devices=400)
    ingest = Ingestor(store, clock=clock)
    parking = [d for d in devices_frame(400)["id"] if d.startswith("p")]
    ingest.ingest([{"reading_id": f"a{d}", "device_id": d, "ts": T0, "event": "heartbeat"}
                   for d in parking])
    clock.at = at(10)
    ingest.ingest([{"reading_id": f"b{d}", "device_id": d, "ts": at(10), "event": "fault"}
                   for d in parking[:200]])
    step = replay_delta(store, ALL, at(5), at(15))
    assert len(step["states"]) == 200 and set(step["states"].values()) == {"fault"}
    size = len(json.dumps(step, separators=(",", ":")).encode())
    assert size <= 10_000, size


def test_rep011_the_feed_and_the_incident_table_follow_the_replayed_moment(world):
    from twin_dashboard.callbacks.feed import feed_panel
    from twin_dashboard.callbacks.incidents import rows
    from twin_dashboard.domain.access import Viewer

    services, officer = world.services, Viewer("officer", "officer", subdistricts=("beiwaitan",))
    assert [r["status"] for r in rows(services, officer, {}, "en")] == ["Closed"]
    at_10 = rows(services, officer, {}, "en", replay_at=at(10).isoformat())
    assert [(r["id"], r["status"], r["title"]) for r in at_10] == [
        (world.inc, "Dispatched", "Leak · 云舫")]  # (the fixture's places have no English)
    assert rows(services, officer, {}, "en", replay_at=at(-1).isoformat()) == []
    _, waiting_now = feed_panel(services, officer, {}, "desk", "en")
    _, waiting_at_10 = feed_panel(services, officer, {}, "desk", "en",
                                  replay_at=at(10).isoformat())
    _, waiting_at_31 = feed_panel(services, officer, {}, "desk", "en",
                                  replay_at=at(31).isoformat())
    # the smoke alarm was open at +10 min and acknowledged at +30 (no longer waiting); mh-1
    # went into alarm at +240 and is open now
    assert (waiting_at_10, waiting_at_31, waiting_now) == ("1", "0", "1")
