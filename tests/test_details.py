"""domain/details.py and domain/access.py: what a signed-in viewer sees of a picked object."""

from __future__ import annotations

import pytest

from twin_dashboard.domain.access import Viewer
from twin_dashboard.domain.details import Lookup, details

BOSS = Viewer("boss", "commander")


def _lookup(demo, viewer: Viewer, screen: str = "desk", seen: list | None = None) -> Lookup:
    return Lookup(demo.store, demo.atlas.places(), demo.ingestor.directory(), demo.now(),
                  viewer, screen, seen.append if seen is not None else None)


@pytest.fixture(scope="module")
def home_device(demo) -> dict:
    """A device in an elder's home (household-linked), as a map pick names it."""
    devices = demo.store.read_layer("devices")
    row = devices[devices["household_id"].notna()].iloc[0]
    return {"layer": "devices", "id": row["id"], "neighborhood": row["neighborhood_id"],
            "subdistrict": row["subdistrict_id"], "household_id": row["household_id"]}


def _cadre(pick: dict) -> Viewer:
    return Viewer("c", "cadre", "p-c", frozenset([pick["subdistrict"]]),
                  frozenset([pick["neighborhood"]]))


def _officer(subdistrict: str, person: str | None = None) -> Viewer:
    return Viewer("o", "officer", person, frozenset([subdistrict]))


def test_det001_the_cadre_of_the_area_sees_the_household_seen_views_are_reported(
        demo, home_device):
    seen: list[str] = []
    found = details(home_device, _lookup(demo, _cadre(home_device), seen=seen))
    household = found["household"]
    assert household["address"] and "**" not in household["address"] and household["elder"]
    assert seen == [home_device["household_id"]]  # audited by the callback


def test_det002_an_officer_sees_it_masked_a_kiosk_and_the_wall_not_at_all(demo, home_device):
    masked = details(home_device, _lookup(demo, _officer(home_device["subdistrict"])))
    assert masked["household"]["masked"] and "**" in masked["household"]["address"]
    assert masked["household"]["elder"].endswith("*")
    kiosk = Viewer("k", "kiosk", None, frozenset([home_device["subdistrict"]]))
    assert details(home_device, _lookup(demo, kiosk, "wall"))["household"] is None
    assert details(home_device, _lookup(demo, _cadre(home_device), "wall"))["household"] is None
    assert details(home_device, _lookup(demo, BOSS))["household"]["masked"]  # no reason yet
    reasoned = Viewer("boss", "commander", reason="fire at the address")
    assert "masked" not in details(home_device, _lookup(demo, reasoned))["household"]


def test_det003_a_pick_outside_the_scope_is_not_found(demo, home_device):
    other = next(s for s in demo.atlas.places().subdistricts if s != home_device["subdistrict"])
    assert details(home_device, _lookup(demo, _officer(other))) is None
    alarm = demo.store.read_records("alarms").iloc[0]
    pick = {"layer": "alarms", "id": alarm["id"]}
    elsewhere = next(s for s in demo.atlas.places().subdistricts if s != alarm["subdistrict_id"])
    assert details(pick, _lookup(demo, _officer(elsewhere))) is None
    assert details({"layer": "subdistricts", "id": elsewhere},
                   _lookup(demo, _officer(alarm["subdistrict_id"]))) is None


def test_det004_an_alarm_carries_what_the_signed_in_person_may_do(demo):
    alarms = demo.store.read_records("alarms", where={"status": "open"})
    alarm = alarms[alarms["incident_id"].isna()].iloc[0]
    pick = {"layer": "alarms", "id": alarm["id"]}
    officer = _officer(alarm["subdistrict_id"], "p-me")  # not a recipient
    assert details(pick, _lookup(demo, officer))["actions"] == ("escalate", "incident")
    assert "actions" not in details(pick, _lookup(demo, officer, "wall"))  # no pointer
    assert details(pick, _lookup(demo, BOSS))["actions"] == ()  # linked to nobody
    assert details(pick, _lookup(demo, Viewer("k", "kiosk")))["actions"] == ()


def test_det005_unknown_objects_and_layers_are_none(demo):
    assert details({"layer": "devices", "id": "no-such-device"}, _lookup(demo, BOSS)) is None
    assert details({"layer": "secrets", "id": "x"}, _lookup(demo, BOSS)) is None
    assert details({"layer": "devices"}, _lookup(demo, BOSS)) is None


def test_det006_an_area_carries_its_summary(demo):
    cadre = Viewer("c", "cadre", None, frozenset(["beiwaitan"]), frozenset(["yunfang"]))
    area = details({"layer": "neighborhoods", "id": "yunfang"}, _lookup(demo, cadre, "tablet"))
    assert area["name"] == "云舫小区" and area["summary"]["scope"]["neighborhood_ids"] == [
        "yunfang"]
    assert details({"layer": "subdistricts", "id": "beiwaitan"}, _lookup(demo, cadre)) is None


def test_det007_property_managers_see_property_level_incidents_only(demo):
    incidents = demo.store.read_records("incidents")
    row = incidents[incidents["neighborhood_id"].notna()].iloc[0]
    manager = Viewer("pm", "property", None, frozenset([row["subdistrict_id"]]),
                     frozenset([row["neighborhood_id"]]))
    found = details({"layer": "incidents", "id": row["id"]}, _lookup(demo, manager))
    assert (found is not None) == (row["level"] == "property")
