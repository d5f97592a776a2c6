"""The device state machine: order-independent, never backwards in time, offline by clock."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from twin_dashboard.domain.devices import status_from_readings
from twin_dashboard.domain.states import DeviceLive, apply_reading, settle, state_at

T0 = 1_780_000_000  # an epoch second


def fold(readings: list[tuple], live: DeviceLive | None = None) -> DeviceLive:
    live = live or DeviceLive("d1")
    for ts, event, value, battery in readings:
        apply_reading(live, ts, event, value, battery)
    settle(live)
    return live


def test_alarm_then_clear_then_late_alarm_stays_normal():
    live = fold([(T0, "smoke", None, None), (T0 + 60, "clear", None, None)])
    assert live.state == "normal" and live.state_since == T0 + 60
    fold([(T0 + 30, "smoke", None, None)], live)  # late: older than the clear
    assert live.state == "normal"


def test_late_clear_does_not_end_a_newer_alarm():
    live = fold([(T0 + 100, "gas", None, None)])
    assert live.state == "alarm" and live.state_since == T0 + 100
    fold([(T0 + 50, "clear", None, None)], live)
    assert live.state == "alarm" and live.state_since == T0 + 100


def test_priorities_and_battery():
    assert fold([(T0, "fault", None, None)]).state == "fault"
    assert fold([(T0, "fault", None, None), (T0 + 1, "alarm", None, None)]).state == "alarm"
    assert fold([(T0, "heartbeat", None, 0.1)]).state == "low_battery"
    late_low = fold([(T0 + 10, "heartbeat", None, 0.9), (T0, "heartbeat", None, 0.05)])
    assert late_low.state == "normal" and late_low.battery == 0.9
    assert fold([(T0, "alarm", None, None), (T0, "clear", None, None)]).state == "alarm"


def test_offline_from_heartbeat_window():
    live = fold([(T0, "heartbeat", None, None)])
    at = pd.Timestamp(T0, unit="s", tz="UTC")
    assert state_at(live, "door_contact", at + pd.Timedelta(hours=1)) == "normal"
    assert state_at(live, "door_contact", at + pd.Timedelta(hours=2, seconds=1)) == "offline"
    assert state_at(live, "smoke", at + pd.Timedelta(hours=23)) == "normal"
    assert state_at(DeviceLive("never"), "smoke", at) == "offline"


def test_seeded_row_without_registers_keeps_its_alarm():
    row = ("d1", "alarm", T0, T0 + 5, "smoke", None, 0.8) + (None,) * 10
    live = DeviceLive.from_row(row)
    fold([(T0 + 60, "heartbeat", None, None)], live)
    assert live.state == "alarm" and live.state_since == T0


def test_flow_registers_and_activity():
    live = fold([(T0, "flow_start", None, None), (T0 + 5, "heartbeat", None, None)])
    assert (live.flow_on, live.flow_at, live.active_at) == (1, T0, T0)
    fold([(T0 - 10, "flow_stop", None, None)], live)  # older stop does not stop a newer start
    assert live.flow_on == 1
    fold([(T0 + 20, "flow_stop", None, None)], live)
    assert (live.flow_on, live.active_at) == (0, T0 + 20)


EVENTS = st.sampled_from([None, "heartbeat", "alarm", "smoke", "gas", "fault", "clear",
                          "open", "motion", "flow_start", "flow_stop"])
READING = st.tuples(EVENTS, st.none() | st.floats(0, 10), st.none() | st.floats(0, 1))


@st.composite
def readings(draw) -> list[tuple]:
    """Readings with distinct times (ties are resolved by rule, tested above)."""
    times = draw(st.lists(st.integers(0, 10_000), min_size=1, max_size=30, unique=True))
    return [(T0 + t, *draw(READING)) for t in times]


@settings(max_examples=300, deadline=None)
@given(readings(), st.randoms())
def test_any_arrival_order_gives_the_same_state(seq, rnd):
    shuffled = list(seq)
    rnd.shuffle(shuffled)
    a, b = fold(seq), fold(shuffled)
    keep = ("state", "last_seen", "last_event", "battery", "alarm_at", "fault_at", "clear_at",
            "active_at", "flow_at", "flow_on")
    assert [getattr(a, k) for k in keep] == [getattr(b, k) for k in keep]


@settings(max_examples=200, deadline=None)
@given(readings())
def test_agrees_with_the_seed_fold(seq):
    """The live machine and domain.devices.status_from_readings give the same state."""
    devices = pd.DataFrame({"id": ["d1"], "subdistrict_id": ["s"], "neighborhood_id": ["n"]})
    frame = pd.DataFrame(seq, columns=["ts", "event", "value", "battery"]).assign(device_id="d1")
    frame["ts"] = pd.to_datetime(frame["ts"], unit="s", utc=True)
    expected = status_from_readings(devices, frame)["state"].iloc[0]
    assert fold(sorted(seq)).state == expected


@settings(max_examples=200, deadline=None)
@given(readings(), st.integers(1, 5))
def test_storing_between_batches_changes_nothing(seq, chunks):
    """Compact stored rows (times equal to last_seen kept as NULL) read back to the same state."""
    straight = fold(seq)
    live = DeviceLive("d1")
    size = max(1, len(seq) // chunks)
    for start in range(0, len(seq), size):
        live = fold(seq[start:start + size], live)
        live = DeviceLive.from_row((*live.status_row(), *live.register_row()))
    keep = ("state", "last_seen", "last_event", "battery", "alarm_at", "fault_at", "clear_at",
            "battery_at", "active_at", "flow_at", "flow_on")
    assert [getattr(live, k) for k in keep] == [getattr(straight, k) for k in keep]
