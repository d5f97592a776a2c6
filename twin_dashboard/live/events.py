"""One live event as every screen shares it, and its bytes on the bus between workers.

A :class:`FeedEvent` is what the hub (live/hub.py) builds from merged ingest deltas and people's
actions; the bus (live/bus.py) numbers it and carries it to every worker; each screen receives
the part within its scope (:meth:`FeedEvent.payload`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from twin_dashboard.store.base import Scope

Place = tuple[str | None, str | None]  # (subdistrict_id, neighborhood_id)


def in_scope(scope: Scope, place: Place) -> bool:
    """True when a thing at ``place`` is visible within ``scope``."""
    sub, nbh = place
    return ((scope.subdistrict_ids is None or sub in scope.subdistrict_ids)
            and (scope.neighborhood_ids is None or nbh in scope.neighborhood_ids))


@dataclass(frozen=True)
class FeedEvent:
    """One moment of change for everybody; :meth:`payload` cuts it to one screen's scope."""

    seq: int
    ts: str
    states: dict[Place, dict[str, str]]  # grouped by place, so scoping is a few dict merges
    alarms: list[dict[str, Any]]  # ALARM_FIELDS, raised_at in ISO
    sources: dict[str, str]  # data source -> updated_at (ISO), only those that moved
    updates: list[dict[str, Any]] = field(default_factory=list)  # alarm status changes
    incidents: list[dict[str, Any]] = field(default_factory=list)  # incident workflow steps

    def payload(self, scope: Scope) -> dict[str, Any]:
        """The event as a screen of ``scope`` receives it (JSON-ready)."""
        states: dict[str, str] = {}
        for place, group in self.states.items():
            if in_scope(scope, place):
                states.update(group)
        out: dict[str, Any] = {
            "seq": self.seq, "ts": self.ts, "states": states,
            "alarms": [a for a in self.alarms if in_scope(scope, _place(a))],
            "sources": dict(self.sources)}
        updates = [u for u in self.updates if in_scope(scope, _place(u))]
        if updates:
            out["updates"] = updates
        incidents = [i for i in self.incidents if in_scope(scope, _place(i))]
        if incidents:
            out["incidents"] = incidents
        return out


def _place(record: dict[str, Any]) -> Place:
    return record.get("subdistrict_id"), record.get("neighborhood_id")


def encode(event: FeedEvent) -> bytes:
    """The event as JSON bytes for the bus, without its seq (the bus numbers it)."""
    return orjson.dumps({
        "ts": event.ts, "states": [[sub, nbh, group] for (sub, nbh), group in event.states.items()],
        "alarms": event.alarms, "sources": event.sources, "updates": event.updates,
        "incidents": event.incidents}, default=_plain, option=orjson.OPT_SERIALIZE_NUMPY)


def decode(seq: int, data: bytes) -> FeedEvent:
    """An event read back from the bus, numbered ``seq``."""
    raw = orjson.loads(data)
    return FeedEvent(seq, raw["ts"], {(sub, nbh): group for sub, nbh, group in raw["states"]},
                     raw["alarms"], raw["sources"], raw.get("updates", []),
                     raw.get("incidents", []))


def _plain(value: Any) -> Any:
    """numpy scalars and the like as plain Python values (``item()``), else their text."""
    item = getattr(value, "item", None)
    return item() if callable(item) else str(value)
