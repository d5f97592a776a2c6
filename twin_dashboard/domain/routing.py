"""Alarm routing: who hears of an alarm, acknowledgement, escalation, and every step recorded.

An alarm goes to its household's residents'-committee cadre and the elder's buddy (an alarm of a
public device to the neighborhood's cadre). Each recipient finds it in their inbox and is told
through a pluggable :class:`Notifier`. Unacknowledged after ``ack_window`` it escalates to the
subdistrict's duty officer; any alarm can become an incident. Each step — raised, notified,
acknowledged, escalated, escalated_to, incident, closed, notify_failed — is a row of
``alarm_steps`` naming who and when, written in the same transaction as the change it records.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import httpx
import pandas as pd

from twin_dashboard.catalog import CATEGORY_BY_CODE
from twin_dashboard.domain.access import Viewer
from twin_dashboard.domain.workflow import new_incident
from twin_dashboard.i18n import TEXT
from twin_dashboard.store.base import LiveTx, Store

log = logging.getLogger(__name__)
SYSTEM = "system"  # the actor of automatic steps


@dataclass(frozen=True)
class RoutingConfig:
    ack_window: pd.Timedelta = pd.Timedelta(minutes=15)  # then cadre -> duty officer


DEFAULT_ROUTING = RoutingConfig()


@dataclass(frozen=True)
class Notice:
    """One message to one person about one alarm."""

    alarm_id: str
    person_id: str
    role: str
    action: str  # "notify" (first routing) or "escalate"
    rule: str
    severity: str
    at: int  # epoch seconds


class Notifier(Protocol):
    """Delivers a notice (SMS gateway, app push, webhook …); raise to report a failure."""

    def notify(self, notice: Notice) -> None: ...


class LogNotifier:
    """The default: write the notice to the log (the inbox is the real channel)."""

    def notify(self, notice: Notice) -> None:
        log.info("alarm %s -> %s (%s, %s)", notice.alarm_id, notice.person_id, notice.role,
                 notice.action)


class WebhookNotifier:
    """POST each notice as JSON to a URL (e.g. a messaging gateway)."""

    def __init__(self, url: str, timeout: float = 5.0, client: httpx.Client | None = None):
        self.url = url
        self.client = client or httpx.Client(timeout=timeout)

    def notify(self, notice: Notice) -> None:
        self.client.post(self.url, json=asdict(notice)).raise_for_status()


@dataclass
class Directory:
    """Who is responsible for what: households' cadre and buddy, neighborhood cadres, duty."""

    households: dict[str, tuple[str | None, str | None]]
    cadres: dict[str, str]  # neighborhood -> a cadre
    duty: dict[str, str]  # subdistrict -> duty officer
    any_duty: str | None

    @classmethod
    def from_store(cls, store: Store) -> Directory:
        homes = store.read_records("households")
        people = store.read_records("people")
        cadres = people[people["role"] == "cadre"].drop_duplicates("neighborhood_id")
        duty = people[people["role"] == "duty_officer"].drop_duplicates("subdistrict_id")
        return cls(
            households={h.id: (_id(h.cadre_id), _id(h.buddy_id)) for h in homes.itertuples()},
            cadres=dict(zip(cadres["neighborhood_id"], cadres["id"], strict=True)),
            duty=dict(zip(duty["subdistrict_id"], duty["id"], strict=True)),
            any_duty=str(duty["id"].iloc[0]) if len(duty) else None,
        )

    def recipients(self, alarm: dict[str, Any]) -> list[tuple[str, str]]:
        """(person, role) first told of ``alarm``; the duty officer when nobody else is known."""
        cadre, buddy = self.households.get(alarm.get("household_id") or "", (None, None))
        cadre = cadre or self.cadres.get(alarm.get("neighborhood_id") or "")
        found = [(p, r) for p, r in ((cadre, "cadre"), (buddy, "buddy")) if p]
        return found or self.escalation(alarm)

    def escalation(self, alarm: dict[str, Any]) -> list[tuple[str, str]]:
        officer = self.duty.get(alarm.get("subdistrict_id") or "") or self.any_duty
        return [(officer, "duty_officer")] if officer else []


def _id(value: Any) -> str | None:
    return None if value is None or pd.isna(value) or value == "" else str(value)


def _tell(tx: LiveTx, alarm: dict[str, Any], people: list[tuple[str, str]], action: str,
          now_s: int) -> list[Notice]:
    """Put the alarm in each person's inbox, record it, and return the notices to send."""
    tx.add_inbox([(p, alarm["id"], role, now_s) for p, role in people])
    step = "notified" if action == "notify" else "escalated_to"
    tx.add_steps([(alarm["id"], now_s, step, SYSTEM, p, role) for p, role in people])
    return [Notice(alarm["id"], p, role, action, alarm["rule"], alarm["severity"], now_s)
            for p, role in people]


def route(tx: LiveTx, alarms: Sequence[dict[str, Any]], directory: Directory,
          now_s: int) -> list[Notice]:
    """Record new alarms as raised and route each to its first recipients."""
    notices: list[Notice] = []
    for alarm in alarms:
        tx.add_steps([(alarm["id"], now_s, "raised", SYSTEM, None, alarm["rule"])])
        notices += _tell(tx, alarm, directory.recipients(alarm), "notify", now_s)
    return notices


def _epoch(now: pd.Timestamp) -> int:
    return int(pd.Timestamp(now).timestamp())


def _require(tx: LiveTx, alarm_id: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    alarm = tx.alarm(alarm_id)
    if alarm is None:
        raise ValueError(f"unknown alarm {alarm_id!r}")
    if alarm["status"] not in allowed:
        raise ValueError(f"alarm {alarm_id!r} is {alarm['status']}: not one of {allowed}")
    return alarm


def _require_recipient(store: Store, alarm_id: str, person_id: str) -> None:
    holders = store.read_records("alarm_inbox", where={"alarm_id": alarm_id})
    if person_id not in set(holders["person_id"]):
        raise ValueError(f"{person_id!r} was not sent alarm {alarm_id!r}")


def acknowledge(store: Store, alarm_id: str, person_id: str, now: pd.Timestamp) -> None:
    """``person_id`` (a recipient) takes the alarm on; stops its escalation clock."""
    _require_recipient(store, alarm_id, person_id)
    with store.live_tx() as tx:
        _require(tx, alarm_id, ("open", "escalated"))
        tx.update_alarm(alarm_id, {"status": "acknowledged", "acked_at": _epoch(now),
                                   "acked_by": person_id})
        tx.add_steps([(alarm_id, _epoch(now), "acknowledged", person_id, person_id, None)])


def close(store: Store, alarm_id: str, person_id: str, now: pd.Timestamp,
          note: str | None = None) -> None:
    """``person_id`` (a recipient) closes the alarm, e.g. after a visit."""
    _require_recipient(store, alarm_id, person_id)
    with store.live_tx() as tx:
        _require(tx, alarm_id, ("open", "acknowledged", "escalated"))
        tx.update_alarm(alarm_id, {"status": "closed", "closed_at": _epoch(now)})
        tx.add_steps([(alarm_id, _epoch(now), "closed", person_id, person_id, note)])


def escalate(store: Store, alarm_id: str, actor: str, now: pd.Timestamp,
             directory: Directory) -> list[Notice]:
    """Hand the alarm up to the subdistrict's duty officer (``actor`` asks, or the clock)."""
    with store.live_tx() as tx:
        alarm = _require(tx, alarm_id, ("open", "acknowledged"))
        if present(alarm.get("escalated_at")):  # acknowledged after an escalation
            raise ValueError(f"alarm {alarm_id!r} was already escalated")
        return _escalate(tx, alarm, actor, _epoch(now), directory)


def _escalate(tx: LiveTx, alarm: dict[str, Any], actor: str, now_s: int,
              directory: Directory) -> list[Notice]:
    tx.update_alarm(alarm["id"], {"status": "escalated", "escalated_at": now_s})
    tx.add_steps([(alarm["id"], now_s, "escalated", actor, None, alarm["status"])])
    return _tell(tx, alarm, directory.escalation(alarm), "escalate", now_s)


def escalate_overdue(store: Store, now: pd.Timestamp, directory: Directory,
                     cfg: RoutingConfig = DEFAULT_ROUTING) -> list[Notice]:
    """Escalate every alarm not acknowledged within the window."""
    now_s = _epoch(now)
    with store.live_tx() as tx:
        overdue = tx.overdue_alarms(now_s - int(cfg.ack_window.total_seconds()))
        return [n for alarm in overdue for n in _escalate(tx, alarm, SYSTEM, now_s, directory)]


def to_incident(store: Store, alarm_id: str, actor: str, now: pd.Timestamp,
                level: str = "committee") -> str:
    """Turn an alarm into a ``sensor`` incident at ``level`` (closed loop); returns its id.

    Created through ``workflow.new_incident``, the one way an incident is opened."""
    now_s = _epoch(now)
    with store.live_tx() as tx:
        alarm = _require(tx, alarm_id, ("open", "acknowledged", "escalated"))
        if alarm.get("incident_id"):
            raise ValueError(f"alarm {alarm_id!r} is already incident {alarm['incident_id']!r}")
        incident_id = new_incident(tx, now, {
            "source": "sensor", "kind": alarm["rule"],
            "title": incident_title(alarm), "level": level,
            "subdistrict_id": alarm["subdistrict_id"], "device_id": alarm["device_id"],
            "neighborhood_id": alarm["neighborhood_id"], "lon": alarm["lon"], "lat": alarm["lat"],
        }, actor, f"来自告警 {alarm_id}")
        tx.update_alarm(alarm_id, {"incident_id": incident_id})
        tx.add_steps([(alarm_id, now_s, "incident", actor, None, incident_id)])
    return incident_id


def incident_title(alarm: Mapping[str, Any]) -> str:
    """An alarm's incident titled as the district's staff write it: what fired, in Chinese
    (titles are data, stored once), and the alarm it came from."""
    rule = str(alarm.get("rule") or "")
    category = CATEGORY_BY_CODE.get(rule)
    name = category.zh if category else next(
        (TEXT[k][0] for k in (f"rule.{rule}", f"rule.{'_'.join(rule.split('_')[:2])}",
                              f"rule.{rule.split('_')[0]}") if k in TEXT), "设备")
    return f"{name}告警（{alarm.get('id')}）"


def deliver(store: Store, notifier: Notifier, notices: Sequence[Notice]) -> int:
    """Send notices; a failure is recorded as a step, never raised. Returns how many failed."""
    failed = []
    for notice in notices:
        try:
            notifier.notify(notice)
        except Exception as err:  # a broken channel must not stop the others
            log.warning("notify %s about %s failed: %s", notice.person_id, notice.alarm_id, err)
            failed.append((notice.alarm_id, notice.at, "notify_failed", SYSTEM,
                           notice.person_id, str(err)[:200]))
    if failed:
        with store.live_tx() as tx:
            tx.add_steps(failed)
    return len(failed)


ALARM_ACTIONS: tuple[str, ...] = ("ack", "escalate", "close", "incident")
_WAITING = ("open", "acknowledged", "escalated")


def allowed_actions(alarm: Mapping[str, Any], recipients: Collection[str],
                    viewer: Viewer) -> tuple[str, ...]:
    """What ``viewer`` may do to ``alarm`` now (``ALARM_ACTIONS`` order): acknowledge and
    close if it was sent to them, escalate once, open an incident once; nothing for a
    read-only caller or one not linked to a person."""
    if viewer.read_only or not viewer.person_id:
        return ()
    mine, status = viewer.person_id in recipients, alarm.get("status")
    checks = {
        "ack": mine and status in ("open", "escalated"),
        "escalate": status in ("open", "acknowledged") and not present(alarm.get("escalated_at")),
        "close": mine and status in _WAITING,
        "incident": status in _WAITING and not present(alarm.get("incident_id")),
    }
    return tuple(a for a in ALARM_ACTIONS if checks[a])


def present(value: Any) -> bool:
    """A stored value that is set (not None, NaN, NaT or empty)."""
    return _id(value) is not None


def inbox(store: Store, person_id: str, open_only: bool = True) -> pd.DataFrame:
    """The alarms routed to ``person_id``, newest first (open and escalated ones by default)."""
    held = store.read_records("alarm_inbox", where={"person_id": person_id})
    alarms = store.read_records("alarms", where={"id": list(held["alarm_id"])})
    if open_only:
        alarms = alarms[alarms["status"].isin(("open", "escalated"))]
    roles = dict(zip(held["alarm_id"], held["role"], strict=True))
    alarms = alarms.assign(role=alarms["id"].map(roles))
    return alarms.sort_values("raised_at", ascending=False, kind="stable").reset_index(drop=True)


def history(store: Store, alarm_id: str) -> pd.DataFrame:
    """Every step of an alarm in order: ts, action, actor, person_id, note."""
    steps = store.read_records("alarm_steps", where={"alarm_id": alarm_id})
    return steps.sort_values("ts", kind="stable").reset_index(drop=True)
