"""Alarm routing: inboxes of cadre and buddy, ack window, escalation, steps, notifiers."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pandas as pd
import pytest

from tests._live_fixtures import load_district
from twin_dashboard.domain import routing
from twin_dashboard.domain.ingest import Ingestor
from twin_dashboard.domain.routing import Notice, WebhookNotifier
from twin_dashboard.live.workers import NoticeOutbox
from twin_dashboard.store.base import open_store
from twin_dashboard.testing import FixedClock, wait_until

T0 = pd.Timestamp("2026-03-02T02:00:00Z")


class Recorder:
    def __init__(self) -> None:
        self.notices: list[Notice] = []

    def notify(self, notice: Notice) -> None:
        self.notices.append(notice)


@pytest.fixture
def live(store_url):
    store = open_store(store_url)
    load_district(store)
    clock, recorder = FixedClock(T0), Recorder()
    yield store, Ingestor(store, clock=clock, notifier=recorder), clock, recorder
    store.close()


def smoke(ingestor: Ingestor, at: pd.Timestamp, rid: str = "s1") -> str:
    result = ingestor.ingest([{"reading_id": rid, "device_id": "h1-smoke", "ts": at,
                               "event": "smoke"}])
    return result.alarms[0]


def test_alarm_reaches_cadre_and_buddy_and_is_recorded(live):
    store, ingestor, _, recorder = live
    alarm_id = smoke(ingestor, T0)
    assert {(n.person_id, n.role) for n in recorder.notices} == {("p-cadre", "cadre"),
                                                                 ("p-buddy", "buddy")}
    assert list(routing.inbox(store, "p-cadre")["id"]) == [alarm_id]
    assert routing.inbox(store, "p-duty").empty
    steps = routing.history(store, alarm_id)
    assert list(steps["action"]) == ["raised", "notified", "notified"]
    assert (steps["ts"] == T0).all()


def test_ack_within_window_stops_escalation(live):
    store, ingestor, clock, _ = live
    alarm_id = smoke(ingestor, T0)
    routing.acknowledge(store, alarm_id, "p-buddy", T0 + pd.Timedelta(minutes=5))
    clock.at = T0 + pd.Timedelta(hours=1)
    ingestor.tick()
    alarm = store.read_records("alarms", where={"id": alarm_id}).iloc[0]
    assert (alarm["status"], alarm["acked_by"]) == ("acknowledged", "p-buddy")
    assert routing.inbox(store, "p-duty").empty
    with pytest.raises(ValueError, match="acknowledged"):
        routing.acknowledge(store, alarm_id, "p-cadre", clock.at)


def test_unacknowledged_alarm_escalates_to_duty_officer(live):
    store, ingestor, clock, recorder = live
    alarm_id = smoke(ingestor, T0)
    clock.at = T0 + pd.Timedelta(minutes=14)
    ingestor.tick()
    assert routing.inbox(store, "p-duty").empty
    clock.at = T0 + pd.Timedelta(minutes=16)
    ingestor.tick()
    assert list(routing.inbox(store, "p-duty")["id"]) == [alarm_id]
    assert recorder.notices[-1] == Notice(alarm_id, "p-duty", "duty_officer", "escalate",
                                          "smoke", "critical", int(clock.at.timestamp()))
    routing.acknowledge(store, alarm_id, "p-duty", clock.at)
    steps = routing.history(store, alarm_id)
    assert list(steps["action"])[-3:] == ["escalated", "escalated_to", "acknowledged"]
    assert steps["actor"].iloc[-1] == "p-duty"


def test_only_recipients_may_ack_and_manual_escalation(live):
    store, ingestor, _, _ = live
    alarm_id = smoke(ingestor, T0)
    with pytest.raises(ValueError, match="was not sent"):
        routing.acknowledge(store, alarm_id, "p-elder", T0)
    routing.escalate(store, alarm_id, "p-cadre", T0, ingestor.directory())
    steps = routing.history(store, alarm_id)
    assert ("escalated", "p-cadre") in set(zip(steps["action"], steps["actor"], strict=True))
    routing.close(store, alarm_id, "p-duty", T0, note="visited, false alarm")
    assert store.read_records("alarms")["status"].iloc[0] == "closed"


def test_failed_notification_is_recorded_not_raised(live):
    store, ingestor, _, _ = live

    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503)

    ingestor.notifier = WebhookNotifier(
        "http://127.0.0.1:9/hook", client=httpx.Client(transport=httpx.MockTransport(refuse)))
    alarm_id = smoke(ingestor, T0)
    assert list(routing.history(store, alarm_id)["action"]).count("notify_failed") == 2


def test_webhook_posts_json_over_loopback():
    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.handle_request, daemon=True).start()
    notice = Notice("a1", "p-cadre", "cadre", "notify", "gas", "critical", 1)
    WebhookNotifier(f"http://127.0.0.1:{server.server_port}/hook").notify(notice)
    server.server_close()
    assert received == [{"alarm_id": "a1", "person_id": "p-cadre", "role": "cadre",
                         "action": "notify", "rule": "gas", "severity": "critical", "at": 1}]


def test_absence_rule_alarm_is_routed_once(live):
    store, ingestor, clock, recorder = live
    day = pd.Timestamp("2026-03-02T00:00:00+08:00")
    ingestor.ingest([{"reading_id": "d1", "device_id": "h1-door",
                      "ts": day + pd.Timedelta(hours=8), "event": "open"}])
    clock.at = day + pd.Timedelta(hours=20, minutes=30)  # 12.5 daytime hours later
    ingestor.ingest([{"reading_id": "hb", "device_id": "h1-door", "ts": clock.at,
                      "event": "heartbeat"}])
    assert ingestor.tick() != []
    assert ingestor.tick() == []  # the same episode is not raised twice
    alarms = store.read_records("alarms")
    assert list(alarms["rule"]) == ["no_activity_12h"]
    assert {n.person_id for n in recorder.notices} == {"p-cadre", "p-buddy"}


def test_alarm_becomes_an_incident_once(live):
    store, ingestor, _, _ = live
    alarm_id = smoke(ingestor, T0)
    incident_id = routing.to_incident(store, alarm_id, "p-cadre", T0)
    incident = store.read_records("incidents", where={"id": incident_id}).iloc[0]
    assert (incident["source"], incident["level"], incident["status"]) == (
        "sensor", "committee", "reported")
    assert incident["sla_due_at"] == T0 + pd.Timedelta(hours=72)
    events = store.read_records("incident_events", where={"incident_id": incident_id})
    assert list(zip(events["action"], events["actor"], strict=True)) == [("report", "p-cadre")]
    assert store.read_records("alarms")["incident_id"].iloc[0] == incident_id
    with pytest.raises(ValueError, match="already incident"):
        routing.to_incident(store, alarm_id, "p-cadre", T0)


def test_background_delivery_does_not_hold_up_ingest(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'b.db'}")
    load_district(store)
    release, recorder = threading.Event(), Recorder()

    class Slow:
        def notify(self, notice: Notice) -> None:
            release.wait(10)
            recorder.notify(notice)

    outbox = NoticeOutbox(store, Slow()).start()
    ingestor = Ingestor(store, clock=FixedClock(T0), deliver=outbox.put)
    try:
        smoke(ingestor, T0)  # returns although the notifier is still blocked
        assert recorder.notices == []
        release.set()
        wait_until(lambda: len(recorder.notices) >= 2, timeout=10, interval=0.02)
        assert {n.person_id for n in recorder.notices} == {"p-cadre", "p-buddy"}
    finally:
        outbox.stop()


def test_rt_seeded_waiting_alarms_are_in_their_recipients_inboxes(demo):
    """geodata/ holds no inbox: the seed routes each waiting alarm when it was raised."""
    alarms = demo.store.read_records("alarms")
    waiting = alarms[alarms["status"].isin(("open", "acknowledged", "escalated"))]
    inbox = demo.store.read_records("alarm_inbox")
    assert len(waiting) > 0 and set(waiting["id"]) <= set(inbox["alarm_id"])
    escalated = waiting[waiting["escalated_at"].notna()]
    duty = inbox[inbox["role"] == "duty_officer"]
    assert set(escalated["id"]) <= set(duty["alarm_id"])
    steps = demo.store.read_records("alarm_steps", where={"alarm_id": list(waiting["id"][:5])})
    assert {"raised", "notified"} <= set(steps["action"])
    first = inbox[inbox["alarm_id"] == waiting["id"].iloc[0]]["since"].min()
    assert first == int(waiting["raised_at"].iloc[0].timestamp())


def test_rt_allowed_actions_follow_status_recipients_and_role():
    from twin_dashboard.domain.access import Viewer
    from twin_dashboard.domain.routing import allowed_actions

    cadre = Viewer("c", "cadre", "p-cadre", neighborhoods=frozenset(["n"]))
    officer = Viewer("o", "officer", "p-duty", frozenset(["s"]))
    kiosk = Viewer("k", "kiosk")
    alarm = {"id": "a", "status": "open", "escalated_at": None, "incident_id": None}
    assert allowed_actions(alarm, {"p-cadre"}, cadre) == ("ack", "escalate", "close",
                                                          "incident")
    assert allowed_actions(alarm, {"p-cadre"}, officer) == ("escalate", "incident")
    assert allowed_actions(alarm, {"p-cadre"}, kiosk) == ()
    escalated = {**alarm, "status": "escalated", "escalated_at": 1}
    assert allowed_actions(escalated, {"p-cadre", "p-duty"}, officer) == ("ack", "close",
                                                                          "incident")
    acked = {**escalated, "status": "acknowledged", "incident_id": "inc-a"}
    assert allowed_actions(acked, {"p-duty"}, officer) == ("close",)  # escalated once only
    assert allowed_actions({**acked, "status": "closed"}, {"p-duty"}, officer) == ()
