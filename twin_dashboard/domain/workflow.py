"""The incident workflow 流转办: who may move an incident along its closed loop, and how.

Statuses stay the catalog's, ``reported → dispatched → in_progress → resolved → closed``, so
the funnel, the summary and the tables read incidents as before; the finer steps of GB/T 30428.8
(accept a dispatched task, verify before closing) are timestamps on the row:

============  ==========================================  ===========  =========================
action        allowed when                                status after sets
============  ==========================================  ===========  =========================
dispatch      reported                                    dispatched   level, assignee, SLA
accept        dispatched, not yet accepted                dispatched   accepted_at, assignee
start         dispatched and accepted                     in_progress  started_at
escalate      dispatched/in_progress, below subdistrict   dispatched   level + 1, SLA
resolve       in_progress                                 resolved     resolved_at
verify        resolved, not yet verified                  resolved     verified_at
close         resolved and verified                       closed       closed_at
reopen        resolved or closed                          dispatched   reopened + 1, SLA
============  ==========================================  ===========  =========================

Who (``roles.py``): a role *handles* the incidents of some levels — accept, start, escalate,
resolve (``property`` the property level, ``cadre`` the committee level, ``officer`` and
``commander`` every level) — and may *supervise* the loop — dispatch, verify, close, reopen
(``officer``, ``commander``). Always only within the caller's scope; kiosks and admins do nothing.

The pure core is :func:`allowed_actions` and :func:`apply`; :func:`act` runs an action against
the store in one transaction and :func:`create_incident` is the one way to open an incident
(``routing.to_incident`` goes through :func:`new_incident` too). Every step is an
``incident_events`` row naming the actor and the time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from twin_dashboard.catalog import INCIDENT_SOURCES, LEVELS, OPEN_STATUSES
from twin_dashboard.domain._workflow_steps import (
    KIND_SLA_HOURS,
    NOTE_MAX,
    STEPS,
    epoch,
    is_set,
    sla_hours,
)
from twin_dashboard.domain.access import OutOfScope, Viewer
from twin_dashboard.store.base import LiveTx, Store

__all__ = [
    "ACTIONS", "HANDLER_ACTIONS", "KIND_SLA_HOURS", "NOTE_MAX", "SUPERVISOR_ACTIONS",
    "IllegalAction", "NotPermitted", "UnknownIncident",
    "act", "actor_of", "allowed_actions", "apply", "create_incident", "is_set", "locate", "may",
    "new_incident", "overdue", "possible_actions", "sla_due", "sla_hours", "steps", "visible",
]
ACTIONS: tuple[str, ...] = ("dispatch", "accept", "start", "escalate", "resolve", "verify",
                            "close", "reopen")
HANDLER_ACTIONS = frozenset({"accept", "start", "escalate", "resolve"})  # by the level's handler
SUPERVISOR_ACTIONS = frozenset({"dispatch", "verify", "close", "reopen"})  # officer, commander


class UnknownIncident(LookupError):
    """No incident has this id (HTTP 404)."""


class IllegalAction(ValueError):
    """The incident's status does not allow the action now (HTTP 409); ``allowed`` is what the
    caller may do instead."""

    def __init__(self, message: str, allowed: list[str]) -> None:
        super().__init__(message)
        self.allowed = allowed


class NotPermitted(PermissionError):
    """The caller's role or scope does not allow the action (HTTP 403); ``allowed`` as above."""

    def __init__(self, message: str, allowed: list[str]) -> None:
        super().__init__(message)
        self.allowed = allowed


_WHEN: dict[str, Callable[[Mapping[str, Any]], bool]] = {
    "dispatch": lambda i: i["status"] == "reported",
    "accept": lambda i: i["status"] == "dispatched" and not is_set(i.get("accepted_at")),
    "start": lambda i: i["status"] == "dispatched" and is_set(i.get("accepted_at")),
    "escalate": lambda i: i["status"] in ("dispatched", "in_progress")
    and i["level"] != LEVELS[-1],
    "resolve": lambda i: i["status"] == "in_progress",
    "verify": lambda i: i["status"] == "resolved" and not is_set(i.get("verified_at")),
    "close": lambda i: i["status"] == "resolved" and is_set(i.get("verified_at")),
    "reopen": lambda i: i["status"] in ("resolved", "closed"),
}


def possible_actions(incident: Mapping[str, Any]) -> list[str]:
    """The actions the incident's status allows now, for anyone (in ``ACTIONS`` order)."""
    return [a for a in ACTIONS if _WHEN[a](incident)]


def may(viewer: Viewer, incident: Mapping[str, Any], action: str) -> bool:
    """Whether ``viewer``'s role and scope let them take ``action`` on this incident at all
    (whatever its status): the level's handler, or a supervisor, within the scope."""
    spec = viewer.spec
    if not (spec.acts and visible(viewer, incident)):
        return False
    if action in SUPERVISOR_ACTIONS:
        return spec.supervises
    return action in HANDLER_ACTIONS and incident["level"] in spec.handles


def allowed_actions(incident: Mapping[str, Any], viewer: Viewer) -> list[str]:
    """What ``viewer`` may do with the incident now: allowed by its status AND their role.

    Parameters
    ----------
    incident : mapping
        An ``incidents`` row (from the store or ``read_records``): at least ``status``,
        ``level``, ``subdistrict_id``, ``neighborhood_id``, ``accepted_at``, ``verified_at``.
    viewer : Viewer
        The signed-in caller.

    Returns
    -------
    list of str
        Action names in ``ACTIONS`` order; empty for a read-only caller or one out of scope.
    """
    return [a for a in possible_actions(incident) if may(viewer, incident, a)]


def visible(viewer: Viewer, incident: Mapping[str, Any]) -> bool:
    """Whether ``viewer`` may see the incident: its place in scope and (``property``) its level."""
    levels = viewer.spec.incident_levels
    return viewer.covers_row(incident) and (levels is None or incident["level"] in levels)


def actor_of(viewer: Viewer) -> str:
    """Who a step names: the caller's linked person, else their account name."""
    return viewer.person_id or viewer.name


# --- SLA --------------------------------------------------------------------------------------

def sla_due(level: str, since: pd.Timestamp, kind: str | None = None) -> pd.Timestamp:
    """The deadline of an incident that reached ``level`` at ``since``."""
    return pd.Timestamp(since) + pd.Timedelta(hours=sla_hours(level, kind))


def overdue(incident: Mapping[str, Any], now: pd.Timestamp) -> bool:
    """Whether an open incident is past its deadline at ``now`` (no deadline: never)."""
    due = incident.get("sla_due_at")
    if incident["status"] not in OPEN_STATUSES or not is_set(due):
        return False
    return epoch(due) < epoch(now)


# --- the transitions --------------------------------------------------------------------------

def apply(incident: Mapping[str, Any], action: str, viewer: Viewer, now: pd.Timestamp,
          **params: Any) -> tuple[dict[str, Any], tuple]:
    """The changes ``action`` makes to the incident, and the step recording it.

    Parameters
    ----------
    incident : mapping
        The incident's row as it is now (times as epoch seconds or timestamps).
    action : str
        One of ``ACTIONS``.
    viewer : Viewer
        Who acts; the step names :func:`actor_of` them.
    now : Timestamp
        When.
    **params
        ``dispatch``: ``level`` (default: the incident's), ``assignee`` (a person id or
        ``None``); ``escalate`` and ``reopen``: ``reason`` (required); ``resolve``: ``note``.

    Returns
    -------
    (dict, tuple)
        Column → new value (times as epoch seconds), and the ``incident_events`` row
        ``(incident_id, ts, action, level, actor, note)``.

    Raises
    ------
    NotPermitted
        The caller's role or scope does not allow ``action`` on this incident.
    IllegalAction
        The incident's status does not allow ``action`` now.
    ValueError
        An unknown action or level, or a missing reason.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}: one of {', '.join(ACTIONS)}")
    allowed = allowed_actions(incident, viewer)
    if not may(viewer, incident, action):
        raise NotPermitted(f"{viewer.name!r} ({viewer.role}) may not {action} incident "
                           f"{incident['id']!r} at {incident['level']} level; "
                           f"allowed: {_listed(allowed)}", allowed)
    if not _WHEN[action](incident):
        raise IllegalAction(f"cannot {action} incident {incident['id']!r}: it is "
                            f"{_state(incident)}; allowed: {_listed(allowed)}", allowed)
    changes, level, note = STEPS[action](incident, actor_of(viewer), epoch(now), params)
    return changes, (incident["id"], epoch(now), action, level, actor_of(viewer), note)


def _state(incident: Mapping[str, Any]) -> str:
    words = f"{incident['status']} at {incident['level']} level"
    if incident["status"] == "dispatched":
        words += ", accepted" if is_set(incident.get("accepted_at")) else ", not accepted"
    if incident["status"] == "resolved":
        words += ", verified" if is_set(incident.get("verified_at")) else ", not verified"
    return words


def _listed(allowed: list[str]) -> str:
    return ", ".join(allowed) or "nothing"


# --- against the store ------------------------------------------------------------------------

def act(store: Store, incident_id: str, action: str, viewer: Viewer, now: pd.Timestamp,
        **params: Any) -> dict[str, Any]:
    """Take ``action`` on a stored incident in one transaction; returns its row afterwards.

    Raises :class:`UnknownIncident`, and what :func:`apply` raises. A ``dispatch`` to an
    ``assignee`` who is not a known person is a ``ValueError``.
    """
    assignee = params.get("assignee")
    if assignee and store.read_records("people", where={"id": assignee}).empty:
        raise ValueError(f"unknown person {assignee!r} to assign")
    with store.live_tx() as tx:
        incident = tx.incident(incident_id)
        if incident is None:
            raise UnknownIncident(f"unknown incident {incident_id!r}")
        changes, event = apply(incident, action, viewer, now, **params)
        tx.update_incident(incident_id, changes, event)
        return {**incident, **changes}


def steps(store: Store, incident_id: str) -> pd.DataFrame:
    """Every step of an incident in order: ts, action, level, actor, note."""
    events = store.read_records("incident_events", where={"incident_id": incident_id})
    return events.sort_values("ts", kind="stable").reset_index(drop=True)


def new_incident(tx: LiveTx, now: pd.Timestamp, fields: Mapping[str, Any], actor: str,
                 note: str | None = None) -> str:
    """Insert a ``reported`` incident with the next ``inc-NNNNNN`` id and its ``report`` step.

    ``fields`` are ``incidents`` columns (``source``, ``kind``, ``title``, the place, and
    ``level``, default ``property``); the deadline follows the level. The one insertion path.
    """
    now_s = epoch(now)
    incident_id = f"inc-{tx.last_incident_number() + 1:06d}"
    level = fields.get("level") or "property"
    row = {**fields, "id": incident_id, "status": "reported", "level": level,
           "reported_at": now_s, "reopened": 0,
           "sla_due_at": now_s + int(sla_hours(level, fields.get("kind")) * 3600)}
    tx.add_incident(row, (incident_id, now_s, "report", level, actor, note))
    return incident_id


def create_incident(store: Store, neighborhoods: gpd.GeoDataFrame, viewer: Viewer,
                    now: pd.Timestamp, *, kind: str, title: str, source: str,
                    neighborhood_id: str | None = None, lon: float | None = None,
                    lat: float | None = None, level: str = "property") -> str:
    """Report a new incident at a neighborhood or a point; returns its id.

    Parameters
    ----------
    store : Store
    neighborhoods : GeoDataFrame
        The neighborhoods layer (``id``, ``subdistrict_id``, geometry in EPSG:4326), e.g.
        ``services.atlas.geo().layers["neighborhoods"]``.
    viewer : Viewer
        Who reports: any role that acts, within their scope.
    now : Timestamp
    kind, title : str
        What it is (free code, e.g. ``leak``) and a one-line title.
    source : str
        One of ``catalog.INCIDENT_SOURCES``.
    neighborhood_id : str, optional
        Where; or ``lon``/``lat`` (WGS84), located in the neighborhood containing the point.
    level : str, default "property"
        The level it is first meant for (``dispatch`` may change it).

    Raises
    ------
    ValueError
        An unknown source, level or neighborhood, a point in no neighborhood, no place given.
    NotPermitted
        A read-only caller (kiosk, admin).
    OutOfScope
        A place outside the caller's scope.
    """
    _check_new(title, source, level)
    if not viewer.spec.acts:
        raise NotPermitted(f"{viewer.name!r} ({viewer.role}) may not report incidents", [])
    sub, nbh, lon, lat = locate(neighborhoods, neighborhood_id, lon, lat)
    if not viewer.covers(sub, nbh):
        raise OutOfScope(f"neighborhood {nbh!r} is outside the scope of {viewer.name!r} "
                         f"({viewer.role})")
    fields = {"source": source, "kind": kind, "title": title.strip(), "level": level,
              "subdistrict_id": sub, "neighborhood_id": nbh, "lon": lon, "lat": lat}
    with store.live_tx() as tx:
        return new_incident(tx, now, fields, actor_of(viewer))


def _check_new(title: str, source: str, level: str) -> None:
    if source not in INCIDENT_SOURCES:
        raise ValueError(f"unknown source {source!r}: one of {', '.join(INCIDENT_SOURCES)}")
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}: one of {', '.join(LEVELS)}")
    if not title.strip():
        raise ValueError("an incident needs a title")


def locate(neighborhoods: gpd.GeoDataFrame, neighborhood_id: str | None, lon: float | None,
           lat: float | None) -> tuple[str, str, float, float]:
    """(subdistrict, neighborhood, lon, lat) of a neighborhood (its inner point stands for an
    unknown position) or of the neighborhood whose polygon covers the point."""
    if neighborhood_id:
        found = neighborhoods[neighborhoods["id"] == neighborhood_id]
        if found.empty:
            raise ValueError(f"unknown neighborhood {neighborhood_id!r}")
        row = found.iloc[0]
        if lon is None or lat is None:
            inner = row.geometry.representative_point()
            lon, lat = float(inner.x), float(inner.y)
        return str(row["subdistrict_id"]), str(row["id"]), lon, lat
    if lon is None or lat is None:
        raise ValueError("give neighborhood_id, or lon and lat")
    hits = neighborhoods[neighborhoods.geometry.covers(Point(lon, lat))].sort_values("id")
    if hits.empty:
        raise ValueError(f"the point ({lon}, {lat}) lies in no neighborhood")
    row = hits.iloc[0]
    return str(row["subdistrict_id"]), str(row["id"]), float(lon), float(lat)
