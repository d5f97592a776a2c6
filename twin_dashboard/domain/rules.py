"""Alarm rules: device alarms at once, and the elderly-care rules of docs/domain.md.

Device rules fire on a reading (smoke or gas in a home, any device's ``alarm`` event). The
elderly-care rules are about *absence* — no door or infrared activity, no water use, water that
does not stop — so they are judged on the clock by :func:`household_alarms`, against the
activity registers the state machine keeps (``domain/states.py``).

Every alarm id is deterministic per episode (``household:rule:start``), so judging the same
situation twice, after a restart or from two processes, raises it once (the store ignores a
known id). A household whose relevant devices are all offline raises no absence alarm: silence
from a dead sensor is a device problem (shown as ``offline``), not an elder in trouble.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from twin_dashboard.domain.devices import heartbeat_window
from twin_dashboard.domain.states import DeviceLive
from twin_dashboard.domain.time import LOCAL_TZ, as_utc

NO_ACTIVITY, NO_WATER, WATER_RUNNING = "no_activity_12h", "no_water_24h", "water_running_2h"
MOTION_CATEGORIES: tuple[str, ...] = ("door_contact", "infrared")
DEVICE_SEVERITY: dict[str, str] = {
    "smoke": "critical", "gas": "critical", "fire_hydrant": "major", "fire_lane": "major",
    "elevator": "major", "building_tilt": "major", "manhole": "major",
}


@dataclass(frozen=True)
class RuleConfig:
    """Thresholds of the elderly-care rules (defaults: docs/domain.md)."""

    inactivity_hours: float = 12.0  # daytime hours without door/infrared activity
    day_start: time = time(7, 0)  # the local daytime in which inactivity counts
    day_end: time = time(22, 0)
    local_tz: str = LOCAL_TZ
    no_water_hours: float = 24.0
    water_running_hours: float = 2.0
    severity: Mapping[str, str] = field(default_factory=lambda: {
        NO_ACTIVITY: "critical", NO_WATER: "major", WATER_RUNNING: "major"})


DEFAULT_RULES = RuleConfig()


def device_alarm(device: Mapping[str, Any], live: DeviceLive) -> dict[str, Any]:
    """The alarm of a device's running alarm episode (rule = its category code)."""
    category = device["category"]
    return {
        "id": f"{device['id']}:{category}:{live.alarm_since}",
        "device_id": device["id"], "household_id": device.get("household_id") or None,
        "subdistrict_id": device.get("subdistrict_id"),
        "neighborhood_id": device.get("neighborhood_id"), "rule": category,
        "severity": DEVICE_SEVERITY.get(category, "minor"), "status": "open",
        "raised_at": live.alarm_since, "lon": device.get("lon"), "lat": device.get("lat"),
    }


def daytime_seconds(start: int, end: int, cfg: RuleConfig = DEFAULT_RULES,
                    cap: float = float("inf")) -> float:
    """Seconds of local daytime between two epoch seconds (stops counting at ``cap``)."""
    tz = ZoneInfo(cfg.local_tz)
    a, b = datetime.fromtimestamp(start, tz), datetime.fromtimestamp(end, tz)
    total, day = 0.0, a.date()
    while day <= b.date() and total < cap:
        lo = datetime.combine(day, cfg.day_start, tz)
        hi = datetime.combine(day, cfg.day_end, tz)
        total += max(0.0, (min(hi, b) - max(lo, a)).total_seconds())
        day += timedelta(days=1)
    return total


def household_alarms(activity: pd.DataFrame, now: pd.Timestamp,
                     cfg: RuleConfig = DEFAULT_RULES) -> list[dict[str, Any]]:
    """Absence alarms due at ``now``, one per household and rule episode.

    Parameters
    ----------
    activity : DataFrame
        One row per elderly door/infrared/water device (``Store.household_activity``):
        ``household_id``, ``subdistrict_id``, ``neighborhood_id``, ``category``, ``lon``,
        ``lat``, ``last_seen`` (UTC time), ``active_at``, ``flow_at`` (epoch s), ``flow_on``,
        ``installed_at``.
    now : Timestamp
        The moment to judge at.

    Returns
    -------
    list of dict
        Alarm records (columns of the ``alarms`` table) with deterministic ids.
    """
    now = as_utc(now)
    now_s = int(now.timestamp())
    frame = _with_online(activity, now)
    motion = _per_household(frame[frame["category"].isin(MOTION_CATEGORIES)])
    water_rows = frame[frame["category"] == "water_flow"]
    water = _per_household(water_rows)
    out = [_alarm(row, NO_ACTIVITY, int(row.last), now_s, cfg) for row in motion.itertuples()
           if daytime_seconds(int(row.last), now_s, cfg, cap=cfg.inactivity_hours * 3600)
           >= cfg.inactivity_hours * 3600]
    out += [_alarm(row, NO_WATER, int(row.last), now_s, cfg) for row in water.itertuples()
            if now_s - row.last >= cfg.no_water_hours * 3600]
    running = water_rows[(water_rows["flow_on"] == 1) & water_rows["online"]]
    started = _per_household(running.assign(active_at=running["flow_at"]), newest=False)
    out += [_alarm(row, WATER_RUNNING, int(row.last), now_s, cfg) for row in started.itertuples()
            if now_s - row.last >= cfg.water_running_hours * 3600]
    return sorted(out, key=lambda a: a["id"])


def _with_online(activity: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    frame = activity.copy()
    window = frame["category"].map(lambda c: heartbeat_window(c).total_seconds())
    seen = pd.to_datetime(frame["last_seen"], utc=True)
    frame["online"] = ((now - seen).dt.total_seconds() <= window).fillna(False)
    installed = pd.to_datetime(frame["installed_at"], utc=True)
    frame["installed_s"] = (installed - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
    return frame


def _per_household(rows: pd.DataFrame, newest: bool = True) -> pd.DataFrame:
    """Per household with an online device: newest (or oldest) activity — a device never
    active counts from its installation — and the first device's scope and place."""
    last = pd.to_numeric(rows["active_at"]).fillna(pd.to_numeric(rows["installed_s"]))
    rows = rows.assign(last=last)
    grouped = rows.groupby("household_id", sort=True)
    out = grouped[["subdistrict_id", "neighborhood_id", "lon", "lat"]].first()
    out["last"] = grouped["last"].max() if newest else grouped["last"].min()
    out["online"] = grouped["online"].any()
    return out[out["online"] & out["last"].notna()].reset_index()


def _alarm(row: Any, rule: str, start: int, now_s: int, cfg: RuleConfig) -> dict[str, Any]:
    return {
        "id": f"{row.household_id}:{rule}:{start}", "device_id": None,
        "household_id": row.household_id, "subdistrict_id": row.subdistrict_id,
        "neighborhood_id": row.neighborhood_id, "rule": rule,
        "severity": cfg.severity.get(rule, "major"), "status": "open", "raised_at": now_s,
        "lon": _float(row.lon), "lat": _float(row.lat),
    }


def _float(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)
