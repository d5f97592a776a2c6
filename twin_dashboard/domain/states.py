"""The live device state machine: readings in any order fold into the same state.

Each device keeps, per *register*, the time of the newest reading that touched it: the newest
alarm-type event (``alarm``/``smoke``/``gas``), fault, clear, battery, event, value, activity
and flow change. The state is a function of those registers only — alarm when the newest alarm
event is not older than the newest clear, else fault (same test), else ``low_battery`` when the
newest battery is below ``catalog.LOW_BATTERY``, else ``normal``. Because every register keeps
its newest value (last writer wins by reading time, not arrival time), a late reading can never
move a state backwards in time, and any permutation of the same readings gives the same state.
Ties within one second: an alarm or fault beats a clear (fail safe), a flow stop beats a start.

``offline`` is not stored: it is read off the clock with the category's heartbeat window
(``current_states`` in ``domain/devices.py`` for frames, :func:`state_at` for one device).

Readings more than :data:`FUTURE_TOLERANCE` ahead of the server clock are refused per item by
ingest (a gateway with a wrong clock would otherwise pin a device's registers in the future), as
are readings older than the ingestor's ``max_age`` and readings of unknown devices.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from operator import attrgetter

import pandas as pd

from twin_dashboard.catalog import LOW_BATTERY
from twin_dashboard.domain.devices import (
    ALARM_EVENTS,
    CLEAR_EVENTS,
    FAULT_EVENTS,
    heartbeat_window,
)

FUTURE_TOLERANCE = pd.Timedelta(minutes=5)  # clock skew allowed to gateways
ACTIVITY_EVENTS: frozenset[str] = frozenset({"open", "close", "motion", "flow_start", "flow_stop"})
FLOW_EVENTS: frozenset[str] = frozenset({"flow_start", "flow_stop"})
_ALARM, _FAULT, _CLEAR = frozenset(ALARM_EVENTS), frozenset(FAULT_EVENTS), frozenset(CLEAR_EVENTS)


@dataclass(slots=True)
class DeviceLive:
    """A device's stored status and registers (``store.base.LIVE_COLUMNS``, times in epoch s)."""

    device_id: str
    state: str = "normal"
    state_since: int | None = None
    last_seen: int | None = None
    last_event: str | None = None
    last_value: float | None = None
    battery: float | None = None
    alarm_at: int | None = None
    alarm_since: int | None = None  # first alarm event received in the running episode
    fault_at: int | None = None
    clear_at: int | None = None
    battery_at: int | None = None
    event_at: int | None = None
    value_at: int | None = None
    active_at: int | None = None
    flow_at: int | None = None
    flow_on: int | None = None

    @classmethod
    def from_row(cls, row: tuple) -> DeviceLive:
        """From a stored row; registers missing on seeded rows are inferred from the status."""
        live = cls(*row)
        since = live.state_since if live.state_since is not None else live.last_seen
        if live.state == "alarm" and live.alarm_at is None:
            live.alarm_at = live.alarm_since = since
        if live.state == "fault" and live.fault_at is None:
            live.fault_at = since
        for value, register in (("battery", "battery_at"), ("last_event", "event_at"),
                                ("last_value", "value_at")):
            if getattr(live, value) is not None and getattr(live, register) is None:
                setattr(live, register, live.last_seen)
        return live

    def status_row(self) -> tuple:
        """``store.base.STATUS_LIVE_COLUMNS`` values."""
        return _STATUS(self)

    def register_row(self) -> tuple:
        """``REGISTER_COLUMNS`` values, compact: a battery/event/value time equal to
        ``last_seen`` is stored as NULL (``from_row`` reads it back), so an in-order reading
        usually leaves the stored registers unchanged and their write can be skipped."""
        regs = list(_REGISTERS(self))
        for i in _IMPLIED:
            if regs[i] == self.last_seen:
                regs[i] = None
        return tuple(regs)

    @property
    def alarm_active(self) -> bool:
        return _newer_or_tie(self.alarm_at, self.clear_at)

    @property
    def fault_active(self) -> bool:
        return _newer_or_tie(self.fault_at, self.clear_at)


# attrgetter, not dataclasses.astuple (which deep-copies: 10x slower on the ingest hot path).
_NAMES = [f.name for f in fields(DeviceLive)]
_STATUS = attrgetter(*_NAMES[:7])
_REGISTERS = attrgetter(*_NAMES[7:])
_IMPLIED = tuple(_NAMES[7:].index(n) for n in ("battery_at", "event_at", "value_at"))


def _newer_or_tie(at: int | None, cleared: int | None) -> bool:
    return at is not None and (cleared is None or at >= cleared)


def _newest(current: int | None, ts: int) -> bool:
    return current is None or ts >= current


def apply_reading(live: DeviceLive, ts: int, event: str | None, value: float | None,
                  battery: float | None, water: bool = False) -> None:
    """Fold one reading into the registers (any order); :func:`resolve` then gives the state.

    ``water`` marks a flow meter, whose positive value without an event is water in use.
    """
    if live.last_seen is None or ts > live.last_seen:
        live.last_seen = ts
    if event is not None and _newest(live.event_at, ts):
        live.last_event, live.event_at = event, ts
    if value is not None and _newest(live.value_at, ts):
        live.last_value, live.value_at = value, ts
    if battery is not None and _newest(live.battery_at, ts):
        live.battery, live.battery_at = battery, ts
    if event is not None:
        _apply_event(live, ts, event)
    elif water and value is not None and value > 0:
        _bump_active(live, ts)


def _apply_event(live: DeviceLive, ts: int, event: str) -> None:
    if event in _ALARM:
        was_active = live.alarm_active
        if _newest(live.alarm_at, ts):
            live.alarm_at = ts
        if not was_active and live.alarm_active:
            live.alarm_since = ts
    elif event in _FAULT and _newest(live.fault_at, ts):
        live.fault_at = ts
    elif event in _CLEAR and (live.clear_at is None or ts > live.clear_at):
        live.clear_at = ts
    if event in ACTIVITY_EVENTS:
        _bump_active(live, ts)
    if event in FLOW_EVENTS and (live.flow_at is None or ts > live.flow_at
                                 or (ts == live.flow_at and event == "flow_stop")):
        live.flow_at, live.flow_on = ts, int(event == "flow_start")


def _bump_active(live: DeviceLive, ts: int) -> None:
    if live.active_at is None or ts > live.active_at:
        live.active_at = ts


def resolve(live: DeviceLive) -> str:
    """The stored state the registers imply: alarm > fault > low_battery > normal."""
    if live.alarm_active:
        return "alarm"
    if live.fault_active:
        return "fault"
    if live.battery is not None and live.battery < LOW_BATTERY:
        return "low_battery"
    return "normal"


def settle(live: DeviceLive) -> bool:
    """Set ``state`` from the registers; True when it changed (``state_since`` moves then)."""
    state = resolve(live)
    if state == live.state and live.state_since is not None:
        return False
    changed = state != live.state
    live.state = state
    live.state_since = _since(live, state)
    return changed


def _since(live: DeviceLive, state: str) -> int | None:
    """When the current state began, from the register that decides it."""
    if state == "alarm":
        return live.alarm_since if live.alarm_since is not None else live.alarm_at
    if state == "fault":
        return live.fault_at
    if state == "low_battery":
        return live.battery_at
    candidates = [t for t in (live.clear_at, live.battery_at) if t is not None]
    return max(candidates) if candidates else live.last_seen


def state_at(live: DeviceLive, category: str, now: pd.Timestamp) -> str:
    """The state shown at ``now``: ``offline`` once the heartbeat window has passed."""
    if live.last_seen is None:
        return "offline"
    silent = pd.Timestamp(now).timestamp() - live.last_seen
    return "offline" if silent > heartbeat_window(category).total_seconds() else live.state
