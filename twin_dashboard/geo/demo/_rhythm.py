"""The last day of an elderly home: door, motion and water events (readings.csv).

An ordinary day: up before seven, out once or twice, water at waking, meals and bedtime,
motion while at home and awake, asleep from about ten. Special homes (an open elderly-rule
alarm) show exactly what raised it: silence since the last activity, water that never stopped,
or no water for more than a day.
"""

from __future__ import annotations

import numpy as np

from twin_dashboard.geo.demo._alarms import States
from twin_dashboard.geo.demo._base import AS_OF_TS, DAY, HOUR, rng
from twin_dashboard.geo.demo._devices import Device
from twin_dashboard.geo.demo._people import Household
from twin_dashboard.geo.demo._readings import Reading

MINUTE = 60.0
MOTION_GAP_MIN = 90.0
Event = tuple[float, str, str, str]  # ts, category, event, value


def _outings(start: float, r: np.random.Generator) -> list[tuple[float, float]]:
    leave = start + r.uniform(1.0, 3.0) * HOUR
    trips = [(leave, leave + r.uniform(1.0, 2.5) * HOUR)]
    if r.random() < 0.6:
        leave = start + r.uniform(7.0, 9.0) * HOUR
        trips.append((leave, leave + r.uniform(0.5, 1.5) * HOUR))
    return trips


def _door(trips: list[tuple[float, float]], r: np.random.Generator) -> list[Event]:
    events = []
    for leave, back in trips:
        for t in (leave, back):
            events.append((t, "door_contact", "open", ""))
            events.append((t + r.uniform(10, 40), "door_contact", "close", ""))
    return events


def _motion(awake: list[tuple[float, float]], night: tuple[float, float],
            r: np.random.Generator) -> list[float]:
    times: list[float] = []
    for a, b in awake:
        gaps = r.exponential(MOTION_GAP_MIN * MINUTE, size=int((b - a) / 600) + 4)
        times += [float(t) for t in a + np.cumsum(gaps) if t < b]
    times += [float(t) for t in r.uniform(night[0], night[1], int(r.integers(0, 3)))]
    return sorted(times)


def _water(uses: list[float], r: np.random.Generator, short: bool = False) -> list[Event]:
    events = []
    for t in uses:
        minutes = r.uniform(0.5, 1.2) if short else r.uniform(1.0, 8.0)
        events.append((t, "water_flow", "flow_start", f"{r.uniform(3.0, 9.0):.1f}"))
        events.append((t + minutes * MINUTE, "water_flow", "flow_stop", "0.0"))
    return events


def ordinary_day(r: np.random.Generator) -> list[Event]:
    """One home's last 24 hours up to as_of (08:00), unsorted."""
    start = AS_OF_TS - DAY
    sleep = start + r.uniform(13.5, 15.0) * HOUR
    wake = start + r.uniform(21.5, 23.0) * HOUR
    trips = _outings(start, r)

    def home(t: float) -> bool:
        return all(not (a <= t <= b) for a, b in trips)

    motion = [t for t in _motion([(start, sleep), (wake, AS_OF_TS)], (sleep, wake), r)
              if home(t)]
    night_motion = [t for t in motion if sleep < t < wake]
    meals = [start + r.uniform(3.5, 4.5) * HOUR, start + r.uniform(9.5, 10.5) * HOUR,
             sleep - r.uniform(10, 40) * MINUTE, wake + r.uniform(5, 20) * MINUTE]
    extra = list(r.uniform(start, sleep, int(r.integers(0, 3))))
    uses = [t for t in meals + extra if home(t) and t < AS_OF_TS - 10 * MINUTE]
    events = _door(trips, r) + [(t, "infrared", "motion", "") for t in motion]
    return events + _water(uses, r) + _water([t + 20 for t in night_motion], r, short=True)


def _special(events: list[Event], rule: str, began: float,
             r: np.random.Generator) -> list[Event]:
    """Bend an ordinary day so it shows what raised the household's open alarm."""
    if rule == "no_activity_12h":  # seen once in the morning, a last wash, then nothing
        kept = [e for e in events if e[0] < began - 30 * MINUTE]
        wash = _water([began - r.uniform(15, 25) * MINUTE], r)
        return kept + wash + [(began, "infrared", "motion", "")]
    if rule == "water_running_2h":
        kept = [e for e in events if not (e[1] == "water_flow" and e[0] >= began - 10 * MINUTE)]
        return kept + [(began, "water_flow", "flow_start", f"{r.uniform(4.0, 8.0):.1f}")]
    # no_water_24h: the last use ended before the window opened
    kept = [e for e in events if e[1] != "water_flow"]
    return kept + _water([began - r.uniform(2, 6) * MINUTE], r)


def rhythm_readings(households: list[Household], by_home: dict[tuple[str, str], Device],
                    states: States, seen: dict[str, float]) -> list[Reading]:
    """Every elderly home's last day, cut at each device's last report if it went silent."""
    r = rng("rhythm")
    rows = []
    for hh in households:
        events = ordinary_day(r)
        if hh.id in states.special:
            events = _special(events, *states.special[hh.id], r)
        for ts, code, event, value in sorted(events):
            d = by_home[(hh.id, code)]
            if states.state[d.id] == "offline" and ts > seen[d.id]:
                continue
            rows.append(Reading(d.id, min(ts, AS_OF_TS), event, value))
    return rows
