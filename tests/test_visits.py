"""大走访 / 大排查: checklists, refusals, incidents from failed items, scope, coverage."""

from __future__ import annotations

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from tests._field_fixtures import T0, as_user, load_field, tokens
from twin_dashboard.app import create_app, services_of_app
from twin_dashboard.catalog import CHECKLISTS
from twin_dashboard.config import Settings
from twin_dashboard.domain import audit
from twin_dashboard.domain.places import MapScope
from twin_dashboard.domain.visits import (
    Finding,
    Visit,
    VisitRefused,
    check_visit,
    checklist,
    household_visit_coverage,
    item_label,
    visit_coverage,
    visit_coverage_by,
    visit_marks,
    visited_households,
)
from twin_dashboard.i18n import TEXT
from twin_dashboard.store.base import Scope
from twin_dashboard.testing import FixedClock, refusal
from twin_dashboard.views.map_layers import overlay_spec

START, END = T0 - pd.Timedelta(minutes=30), T0 - pd.Timedelta(minutes=5)


def visit(kind: str = "visit", household: str | None = "h1", building: str | None = None,
          findings=(("gas_safety", True),), **times) -> Visit:
    return Visit(kind, household, building, times.get("start", START), times.get("end", END),
                 tuple(Finding(i, ok) for i, ok in findings))


# --- domain -----------------------------------------------------------------------------------

def test_vis001_each_kind_has_its_checklist_with_labels_in_both_languages():
    assert checklist("visit") == CHECKLISTS["visit"] and len(checklist("inspection")) == 5
    assert item_label("gas_safety") == "燃气安全"
    assert item_label("fire_lanes", "en") == "Fire lanes clear"
    for items in CHECKLISTS.values():
        assert all(f"check.{i}" in TEXT for i in items)
    with pytest.raises(VisitRefused, match="unknown kind 'audit'"):
        checklist("audit")


@pytest.mark.parametrize(("bad", "reason"), [
    (visit(household=None, building="b1"), "a visit is made at a household: give household_id"),
    (visit(building="b1"), "give household_id, not building_id"),
    (visit("inspection"), "an? inspection is made at a building"),
    (visit(findings=(("fire_lanes", True),)), r"findings\[0\]: 'fire_lanes' is not an item"),
    (visit(findings=(("gas_safety", True), ("gas_safety", False))), "given twice"),
    (visit(findings=()), "at least one checklist item"),
    (visit(start=END, end=START), "is not after started_at"),
    (visit(end=T0 + pd.Timedelta(minutes=5)), "in the future"),
])
def test_vis002_a_wrong_visit_is_refused_naming_why(bad, reason):
    with pytest.raises(VisitRefused, match=reason):
        check_visit(bad, T0)


def test_vis003_a_clock_a_little_ahead_is_tolerated():
    check_visit(visit(end=T0 + pd.Timedelta(seconds=30)), T0)


HOUSEHOLDS = pd.DataFrame({"id": ["h1", "h2", "h3", "h4"],
                           "neighborhood_id": ["a", "a", "b", "b"]})


def visits_frame(*rows: tuple[str, str, float]) -> pd.DataFrame:
    """Rows of (kind, household_id, days before T0)."""
    return pd.DataFrame({"kind": [r[0] for r in rows], "household_id": [r[1] for r in rows],
                         "started_at": [T0 - pd.Timedelta(days=r[2]) for r in rows]})


def test_vis004_coverage_is_the_share_of_households_visited_in_30_days():
    frame = visits_frame(("visit", "h1", 2), ("visit", "h1", 5), ("visit", "h2", 31),
                         ("inspection", "h3", 1), ("visit", "h4", -1), ("visit", None, 1))
    assert visited_households(HOUSEHOLDS, frame, T0).tolist() == [True, False, False, False]
    assert visit_coverage(HOUSEHOLDS, frame, T0) == 0.25  # h2 too old, h3 inspected, h4 later
    assert visit_coverage(HOUSEHOLDS, frame, T0, days=40) == 0.5
    assert visit_coverage(HOUSEHOLDS.iloc[:0], frame, T0) == 0.0
    by = visit_coverage_by(HOUSEHOLDS, frame, T0)
    assert by.loc["a"].tolist() == [2, 1, 0.5] and by.loc["b"].tolist() == [2, 0, 0.0]


def test_vis005_coverage_without_visits_is_zero_and_columns_are_checked():
    assert visit_coverage(HOUSEHOLDS, visits_frame(), T0) == 0.0
    with pytest.raises(ValueError, match="household_id"):
        visit_coverage(HOUSEHOLDS, pd.DataFrame({"kind": [], "started_at": []}), T0)


def test_vis006_visit_marks_for_the_map_say_visited_or_due_and_days_since():
    placed = HOUSEHOLDS.assign(lon=[121.5, 121.5, None, 121.6], lat=[31.2, 31.2, None, 31.3])
    frame = visits_frame(("visit", "h1", 2.5), ("visit", "h1", 5), ("visit", "h2", 31),
                         ("inspection", "h4", 1), ("visit", "h4", -1))
    marks = visit_marks(placed, frame, T0)
    assert marks["id"].tolist() == ["h1", "h2", "h4"]  # h3 has no position
    assert marks["visited"].tolist() == [True, False, False]  # h2 too old, h4 only later
    assert marks["since_days"].tolist() == [2, 31, -1]  # h4 never visited before T0
    assert not {"name", "address"} & set(marks.columns)


# --- the API ----------------------------------------------------------------------------------

@pytest.fixture
def api(tmp_path):
    clock = FixedClock(T0)
    app = create_app(Settings(db_url=f"sqlite:///{tmp_path}/v.db", simulate=False), seed=False,
                     clock=clock)
    store = services_of_app(app).store
    load_field(store)
    with TestClient(app.server, base_url="http://localhost") as client:
        client.tokens = tokens(store)
        yield client, store


def post(client, who: str, **body):
    payload = {"kind": "visit", "household_id": "h1", "started_at": START.isoformat(),
               "ended_at": END.isoformat(),
               "findings": [{"item": "gas_safety", "ok": True}]} | body
    return client.post("/api/v1/visits", json=payload, headers=as_user(client.tokens, who))


def test_vis010_a_visit_with_failed_items_opens_one_incident_each(api):
    client, store = api
    response = post(client, "cadre", findings=[
        {"item": "wellbeing", "ok": True}, {"item": "gas_safety", "ok": False,
                                            "note": "软管老化"},
        {"item": "five_piece_set", "ok": False}])
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["id"].startswith("vis-") and len(body["incident_ids"]) == 2
    incidents = store.read_records("incidents", where={"id": body["incident_ids"]})
    gas = incidents.set_index("id").loc[body["incident_ids"][0]]
    assert (gas["source"], gas["kind"], gas["level"], gas["status"]) == (
        "visit", "gas_safety", "property", "reported")
    assert gas["title"].startswith("燃气安全") and gas["neighborhood_id"] == "yunfang"
    assert gas["reported_at"] == T0 and gas["sla_due_at"] == T0 + pd.Timedelta(hours=24)
    steps = store.read_records("incident_events", where={"incident_id": body["incident_ids"]})
    assert set(steps["action"]) == {"report"} and set(steps["actor"]) == {"p-cadre"}
    assert "软管老化" in set(steps["note"])
    trail = [e for e in audit.entries(store) if e["action"] == "visit.record"]
    assert trail[-1]["actor"] == "cadre" and trail[-1]["subject"] == body["id"]


def test_vis011_an_inspection_of_a_building_sits_at_the_building(api):
    client, store = api
    response = post(client, "prop", kind="inspection", household_id=None, building_id="b1",
                    findings=[{"item": "fire_lanes", "ok": False, "note": "堆放杂物"}])
    assert response.status_code == 201, response.text
    incident = store.read_records("incidents", where={"id": response.json()["incident_ids"]})
    row = incident.iloc[0]
    assert row["source"] == "inspection" and row["title"] == "消防通道：云舫1号楼"
    assert 121.491 <= row["lon"] <= 121.492 and 31.251 <= row["lat"] <= 31.252


@pytest.mark.parametrize(("body", "status", "reason"), [
    ({"findings": [{"item": "gas_safety", "ok": True}, {"item": "nope", "ok": False}]}, 422,
     "visit.findings.1.item: Input should be 'wellbeing'"),
    ({"findings": [{"item": "gas_safety", "ok": True}, {"item": "gas_safety", "ok": False}]},
     422, "findings[1]: 'gas_safety' is given twice"),
    ({"kind": "inspection"}, 422, "inspection.building_id: Field required"),
    ({"household_id": "h404"}, 404, "unknown household 'h404'"),
    ({"kind": "survey"}, 422, "Input tag 'survey' found using 'kind' does not match"),
    ({"ended_at": (T0 + pd.Timedelta(hours=1)).isoformat()}, 422, "in the future"),
])
def test_vis012_a_wrong_visit_is_refused_whole(api, body, status, reason):
    """The schema's refusals name the field (FastAPI's list), the data's say why (issue 12)."""
    client, store = api
    response = post(client, "cadre", **body)
    assert response.status_code == status and reason in refusal(response), response.text
    assert store.count("visits") == 0 and store.count("incidents") == 0


def test_vis013_roles_and_scope(api):
    client, store = api
    inspection = {"kind": "inspection", "household_id": None, "building_id": "b1",
                  "findings": [{"item": "drains", "ok": True}]}
    refused = post(client, "prop")  # property managers do not visit residents
    assert refused.status_code == 403 and "may not record a visit" in refused.json()["detail"]
    for who in ("chief", "buddy", "root"):
        assert post(client, who, **inspection).status_code == 403, who
    outside = post(client, "duty2")  # h1 is in beiwaitan
    assert outside.status_code == 403 and "outside the scope" in outside.json()["detail"]
    far = post(client, "cadre", **(inspection | {"building_id": "b9"}))
    assert far.status_code == 403
    for who in ("boss", "duty", "cadre"):
        assert post(client, who).status_code == 201, who
    assert store.count("visits") == 3


def test_vis014_list_within_scope_and_without_personal_data_no_household(api):
    client, _ = api
    first = post(client, "cadre", started_at=(START - pd.Timedelta(days=3)).isoformat(),
                 findings=[{"item": "gas_safety", "ok": False, "note": "漏气"}]).json()
    second = post(client, "prop", kind="inspection", household_id=None, building_id="b1",
                  findings=[{"item": "drains", "ok": True}]).json()
    mine = client.get("/api/v1/visits", headers=as_user(client.tokens, "cadre")).json()
    assert [v["id"] for v in mine["visits"]] == [second["id"], first["id"]]
    gas = mine["visits"][1]
    assert gas["household_id"] == "h1" and gas["findings"] == [{
        "item": "gas_safety", "ok": False, "note": "漏气", "incident_id": first["incident_ids"][0]}]
    officer = client.get("/api/v1/visits", headers=as_user(client.tokens, "duty")).json()
    masked = next(v for v in officer["visits"] if v["id"] == first["id"])
    assert masked["household_id"] is None and masked["findings"][0]["note"] is None
    since = client.get("/api/v1/visits", params={"since": START.isoformat(), "kind": "visit"},
                       headers=as_user(client.tokens, "cadre")).json()
    assert since["count"] == 0
    other = client.get("/api/v1/visits", headers=as_user(client.tokens, "duty2")).json()
    assert other["count"] == 0
    asked = client.get("/api/v1/visits", params={"subdistrict": "beiwaitan"},
                       headers=as_user(client.tokens, "duty2"))
    assert asked.status_code == 403


def test_vis015_coverage_of_the_households_in_a_scope(api):
    client, store = api
    yunfang, far = Scope.of("beiwaitan", "yunfang"), Scope.of("ouyanglu", "far")
    assert household_visit_coverage(store, yunfang, T0) == 0.0
    assert post(client, "cadre").status_code == 201
    assert household_visit_coverage(store, yunfang, T0) == 1.0
    assert household_visit_coverage(store, yunfang, T0 + pd.Timedelta(days=31)) == 0.0
    assert household_visit_coverage(store, far, T0) == 0.0  # no households there


def test_vis016_the_map_layer_marks_the_visited_household(api):
    client, store = api
    store.replace_records("households", store.read_records("households").assign(
        lon=121.45, lat=31.23))
    atlas = client.app.state.services.atlas
    scope = MapScope(subdistrict="beiwaitan", neighborhood="yunfang")

    def shown() -> dict[str, str]:
        spec = overlay_spec(atlas.overlays(scope, T0, ["visits"]), "light", "en")
        (layer,) = [lay for lay in spec["layers"] if lay["id"] == "visits"]
        data = layer["data"]
        return dict(zip(data["columns"]["id"],
                        [data["codes"]["status"][c] for c in data["columns"]["status"]],
                        strict=True))

    assert shown()["h1"] == "due"
    assert post(client, "cadre").status_code == 201
    assert shown()["h1"] == "visited"
    assert "visits" not in [lay["id"] for lay in overlay_spec(
        atlas.overlays(scope, T0), "light", "en")["layers"]]  # asked for, not by default
