"""callbacks/details.py: the panel drawn for a pick, as the signed-in viewer may see it."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from twin_dashboard.callbacks.details import DRAW, render, take_action, take_incident_step
from twin_dashboard.domain.access import Viewer
from twin_dashboard.domain.details import GATHER


def _text(components: list) -> str:
    return json.dumps([c.to_plotly_json() for c in components], default=str, ensure_ascii=False)


def test_cbdet001_every_gathered_layer_has_a_drawing():
    assert set(DRAW) == set(GATHER)


def test_cbdet002_the_areas_cadre_sees_the_address_on_the_desk_not_on_the_wall_audited(demo):
    devices = demo.store.read_layer("devices")
    home = devices[devices["household_id"].notna()].iloc[0]
    household = demo.store.read_records("households", where={"id": home["household_id"]})
    address = household["address"].iloc[0]
    pick = {"layer": "devices", "id": home["id"], "neighborhood": home["neighborhood_id"]}
    cadre = Viewer("cadre-x", "cadre", None, frozenset([home["subdistrict_id"]]),
                   frozenset([home["neighborhood_id"]]))
    before = len(demo.store.accounts.read_audit(actor="cadre-x"))
    assert address in _text(render(demo, cadre, pick, {"screen": "desk", "lang": "zh"}))
    views = demo.store.accounts.read_audit(actor="cadre-x")[before:]
    assert [(v["action"], v["subject"]) for v in views] == [
        ("personal.view", home["household_id"])]
    assert address not in _text(render(demo, cadre, pick, {"screen": "wall", "lang": "zh"}))
    officer = Viewer("o", "officer", None, frozenset([home["subdistrict_id"]]))
    masked = _text(render(demo, officer, pick, {"screen": "desk", "lang": "zh"}))
    assert address not in masked and "**" in masked and "已脱敏" in masked


def test_cbdet003_unknown_or_foreign_picks_say_not_found_in_the_pages_language(demo):
    boss = Viewer("boss", "commander")
    panel = _text(render(demo, boss, {"layer": "devices", "id": "nope"}, {"lang": "en"}))
    assert "not found" in panel.lower()
    devices = demo.store.read_layer("devices")
    device = devices[devices["subdistrict_id"] == "beiwaitan"].iloc[0]
    stranger = Viewer("o", "officer", None, frozenset(["ouyanglu"]))
    panel = _text(render(demo, stranger, {"layer": "devices", "id": device["id"]},
                         {"lang": "en"}))
    assert "not found" in panel.lower()


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    """A demo district of this module's own: the tests below change alarms."""
    from twin_dashboard.app import build_services
    from twin_dashboard.config import Settings

    db = tmp_path_factory.mktemp("own") / "twin.db"
    services = build_services(Settings(db_url=f"sqlite:///{db}", simulate=False))
    yield services
    services.close()


def _status(services, alarm_id: str) -> str:
    return services.store.read_records("alarms", where={"id": alarm_id})["status"].iloc[0]


def _household_alarm(services):
    """An open elderly-care alarm of a household and its cadre (a recipient)."""
    alarms = services.store.read_records("alarms", where={"status": "open"})
    alarm = alarms[alarms["household_id"].notna()].iloc[0]
    inbox = services.store.read_records("alarm_inbox", where={"alarm_id": alarm["id"]})
    cadre = inbox[inbox["role"] == "cadre"]["person_id"].iloc[0]
    viewer = Viewer("cadre-y", "cadre", cadre, frozenset([alarm["subdistrict_id"]]),
                    frozenset([alarm["neighborhood_id"]]))
    return alarm, viewer


def test_cbdet004_a_household_alarm_shows_its_household_not_an_empty_device(own):
    alarm, cadre = _household_alarm(own)
    with own.store.live_tx() as tx:  # as the rules raise them: a household, no one device
        tx.update_alarm(alarm["id"], {"device_id": None})
    panel = _text(render(own, cadre, {"layer": "alarms", "id": alarm["id"]},
                         {"screen": "tablet", "lang": "zh"}))
    address = own.store.read_records("households", where={"id": alarm["household_id"]})[
        "address"].iloc[0]
    assert address in panel and "其他" not in panel


def test_cbdet005_the_panels_actions_are_the_callers_and_each_redraws_the_panel(own):
    alarm, cadre = _household_alarm(own)
    screen = {"screen": "tablet", "lang": "en"}
    panel = _text(render(own, cadre, {"layer": "alarms", "id": alarm["id"]}, screen))
    assert all(f"'action': '{a}'" in panel for a in ("ack", "escalate", "close", "incident"))
    kiosk = Viewer("k", "kiosk", None, frozenset([alarm["subdistrict_id"]]))
    assert "alarm-action" not in _text(render(own, kiosk, {"layer": "alarms",
                                                           "id": alarm["id"]}, screen))
    done = _text(take_action(own, cadre, alarm["id"], "ack", None, screen))
    assert "Acknowledged: the alarm is yours" in done and "'action': 'ack'" not in done
    assert _status(own, alarm["id"]) == "acknowledged"
    trail = own.store.accounts.read_audit(actor="cadre-y")
    assert ("alarm.acknowledged", alarm["id"]) in [(e["action"], e["subject"]) for e in trail]
    again = _text(take_action(own, cadre, alarm["id"], "ack", None, screen))
    assert "Not done" in again
    closed = _text(take_action(own, cadre, alarm["id"], "close", "visited, all well", screen))
    assert "Alarm closed" in closed and _status(own, alarm["id"]) == "closed"
    steps = own.store.read_records("alarm_steps", where={"alarm_id": alarm["id"]})
    assert "visited, all well" in set(steps["note"].dropna())


def test_cbdet006_an_escalated_alarm_acknowledged_says_it_was_escalated(own):
    alarms = own.store.read_records("alarms", where={"status": "open"})
    alarm = alarms.iloc[-1]
    inbox = own.store.read_records("alarm_inbox", where={"alarm_id": alarm["id"]})
    officer = Viewer("duty", "officer", "p-officer", frozenset([alarm["subdistrict_id"]]))
    screen = {"screen": "desk", "lang": "zh"}
    done = _text(take_action(own, officer, alarm["id"], "escalate", None, screen))
    assert "已升级至街道值班人员" in done and "已升级" in done
    duty = own.store.read_records("alarm_inbox", where={"alarm_id": alarm["id"]})
    duty_id = duty[duty["role"] == "duty_officer"]["person_id"].iloc[0]
    assert len(duty) > len(inbox)
    officer = Viewer("duty", "officer", duty_id, frozenset([alarm["subdistrict_id"]]))
    acked = _text(take_action(own, officer, alarm["id"], "ack", None, screen))
    assert "已确认" in acked and "曾升级至街道" in acked
    assert "'action': 'escalate'" not in acked  # escalated once only


def test_cbdet007_the_household_card_shows_the_five_piece_set_people_as_allowed(own):
    alarm, cadre = _household_alarm(own)
    pick = {"layer": "households", "id": alarm["household_id"]}
    home = own.store.read_records("households", where={"id": alarm["household_id"]}).iloc[0]
    card = _text(render(own, cadre, pick, {"screen": "tablet", "lang": "zh"}))
    assert home["address"] in card and "五件套" in card and "告警记录" in card
    assert all(name in card for name in ("智能门磁", "红外感知", "烟感", "燃气报警", "水管家"))
    officer = Viewer("o", "officer", None, frozenset([home["subdistrict_id"]]))
    masked = _text(render(own, officer, pick, {"screen": "desk", "lang": "en"}))
    assert home["address"] not in masked and "(masked)" in masked and "Door contact" in masked
    stranger = Viewer("o2", "officer", None, frozenset(["nowhere"]))
    assert "not found" in _text(render(own, stranger, pick, {"lang": "en"})).lower()
    device_panel = _text(render(own, cadre, {"layer": "alarms", "id": alarm["id"]},
                                {"screen": "tablet", "lang": "en"}))
    assert '"type": "open-household"' in device_panel and "Household card" in device_panel


def test_cbdet008_the_loop_runs_in_the_details_panel_each_step_by_its_role(own):
    from twin_dashboard.domain.queries import work_queue

    incidents = own.store.read_records("incidents", where={"status": "reported"})
    inc = incidents.iloc[0]
    sub, hood = inc["subdistrict_id"], inc["neighborhood_id"]
    officer = Viewer("off", "officer", "p-off", frozenset([sub]))
    manager = Viewer("pm", "property", "p-pm", frozenset([sub]), frozenset([hood]))
    cadre = Viewer("cad", "cadre", "p-cad", frozenset([sub]), frozenset([hood]))
    pick = {"layer": "incidents", "id": inc["id"]}
    desk, tablet = {"screen": "desk", "lang": "en"}, {"screen": "tablet", "lang": "en"}

    def step(viewer, action, note=None, level=None, screen=tablet):
        return _text(take_incident_step(own, viewer, inc["id"], action, note, level, screen))

    def status():
        return own.store.read_records("incidents", where={"id": inc["id"]}).iloc[0]

    assert "'action': 'dispatch'" in _text(render(own, officer, pick, desk))
    assert "Done: Dispatch" in step(officer, "dispatch", level="property", screen=desk)
    assert status()["level"] == "property" and status()["status"] == "dispatched"
    assert "Not done" in step(cadre, "accept")  # committee's cadre: not their level
    assert "Done: Accept" in step(manager, "accept")
    mine = work_queue(own.store.read_records("incidents"), manager, "mine", own.now())
    assert list(mine["id"]) == [inc["id"]]
    assert "Done: Start work" in step(manager, "start")
    assert "Give a reason" in step(manager, "escalate")  # refused whole: no reason
    assert status()["level"] == "property"
    assert "Done: Escalate a level" in step(manager, "escalate", "needs the committee")
    assert status()["level"] == "committee" and status()["status"] == "dispatched"
    for action in ("accept", "start", "resolve"):
        assert f"Done: {action.capitalize() if action != 'start' else 'Start work'}" in step(
            cadre, action, "fixed the lamp" if action == "resolve" else None)
    for action in ("verify", "close"):
        assert "Done:" in step(officer, action, screen=desk)
    assert status()["status"] == "closed"
    panel = _text(render(own, officer, pick, desk))
    assert "needs the committee" in panel and "fixed the lamp" in panel  # the history
    assert "'action': 'reopen'" in panel
    trail = [e["action"] for e in own.store.accounts.read_audit(actor="cad")]
    assert trail[-3:] == ["incident.accept", "incident.start", "incident.resolve"]


def test_cbdet009_a_report_from_the_form_opens_an_incident_where_was_picked(own):
    from dash.exceptions import PreventUpdate

    from twin_dashboard.callbacks.details import open_report, submit_report

    hood = own.store.read_layer("neighborhoods").iloc[0]
    point = hood.geometry.representative_point()
    pick = {"layer": "neighborhoods", "id": hood["id"], "lon": point.x, "lat": point.y}
    cadre = Viewer("cad2", "cadre", "p-cad2", frozenset([hood["subdistrict_id"]]),
                   frozenset([hood["id"]]))
    screen = {"screen": "tablet", "lang": "en"}
    form = _text(open_report(own, cadre, pick, None, screen))
    assert "Report an incident" in form and "the point picked on the map" in form
    with pytest.raises(PreventUpdate):
        open_report(own, Viewer("k", "kiosk"), pick, None, screen)
    before = own.store.count("incidents")
    assert "Say what happened" in _text(submit_report(own, cadre, " ", "facility", "resident",
                                                      pick, None, screen))
    done = _text(submit_report(own, cadre, "Broken door at gate 2", "facility", "patrol",
                               pick, None, screen))
    assert "Reported as incident" in done and own.store.count("incidents") == before + 1
    new = own.store.read_records("incidents").sort_values("id").iloc[-1]
    assert (new["title"], new["source"], new["kind"], new["neighborhood_id"], new["status"]) \
        == ("Broken door at gate 2", "patrol", "facility", hood["id"], "reported")
    far = {**pick, "lon": point.x + 5, "lat": point.y}  # outside the district
    assert "Pick a point" in _text(submit_report(own, cadre, "x", "facility", "resident", far,
                                                 None, screen))
    assert own.store.count("incidents") == before + 1


def test_cbdet010_a_visit_from_the_household_card_opens_an_incident_per_problem(own):
    from dash.exceptions import PreventUpdate

    from twin_dashboard.callbacks.details import open_visit, submit_visit
    from twin_dashboard.domain.visits import checklist

    alarm, cadre = _household_alarm(own)
    home = alarm["household_id"]
    screen = {"screen": "tablet", "lang": "en"}
    card = _text(render(own, cadre, {"layer": "households", "id": home}, screen))
    assert "Start a visit" in card
    form = _text(open_visit(own, cadre, "visit", home, screen))
    assert "Home visit" in form and "Gas safety" in form
    with pytest.raises(PreventUpdate):
        open_visit(own, Viewer("pm", "property", "p", frozenset(["x"])), "visit", home, screen)
    items = checklist("visit")
    choices = [{"id": {"item": i}, "value": "problem" if i == "gas_safety" else "ok"}
               for i in items]
    notes = [{"id": {"item": i}, "value": "smell of gas" if i == "gas_safety" else ""}
             for i in items]
    before = own.store.count("incidents")
    started = (own.now() - pd.Timedelta(minutes=20)).isoformat()
    done = _text(submit_visit(own, cadre, "visit", home, started, choices, notes, screen))
    assert "1 incident(s) opened" in done and own.store.count("incidents") == before + 1
    new = own.store.read_records("incidents").sort_values("id").iloc[-1]
    assert (new["source"], new["kind"], new["status"]) == ("visit", "gas_safety", "reported")
    stranger = Viewer("c9", "cadre", "p-c9", frozenset(["nowhere"]), frozenset(["nowhere"]))
    refused = _text(submit_visit(own, stranger, "visit", home, started, choices, notes, screen))
    assert "Not recorded" in refused and own.store.count("incidents") == before + 1


def test_cbdet011_an_area_says_how_many_homes_were_visited_a_household_offers_a_call(own):
    alarm, cadre = _household_alarm(own)
    area = _text(render(own, cadre, {"layer": "neighborhoods", "id": alarm["neighborhood_id"]},
                        {"screen": "tablet", "lang": "en"}))
    assert "Households visited (30 days)" in area and "%" in area
    card = _text(render(own, cadre, {"layer": "households", "id": alarm["household_id"]},
                        {"screen": "tablet", "lang": "zh"}))
    home = own.store.read_records("households", where={"id": alarm["household_id"]}).iloc[0]
    phone = own.store.read_records("people", where={"id": home["cadre_id"]})["phone"].iloc[0]
    assert f"tel:{phone}" in card and "呼叫" in card
    officer = Viewer("o", "officer", None, frozenset([home["subdistrict_id"]]))
    masked = _text(render(own, officer, {"layer": "households", "id": home["id"]},
                          {"screen": "desk", "lang": "zh"}))
    assert "tel:" not in masked  # no phone for a masked view
