"""callbacks/details.py: the panel drawn for a pick, as the signed-in viewer may see it."""

from __future__ import annotations

import json

from twin_dashboard.callbacks.details import DRAW, render
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
