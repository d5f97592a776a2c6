"""Time replay: the figures and the map as they stood at a past moment (DESIGN.md §4.3).

One source of truth: :func:`summary_at` is :func:`summary.summarize` run over
:class:`StoreAt`, a read-only view of the store that answers the reads ``summarize`` makes with
the rows as they stood at ``at``. No figure is computed twice.

What "as they stood" means, per table:

* incidents reported at or before ``at``, each with the status and level of its last
  ``incident_events`` step at or before ``at`` (times of later steps blanked). Its SLA deadline
  is the stored one unless a later dispatch / escalation / reopening moved it; then it is
  recomputed from the last such step before ``at`` (or the report) with the level's hours
  (``_workflow_steps.sla_hours``) — the stored rows keep only the newest deadline;
* alarms raised at or before ``at``, with their status from their own times: closed once
  ``closed_at``, else acknowledged once ``acked_at``, else escalated once ``escalated_at``,
  else open;
* devices installed at or before ``at`` (or with no install time). A device whose stored
  ``last_seen`` is at or before ``at`` has its stored status (nothing has happened to it since);
  one seen since is re-folded from its stored readings at or before ``at`` with the same fold
  as seeding (``devices.status_from_readings``), and judged offline with its heartbeat window at
  ``at`` (``devices.current_states``). **Limit:** this is exact only as far as the store keeps
  readings. The demo keeps ~5 days of them (one or a few per device), so further back most
  devices have no reading at all and count as offline (never seen) — the replay does not
  invent states it has no readings for;
* patrols started at or before ``at``; ``patrols.py`` already judges coverage at any ``now``
  and counts one under way at ``at`` as patrolling.

:func:`replay_delta` gives what changed between two moments (device states, alarms and
incidents that appeared, changed or disappeared) so a replaying screen applies small steps to
the map it has, as live events do, instead of being sent the device layer per frame.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from cachetools import TTLCache

from twin_dashboard.catalog import OPEN_STATUSES
from twin_dashboard.domain._workflow_steps import sla_hours
from twin_dashboard.domain.alarms import OPEN_ALARM_STATUSES
from twin_dashboard.domain.devices import STATUS_COLUMNS, current_states, status_from_readings
from twin_dashboard.domain.summary import summarize
from twin_dashboard.domain.time import HOUR, as_utc, as_utc_series
from twin_dashboard.store.base import ALL, Scope, Store

REPLAY_DAYS = 90  # how far back a screen may replay (DESIGN.md §4.3)
# The status an incident has after each workflow step (accept and verify leave it).
STATUS_AFTER: dict[str, str] = {
    "report": "reported", "dispatch": "dispatched", "escalate": "dispatched",
    "reopen": "dispatched", "start": "in_progress", "resolve": "resolved", "close": "closed",
}
SLA_MOVES: tuple[str, ...] = ("report", "dispatch", "escalate", "reopen")
INCIDENT_TIMES: tuple[str, ...] = ("dispatched_at", "accepted_at", "started_at", "resolved_at",
                                   "verified_at", "closed_at")
ALARM_TIMES: tuple[str, ...] = ("acked_at", "escalated_at", "closed_at")
INCIDENT_COLUMNS: tuple[str, ...] = (
    "id", "source", "kind", "title", "assignee", "subdistrict_id", "neighborhood_id", "level",
    "status",
    "reported_at", "sla_due_at", "lon", "lat", *INCIDENT_TIMES)
ALARM_COLUMNS: tuple[str, ...] = (
    "id", "device_id", "household_id", "subdistrict_id", "neighborhood_id", "rule", "severity",
    "status", "raised_at", "lon", "lat", *ALARM_TIMES)
DEVICE_COLUMNS: tuple[str, ...] = ("id", "category", "subdistrict_id", "neighborhood_id",
                                   "installed_at")
# What a replay step carries of an alarm (the live feed's fields, api/live.py) and an incident.
ALARM_FIELDS: tuple[str, ...] = ("id", "rule", "severity", "device_id", "household_id",
                                 "subdistrict_id", "neighborhood_id", "lon", "lat", "raised_at")
INCIDENT_FIELDS: tuple[str, ...] = ("id", "status", "level", "subdistrict_id", "neighborhood_id")


def replay_time(value: str | None, now: pd.Timestamp) -> pd.Timestamp | None:
    """The moment ``at`` names, or ``None`` (live) for no value.

    Raises
    ------
    ValueError
        Naming ``at`` and why: not an ISO 8601 time, in the future, or older than the
        :data:`REPLAY_DAYS`-day window.
    """
    if value is None or not str(value).strip():
        return None
    try:
        at = as_utc(pd.Timestamp(str(value).strip()))
    except (ValueError, TypeError):
        raise ValueError(f"at: {value!r} is not an ISO 8601 time "
                         "(e.g. 2026-10-30T08:00:00+08:00)") from None
    now = as_utc(now)
    if at > now:
        raise ValueError(f"at: {at.isoformat()} is in the future (now is {now.isoformat()})")
    if at < now - pd.Timedelta(days=REPLAY_DAYS):
        raise ValueError(f"at: {at.isoformat()} is older than the {REPLAY_DAYS}-day replay "
                         "window")
    return at.floor("s")


def summary_at(store: Store, scope: Scope, at: pd.Timestamp) -> dict[str, Any]:
    """``/api/v1/summary`` as it stood at ``at`` (same body; ``as_of`` is ``at``)."""
    return summarize(StoreAt(store, at), scope, at)  # type: ignore[arg-type]


# --- the rows as they stood ----------------------------------------------------------------------

def incidents_at(incidents: pd.DataFrame, events: pd.DataFrame,
                 at: pd.Timestamp) -> pd.DataFrame:
    """Incidents reported by ``at`` with their status, level, times and deadline then.

    ``events`` are ``incident_events`` rows (``incident_id``, ``ts``, ``action``, ``level``); an
    incident without a step by ``at`` keeps its stored level and gets the status its own times
    imply.
    """
    at = as_utc(at)
    rows = incidents[as_utc_series(incidents["reported_at"]) <= at].reset_index(drop=True)
    ts = as_utc_series(events["ts"])
    past = events[ts <= at].assign(ts=ts[ts <= at])
    past = past.sort_values(["incident_id", "ts"], kind="stable")
    steps = past[past["action"].isin(STATUS_AFTER)]
    status = steps.groupby("incident_id")["action"].last().map(STATUS_AFTER)
    level = past.dropna(subset=["level"]).groupby("incident_id")["level"].last()
    fallback = _status_from_times(rows, at)
    # dicts, and object columns: an empty history maps to all-None, not to a float column
    rows["status"] = rows["id"].map(status.to_dict()).astype(object).fillna(fallback).to_numpy()
    rows["level"] = (rows["id"].map(level.to_dict()).astype(object)
                     .fillna(rows["level"].astype(object)).to_numpy())
    rows["sla_due_at"] = _deadline_at(rows, events, past, at)
    for column in INCIDENT_TIMES:
        if column in rows:
            rows[column] = _blank_after(rows[column], at)
    return rows


def _status_from_times(rows: pd.DataFrame, at: pd.Timestamp) -> pd.Series:
    status = pd.Series("reported", index=rows.index, dtype=object)
    for column, name in (("dispatched_at", "dispatched"), ("resolved_at", "resolved"),
                         ("closed_at", "closed")):
        if column in rows:
            status[(as_utc_series(rows[column]) <= at).to_numpy()] = name
    return status


def _deadline_at(rows: pd.DataFrame, events: pd.DataFrame, past: pd.DataFrame,
                 at: pd.Timestamp) -> pd.Series:
    """The stored deadline, unless a step after ``at`` moved it (then recomputed)."""
    stored = as_utc_series(rows["sla_due_at"])
    ts = as_utc_series(events["ts"])
    later = events.loc[(ts > at).to_numpy() & events["action"].isin(SLA_MOVES[1:]).to_numpy(),
                       "incident_id"]
    moved = rows["id"].isin(later).to_numpy()
    if not moved.any():
        return stored
    since = past[past["action"].isin(SLA_MOVES)].groupby("incident_id")["ts"].max()
    start = rows["id"].map(since).fillna(as_utc_series(rows["reported_at"]))
    kinds = rows["kind"] if "kind" in rows else pd.Series(None, index=rows.index)
    hours = [sla_hours(level, kind if isinstance(kind, str) else None)
             for level, kind in zip(rows["level"], kinds, strict=True)]
    recomputed = as_utc_series(start) + pd.Series(hours, index=rows.index) * HOUR
    return stored.where(~moved, recomputed)


def alarms_at(alarms: pd.DataFrame, at: pd.Timestamp) -> pd.DataFrame:
    """Alarms raised by ``at`` with their status then (later times blanked).

    A row none of whose times is after ``at`` keeps its stored status.
    """
    at = as_utc(at)
    rows = alarms[as_utc_series(alarms["raised_at"]) <= at].reset_index(drop=True)
    times = {c: as_utc_series(rows[c]) for c in ALARM_TIMES if c in rows}
    changed = np.zeros(len(rows), dtype=bool)
    for values in times.values():
        changed |= (values > at).fillna(False).to_numpy(bool)
    derived = pd.Series("open", index=rows.index, dtype=object)
    for column, name in (("escalated_at", "escalated"), ("acked_at", "acknowledged"),
                         ("closed_at", "closed")):
        if column in times:
            derived[(times[column] <= at).fillna(False).to_numpy(bool)] = name
    rows["status"] = np.where(changed, derived.to_numpy(), rows["status"].to_numpy(object))
    for column, values in times.items():
        rows[column] = _blank_after(values, at)
    return rows


def device_status_at(store: Store, scope: Scope, at: pd.Timestamp) -> pd.DataFrame:
    """``device_status`` rows as they stood at ``at`` (see the module's limit)."""
    at = as_utc(at)
    status = store.read_columns("device_status", STATUS_COLUMNS, scope)
    moved = (as_utc_series(status["last_seen"]) > at).fillna(False).to_numpy(bool)
    if not moved.any():
        return status
    readings = store.history_until("readings", _seconds(at), scope,  # type: ignore[attr-defined]
                                   changed_after=_seconds(at))
    devices = status.loc[moved, ["device_id", "subdistrict_id", "neighborhood_id"]]
    folded = status_from_readings(devices.rename(columns={"device_id": "id"})
                                  .reset_index(drop=True), readings)
    kept = status.loc[~moved]
    return pd.concat([kept, folded], ignore_index=True) if len(kept) else folded


def devices_at(store: Store, scope: Scope, at: pd.Timestamp,
               columns: tuple[str, ...] = DEVICE_COLUMNS) -> pd.DataFrame:
    """Devices installed by ``at`` (or without an install time)."""
    wanted = tuple(dict.fromkeys((*columns, "installed_at")))
    devices = store.read_columns("devices", wanted, scope)
    installed = as_utc_series(devices["installed_at"])
    return devices[(installed.isna() | (installed <= as_utc(at))).to_numpy()] \
        .reset_index(drop=True)


def _blank_after(values: pd.Series, at: pd.Timestamp) -> pd.Series:
    times = as_utc_series(values)
    return times.where(~(times > at).fillna(False))


def _seconds(at: pd.Timestamp) -> int:
    return int(as_utc(at).timestamp())


class StoreAt:
    """A read-only view of ``store`` as it stood at ``at``: the reads ``summarize`` makes.

    Record tables with a history (incidents, alarms, device status, patrols, devices) are read
    with time bounds (``read_until`` / ``history_until``, indexed) and rolled back to ``at``;
    geography passes through unchanged.
    """

    def __init__(self, store: Store, at: pd.Timestamp) -> None:
        self.store, self.at = store, as_utc(at)

    def read_columns(self, table: str, columns: list[str] | tuple[str, ...],
                     scope: Scope = ALL, where: Mapping[str, Any] | None = None
                     ) -> pd.DataFrame:
        frame = self._rows(table, tuple(columns), scope)
        for column, value in (where or {}).items():
            values = list(value) if isinstance(value, list | tuple | set | frozenset) else [value]
            frame = frame[frame[column].isin(values)]
        return frame[list(columns)].reset_index(drop=True)

    def read_records(self, table: str, scope: Scope = ALL,
                     where: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """Whole rows as they stood (incidents and alarms: the columns replay keeps), for the
        feed and the incident table while replaying."""
        kept = {"incidents": INCIDENT_COLUMNS, "alarms": ALARM_COLUMNS}.get(table)
        if kept is None:
            return self.store.read_records(table, scope, where=where)
        return self.read_columns(table, kept, scope, where)

    def read_layer(self, layer: str, scope: Scope = ALL, **page: Any) -> Any:
        return self.store.read_layer(layer, scope, **page)

    def _rows(self, table: str, columns: tuple[str, ...], scope: Scope) -> pd.DataFrame:
        at, until = self.at, _seconds(self.at)
        store: Any = self.store
        if table == "incidents":
            rows = store.read_until("incidents", INCIDENT_COLUMNS, until, scope, "reported_at")
            events = store.history_until("incident_events", until, scope)
            return incidents_at(rows, events, at)
        if table == "alarms":
            return alarms_at(store.read_until("alarms", ALARM_COLUMNS, until, scope,
                                              "raised_at"), at)
        if table == "device_status":
            return device_status_at(self.store, scope, at)
        if table == "devices":
            return devices_at(self.store, scope, at, columns)
        if table == "patrols":
            return store.read_until("patrols", columns, until, scope, "started_at")
        return self.store.read_columns(table, columns, scope)


# --- replay steps --------------------------------------------------------------------------------

def device_states_at(store: Store, scope: Scope, at: pd.Timestamp) -> pd.Series:
    """Each device's shown state at ``at`` (offline included), indexed by device id."""
    view = StoreAt(store, at)
    devices = view.read_columns("devices", DEVICE_COLUMNS[:-1], scope)
    status = view.read_columns("device_status", STATUS_COLUMNS, scope)
    states = current_states(devices.assign(lon=np.nan, lat=np.nan), status, at)
    return pd.Series(states["state"].to_numpy(), index=states["id"].to_numpy())


@dataclass(frozen=True)
class Frame:
    """What the map shows at one moment: device states, open alarms, open incidents."""

    states: pd.Series  # state by device id
    alarms: pd.DataFrame  # ALARM_COLUMNS of the open ones
    incidents: pd.DataFrame  # INCIDENT_COLUMNS of the open ones


class FrameCache:
    """The last few frames, so a playing screen's step reuses the frame its previous step
    ended on (each step's ``from`` is the last one's ``to``): half the work per step.

    Bounded (``TTLCache``) and locked (API routes run in a thread pool); owned by
    ``Services``. A frame of a past moment changes only when late readings arrive, which
    the short lifetime bounds.
    """

    def __init__(self, size: int = 16, ttl_s: float = 120.0) -> None:
        self._frames: TTLCache[tuple[Scope, str], Frame] = TTLCache(size, ttl_s)
        self._lock = threading.Lock()

    def get(self, key: tuple[Scope, str]) -> Frame | None:
        with self._lock:
            return self._frames.get(key)

    def put(self, key: tuple[Scope, str], frame: Frame) -> None:
        with self._lock:
            self._frames[key] = frame


def frame_at(store: Store, scope: Scope, at: pd.Timestamp,
             cache: FrameCache | None = None) -> Frame:
    """The map's frame at ``at`` (from ``cache`` when it holds it)."""
    key = (scope, as_utc(at).isoformat())
    found = cache.get(key) if cache is not None else None
    if found is not None:
        return found
    frame = Frame(device_states_at(store, scope, at), _open_alarms(store, scope, at),
                  _open_incidents(store, scope, at))
    if cache is not None:
        cache.put(key, frame)
    return frame


def replay_delta(store: Store, scope: Scope, start: pd.Timestamp, end: pd.Timestamp,
                 cache: FrameCache | None = None) -> dict[str, Any]:
    """What changed on the map between two moments (either way in time), JSON-ready.

    Returns
    -------
    dict
        ``{"from": ISO, "to": ISO,
        "states": {device_id: state at end} (devices whose shown state differs; a device not
        installed at ``end`` counts as offline),
        "alarms": [ALARM_FIELDS] open at ``end`` but not at ``start`` (raised_at ISO),
        "alarms_gone": [id] open at ``start`` but not at ``end``,
        "incidents": [INCIDENT_FIELDS] open at ``end`` and new or changed since ``start``,
        "incidents_gone": [id] open at ``start`` but not at ``end``}``. The same ``states`` and
        ``alarms`` as a live event, so the browser applies both with one function.
    """
    first, last = frame_at(store, scope, start, cache), frame_at(store, scope, end, cache)
    before = first.states.reindex(last.states.index.union(first.states.index)).fillna("offline")
    after = last.states.reindex(before.index).fillna("offline")
    changed = after[before != after]
    old_alarms, new_alarms = first.alarms, last.alarms
    old_inc, new_inc = first.incidents, last.incidents
    fresh = new_alarms[~new_alarms["id"].isin(old_alarms["id"])]
    merged = new_inc.merge(old_inc[["id", "status", "level"]], on="id", how="left",
                           suffixes=("", "_before"))
    moved = merged[(merged["status"] != merged["status_before"])
                   | (merged["level"] != merged["level_before"])]
    return {
        "from": as_utc(start).isoformat(), "to": as_utc(end).isoformat(),
        "states": {str(k): str(v) for k, v in changed.items()},
        "alarms": _records(fresh, ALARM_FIELDS),
        "alarms_gone": sorted(set(old_alarms["id"]) - set(new_alarms["id"])),
        "incidents": _records(moved, INCIDENT_FIELDS),
        "incidents_gone": sorted(set(old_inc["id"]) - set(new_inc["id"])),
    }


def _open_alarms(store: Store, scope: Scope, at: pd.Timestamp) -> pd.DataFrame:
    rows = StoreAt(store, at).read_columns("alarms", ALARM_COLUMNS, scope)
    return rows[rows["status"].isin(OPEN_ALARM_STATUSES)]


def _open_incidents(store: Store, scope: Scope, at: pd.Timestamp) -> pd.DataFrame:
    rows = StoreAt(store, at).read_columns("incidents", INCIDENT_COLUMNS, scope)
    return rows[rows["status"].isin(OPEN_STATUSES)]


def _records(frame: pd.DataFrame, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    out = []
    for row in frame[list(fields)].to_dict("records"):
        out.append({k: _plain(v) for k, v in row.items()})
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.isoformat()
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value
