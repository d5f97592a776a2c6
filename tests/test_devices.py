"""Device states: folding readings into a stored status, and offline from heartbeat windows."""

from __future__ import annotations

import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from twin_dashboard.catalog import DEVICE_CATEGORIES, DEVICE_STATES, LOW_BATTERY
from twin_dashboard.domain.devices import (
    current_states,
    heartbeat_window,
    online_share,
    state_counts,
    status_from_readings,
)
from twin_dashboard.store.base import RECORD_TABLES

T0 = pd.Timestamp("2026-11-01T00:00:00Z")


def at(hours: float) -> pd.Timestamp:
    return T0 + pd.Timedelta(hours=hours)


def devices(*ids: str, category: str = "smoke") -> pd.DataFrame:
    return pd.DataFrame({"id": list(ids), "category": category,
                         "subdistrict_id": "s1", "neighborhood_id": "n1",
                         "lon": 121.5, "lat": 31.27})


def readings(*rows: tuple) -> pd.DataFrame:
    """Rows of (device_id, hours after T0, event, value, battery)."""
    frame = pd.DataFrame(rows, columns=["device_id", "h", "event", "value", "battery"])
    frame["ts"] = [at(h) for h in frame.pop("h")]
    frame.insert(0, "reading_id", [f"r{i}" for i in range(len(frame))])
    return frame


def status_of(device_rows: pd.DataFrame, reading_rows: pd.DataFrame) -> pd.Series:
    """The single device's status row."""
    out = status_from_readings(device_rows, reading_rows)
    assert len(out) == 1
    return out.iloc[0]


# --- status_from_readings ---

def test_status_has_the_store_columns_one_row_per_device_in_order():
    out = status_from_readings(devices("b", "a", "c"), readings(("a", 0, "heartbeat", None, 0.9)))
    assert tuple(out.columns) == RECORD_TABLES["device_status"]
    assert list(out["device_id"]) == ["b", "a", "c"]
    assert list(out["subdistrict_id"]) == ["s1"] * 3


@pytest.mark.parametrize(("events", "state", "since_hour"), [
    (["heartbeat"], "normal", 0),
    (["smoke"], "alarm", 0),
    (["heartbeat", "gas", "heartbeat"], "alarm", 1),
    (["alarm", "alarm", "heartbeat"], "alarm", 0),  # the streak began with the first alarm
    (["smoke", "clear"], "normal", 1),  # alarm then clear -> normal since the clear
    (["smoke", "clear", "alarm"], "alarm", 2),
    (["fault"], "fault", 0),
    (["fault", "clear"], "normal", 1),
    (["fault", "smoke"], "alarm", 1),  # alarm outranks fault
    (["smoke", "fault"], "alarm", 0),
    (["open", "close", "motion", "flow_start", "flow_stop"], "normal", 0),
])
def test_state_follows_the_latest_uncleared_event(events, state, since_hour):
    rows = readings(*[("a", h, e, None, 0.9) for h, e in enumerate(events)])
    got = status_of(devices("a"), rows)
    assert got["state"] == state
    assert got["state_since"] == at(since_hour)
    assert got["last_seen"] == at(len(events) - 1)


@pytest.mark.parametrize(("batteries", "state", "since_hour"), [
    ([0.9, 0.5], "normal", 0),
    ([0.9, 0.1], "low_battery", 1),
    ([0.1, 0.12], "low_battery", 0),
    ([0.1, 0.9], "normal", 1),  # replaced battery: normal since the recovery
    ([LOW_BATTERY], "normal", 0),  # the threshold itself is not low
    ([0.1, None], "low_battery", 0),  # a reading without battery keeps the last known
])
def test_low_battery_uses_the_latest_known_battery(batteries, state, since_hour):
    rows = readings(*[("a", h, "heartbeat", None, b) for h, b in enumerate(batteries)])
    got = status_of(devices("a"), rows)
    assert got["state"] == state
    assert got["state_since"] == at(since_hour)


def test_alarm_outranks_low_battery():
    got = status_of(devices("a"), readings(("a", 0, "smoke", None, 0.05)))
    assert got["state"] == "alarm"


def test_readings_are_ordered_by_time_not_by_row():
    rows = readings(("a", 2, "clear", None, None), ("a", 1, "smoke", 3.0, 0.8),
                    ("a", 0, "heartbeat", 1.0, 0.95))
    got = status_of(devices("a"), rows)
    assert got["state"] == "normal"
    assert got["last_seen"] == at(2)
    # the latest *known* event, value and battery
    assert (got["last_event"], got["last_value"], got["battery"]) == ("clear", 3.0, 0.8)


@pytest.mark.parametrize(("events", "state"), [
    (["smoke", "clear"], "alarm"),  # in the same second, an alarm beats a clear (fail safe)
    (["clear", "smoke"], "alarm"),
    (["fault", "clear"], "fault"),
    (["clear", "heartbeat"], "normal"),
])
def test_a_clear_in_the_same_second_does_not_clear(events, state):
    rows = readings(*[("a", 1, e, None, None) for e in events])
    # the clear is the later one, but within the same second
    rows["ts"] += pd.to_timedelta(np.where(rows["event"] == "clear", 0.7, 0.2), unit="s")
    assert status_of(devices("a"), rows)["state"] == state


def test_state_does_not_depend_on_row_order():
    rows = readings(("a", 0, "smoke", None, 0.9), ("a", 1, "clear", None, 0.1),
                    ("a", 2, "fault", None, None), ("b", 0, "gas", None, 0.5),
                    ("b", 0, "clear", None, None), ("c", 3, "heartbeat", None, 0.05))
    expected = status_from_readings(devices("a", "b", "c"), rows)
    for seed in range(5):
        shuffled = rows.sample(frac=1, random_state=seed)
        pd.testing.assert_frame_equal(status_from_readings(devices("a", "b", "c"), shuffled),
                                      expected)


def test_device_without_readings_is_stored_normal_and_never_seen():
    out = status_from_readings(devices("a", "b"), readings(("a", 0, "heartbeat", None, 0.9)))
    b = out.set_index("device_id").loc["b"]
    assert b["state"] == "normal"
    assert pd.isna(b["last_seen"]) and pd.isna(b["battery"])


def test_readings_of_unknown_devices_are_ignored():
    out = status_from_readings(devices("a"), readings(("a", 0, "heartbeat", None, 0.9),
                                                      ("ghost", 5, "smoke", None, 0.9)))
    assert list(out["device_id"]) == ["a"]
    assert out.loc[0, "state"] == "normal"
    assert out.loc[0, "last_seen"] == at(0)


def test_status_accepts_iso_text_times():
    rows = readings(("a", 0, "smoke", None, 0.9))
    rows["ts"] = ["2026-11-01T08:00:00+08:00"]
    assert status_of(devices("a"), rows)["state_since"] == T0


def test_status_refuses_frames_without_needed_columns():
    with pytest.raises(ValueError, match="readings: missing column.*ts"):
        status_from_readings(devices("a"), pd.DataFrame({"device_id": ["a"]}))


# --- current_states ---

def stored(device_id: str, state: str, last_seen: pd.Timestamp | None,
           battery: float = 0.9) -> pd.DataFrame:
    return pd.DataFrame({"device_id": [device_id], "state": [state],
                         "last_seen": pd.to_datetime([last_seen], utc=True),
                         "battery": [battery]})


@pytest.mark.parametrize(("category", "silent_hours", "expected"), [
    ("door_contact", 1.9, "alarm"),  # 2 h window
    ("door_contact", 2.0, "alarm"),  # exactly the window: still online
    ("door_contact", 2.1, "offline"),
    ("smoke", 23.0, "alarm"),  # 24 h window
    ("smoke", 25.0, "offline"),
    ("ebike_charging", 1.5, "offline"),  # 1 h window
])
def test_offline_after_the_category_heartbeat_window(category, silent_hours, expected):
    now = at(100)
    states = current_states(devices("a", category=category),
                            stored("a", "alarm", now - pd.Timedelta(hours=silent_hours)), now)
    assert states.loc[0, "state"] == expected


def test_never_seen_or_missing_status_is_offline():
    status = pd.concat([stored("a", "normal", None), stored("b", "normal", at(0))])
    states = current_states(devices("a", "b", "c"), status, at(1))
    assert list(states["state"]) == ["offline", "normal", "offline"]
    assert list(states["id"]) == ["a", "b", "c"]


def test_current_states_columns_and_values():
    states = current_states(devices("a"), stored("a", "low_battery", at(0), 0.1), at(1))
    assert list(states.columns) == ["id", "category", "subdistrict_id", "neighborhood_id",
                                    "lon", "lat", "state", "last_seen", "battery"]
    row = states.iloc[0]
    assert (row["state"], row["battery"], row["last_seen"]) == ("low_battery", 0.1, at(0))
    assert (row["lon"], row["lat"]) == (121.5, 31.27)


def test_lon_lat_come_from_point_geometry_when_columns_are_absent():
    layer = gpd.GeoDataFrame(devices("a").drop(columns=["lon", "lat"]),
                             geometry=[Point(121.49, 31.26)], crs="EPSG:4326")
    states = current_states(layer, stored("a", "normal", at(0)), at(0))
    assert (states.loc[0, "lon"], states.loc[0, "lat"]) == (121.49, 31.26)


def test_naive_now_is_taken_as_utc():
    states = current_states(devices("a"), stored("a", "normal", at(0)),
                            pd.Timestamp("2026-11-02T00:00:00"))
    assert states.loc[0, "state"] == "normal"  # exactly the 24 h smoke window
    states = current_states(devices("a"), stored("a", "normal", at(0)),
                            pd.Timestamp("2026-11-02T00:00:01"))
    assert states.loc[0, "state"] == "offline"


def test_unknown_category_is_refused():
    with pytest.raises(ValueError, match="unknown device category: toaster"):
        current_states(devices("a", category="toaster"), stored("a", "normal", at(0)), at(0))


def test_current_states_is_vectorised_for_a_district():
    n = 25_000
    codes = [c.code for c in DEVICE_CATEGORIES]
    many = devices(*[f"d{i}" for i in range(n)])
    many["category"] = [codes[i % len(codes)] for i in range(n)]
    status = pd.DataFrame({"device_id": many["id"], "state": "normal",
                           "last_seen": at(0) - pd.to_timedelta(np.arange(n) % 30, unit="h"),
                           "battery": 0.5})
    started = time.perf_counter()
    states = current_states(many, status, at(0))
    assert time.perf_counter() - started < 0.5  # per-row Python would take seconds
    assert len(states) == n and set(states["state"]) == {"normal", "offline"}


# --- counts ---

def test_state_counts_cover_every_category_and_state_with_zeros():
    states = pd.DataFrame({"category": ["smoke", "smoke", "gas", "noise"],
                           "state": ["alarm", "alarm", "offline", "normal"]})
    counts = state_counts(states)
    assert list(counts.index) == [c.code for c in DEVICE_CATEGORIES]
    assert list(counts.columns) == list(DEVICE_STATES)
    assert counts.loc["smoke", "alarm"] == 2
    assert counts.loc["gas", "offline"] == 1
    assert counts.loc["elevator"].sum() == 0
    assert int(counts.to_numpy().sum()) == 4
    assert all(dtype.kind == "i" for dtype in counts.dtypes)


def test_state_counts_of_nothing_are_all_zeros():
    counts = state_counts(pd.DataFrame({"category": [], "state": []}))
    assert counts.shape == (19, 5) and int(counts.to_numpy().sum()) == 0


def test_state_counts_refuse_unknown_states():
    with pytest.raises(ValueError, match="unknown device state: broken"):
        state_counts(pd.DataFrame({"category": ["smoke"], "state": ["broken"]}))


@pytest.mark.parametrize(("states", "expected"), [
    (["normal", "alarm", "offline", "low_battery"], 0.75),
    (["offline", "offline"], 0.0),
    (["fault"], 1.0),
    ([], 0.0),
])
def test_online_share(states, expected):
    assert online_share(pd.DataFrame({"state": states})) == pytest.approx(expected)


def test_heartbeat_window():
    assert heartbeat_window("smoke") == pd.Timedelta(hours=24)
    with pytest.raises(ValueError, match="unknown device category 'toaster'"):
        heartbeat_window("toaster")


@pytest.mark.parametrize("rows", [
    pd.DataFrame(columns=["device_id", "ts"]),
    pd.DataFrame({"device_id": ["a"], "ts": [at(1)]}),  # no event, value or battery columns
])
def test_status_from_sparse_readings(rows):
    out = status_from_readings(devices("a", "b"), rows)
    assert out["state"].tolist() == ["normal", "normal"]
    seen = out.set_index("device_id")["last_seen"]
    assert pd.isna(seen["b"])
    assert seen["a"] == at(1) if len(rows) else pd.isna(seen["a"])
