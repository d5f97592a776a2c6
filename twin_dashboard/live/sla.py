"""SLA breaches as they happen: an open incident whose due time passes goes out as a live event.

Nobody acts when an incident becomes overdue, so no request would tell the screens; this watch
does, every ``SLA_WATCH_S``, with the incidents whose ``sla_due_at`` fell since its last look
(the desk's 超时 queue, the tablet's to-do, the KPIs and the map's halo follow the event).
"""

from __future__ import annotations

from twin_dashboard.catalog import OPEN_STATUSES
from twin_dashboard.domain.time import as_utc, as_utc_series
from twin_dashboard.services import Services

SLA_WATCH_S = 15.0  # a breach reaches the screens within this (plus the live budget)
BREACHED = "breached"  # the event's action, beside the workflow's steps
SYSTEM_ACTOR = "system"
_COLUMNS = ("id", "status", "level", "sla_due_at", "subdistrict_id", "neighborhood_id")


class SlaWatch:
    """Announces each open incident once, when its SLA due time passes."""

    def __init__(self, services: Services) -> None:
        self.services = services
        # Breaches before the watch started are on every screen already (they read the store).
        self.since = as_utc(services.now())

    def tick(self) -> list[str]:
        """Publish the incidents that became overdue since the last tick; their ids."""
        now = as_utc(self.services.now())
        incidents = self.services.store.read_columns(
            "incidents", list(_COLUMNS), where={"status": list(OPEN_STATUSES)})
        due = as_utc_series(incidents["sla_due_at"])
        fresh = incidents[(due > self.since) & (due <= now)]
        self.since = now
        for row in fresh.to_dict("records"):
            self.services.hub.publish_incident({
                "id": row["id"], "status": row["status"], "level": row["level"],
                "action": BREACHED, "actor": SYSTEM_ACTOR, "at": now.isoformat(),
                "sla_due_at": as_utc(row["sla_due_at"]).isoformat(),
                "subdistrict_id": row["subdistrict_id"],
                "neighborhood_id": row["neighborhood_id"]})
        return [str(i) for i in fresh["id"]]
