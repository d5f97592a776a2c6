"""Current device states and the alarm history (告警).

States are drawn first (offline, fault, alarm, low battery, normal: disjoint, so any precedence
the domain applies gives the same answer); readings are then written to match them. A few
elderly households are "special": they carry an open elderly-rule alarm, and their readings
show exactly the silence or the running water that raised it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twin_dashboard.geo.demo._base import AS_OF_TS, DAY, HISTORY_DAYS, HOUR, rng
from twin_dashboard.geo.demo._devices import Device
from twin_dashboard.geo.demo._people import Household, Staff

OFFLINE_SHARE = 0.03
FAULT_SHARE = 0.01
ALARM_SHARE = 0.013
LOW_BATTERY_SHARE = 0.02  # of battery-powered devices
BATTERY_POWERED = frozenset({
    "door_contact", "infrared", "smoke", "gas", "water_flow", "manhole", "fire_lane", "parking",
    "waterlogging", "garbage", "building_tilt", "fire_hydrant",
})
# How often each category raises a device alarm, relative to the others.
ALARM_WEIGHT: dict[str, float] = {
    "garbage": 5.0, "fire_lane": 4.0, "parking": 3.0, "ebike_charging": 3.0, "noise": 2.0,
    "access_gate": 2.0, "manhole": 1.5, "waterlogging": 1.5, "elevator": 1.5, "air_quality": 1.0,
    "falling_object": 1.0, "fire_hydrant": 1.0, "building_tilt": 0.3, "smoke": 0.5, "gas": 0.4,
}
# The same severities the live rules give (domain/rules.py), so history and live agree.
SEVERITY: dict[str, str] = {
    "smoke": "critical", "gas": "critical", "no_activity_12h": "critical",
    "fire_hydrant": "major", "fire_lane": "major", "elevator": "major",
    "building_tilt": "major", "manhole": "major", "no_water_24h": "major",
    "water_running_2h": "major",
}  # everything else is minor
# Elderly rules: relative frequency in the history and the device that fires them.
ELDERLY_RULES: dict[str, tuple[float, str]] = {
    "no_activity_12h": (4.0, "infrared"), "water_running_2h": (3.0, "water_flow"),
    "no_water_24h": (2.0, "water_flow"), "smoke": (0.6, "smoke"), "gas": (0.4, "gas"),
}
# Households with an open elderly-rule alarm right now, per rule.
SPECIAL_HOUSEHOLDS = {"no_activity_12h": 8, "water_running_2h": 5, "no_water_24h": 4}
HISTORY_DEVICE_ALARMS = 2400
HISTORY_ELDERLY_ALARMS = 1800
ACK_WINDOW_MIN = 30  # an elderly alarm not acknowledged within this escalates
DAY_START_H, DAY_END_H = 7.0, 22.0  # inactivity only counts in the local daytime
# When each special household's condition began, in hours before as_of. Inactivity must span
# 12 daytime hours by as_of (08:00), so the last activity is yesterday morning at the latest;
# and less than 24 h ago, so that the same silence has not yet become no_water_24h as well.
SPECIAL_BEGAN_H = {"no_activity_12h": (22.0, 23.5), "water_running_2h": (2.2, 5.0),
                   "no_water_24h": (25.0, 30.0)}


@dataclass
class Alarm:
    id: str
    device_id: str
    household_id: str
    subdistrict_id: str
    neighborhood_id: str
    rule: str
    severity: str
    status: str
    raised_at: float
    acked_at: float | None
    acked_by: str
    escalated_at: float | None
    closed_at: float | None
    x: float
    y: float
    incident_id: str = ""


@dataclass
class States:
    """What the readings must show at ``as_of``."""

    state: dict[str, str]  # device id -> normal | alarm | fault | offline | low_battery
    since: dict[str, float]  # alarm / fault / offline: when it began
    special: dict[str, tuple[str, float]] = field(default_factory=dict)  # hh -> (rule, since)


def pick_states(devices: list[Device], households: list[Household]) -> States:
    """Draw each device's state and the special households, from one stream."""
    r = rng("states")
    special = _special_households(households, r)
    reserved = set(special)  # membership only, never iterated
    free = [d for d in devices if d.household_id not in reserved]
    order = r.permutation(len(free))
    n_off, n_fault = round(OFFLINE_SHARE * len(devices)), round(FAULT_SHARE * len(devices))
    state = {d.id: "normal" for d in devices}
    since: dict[str, float] = {}
    for i in order[:n_off]:
        state[free[i].id] = "offline"
    for i in order[n_off:n_off + n_fault]:
        state[free[i].id] = "fault"
        since[free[i].id] = AS_OF_TS - r.uniform(0.5, 72) * HOUR
    rest = [free[i] for i in order[n_off + n_fault:]]
    weights = np.array([ALARM_WEIGHT.get(d.category, 0.0) for d in rest])
    n_alarm = round(ALARM_SHARE * len(devices))
    for i in r.choice(len(rest), size=n_alarm, replace=False, p=weights / weights.sum()):
        state[rest[i].id] = "alarm"
        since[rest[i].id] = AS_OF_TS - r.uniform(0.1, 36) * HOUR
    battery = [d for d in rest if d.category in BATTERY_POWERED and state[d.id] == "normal"]
    n_low = round(LOW_BATTERY_SHARE * len(battery))
    for i in r.choice(len(battery), size=n_low, replace=False):
        state[battery[i].id] = "low_battery"
    return States(state, since, special)


def _special_households(households: list[Household],
                        r: np.random.Generator) -> dict[str, tuple[str, float]]:
    """hh id -> (rule, when the condition began: last activity, flow start, last flow)."""
    total = sum(SPECIAL_HOUSEHOLDS.values())
    picks = r.choice(len(households), size=total, replace=False)
    out: dict[str, tuple[str, float]] = {}
    rules = [rule for rule, n in SPECIAL_HOUSEHOLDS.items() for _ in range(n)]
    for rule, i in zip(rules, picks, strict=True):
        lo, hi = SPECIAL_BEGAN_H[rule]
        out[households[int(i)].id] = (rule, AS_OF_TS - r.uniform(lo, hi) * HOUR)
    return out


def severity(rule: str) -> str:
    """An alarm's severity by its rule (category code or elderly rule)."""
    return SEVERITY.get(rule, "minor")


def daytime_deadline(start: float, hours: float) -> float:
    """When ``hours`` of local daytime (07:00-22:00) have passed since ``start``."""
    left, t = hours * HOUR, start
    while True:
        midnight = t - (t - (AS_OF_TS - 8 * HOUR)) % DAY  # as_of is 08:00 local
        lo, hi = midnight + DAY_START_H * HOUR, midnight + DAY_END_H * HOUR
        t = max(t, lo)
        if t < hi and left <= hi - t:
            return t + left
        left -= max(0.0, hi - t)
        t = midnight + DAY + DAY_START_H * HOUR


def special_raised(rule: str, began: float) -> float:
    """When a special household's rule fired."""
    if rule == "no_activity_12h":
        return daytime_deadline(began, 12.0)
    return began + (2.0 if rule == "water_running_2h" else 24.0) * HOUR


def _current_status(raised: float, r: np.random.Generator, acker: str,
                    p_ack: float) -> tuple[str, float | None, str, float | None]:
    """(status, acked_at, acked_by, escalated_at) of an alarm not yet cleared."""
    if r.random() < p_ack:
        acked = min(raised + r.uniform(3, 25) * 60, AS_OF_TS)
        return "acknowledged", acked, acker, None
    escalate = raised + ACK_WINDOW_MIN * 60
    if escalate <= AS_OF_TS and r.random() < 0.5:
        return "escalated", None, "", escalate
    return "open", None, "", None


def _closed(raised: float, r: np.random.Generator, acker: str, late_acker: str,
            p_escalate: float) -> dict:
    """Times of an alarm from the history: acknowledged (maybe after escalating), closed."""
    escalated = None
    if r.random() < p_escalate:
        escalated = raised + ACK_WINDOW_MIN * 60
        acked, acker = raised + r.uniform(35, 120) * 60, late_acker
    else:
        acked = raised + r.uniform(2, 28) * 60
    return {"status": "closed", "acked_at": acked, "acked_by": acker,
            "escalated_at": escalated, "closed_at": acked + r.uniform(0.3, 10) * HOUR}


def _alarm(d: Device, rule: str, raised: float, times: dict) -> Alarm:
    return Alarm("", d.id, d.household_id, d.subdistrict_id, d.neighborhood_id, rule,
                 severity(rule), times["status"], raised, times["acked_at"], times["acked_by"],
                 times["escalated_at"], times["closed_at"], d.x, d.y)


def _history_raised(r: np.random.Generator) -> float:
    """A time in the history, more often in the day than at night."""
    day = np.floor(r.uniform(2, HISTORY_DAYS))  # closes well before as_of
    hour = r.uniform(7, 22) if r.random() < 0.75 else r.uniform(0, 24)
    return AS_OF_TS - day * DAY - 8 * HOUR + hour * HOUR


def _device_history(devices: list[Device], staff: Staff, r: np.random.Generator) -> list[Alarm]:
    pool = {c: [d for d in devices if d.category == c]
            for c in ALARM_WEIGHT if c not in ("smoke", "gas")}
    cats = list(pool)
    w = np.array([ALARM_WEIGHT[c] for c in cats])
    out = []
    for c in r.choice(len(cats), size=HISTORY_DEVICE_ALARMS, p=w / w.sum()):
        d = pool[cats[int(c)]][int(r.integers(len(pool[cats[int(c)]])))]
        duty = staff.duty_for(d.subdistrict_id, d.neighborhood_id)
        raised = _history_raised(r)
        out.append(_alarm(d, d.category, raised, _closed(raised, r, duty, duty, 0.06)))
    return out


def _elderly_history(households: list[Household], by_home: dict[tuple[str, str], Device],
                     r: np.random.Generator) -> list[Alarm]:
    rules = list(ELDERLY_RULES)
    w = np.array([ELDERLY_RULES[k][0] for k in rules])
    out = []
    for k in r.choice(len(rules), size=HISTORY_ELDERLY_ALARMS, p=w / w.sum()):
        rule = rules[int(k)]
        hh = households[int(r.integers(len(households)))]
        first = hh.buddy_id if r.random() < 0.6 else hh.cadre_id
        raised = _history_raised(r)
        times = _closed(raised, r, first, hh.cadre_id, 0.12)
        out.append(_alarm(by_home[(hh.id, ELDERLY_RULES[rule][1])], rule, raised, times))
    return out


def _current(devices: list[Device], households: list[Household], states: States,
             by_home: dict[tuple[str, str], Device], staff: Staff,
             r: np.random.Generator) -> list[Alarm]:
    """One uncleared alarm per device in alarm, and per special household."""
    cadre_of = {hh.id: hh.cadre_id for hh in households}
    out = []
    for d in devices:
        if states.state[d.id] != "alarm":
            continue
        raised = states.since[d.id]
        acker = cadre_of[d.household_id] if d.household_id else staff.duty_for(
            d.subdistrict_id, d.neighborhood_id)
        status, acked, by, esc = _current_status(raised, r, acker, 0.35)
        out.append(_alarm(d, d.category, raised, {"status": status, "acked_at": acked,
                                                  "acked_by": by, "escalated_at": esc,
                                                  "closed_at": None}))
    for hh in households:
        if hh.id not in states.special:
            continue
        rule, began = states.special[hh.id]
        raised = special_raised(rule, began)
        status, acked, by, esc = _current_status(raised, r, hh.buddy_id, 0.4)
        out.append(_alarm(by_home[(hh.id, ELDERLY_RULES[rule][1])], rule, raised,
                          {"status": status, "acked_at": acked, "acked_by": by,
                           "escalated_at": esc, "closed_at": None}))
    return out


def alarms(devices: list[Device], households: list[Household], states: States,
           staff: Staff) -> list[Alarm]:
    """The whole alarm table, oldest first, with ids in that order."""
    r = rng("alarms")
    by_home = {(d.household_id, d.category): d for d in devices if d.household_id}
    rows = (_device_history(devices, staff, r) + _elderly_history(households, by_home, r)
            + _current(devices, households, states, by_home, staff, r))
    rows.sort(key=lambda a: (a.raised_at, a.device_id, a.rule))
    for i, a in enumerate(rows, start=1):
        a.id = f"alm-{i:06d}"
    return rows
