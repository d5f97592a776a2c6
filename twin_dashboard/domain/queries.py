"""What the screens ask of the store beyond the summary: the feed, the incident list, history.

Each function reads one scope through the store's scoped reads and answers with frames the
views draw; callbacks call these and never the store itself.
"""

from __future__ import annotations

import pandas as pd

from twin_dashboard.catalog import OPEN_STATUSES
from twin_dashboard.domain import routing, workflow
from twin_dashboard.domain.access import Viewer
from twin_dashboard.domain.alarms import OPEN_ALARM_STATUSES, open_alarms
from twin_dashboard.domain.freshness import Freshness, source_freshness
from twin_dashboard.domain.incidents import incidents_over_time, open_incidents
from twin_dashboard.domain.patrols import zone_coverage
from twin_dashboard.domain.places import MapScope
from twin_dashboard.domain.time import as_utc, as_utc_series
from twin_dashboard.store.base import Scope, Store


def feed(store: Store, scope: MapScope, inbox_of: str | None = None,
         with_incidents: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(alarms, incidents) waiting in ``scope``: the open alarms, or the alarms routed to
    ``inbox_of`` when a person's inbox is asked for; open incidents unless left out."""
    if inbox_of:
        alarms = routing.inbox(store, inbox_of)
    else:
        alarms = open_alarms(store.read_records(
            "alarms", scope.store_scope, where={"status": list(OPEN_ALARM_STATUSES)}))
    incidents = open_incidents(store.read_records("incidents", scope.store_scope))
    return alarms, incidents if with_incidents else incidents.iloc[0:0]


def incidents_in(store: Store, scope: MapScope) -> pd.DataFrame:
    """Every incident of the scope, open or closed."""
    return store.read_records("incidents", scope.store_scope)


QUEUES: tuple[str, ...] = ("all", "mine", "level", "overdue")


def work_queue(incidents: pd.DataFrame, viewer: Viewer, queue: str,
               now: pd.Timestamp) -> pd.DataFrame:
    """The desk's work queue: every incident (``all``), the open ones accepted by or assigned
    to the viewer (``mine``), open at a level the viewer handles (``level``), or past their
    deadline (``overdue``). An unknown queue is ``all``."""
    if incidents.empty or queue not in QUEUES[1:]:
        return incidents
    open_ = incidents["status"].isin(OPEN_STATUSES)
    if queue == "mine":
        keep = open_ & (incidents["assignee"] == workflow.actor_of(viewer)) \
            if "assignee" in incidents else open_ & False
    elif queue == "level":
        keep = open_ & incidents["level"].isin(viewer.spec.handles)
    else:
        keep = open_ & (as_utc_series(incidents["sla_due_at"]) < as_utc(now))
    return incidents[keep.fillna(False).astype(bool)]


def incident_trend(store: Store, scope: MapScope, now: pd.Timestamp, days: int) -> pd.DataFrame:
    """Incidents reported per day and source over the ``days`` days up to ``now`` (a replayed
    moment leaves out what was reported after it)."""
    incidents = store.read_records("incidents", scope.store_scope)
    since = now - pd.Timedelta(days=days)
    reported = as_utc_series(incidents["reported_at"])
    return incidents_over_time(incidents[((reported >= since) & (reported <= now)).to_numpy()])


def patrol_coverage(store: Store, scope: MapScope, now: pd.Timestamp) -> pd.DataFrame:
    """Coverage per patrol zone of the scope's subdistrict (patrols belong to subdistricts)."""
    sub = Scope.of(scope.subdistrict)
    return zone_coverage(store.read_layer("patrol-zones", sub), store.read_records("patrols", sub),
                         now)


def freshness(store: Store, now: pd.Timestamp) -> list[Freshness]:
    """Each data source's age and whether it is stale, as /healthz judges it."""
    return source_freshness(store.sources(), now)
