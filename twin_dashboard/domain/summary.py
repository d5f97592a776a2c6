"""The figures the screens show, in one JSON-ready dict: the body of ``GET /api/v1/summary``.

Every screen and the API take their numbers from :func:`summarize` (or from the domain
functions it calls), so the wall, the desk, the tablet and an acceptance check all agree.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from twin_dashboard.catalog import ALARM_SEVERITIES, LEVELS
from twin_dashboard.domain.alarms import OPEN_ALARM_STATUSES, alarm_counts, open_alarms
from twin_dashboard.domain.devices import current_states, online_share, state_counts
from twin_dashboard.domain.incidents import (
    incident_counts,
    open_incidents,
    resolution_funnel,
    sla_breaches,
)
from twin_dashboard.domain.patrols import coverage_share, segment_coverage, zone_coverage
from twin_dashboard.domain.time import as_utc
from twin_dashboard.geo.layers import LAYERS
from twin_dashboard.store.base import Scope, Store

# Only the columns the figures need: no geometry or props to decode (the 150 ms budget).
_COLUMNS: dict[str, tuple[str, ...]] = {
    "devices": ("id", "category", "subdistrict_id", "neighborhood_id"),
    "device_status": ("device_id", "state", "last_seen", "battery"),
    "alarms": ("id", "rule", "severity", "status", "raised_at"),
    "incidents": ("id", "source", "level", "status", "reported_at", "sla_due_at"),
    "neighborhoods": ("id", "subdistrict_id"),
    "patrol-zones": ("id", "name", "subdistrict_id", "target_hours"),
    "roads": ("id", "zone_id", "subdistrict_id"),
    "patrols": ("id", "zone_id", "subdistrict_id", "started_at", "ended_at", "road_ids"),
}


def summarize(store: Store, scope: Scope, now: pd.Timestamp) -> dict[str, Any]:
    """The dashboard's figures for one scope at one moment (the contract of /api/v1/summary).

    Parameters
    ----------
    store : Store
        Read through its scoped reads only.
    scope : Scope
        Which subdistricts / neighborhoods to count (``Scope()`` for the whole district).
    now : Timestamp
        The moment to judge at (offline devices, SLA breaches, patrol coverage).

    Returns
    -------
    dict
        JSON-ready (plain str/int/float/None, lists, dicts)::

            scope     {"subdistrict_ids": [..] | None, "neighborhood_ids": [..] | None}
            as_of     ISO 8601 of ``now`` in UTC
            devices   {"total": n, "online_share": x (0..1, not offline / all),
                       "by_state": {state: n} (catalog.DEVICE_STATES order),
                       "by_category": {category: {state: n}} (19 categories, zeros included)}
            alarms    {"open": n (status open or escalated),
                       "by_severity": {severity: n} (of the open ones),
                       "by_rule": {rule: n} (of the open ones, most first)}
            incidents {"open": n (reported / dispatched / in_progress),
                       "open_by_level": {level: n},
                       "by_level_status": {level: {status: n}} (all incidents),
                       "funnel": {level: {"count": n, "share": x}} (resolved or closed),
                       "sla_breaches": n (open and past sla_due_at)}
            patrols   {"zones": n, "zones_covered": n, "segments": n (with a target),
                       "segments_covered": n,
                       "coverage_share": x (share of road segments patrolled within target)}

        Patrol figures follow the subdistrict(s) of the scope (patrol zones, roads and patrols
        belong to subdistricts); a neighborhood counts the roads crossing it.
    """
    at = as_utc(now)
    return {
        "scope": _scope_dict(scope),
        "as_of": at.isoformat(),
        "devices": _devices(store, scope, at),
        "alarms": _alarms(store, scope),
        "incidents": _incidents(store, scope, at),
        "patrols": _patrols(store, _patrol_scope(store, scope), at,
                            scope.neighborhood_ids),
    }


def _scope_dict(scope: Scope) -> dict[str, list[str] | None]:
    def listed(ids: frozenset[str] | None) -> list[str] | None:
        return None if ids is None else sorted(ids)

    return {"subdistrict_ids": listed(scope.subdistrict_ids),
            "neighborhood_ids": listed(scope.neighborhood_ids)}


def _devices(store: Store, scope: Scope, now: pd.Timestamp) -> dict[str, Any]:
    devices = _read(store, "devices", scope)
    status = _read(store, "device_status", scope)
    states = current_states(devices, status, now)
    counts = state_counts(states)
    return {
        "total": len(states),
        "online_share": online_share(states),
        "by_state": {state: int(n) for state, n in counts.sum().items()},
        "by_category": {cat: {state: int(n) for state, n in row.items()}
                        for cat, row in counts.iterrows()},
    }


def _alarms(store: Store, scope: Scope) -> dict[str, Any]:
    waiting = open_alarms(_read(store, "alarms", scope,
                                where={"status": list(OPEN_ALARM_STATUSES)}))
    counts = alarm_counts(waiting)
    return {"open": len(waiting),
            "by_severity": {s: counts["by_severity"][s] for s in ALARM_SEVERITIES},
            "by_rule": counts["by_rule"]}


def _incidents(store: Store, scope: Scope, now: pd.Timestamp) -> dict[str, Any]:
    incidents = _read(store, "incidents", scope)
    waiting = open_incidents(incidents)
    by_level = waiting["level"].value_counts()
    funnel = resolution_funnel(incidents)
    return {
        "open": len(waiting),
        "open_by_level": {level: int(by_level.get(level, 0)) for level in LEVELS},
        "by_level_status": {level: {status: int(n) for status, n in row.items()}
                            for level, row in incident_counts(incidents).iterrows()},
        "funnel": {level: {"count": int(row["count"]), "share": float(row["share"])}
                   for level, row in funnel.iterrows()},
        "sla_breaches": len(sla_breaches(incidents, now)),
    }


def _patrol_scope(store: Store, scope: Scope) -> Scope:
    """The scope's subdistricts; a neighborhood-only scope gets its neighborhoods' subdistricts."""
    if scope.neighborhood_ids is None or scope.subdistrict_ids is not None:
        return Scope(scope.subdistrict_ids)
    neighborhoods = _read(store, "neighborhoods", Scope(None, scope.neighborhood_ids))
    return Scope(frozenset(neighborhoods["subdistrict_id"].dropna()))


def _patrols(store: Store, scope: Scope, now: pd.Timestamp,
             neighborhoods: frozenset[str] | None = None) -> dict[str, Any]:
    """Coverage of the subdistricts' roads, or of the roads crossing ``neighborhoods``."""
    zones = _read(store, "patrol-zones", scope)
    patrols = _read(store, "patrols", scope)
    roads = _read(store, "roads", scope)
    if neighborhoods is not None:
        area = store.read_layer("neighborhoods", Scope(None, neighborhoods)).union_all()
        crossing = store.read_layer("roads", scope)
        roads = roads[roads["id"].isin(crossing[crossing.intersects(area)]["id"])]
        zones = zones[zones["id"].isin(roads["zone_id"])]
    segments = segment_coverage(roads, patrols, now, zones)
    targeted = segments[segments["target_hours"].notna()]
    return {
        "zones": len(zones),
        "zones_covered": int(zone_coverage(zones, patrols, now)["covered"].sum()),
        "segments": len(targeted),
        "segments_covered": int(targeted["covered"].sum()),
        "coverage_share": coverage_share(segments),
    }


def _read(store: Store, table: str, scope: Scope,
          where: dict[str, Any] | None = None) -> pd.DataFrame:
    """The needed columns through the store's fast column read, or whole rows from a store
    that lacks ``read_columns`` (the domain functions pick their columns either way)."""
    read_columns = getattr(store, "read_columns", None)
    if read_columns is not None:
        return read_columns(table, _COLUMNS[table], scope, where)
    if table in LAYERS:
        return store.read_layer(table, scope)
    return store.read_records(table, scope, where)
