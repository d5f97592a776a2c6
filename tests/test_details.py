"""domain/details.py and domain/access.py: what a viewer sees of a picked object."""

from __future__ import annotations

import pytest

from twin_dashboard.domain.access import Viewer
from twin_dashboard.domain.details import Lookup, details


def _lookup(demo, screen: str) -> Lookup:
    return Lookup(demo.store, demo.atlas.places(), demo.ingestor.directory(), demo.now(),
                  Viewer(screen))


@pytest.fixture(scope="module")
def home_device(demo) -> dict:
    """A device in an elder's home (household-linked), as a map pick names it."""
    devices = demo.store.read_layer("devices")
    row = devices[devices["household_id"].notna()].iloc[0]
    return {"layer": "devices", "id": row["id"], "neighborhood": row["neighborhood_id"]}


@pytest.mark.parametrize("screen,personal", [("desk", True), ("tablet", True), ("wall", False),
                                             ("kiosk", False), ("", False)])
def test_det001_personal_data_only_for_screens_allowed_it(screen, personal):
    assert Viewer(screen).sees_personal_data is personal


def test_det002_a_home_device_shows_its_household_only_where_allowed(demo, home_device):
    on_desk = details(home_device, _lookup(demo, "desk"))
    on_wall = details(home_device, _lookup(demo, "wall"))
    forged = details(home_device, _lookup(demo, "something-else"))
    assert on_desk["household"]["address"] and on_desk["household"]["elder"]
    assert on_wall["household"] is None and forged["household"] is None
    assert on_wall["id"] == on_desk["id"] == home_device["id"]


def test_det003_the_desk_acts_on_alarms_as_the_subdistricts_duty_officer(demo):
    alarm = demo.store.read_records("alarms").iloc[0]
    pick = {"layer": "alarms", "id": alarm["id"]}
    on_desk = details(pick, _lookup(demo, "desk"))
    assert on_desk["actor"] == demo.ingestor.directory().duty[alarm["subdistrict_id"]]
    assert "actor" not in details(pick, _lookup(demo, "wall"))


def test_det004_unknown_objects_and_layers_are_none(demo):
    assert details({"layer": "devices", "id": "no-such-device"}, _lookup(demo, "desk")) is None
    assert details({"layer": "secrets", "id": "x"}, _lookup(demo, "desk")) is None
    assert details({"layer": "devices"}, _lookup(demo, "desk")) is None


def test_det005_an_area_carries_its_summary(demo):
    area = details({"layer": "neighborhoods", "id": "yunfang"}, _lookup(demo, "tablet"))
    assert area["name"] == "云舫小区" and area["summary"]["scope"]["neighborhood_ids"] == [
        "yunfang"]
