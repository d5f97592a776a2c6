"""callbacks/road_chiefs.py: the desk's road-chief board, in the viewer's scope."""

from __future__ import annotations

from twin_dashboard.callbacks.road_chiefs import rows
from twin_dashboard.domain.access import Viewer

COMMANDER = Viewer("c", "commander")


def test_cbrc001_the_district_then_a_subdistrict(demo):
    zones, chiefs = rows(demo, COMMANDER, None, "zh")
    layer = demo.atlas.geo().layers["patrol_zones"]
    assert {r["id"] for r in zones} == set(layer["id"])
    assert chiefs and all(r["chief"] and r["role"] for r in chiefs)
    sub = layer["subdistrict_id"].iloc[0]
    mine, _ = rows(demo, COMMANDER, {"subdistrict": sub, "neighborhood": None}, "en")
    assert {r["id"] for r in mine} == set(layer.loc[layer["subdistrict_id"] == sub, "id"])
    flags = [r["overdue"] for r in mine]
    assert flags == sorted(flags, reverse=True)  # overdue ones first


def test_cbrc002_a_forged_selection_stays_in_the_officers_subdistrict(demo):
    layer = demo.atlas.geo().layers["patrol_zones"]
    home, other = sorted(set(layer["subdistrict_id"]))[:2]
    officer = Viewer("o", "officer", subdistricts=frozenset({home}))
    zones, _ = rows(demo, officer, {"subdistrict": other, "neighborhood": None}, "zh")
    assert {r["id"] for r in zones} == set(layer.loc[layer["subdistrict_id"] == home, "id"])


def test_cbrc003_a_road_chief_sees_their_own_zones(demo):
    layer = demo.atlas.geo().layers["patrol_zones"]
    zone = layer.iloc[0]
    chief = Viewer("r", "road_chief", subdistricts=frozenset({zone["subdistrict_id"]}),
                   zones=frozenset({zone["id"]}))
    zones, chiefs = rows(demo, chief, None, "zh")
    assert [r["id"] for r in zones] == [zone["id"]]
    assert {r["id"] for r in chiefs} <= {zone["gov_chief_id"], zone["community_chief_id"]}
