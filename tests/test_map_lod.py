"""Level of detail on the map: the district's columns (counted right), the devices in view
when zoomed in (MAP_DETAIL), and the device layer's binary flag."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from twin_dashboard.callbacks.map import NO_DETAIL, asked_bounds, map_data, map_detail
from twin_dashboard.catalog import DEVICE_STATES
from twin_dashboard.domain.overlays import in_bounds, neighborhood_counts
from twin_dashboard.domain.places import MapScope
from twin_dashboard.geo.demo._devices import scaled
from twin_dashboard.views import map_layers as ml


def hoods() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({
        "id": ["a", "b", "c"], "name": ["甲", "乙", "丙"], "name_en": ["A", "B", ""],
        "subdistrict_id": ["s", "s", "t"],
        "geometry": [shapely.box(121.0, 31.0, 121.01, 31.01), shapely.box(121.01, 31.0, 121.02,
                     31.01), shapely.box(121.02, 31.0, 121.03, 31.01)],
    }, geometry="geometry", crs="EPSG:4326")


def states_frame(n: int = 600, seed: int = 7) -> pd.DataFrame:
    """``n`` devices in random states over neighborhoods a and b (c has none)."""
    r = np.random.default_rng(seed)
    hood = r.choice(["a", "b"], n)
    return pd.DataFrame({
        "id": [f"d{i}" for i in range(n)], "category": "smoke",
        "state": r.choice(list(DEVICE_STATES), n, p=[0.7, 0.05, 0.05, 0.1, 0.1]),
        "neighborhood_id": hood, "subdistrict_id": "s",
        "lon": np.where(hood == "a", 121.005, 121.015) + r.uniform(-0.004, 0.004, n),
        "lat": 31.005 + r.uniform(-0.004, 0.004, n), "name": "",
    })


def rows_of(data: dict) -> list[dict]:
    codes = data.get("codes", {})
    out = [{} for _ in range(data["length"])]
    for name, values in data["columns"].items():
        for row, value in zip(out, values, strict=True):
            value = value.item() if isinstance(value, np.generic) else value
            row[name] = codes[name][value] if name in codes else value
    return out


def test_lod001_columns_count_what_a_direct_count_finds():
    states = states_frame()
    layer = ml.device_columns(neighborhood_counts(states, hoods()), "zh")
    got = {r["id"]: r for r in rows_of(layer["data"])}
    direct = states.groupby(["neighborhood_id", "state"]).size()
    for hood in ("a", "b"):
        for state in DEVICE_STATES:
            assert got[hood][state] == direct.get((hood, state), 0), (hood, state)
        assert got[hood]["total"] == int((states["neighborhood_id"] == hood).sum())
    assert got["c"]["total"] == 0 and got["c"]["worst"] == "normal"
    assert sum(r["total"] for r in got.values()) == len(states)
    # the columns stand for the devices only below the detail zoom
    assert layer["meta"]["maxZoom"] == ml.DETAIL_ZOOM and layer["meta"]["pick"] == "neighborhoods"


def test_lod002_a_live_change_moves_the_counts():
    states = states_frame()
    before = neighborhood_counts(states, hoods()).set_index("neighborhood_id")
    moved = states.copy()
    index = moved.index[(moved["neighborhood_id"] == "a") & (moved["state"] == "normal")][:5]
    moved.loc[index, "state"] = "alarm"
    after = neighborhood_counts(moved, hoods()).set_index("neighborhood_id")
    assert after.loc["a", "alarm"] == before.loc["a", "alarm"] + 5
    assert after.loc["a", "normal"] == before.loc["a", "normal"] - 5
    assert after.loc["b"].equals(before.loc["b"])


def test_lod003_device_dots_go_binary_and_detail_only_zoomed_in():
    points = ml.device_points(states_frame(20), "dark", "en")
    assert points["meta"]["binary"] is True and points["meta"]["minZoom"] is None
    detail = ml.detail_spec("district", "dark", "zh", states=states_frame(20),
                            bounds=[121.0, 31.0, 121.03, 31.01])
    (layer,) = detail["layers"]
    assert layer["id"] == "devices_detail" and layer["meta"]["minZoom"] == ml.DETAIL_ZOOM
    assert layer["meta"]["pick"] == "devices" and layer["data"]["length"] == 20
    assert ml.Z["device_columns"] < ml.Z["devices_detail"] < ml.Z["devices"]


def test_lod004_in_bounds_takes_the_worst_first_over_the_limit():
    states = states_frame()
    inside = in_bounds(states, (121.0, 31.0, 121.01, 31.01))
    assert set(inside["id"]) == set(states.loc[states["neighborhood_id"] == "a", "id"])
    few = in_bounds(states, (121.0, 31.0, 121.03, 31.01), limit=10)
    alarms = int((states["state"] == "alarm").sum())
    assert len(few) == 10 and (few["state"] == "alarm").sum() == min(alarms, 10)


@pytest.mark.parametrize("ask", [None, {}, {"bounds": [1, 2, 3]}, {"bounds": [3, 0, 1, 1]},
                                 {"bounds": ["x", 0, 1, 1]}, {"bounds": [0, 0, 200, 1]},
                                 {"bounds": [0, 0, float("nan"), 1]}])
def test_lod005_bad_bounds_ask_for_nothing(ask):
    assert asked_bounds(ask) is None


def test_lod006_detail_at_district_scope_only(demo):
    registry = demo.atlas.geo().devices
    box = [121.49, 31.25, 121.50, 31.26]
    detail = map_detail(demo, MapScope(), {"bounds": box}, None, "desk", "zh")
    (layer,) = detail["layers"]
    direct = ((registry["lon"] >= box[0]) & (registry["lon"] <= box[2]) &
              (registry["lat"] >= box[1]) & (registry["lat"] <= box[3])).sum()
    assert 0 < layer["data"]["length"] == direct
    assert detail["scope"] == "district" and detail["bounds"] == box
    yunfang = MapScope("beiwaitan", "yunfang")
    assert map_detail(demo, yunfang, {"bounds": box}, None, "desk", "zh") == NO_DETAIL
    assert map_detail(demo, MapScope(), {"bounds": box}, ["alarms"], "desk", "zh") == NO_DETAIL
    assert map_detail(demo, MapScope(), {"bounds": None}, None, "desk", "zh") == NO_DETAIL
    assert map_data(demo, MapScope(), None, "desk", "zh")["detailZoom"] == ml.DETAIL_ZOOM
    assert "detailZoom" not in map_data(demo, yunfang, None, "desk", "zh")


def test_lod008_live_changes_ask_for_the_columns_anew(demo):
    """The columns after live changes: the district's counts, named in the page's language."""
    fresh = map_detail(demo, MapScope(), {"bounds": None, "columns": True}, None, "desk", "en")
    (layer,) = fresh["layers"]
    assert layer["id"] == "device_columns" and fresh["bounds"] is None
    got = rows_of(layer["data"])
    states = demo.atlas.district_states(demo.now())
    assert sum(r["total"] for r in got) == int(states["neighborhood_id"].isin(
        [r["id"] for r in got]).sum())
    alarms = states[states["state"] == "alarm"].groupby("neighborhood_id").size()
    assert {r["id"]: r["alarm"] for r in got} == {r["id"]: int(alarms.get(r["id"], 0))
                                                  for r in got}
    assert any(r["name"].isascii() and r["name"] for r in got)  # English names
    both = map_detail(demo, MapScope(), {"bounds": [121.49, 31.25, 121.5, 31.26],
                                         "columns": True}, None, "desk", "zh")
    assert [lyr["id"] for lyr in both["layers"]] == ["device_columns", "devices_detail"]


def test_lod007_generate_demo_scales_the_device_budget():
    budgets = {"a": 1000, "b": 950, "c": 1040}
    big = scaled(budgets, 30_000)
    assert abs(sum(big.values()) - 30_000) <= len(budgets)
    assert big["a"] > big["b"] and big["c"] > big["a"]  # the same proportions
    with pytest.raises(ValueError, match="at least 3"):
        scaled(budgets, 2)
