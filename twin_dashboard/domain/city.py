"""A city of several districts (DESIGN §4.4): each district's headline figures, side by side.

The city-level view and ``GET /api/v1/districts`` show, per district the viewer sees, the figures
the district's own screens show — by the same domain functions ``summary.summarize`` counts with
(``current_states``, ``open_alarms``, ``open_incidents``, ``sla_breaches``), over rows read once
for all districts and split by subdistrict: ten districts cost four reads, not ten summaries.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import reduce

import pandas as pd

from twin_dashboard.domain.alarms import OPEN_ALARM_STATUSES, open_alarms
from twin_dashboard.domain.devices import current_states
from twin_dashboard.domain.incidents import open_incidents, sla_breaches
from twin_dashboard.domain.places import Places
from twin_dashboard.store.base import Scope, Store

SCOPE_COLUMNS = ("subdistrict_id", "neighborhood_id")
_COLUMNS: dict[str, tuple[str, ...]] = {
    "devices": ("id", "category", *SCOPE_COLUMNS),
    "device_status": ("device_id", "state", "last_seen", "battery"),
    "alarms": ("id", "status", "raised_at", *SCOPE_COLUMNS),
    "incidents": ("id", "status", "reported_at", "sla_due_at", *SCOPE_COLUMNS),
}


@dataclass(frozen=True)
class DistrictFigures:
    """One district's headline KPIs: what the city view labels it with."""

    id: str
    name: str  # from the data (the id when the data names none), in the asked language
    subdistricts: int
    devices: int
    devices_online: int
    open_alarms: int
    open_incidents: int
    sla_breaches: int

    def as_dict(self) -> dict[str, str | int]:
        return asdict(self)


def city_figures(store: Store, places: Places, scopes: dict[str, Scope],
                 now: pd.Timestamp) -> list[DistrictFigures]:
    """Each district of ``scopes`` (district id -> its scope, already narrowed to the viewer)
    with its KPIs at ``now``, in id order; counted as ``/summary?district=`` counts them."""
    if not scopes:
        return []
    union = _union(list(scopes.values()))
    devices = store.read_columns("devices", _COLUMNS["devices"], union)
    status = store.read_columns("device_status", _COLUMNS["device_status"], union)
    states = current_states(devices, status, now).assign(
        subdistrict_id=devices["subdistrict_id"].to_numpy(),
        neighborhood_id=devices["neighborhood_id"].to_numpy())
    alarms = open_alarms(store.read_columns("alarms", _COLUMNS["alarms"], union,
                                            where={"status": list(OPEN_ALARM_STATUSES)}))
    incidents = store.read_columns("incidents", _COLUMNS["incidents"], union)
    waiting, breached = open_incidents(incidents), sla_breaches(incidents, now)
    out = []
    for district in sorted(scopes):
        scope = scopes[district]
        mine = [frame[_within(frame, scope)] for frame in (states, alarms, waiting, breached)]
        out.append(DistrictFigures(
            id=district, name=places.districts.get(district, district),
            subdistricts=len(scope.subdistrict_ids or ()), devices=len(mine[0]),
            devices_online=int((mine[0]["state"] != "offline").sum()),
            open_alarms=len(mine[1]), open_incidents=len(mine[2]), sla_breaches=len(mine[3])))
    return out


def _union(scopes: list[Scope]) -> Scope:
    """One scope holding every given one (``None`` wins: no limit)."""
    def merged(parts: list[frozenset[str] | None]) -> frozenset[str] | None:
        return None if any(p is None for p in parts) else reduce(frozenset.union, parts)

    return Scope(merged([s.subdistrict_ids for s in scopes]),
                 merged([s.neighborhood_ids for s in scopes]))


def _within(frame: pd.DataFrame, scope: Scope) -> pd.Series:
    """Rows of ``frame`` (with the scope columns) inside ``scope``."""
    keep = pd.Series(True, index=frame.index)
    if scope.subdistrict_ids is not None:
        keep &= frame["subdistrict_id"].isin(scope.subdistrict_ids)
    if scope.neighborhood_ids is not None:
        keep &= frame["neighborhood_id"].isin(scope.neighborhood_ids)
    return keep
