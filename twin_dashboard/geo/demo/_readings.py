"""Sensor readings (readings.csv): enough to derive every device's current state, plus the
last day's rhythm of each elderly home (door, motion, water) for the elderly-care rules.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin_dashboard.catalog import CATEGORY_BY_CODE
from twin_dashboard.geo.demo._alarms import BATTERY_POWERED, Alarm, States
from twin_dashboard.geo.demo._base import AS_OF_TS, DAY, HOUR
from twin_dashboard.geo.demo._devices import Device

MINUTE = 60.0
OFFLINE_MAX_H = 96.0
CLEARED_WITHIN_S = 3 * DAY  # recent closed alarms also appear as alarm/clear readings
# Normal and alarming value ranges per category, and decimals to write. Water flow has no
# heartbeat value: its flow_start / flow_stop events carry the rate.
VALUES: dict[str, tuple[tuple[float, float], tuple[float, float], int]] = {
    "fire_hydrant": ((0.25, 0.45), (0.03, 0.12), 2),
    "gas": ((0.0, 3.0), (25.0, 60.0), 1),
    "ebike_charging": ((0.0, 2.5), (3.5, 6.0), 2),
    "garbage": ((8.0, 80.0), (95.0, 100.0), 0),
    "waterlogging": ((0.0, 2.0), (15.0, 40.0), 1),
    "air_quality": ((25.0, 120.0), (160.0, 260.0), 0),
    "noise": ((38.0, 65.0), (75.0, 92.0), 1),
    "building_tilt": ((0.0, 0.3), (0.8, 2.0), 2),
}


@dataclass(frozen=True)
class Reading:
    device_id: str
    ts: float
    event: str
    value: str = ""
    battery: str = ""


def _value(code: str, alarming: bool, r: np.random.Generator) -> str:
    if code not in VALUES:
        return ""
    normal, high, decimals = VALUES[code]
    lo, hi = high if alarming else normal
    return f"{r.uniform(lo, hi):.{decimals}f}"


def _battery(d: Device, state: str, r: np.random.Generator) -> str:
    if d.category not in BATTERY_POWERED:
        return ""
    return f"{r.uniform(0.03, 0.14) if state == 'low_battery' else r.uniform(0.22, 1.0):.2f}"


def last_seen(d: Device, states: States, r: np.random.Generator) -> float:
    """When the device last reported: inside its heartbeat window unless it is offline."""
    window = CATEGORY_BY_CODE[d.category].heartbeat_hours * HOUR
    if states.state[d.id] == "offline":  # silent from a couple of hours to a few days
        return AS_OF_TS - window - r.uniform(1.0, OFFLINE_MAX_H) * HOUR
    return AS_OF_TS - window * r.uniform(0.03, 0.9)


def device_readings(d: Device, states: States, r: np.random.Generator) -> list[Reading]:
    """The latest heartbeat, and the fault or uncleared alarm that sets the state."""
    state = states.state[d.id]
    battery = _battery(d, state, r)
    rows = [Reading(d.id, last_seen(d, states, r), "heartbeat",
                    _value(d.category, False, r), battery)]
    if state == "fault":
        rows.append(Reading(d.id, states.since[d.id], "fault", "", battery))
    elif state == "alarm":
        event = d.category if d.category in ("smoke", "gas") else "alarm"
        rows.append(Reading(d.id, states.since[d.id], event, _value(d.category, True, r),
                            battery))
    return rows


def cleared_readings(alarms: list[Alarm], by_id: dict[str, Device], states: States,
                     r: np.random.Generator) -> list[Reading]:
    """Alarm-then-clear pairs for device alarms closed in the last few days (only on devices
    now healthy, so the pair cannot hide a current alarm or wake an offline device)."""
    rows = []
    for a in alarms:
        if a.closed_at is None or a.closed_at < AS_OF_TS - CLEARED_WITHIN_S:
            continue
        d = by_id[a.device_id]
        if a.rule != d.category or states.state[d.id] not in ("normal", "low_battery"):
            continue  # elderly-rule alarms come from the rhythm, not from one reading
        event = d.category if d.category in ("smoke", "gas") else "alarm"
        rows.append(Reading(d.id, a.raised_at, event, _value(d.category, True, r)))
        rows.append(Reading(d.id, a.closed_at, "clear", _value(d.category, False, r)))
    return rows
