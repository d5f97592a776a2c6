"""Elderly-care rules fire, and do not fire, on crafted and generated sequences."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from twin_dashboard.domain.rules import (
    DEFAULT_RULES,
    NO_ACTIVITY,
    NO_WATER,
    WATER_RUNNING,
    RuleConfig,
    daytime_seconds,
    device_alarm,
    household_alarms,
)
from twin_dashboard.domain.states import DeviceLive, apply_reading

TZ = ZoneInfo("Asia/Shanghai")
H = 3600


def local(day: int, hour: float) -> int:
    """Epoch seconds of 2026-03-<day> at ``hour`` o'clock Shanghai time."""
    base = datetime(2026, 3, day, tzinfo=TZ).timestamp()
    return int(base + hour * H)


def household(readings: dict[str, list[tuple]], seen_at: int) -> pd.DataFrame:
    """Fold readings per category through the state machine into an activity frame."""
    rows = []
    for category, seq in readings.items():
        live = DeviceLive(category)
        for ts, event, value in seq:
            apply_reading(live, ts, event, value, None, water=category == "water_flow")
        apply_reading(live, seen_at, "heartbeat", None, None)  # the device is online
        rows.append({"household_id": "h1", "subdistrict_id": "s", "neighborhood_id": "n",
                     "category": category, "lon": 121.5, "lat": 31.27,
                     "last_seen": pd.Timestamp(live.last_seen, unit="s", tz="UTC"),
                     "active_at": live.active_at, "flow_at": live.flow_at,
                     "flow_on": live.flow_on, "installed_at": pd.NaT})
    return pd.DataFrame(rows)


def rules_at(readings: dict[str, list[tuple]], now: int, cfg=DEFAULT_RULES) -> set[str]:
    frame = household(readings, seen_at=now - 60)
    return {a["rule"] for a in household_alarms(frame, pd.Timestamp(now, unit="s"), cfg)}


def test_no_activity_counts_daytime_only():
    door = {"door_contact": [(local(2, 20), "open", None)]}  # last seen leaving at 20:00
    assert NO_ACTIVITY not in rules_at(door, local(3, 8))  # a night's sleep: 3 daytime hours
    assert NO_ACTIVITY not in rules_at(door, local(3, 16.9))  # 2 + 9.9 h
    assert NO_ACTIVITY in rules_at(door, local(3, 17.1))  # 2 + 10.1 h >= 12 h
    motion = {**door, "infrared": [(local(3, 12), "motion", None)]}
    assert NO_ACTIVITY not in rules_at(motion, local(3, 17.1))  # infrared counts too


def test_no_activity_is_silent_when_sensors_are_offline():
    frame = household({"door_contact": [(local(2, 8), "open", None)]}, seen_at=local(2, 8))
    assert household_alarms(frame, pd.Timestamp(local(3, 20), unit="s")) == []


def test_no_water_for_24_hours():
    water = {"water_flow": [(local(2, 9), "flow_start", None), (local(2, 9.1), "flow_stop", None)]}
    assert NO_WATER not in rules_at(water, local(3, 9))
    assert NO_WATER in rules_at(water, local(3, 9.2))
    used = {"water_flow": water["water_flow"] + [(local(3, 7), None, 3.5)]}  # volume = use
    assert NO_WATER not in rules_at(used, local(3, 9.2))


def test_water_running_two_hours_and_stop_ends_it():
    start = [(local(2, 10), "flow_start", None)]
    assert WATER_RUNNING not in rules_at({"water_flow": start}, local(2, 11.9))
    assert WATER_RUNNING in rules_at({"water_flow": start}, local(2, 12.1))
    stopped = start + [(local(2, 11), "flow_stop", None)]
    assert WATER_RUNNING not in rules_at({"water_flow": stopped}, local(2, 12.1))
    late_stop = start + [(local(2, 9), "flow_stop", None)]  # older than the start: ignored
    assert WATER_RUNNING in rules_at({"water_flow": late_stop}, local(2, 12.1))


def test_thresholds_come_from_configuration():
    start = [(local(2, 10), "flow_start", None)]
    quick = RuleConfig(water_running_hours=0.5)
    assert WATER_RUNNING in rules_at({"water_flow": start}, local(2, 10.6), quick)


def test_alarm_ids_are_stable_per_episode():
    door = {"door_contact": [(local(2, 7), "open", None)]}
    first = household_alarms(household(door, local(3, 20)), pd.Timestamp(local(3, 20), unit="s"))
    again = household_alarms(household(door, local(3, 21)), pd.Timestamp(local(3, 21), unit="s"))
    assert [a["id"] for a in first] == [a["id"] for a in again]


def test_smoke_and_gas_are_critical_at_once():
    live = DeviceLive("d")
    apply_reading(live, local(2, 3), "smoke", None, None)  # at night too
    apply_reading(live, local(2, 3), "heartbeat", None, None)
    alarm = device_alarm({"id": "d", "category": "smoke", "household_id": "h1"}, live)
    assert alarm["severity"] == "critical" and alarm["rule"] == "smoke"
    assert alarm["household_id"] == "h1" and alarm["raised_at"] == local(2, 3)


def brute_daytime(start: int, end: int) -> int:
    """Daytime seconds counted minute by minute (07:00-22:00 local)."""
    total = 0
    for t in range(start, end, 60):
        hour = datetime.fromtimestamp(t, TZ).hour
        total += min(60, end - t) if 7 <= hour < 22 else 0
    return total


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 3 * 24 * 60), st.integers(0, 2 * 24 * 60))
def test_daytime_seconds_matches_minute_count(start_min, span_min):
    start = local(2, 0) + start_min * 60
    assert abs(daytime_seconds(start, start + span_min * 60) - brute_daytime(
        start, start + span_min * 60)) <= 60


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 48 * 60), st.sampled_from(["open", "close", "motion",
                                                                     "heartbeat"])),
                min_size=1, max_size=12),
       st.integers(0, 24 * 60))
def test_no_activity_fires_iff_the_daytime_gap_reaches_12h(events, extra_min):
    seq = [(local(2, 0) + m * 60, e, None) for m, e in events]
    active = [ts for ts, e, _ in seq if e != "heartbeat"]
    now = max(ts for ts, _, _ in seq) + extra_min * 60 + 60
    fired = NO_ACTIVITY in rules_at({"door_contact": seq}, now)
    if not active:
        assert not fired  # never active and no installation time: nothing to count from
    else:
        assert fired == (brute_daytime(max(active), now) >= 12 * H)
