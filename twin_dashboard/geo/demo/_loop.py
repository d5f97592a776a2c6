"""The closed loop (流转办) of each incident: report → dispatch → start → [escalate → start]* →
resolve → close, with who acted at which level, played up to ``as_of``.
"""

from __future__ import annotations

import numpy as np

from twin_dashboard.catalog import LEVEL_SLA_HOURS, LEVELS
from twin_dashboard.geo.demo._alarms import Alarm
from twin_dashboard.geo.demo._base import AS_OF_TS, DAY, HOUR, rng
from twin_dashboard.geo.demo._incidents import (
    SOURCE_ZH,
    STATUS_AFTER,
    STUCK_CHANCE,
    SYSTEM,
    WORSE_NEIGHBORHOODS,
    Incident,
    Stub,
    deal_levels,
)
from twin_dashboard.geo.demo._people import Staff

# Median hours from start to resolve at each level, and the spread (lognormal sigma).
HANDLING = {"property": (5.0, 0.9), "committee": (20.0, 0.7), "subdistrict": (60.0, 0.6)}
ESCALATE_AFTER = {"property": (3.0, 20.0), "committee": (12.0, 48.0)}  # hours at a level
NOTES = {
    "dispatch": "派单处置", "start": {"property": "物业受理", "committee": "居委受理",
                                     "subdistrict": "街道受理"},
    "escalate": {"committee": "物业无法处置，上报居委", "subdistrict": "居委协调未果，上报街道"},
    "resolve": "处置完毕", "close": "回访确认，结案",
}


def _handler(level: str, s: Stub, staff: Staff, r: np.random.Generator) -> str:
    if level == "property":
        return staff.duty_for(s.subdistrict_id, s.neighborhood_id)
    if level == "committee":
        return staff.cadre_for(s.subdistrict_id, s.neighborhood_id, r)
    return staff.sub_duty[s.subdistrict_id]


def _hours(r: np.random.Generator, lo: float, hi: float) -> float:
    return float(r.uniform(lo, hi)) * HOUR


def _dispatch_delay(s: Stub, r: np.random.Generator) -> float:
    """Minutes by day; a person's report at night waits for the morning shift (07:30-09:00),
    the platform dispatches sensor reports at once."""
    hour = (s.reported_at - (AS_OF_TS - 8 * HOUR)) % DAY / HOUR  # as_of is 08:00 local
    if s.source != "sensor" and (hour >= 21 or hour < 7):
        return ((7.5 - hour) % 24) * HOUR + _hours(r, 0.0, 1.5)
    return max(60.0, float(r.lognormal(np.log(0.4), 0.8)) * HOUR)


def timeline(s: Stub, final: str, stuck: bool, staff: Staff,
             r: np.random.Generator) -> list[tuple[float, str, str, str, str]]:
    """Every step the incident will take, past or future: (ts, action, level, actor, note)."""
    t = s.reported_at
    steps = [(t, "report", "property", s.reporter, f"{SOURCE_ZH[s.source]}上报")]
    t += _dispatch_delay(s, r)
    dispatcher = SYSTEM if s.source == "sensor" else staff.cadre_for(
        s.subdistrict_id, s.neighborhood_id, r)
    steps.append((t, "dispatch", "property", dispatcher, NOTES["dispatch"]))
    t += max(60.0, float(r.lognormal(np.log(1.0), 0.8)) * HOUR)
    level = "property"
    actor = _handler(level, s, staff, r)
    steps.append((t, "start", level, actor, NOTES["start"][level]))
    for nxt in LEVELS[1:LEVELS.index(final) + 1]:
        t += _hours(r, *ESCALATE_AFTER[level])
        steps.append((t, "escalate", nxt, actor, NOTES["escalate"][nxt]))
        level, actor = nxt, _handler(nxt, s, staff, r)
        t += _hours(r, 0.5, 6.0)
        steps.append((t, "start", level, actor, NOTES["start"][level]))
    median, sigma = HANDLING[final]
    t += max(600.0, float(r.lognormal(np.log(median), sigma)) * HOUR)
    if stuck:
        t += LEVEL_SLA_HOURS[final] * HOUR * float(r.uniform(1.5, 6.0))
    steps.append((t, "resolve", final, actor, NOTES["resolve"]))
    t += _hours(r, 2.0, 30.0)
    closer = staff.cadre_for(s.subdistrict_id, s.neighborhood_id, r)
    steps.append((t, "close", final, closer, NOTES["close"]))
    return steps


def play(inc: Incident, steps: list[tuple[float, str, str, str, str]]) -> None:
    """Keep the steps up to as_of and set the incident's fields from them."""
    done = [e for e in steps if e[0] <= AS_OF_TS]
    inc.events = done
    last = done[-1]
    inc.status, inc.level = STATUS_AFTER[last[1]], last[2]
    times = {action: ts for ts, action, *_ in reversed(done)}  # first of each action wins
    inc.dispatched_at = times.get("dispatch")
    inc.resolved_at, inc.closed_at = times.get("resolve"), times.get("close")
    entered = max((ts for ts, action, *_ in done if action == "escalate"),
                  default=inc.stub.reported_at)
    inc.sla_due_at = entered + LEVEL_SLA_HOURS[inc.level] * HOUR


def incidents(stubs: list[Stub], staff: Staff) -> list[Incident]:
    """Incidents in time order with ids, levels dealt, timelines played; links alarms."""
    stubs = sorted(stubs, key=lambda s: (s.reported_at, s.source, s.x, s.y))
    out = [Incident(f"inc-{i:06d}", s) for i, s in enumerate(stubs, start=1)]
    levels = deal_levels(out)
    r = rng("loop")
    for inc in out:
        health = "worse" if inc.stub.neighborhood_id in WORSE_NEIGHBORHOODS else "healthy"
        stuck = r.random() < STUCK_CHANCE[health]
        play(inc, timeline(inc.stub, levels[inc.id], stuck, staff, r))
        alarm: Alarm | None = inc.stub.alarm
        if alarm is not None:
            alarm.incident_id = inc.id
    return out
