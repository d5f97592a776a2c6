"""A city of several districts (DESIGN §4.4): each district's headline figures, side by side.

The city-level view and ``GET /api/v1/districts`` show, per district the viewer sees, the same
figures the district's own screens show — computed by the one summary function
(``summary.summarize``) over the district's scope, so the two can never disagree.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from twin_dashboard.domain.places import Places
from twin_dashboard.domain.summary import summarize
from twin_dashboard.store.base import Scope, Store


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


def district_figures(store: Store, places: Places, district: str, scope: Scope,
                     now: pd.Timestamp) -> DistrictFigures:
    """The KPIs of ``district`` within ``scope`` (the viewer's, already narrowed to it)."""
    figures = summarize(store, scope, now)
    devices = figures["devices"]
    offline = int(devices["by_state"].get("offline", 0))
    return DistrictFigures(
        id=district, name=places.districts.get(district, district),
        subdistricts=len(scope.subdistrict_ids or ()), devices=int(devices["total"]),
        devices_online=int(devices["total"]) - offline,
        open_alarms=int(figures["alarms"]["open"]),
        open_incidents=int(figures["incidents"]["open"]),
        sla_breaches=int(figures["incidents"]["sla_breaches"]))


def city_figures(store: Store, places: Places, scopes: dict[str, Scope],
                 now: pd.Timestamp) -> list[DistrictFigures]:
    """:func:`district_figures` for each district of ``scopes`` (district id -> its scope),
    in id order."""
    return [district_figures(store, places, d, scopes[d], now) for d in sorted(scopes)]
