"""callbacks/details.py: the panel drawn for a pick, as the page's viewer may see it."""

from __future__ import annotations

import json

from twin_dashboard.callbacks.details import DRAW, render
from twin_dashboard.domain.details import GATHER


def _text(components: list) -> str:
    return json.dumps([c.to_plotly_json() for c in components], default=str, ensure_ascii=False)


def test_cbdet001_every_gathered_layer_has_a_drawing():
    assert set(DRAW) == set(GATHER)


def test_cbdet002_a_home_device_shows_the_address_on_the_desk_not_on_the_wall(demo):
    devices = demo.store.read_layer("devices")
    home = devices[devices["household_id"].notna()].iloc[0]
    household = demo.store.read_records("households", where={"id": home["household_id"]})
    address = household["address"].iloc[0]
    pick = {"layer": "devices", "id": home["id"], "neighborhood": home["neighborhood_id"]}
    assert address in _text(render(demo, pick, {"screen": "desk", "lang": "zh"}))
    assert address not in _text(render(demo, pick, {"screen": "wall", "lang": "zh"}))
    assert address not in _text(render(demo, pick, None))  # no screen sent: no personal data


def test_cbdet003_unknown_picks_say_so_in_the_pages_language(demo):
    panel = _text(render(demo, {"layer": "devices", "id": "nope"}, {"lang": "en"}))
    assert "not found" in panel.lower()
