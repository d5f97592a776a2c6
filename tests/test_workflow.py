"""The incident workflow (domain/workflow.py): transitions by status, actions by role, SLA."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from tests._live_fixtures import load_district
from twin_dashboard.catalog import LEVELS
from twin_dashboard.domain import routing, workflow
from twin_dashboard.domain.access import OutOfScope, Viewer
from twin_dashboard.domain.ingest import Ingestor
from twin_dashboard.store.base import open_store
from twin_dashboard.testing import FixedClock

T0 = pd.Timestamp("2026-03-02T02:00:00Z")
HOUR = 3600
S0 = int(T0.timestamp())

OFFICER = Viewer("off", "officer", "p-duty", subdistricts=frozenset({"beiwaitan"}))
COMMANDER = Viewer("boss", "commander")
CADRE = Viewer("cad", "cadre", "p-cadre", neighborhoods=frozenset({"yunfang"}))
PROPERTY = Viewer("prop", "property", None, neighborhoods=frozenset({"yunfang"}))
KIOSK = Viewer("wall", "kiosk", subdistricts=frozenset({"beiwaitan"}))
ADMIN = Viewer("root", "admin")
ROAD_CHIEF = Viewer("road", "road_chief", "p-road", subdistricts=frozenset({"beiwaitan"}))
ELSEWHERE = Viewer("off2", "officer", "p-duty2", subdistricts=frozenset({"ouyanglu"}))


def incident(status: str = "reported", level: str = "property", **more) -> dict:
    return {"id": "inc-000001", "status": status, "level": level, "kind": "leak",
            "subdistrict_id": "beiwaitan", "neighborhood_id": "yunfang", "accepted_at": None,
            "verified_at": None, "assignee": None, "reopened": 0, "sla_due_at": None, **more}


# (status, extra fields, the actions its status allows) — every state of the loop.
STATES = [
    ("reported", {}, ["dispatch"]),
    ("dispatched", {}, ["accept", "escalate"]),
    ("dispatched", {"accepted_at": S0}, ["start", "escalate"]),
    ("in_progress", {"accepted_at": S0}, ["escalate", "resolve"]),
    ("resolved", {}, ["verify", "reopen"]),
    ("resolved", {"verified_at": S0}, ["close", "reopen"]),
    ("closed", {"verified_at": S0}, ["reopen"]),
]


@pytest.mark.parametrize("status,extra,possible", STATES)
def test_wfl001_each_status_allows_exactly_its_actions(status, extra, possible):
    inc = incident(status, **extra)
    assert workflow.possible_actions(inc) == possible
    assert workflow.allowed_actions(inc, COMMANDER) == possible  # every role's action, any level
    for action in workflow.ACTIONS:
        if action in possible:
            workflow.apply(inc, action, COMMANDER, T0, reason="why", level="committee")
            continue
        with pytest.raises(workflow.IllegalAction, match=f"cannot {action}") as refused:
            workflow.apply(inc, action, COMMANDER, T0, reason="why")
        assert refused.value.allowed == possible
        assert ", ".join(possible) in str(refused.value)


def test_wfl002_the_whole_loop_step_by_step():
    inc = incident()
    path = [(OFFICER, "dispatch", {"level": "property", "assignee": "p-prop"}, "dispatched"),
            (PROPERTY, "accept", {}, "dispatched"), (PROPERTY, "start", {}, "in_progress"),
            (PROPERTY, "escalate", {"reason": "needs the committee"}, "dispatched"),
            (CADRE, "accept", {}, "dispatched"), (CADRE, "start", {}, "in_progress"),
            (CADRE, "resolve", {"note": "fixed"}, "resolved"),
            (OFFICER, "verify", {}, "resolved"), (OFFICER, "close", {}, "closed")]
    for minute, (who, action, params, status) in enumerate(path):
        now = T0 + pd.Timedelta(minutes=minute)
        changes, event = workflow.apply(inc, action, who, now, **params)
        inc = {**inc, **changes}
        assert inc["status"] == status, action
        assert event == ("inc-000001", int(now.timestamp()), action, inc["level"],
                         workflow.actor_of(who), event[5])
    assert inc["level"] == "committee" and inc["closed_at"] == S0 + 8 * 60
    assert inc["assignee"] == "p-cadre"  # the committee's acceptor (escalation cleared p-prop)


def test_wfl003_dispatch_sets_level_assignee_and_deadline():
    changes, event = workflow.apply(incident(), "dispatch", OFFICER, T0, level="committee",
                                    assignee="p-cadre")
    assert changes["level"] == "committee" and changes["assignee"] == "p-cadre"
    assert changes["sla_due_at"] == S0 + 72 * HOUR and changes["dispatched_at"] == S0
    assert event[3:] == ("committee", "p-duty", "assignee p-cadre")
    with pytest.raises(ValueError, match="unknown level 'mayor'"):
        workflow.apply(incident(), "dispatch", OFFICER, T0, level="mayor")


def test_wfl004_escalate_moves_one_level_up_and_recomputes_the_deadline():
    inc = incident("in_progress", accepted_at=S0, assignee="x", sla_due_at=S0 + 24 * HOUR)
    later = T0 + pd.Timedelta(hours=5)
    changes, event = workflow.apply(inc, "escalate", PROPERTY, later, reason="too big")
    assert (changes["status"], changes["level"]) == ("dispatched", "committee")
    assert changes["sla_due_at"] == int(later.timestamp()) + 72 * HOUR
    assert changes["accepted_at"] is None and changes["assignee"] is None
    assert event[2:] == ("escalate", "committee", "prop", "too big")
    up = {**inc, **changes, "status": "in_progress"}
    changes, _ = workflow.apply(up, "escalate", CADRE, later, reason="still too big")
    assert changes["level"] == "subdistrict" and changes["sla_due_at"] == \
        int(later.timestamp()) + 168 * HOUR
    top = {**up, **changes, "status": "in_progress"}
    with pytest.raises(workflow.IllegalAction, match="at subdistrict level") as refused:
        workflow.apply(top, "escalate", OFFICER, later, reason="again")
    assert refused.value.allowed == ["resolve"]


@pytest.mark.parametrize("action", ["escalate", "reopen"])
def test_wfl005_escalate_and_reopen_need_a_reason(action):
    inc = incident("in_progress" if action == "escalate" else "closed", verified_at=S0)
    for reason in (None, "", "   "):
        with pytest.raises(ValueError, match=f"{action} needs a reason"):
            workflow.apply(inc, action, COMMANDER, T0, reason=reason)


def test_wfl006_reopen_goes_back_to_dispatched_and_counts():
    inc = incident("closed", level="committee", verified_at=S0, resolved_at=S0, closed_at=S0,
                   accepted_at=S0, reopened=1)
    later = T0 + pd.Timedelta(days=2)
    changes, event = workflow.apply(inc, "reopen", OFFICER, later, reason="leaking again")
    assert changes["status"] == "dispatched" and changes["reopened"] == 2
    assert all(changes[c] is None for c in ("resolved_at", "verified_at", "closed_at",
                                           "accepted_at"))
    assert changes["sla_due_at"] == int(later.timestamp()) + 72 * HOUR
    assert event[2:] == ("reopen", "committee", "p-duty", "leaking again")
    resolved = incident("resolved", reopened=None)
    assert workflow.apply(resolved, "reopen", OFFICER, T0, reason="r")[0]["reopened"] == 1


# Which (level, action) each role may take, whatever the status: handlers act at their level,
# supervisors at any level; read-only roles and other scopes never.
@pytest.mark.parametrize("viewer,handles,supervises", [
    (COMMANDER, LEVELS, True), (OFFICER, LEVELS, True), (CADRE, ("committee",), False),
    (PROPERTY, ("property",), False), (KIOSK, (), False), (ADMIN, (), False),
    (ROAD_CHIEF, (), False), (ELSEWHERE, (), False)])
def test_wfl007_roles_decide_who_may_do_what(viewer, handles, supervises):
    for level in LEVELS:
        inc = incident(level=level)
        for action in workflow.ACTIONS:
            expected = (action in workflow.SUPERVISOR_ACTIONS and supervises
                        or action in workflow.HANDLER_ACTIONS and level in handles)
            assert workflow.may(viewer, inc, action) == expected, (viewer.role, level, action)


def test_wfl008_a_role_not_permitted_is_refused_before_the_status():
    inc = incident("resolved")
    with pytest.raises(workflow.NotPermitted, match="'prop' \\(property\\) may not close") as no:
        workflow.apply(inc, "close", PROPERTY, T0)
    assert no.value.allowed == []
    committee = incident("dispatched", level="committee")
    with pytest.raises(workflow.NotPermitted, match="may not accept"):
        workflow.apply(committee, "accept", PROPERTY, T0)  # not their level (nor visible)
    assert workflow.allowed_actions(committee, CADRE) == ["accept", "escalate"]
    assert workflow.allowed_actions(committee, PROPERTY) == []
    with pytest.raises(workflow.NotPermitted):
        workflow.apply(committee, "accept", ELSEWHERE, T0)  # another subdistrict's officer
    with pytest.raises(workflow.IllegalAction) as illegal:
        workflow.apply(committee, "resolve", CADRE, T0)  # their level, but not yet started
    assert illegal.value.allowed == ["accept", "escalate"]
    with pytest.raises(ValueError, match="unknown action 'fly'"):
        workflow.apply(committee, "fly", CADRE, T0)


def test_wfl009_overdue_only_while_open_and_past_the_deadline():
    due = incident("in_progress", sla_due_at=T0)
    assert not workflow.overdue(due, T0)
    assert workflow.overdue(due, T0 + pd.Timedelta(seconds=1))
    assert not workflow.overdue({**due, "status": "resolved"}, T0 + pd.Timedelta(days=9))
    assert not workflow.overdue(incident("reported"), T0 + pd.Timedelta(days=9))
    assert workflow.sla_due("property", T0) == T0 + pd.Timedelta(hours=24)


# --- against a store --------------------------------------------------------------------------

NEIGHBORHOODS = gpd.GeoDataFrame(
    {"id": ["yunfang", "far"], "subdistrict_id": ["beiwaitan", "ouyanglu"]},
    geometry=[box(121.4, 31.2, 121.5, 31.26), box(121.4, 31.26, 121.6, 31.3)], crs="EPSG:4326")


@pytest.fixture
def store(store_url):
    store = open_store(store_url)
    load_district(store)
    yield store
    store.close()


def test_wfl010_create_locates_the_point_and_numbers_like_the_seed(store):
    first = workflow.create_incident(store, NEIGHBORHOODS, OFFICER, T0, kind="leak",
                                     title="漏水", source="hotline", lon=121.45, lat=31.25)
    second = workflow.create_incident(store, NEIGHBORHOODS, CADRE, T0, kind="noise",
                                      title="噪声", source="resident", neighborhood_id="yunfang",
                                      level="committee")
    assert (first, second) == ("inc-000001", "inc-000002")
    rows = store.read_records("incidents").set_index("id")
    assert rows.loc[first, ["subdistrict_id", "neighborhood_id", "status", "level"]].tolist() \
        == ["beiwaitan", "yunfang", "reported", "property"]
    assert rows.loc[first, "sla_due_at"] == T0 + pd.Timedelta(hours=24)
    assert rows.loc[second, "sla_due_at"] == T0 + pd.Timedelta(hours=72)
    assert 121.4 < rows.loc[second, "lon"] < 121.5  # the neighborhood's inner point
    events = workflow.steps(store, first)
    assert list(zip(events["action"], events["actor"], strict=True)) == [("report", "p-duty")]


def test_wfl011_create_refuses_outside_the_scope_or_the_map(store):
    args = {"kind": "leak", "title": "t", "source": "hotline"}
    with pytest.raises(OutOfScope, match="'far'"):
        workflow.create_incident(store, NEIGHBORHOODS, OFFICER, T0, lon=121.5, lat=31.28, **args)
    with pytest.raises(ValueError, match="lies in no neighborhood"):
        workflow.create_incident(store, NEIGHBORHOODS, COMMANDER, T0, lon=120.0, lat=30.0,
                                 **args)
    with pytest.raises(ValueError, match="unknown neighborhood 'nowhere'"):
        workflow.create_incident(store, NEIGHBORHOODS, COMMANDER, T0, neighborhood_id="nowhere",
                                 **args)
    with pytest.raises(ValueError, match="unknown source 'rumour'"):
        workflow.create_incident(store, NEIGHBORHOODS, COMMANDER, T0, neighborhood_id="yunfang",
                                 **{**args, "source": "rumour"})
    with pytest.raises(workflow.NotPermitted, match="may not report"):
        workflow.create_incident(store, NEIGHBORHOODS, KIOSK, T0, neighborhood_id="yunfang",
                                 **args)
    assert store.count("incidents") == 0


def test_wfl012_act_updates_the_row_and_records_the_step_in_one_go(store):
    incident_id = workflow.create_incident(store, NEIGHBORHOODS, OFFICER, T0, kind="leak",
                                           title="t", source="patrol", neighborhood_id="yunfang")
    later = T0 + pd.Timedelta(hours=1)
    row = workflow.act(store, incident_id, "dispatch", OFFICER, later, level="committee",
                       assignee="p-cadre")
    assert row["status"] == "dispatched" and row["assignee"] == "p-cadre"
    stored = store.read_records("incidents").iloc[0]
    assert (stored["status"], stored["level"], stored["dispatched_at"]) == (
        "dispatched", "committee", later)
    with pytest.raises(workflow.IllegalAction):
        workflow.act(store, incident_id, "dispatch", OFFICER, later)
    with pytest.raises(workflow.UnknownIncident, match="'inc-999999'"):
        workflow.act(store, "inc-999999", "accept", CADRE, later)
    with pytest.raises(ValueError, match="unknown person 'p-ghost'"):
        workflow.act(store, incident_id, "dispatch", OFFICER, later, assignee="p-ghost")
    assert list(workflow.steps(store, incident_id)["action"]) == ["report", "dispatch"]


def test_wfl013_an_alarm_becomes_an_incident_the_same_way(store):
    ingestor = Ingestor(store, clock=FixedClock(T0))
    alarm_id = ingestor.ingest([{"reading_id": "s1", "device_id": "h1-smoke", "ts": T0,
                                 "event": "smoke"}]).alarms[0]
    workflow.create_incident(store, NEIGHBORHOODS, OFFICER, T0, kind="leak", title="t",
                             source="patrol", neighborhood_id="yunfang")
    assert routing.to_incident(store, alarm_id, "p-cadre", T0) == "inc-000002"
