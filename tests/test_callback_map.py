"""callbacks/map.py: a scope's overlays and camera, and the base board cached per app."""

from __future__ import annotations

from twin_dashboard.callbacks.map import board, first_paint, map_data, map_view
from twin_dashboard.domain.places import MapScope

YUNFANG = MapScope("beiwaitan", "yunfang")


def _layer(spec: dict, layer_id: str) -> dict | None:
    return next((lyr for lyr in spec["layers"] if lyr["id"] == layer_id), None)


def test_cbmap001_a_neighborhood_draws_only_its_own_devices(demo):
    data = map_data(demo, YUNFANG, None, "desk", "zh")
    devices = _layer(data, "devices")
    assert devices is not None and devices["data"]["length"] > 100
    registry = demo.atlas.geo().devices
    expected = int((registry["neighborhood_id"] == "yunfang").sum())
    assert devices["data"]["length"] == expected


def test_cbmap002_switched_off_layers_are_not_sent(demo):
    data = map_data(demo, YUNFANG, ["alarms"], "desk", "zh")
    ids = {lyr["id"] for lyr in data["layers"]}
    assert "devices" not in ids and "incidents" not in ids


def test_cbmap003_the_camera_names_scope_and_mode(demo):
    view = map_view(demo, YUNFANG, "2d", "desk")
    assert view["key"] == "nbh:yunfang:2d" and view["pitch"] == 0
    assert map_view(demo, MapScope(), None, "wall")["pitch"] > 0  # the wall opens in 3D
    assert map_view(demo, MapScope(), None, "tablet")["pitch"] == 0  # the tablet in 2D


def test_cbmap004_the_base_board_is_built_once_per_screen_and_language(demo):
    assert board(demo, "desk", "zh") is board(demo, "desk", "zh")
    assert board(demo, "desk", "zh") is not board(demo, "desk", "en")
    assert board(demo, "wall", "zh")["theme"] == "dark"
    paint = first_paint(demo, YUNFANG, "tablet", "en")
    assert paint.spec is board(demo, "tablet", "en") and paint.view["transitionDuration"] == 0


def test_cbmap005_patrol_tracks_bounded_and_windowed(demo):
    week = _layer(map_data(demo, MapScope(), ["patrol_tracks"], "desk", "zh"), "patrol_tracks")
    day = _layer(map_data(demo, MapScope(), ["patrol_tracks"], "desk", "zh", 1), "patrol_tracks")
    forged = _layer(map_data(demo, MapScope(), ["patrol_tracks"], "desk", "zh", 365),
                    "patrol_tracks")  # not a window the map offers: the default (7 days)
    assert 0 < day["data"]["length"] < week["data"]["length"] == forged["data"]["length"]
    assert len(set(week["data"]["columns"]["patrol_id"])) <= 500
    ages = week["data"]["codes"]["age"]
    assert {ages[a] for a in week["data"]["columns"]["age"]} == {"day", "week"}
    assert {day["data"]["codes"]["age"][a] for a in day["data"]["columns"]["age"]} == {"day"}
    assert _layer(map_data(demo, YUNFANG, ["alarms"], "desk", "zh"), "patrol_tracks") is None
