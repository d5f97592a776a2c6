"""Acting on an alarm: the one path the API and the screens share.

Who may do what is decided here from the signed-in viewer and the alarm as stored: the caller's
linked person acts (an account without one, or a read-only role, may not); acknowledging and
closing are for the alarm's recipients; escalating (once) and opening an incident for anyone
acting in scope. A step is recorded by ``domain/routing.py``, the action audited, notices
delivered and the change pushed to open screens (the live stream's ``updates``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from twin_dashboard.domain import audit, routing, workflow
from twin_dashboard.domain.access import Viewer
from twin_dashboard.domain.routing import ALARM_ACTIONS, allowed_actions, present
from twin_dashboard.live.hub import iso
from twin_dashboard.services import Services

# What each action leaves the alarm as (the live update's ``action``; the audit's verb).
DONE: dict[str, str] = {"ack": "acknowledged", "escalate": "escalated", "close": "closed",
                        "incident": "incident"}


class ActionRefused(Exception):
    """An action the caller may not take now; ``status`` is the HTTP status that says why:
    403 (not theirs to take), 404 (no such alarm in their scope), 409 (not in this state)."""

    def __init__(self, status: int, message: str, allowed: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.status, self.allowed = status, allowed


@dataclass(frozen=True)
class AlarmState:
    """An alarm as the rules read it: its row and who it was sent to."""

    alarm: dict[str, Any]
    recipients: frozenset[str]


def alarm_state(services: Services, viewer: Viewer, alarm_id: str) -> AlarmState:
    """The alarm and its recipients; 404 when unknown, 403 outside the viewer's scope."""
    found = services.store.read_records("alarms", where={"id": alarm_id})
    if found.empty:
        raise ActionRefused(404, f"unknown alarm {alarm_id!r}")
    if not viewer.covers_row(found.iloc[0].to_dict()):
        raise ActionRefused(403, f"alarm {alarm_id!r} is outside the scope of {viewer.name!r} "
                                 f"({viewer.role})")
    held = services.store.read_records("alarm_inbox", where={"alarm_id": alarm_id})
    return AlarmState(found.iloc[0].to_dict(), frozenset(held["person_id"]))


def act_on_alarm(services: Services, viewer: Viewer, alarm_id: str, action: str, *,
                 note: str | None = None, level: str = "committee",
                 ip: str | None = None) -> str | None:
    """Take ``action`` as ``viewer``; returns the new incident's id for ``incident``.

    Raises :class:`ActionRefused` naming what the caller may do instead.
    """
    if action not in ALARM_ACTIONS:
        raise ActionRefused(404, f"unknown action {action!r}: one of {', '.join(ALARM_ACTIONS)}")
    if viewer.read_only:
        raise ActionRefused(403, f"{viewer.name!r} ({viewer.role}) may not act on alarms")
    if not viewer.person_id:
        raise ActionRefused(403, f"{viewer.name!r} is not linked to a person: "
                                 "`twin-dashboard user create … --person ID`")
    state = alarm_state(services, viewer, alarm_id)
    allowed = allowed_actions(state.alarm, state.recipients, viewer)
    if action not in allowed:
        raise _refusal(state, viewer, action, allowed)
    person, now, store = viewer.person_id, services.now(), services.store
    incident_id = None
    try:
        if action == "ack":
            routing.acknowledge(store, alarm_id, person, now)
        elif action == "close":
            routing.close(store, alarm_id, person, now, note)
        elif action == "escalate":
            services.ingestor.deliver(routing.escalate(store, alarm_id, person, now,
                                                       services.ingestor.directory()))
        else:
            incident_id = routing.to_incident(store, alarm_id, person, now, level)
    except ValueError as err:  # someone else acted in between
        raise ActionRefused(409, str(err)) from err
    announce(services, viewer, alarm_id, DONE[action], ip)
    if incident_id is not None:
        row = store.read_records("incidents", where={"id": incident_id}).iloc[0].to_dict()
        announce_incident(services, viewer, row, "report", ip)
    return incident_id


def announce(services: Services, viewer: Viewer, alarm_id: str, done: str,
             ip: str | None = None) -> None:
    """Audit an action and push the alarm's new state to open screens."""
    alarm = services.store.read_records("alarms", where={"id": alarm_id}).iloc[0].to_dict()
    audit.record(services.store, services.now(), viewer.name, f"alarm.{done}", alarm_id,
                 detail=f"person={viewer.person_id}", ip=ip)
    services.hub.publish_update({
        "id": alarm_id, "status": alarm["status"], "action": done, "actor": viewer.person_id,
        "at": services.now().isoformat(),
        "incident_id": alarm["incident_id"] if present(alarm.get("incident_id")) else None,
        "subdistrict_id": alarm["subdistrict_id"], "neighborhood_id": alarm["neighborhood_id"]})


def announce_incident(services: Services, viewer: Viewer, row: dict[str, Any], action: str,
                      ip: str | None = None) -> None:
    """Audit an incident's step and tell open screens (the live event's ``incidents``)."""
    actor = workflow.actor_of(viewer)
    audit.record(services.store, services.now(), viewer.name, f"incident.{action}", row["id"],
                 detail=f"person={actor}", ip=ip)
    services.hub.publish_incident({
        "id": row["id"], "status": row["status"], "level": row["level"], "action": action,
        "actor": actor, "at": services.now().isoformat(), "sla_due_at": iso(row["sla_due_at"]),
        "subdistrict_id": row["subdistrict_id"], "neighborhood_id": row["neighborhood_id"]})


def _refusal(state: AlarmState, viewer: Viewer, action: str,
             allowed: tuple[str, ...]) -> ActionRefused:
    status = state.alarm.get("status")
    now_allowed = f"; allowed now: {', '.join(allowed) or 'nothing'}"
    if action in ("ack", "close") and viewer.person_id not in state.recipients:
        return ActionRefused(403, f"{viewer.person_id!r} was not sent alarm "
                                  f"{state.alarm['id']!r}: only its recipients may {action} it"
                                  + now_allowed, allowed)
    if action == "escalate" and present(state.alarm.get("escalated_at")):
        return ActionRefused(409, f"alarm {state.alarm['id']!r} was already escalated"
                                  + now_allowed, allowed)
    if action == "incident" and present(state.alarm.get("incident_id")):
        return ActionRefused(409, f"alarm {state.alarm['id']!r} is already incident "
                                  f"{state.alarm['incident_id']!r}" + now_allowed, allowed)
    return ActionRefused(409, f"alarm {state.alarm['id']!r} is {status}: cannot {action}"
                              + now_allowed, allowed)
