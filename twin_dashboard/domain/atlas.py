"""One store's map: the base geography read once, and the overlays of a scope, with bounded caches.

An :class:`Atlas` belongs to one app (``Services``); tests and a second app get their own. The
base geography is kept until the store says its layers changed (an import, in this process or
another: ``replace_layer`` bumps ``layers_version``), checked at most every ``VERSION_CHECK_S``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

import pandas as pd
from cachetools import Cache, TTLCache

from twin_dashboard.catalog import OPEN_STATUSES
from twin_dashboard.domain._cached import cached
from twin_dashboard.domain.alarms import OPEN_ALARM_STATUSES, open_alarms
from twin_dashboard.domain.city import DistrictFigures, city_figures
from twin_dashboard.domain.overlays import (
    DEFAULT_OVERLAYS,
    TRACK_DAYS,
    BaseGeo,
    Overlays,
    coverage_classes,
    located,
    neighborhood_counts,
    notable,
    open_with_breach,
    recent_tracks,
    scope_geometry,
    scoped_states,
    zones_for,
)
from twin_dashboard.domain.patrols import zone_coverage
from twin_dashboard.domain.places import MapScope, Places
from twin_dashboard.domain.time import as_utc
from twin_dashboard.domain.visits import visit_marks
from twin_dashboard.store.base import LAYERS_VERSION_KEY, Scope, Store

T = TypeVar("T")
VERSION_CHECK_S = 5.0  # how stale the base geography may be after an import elsewhere
VISIT_MARK_COLUMNS = ("id", "lon", "lat", "subdistrict_id", "neighborhood_id")
COVERAGE_TTL_S = 30.0  # patrol coverage moves in hours: recomputing it per click is waste
# Every page opens on the whole district (25k status rows, ~0.1 s): share that read for a few
# seconds between page loads; live changes reach open pages as deltas (MAP_DELTA) anyway.
DISTRICT_STATES_TTL_S = 5.0
# A city seen whole labels each district with its KPIs (a summary per district): shared for a
# few seconds between the screens that show it.
CITY_TTL_S = 10.0


class Atlas:
    """The map data of one store, for one app."""

    def __init__(self, store: Store, version_check_s: float = VERSION_CHECK_S) -> None:
        self.store = store
        self._lock = threading.RLock()
        self._geo: Cache[Hashable, BaseGeo] = Cache(maxsize=1)
        self._version: TTLCache[Hashable, str | None] = TTLCache(1, version_check_s)
        self._district: TTLCache[Hashable, tuple] = TTLCache(2, DISTRICT_STATES_TTL_S)
        self._states: TTLCache[Hashable, pd.DataFrame] = TTLCache(2, DISTRICT_STATES_TTL_S)
        self._coverage: TTLCache[Hashable, pd.Series] = TTLCache(2, COVERAGE_TTL_S)
        self._city: TTLCache[Hashable, list[DistrictFigures]] = TTLCache(2, CITY_TTL_S)

    def clear(self) -> None:
        """Forget everything (after an import into this store)."""
        with self._lock:
            for cache in (self._geo, self._version, self._district, self._states,
                          self._coverage, self._city):
                cache.clear()

    def geo(self) -> BaseGeo:
        """The store's static geography, reread only when its layers changed."""
        version = self._cached(self._version, "v", lambda: self.store.get_meta(LAYERS_VERSION_KEY))
        return self._cached(self._geo, version, lambda: BaseGeo.read(self.store))

    def places(self, lang: str = "zh") -> Places:
        """Place names and tree; named in ``lang`` (English from the data where it exists)."""
        return self.geo().places.in_lang(lang)

    def overlays(self, scope: MapScope, now: pd.Timestamp,
                 layers: Iterable[str] = DEFAULT_OVERLAYS,
                 track_days: float = TRACK_DAYS) -> Overlays:
        """The live overlays of ``scope`` at ``now``, only for the ``layers`` switched on;
        patrol tracks of the last ``track_days``."""
        geo, store, wanted = self.geo(), self.store, set(layers)
        out = Overlays(scope=scope, outline=scope_geometry(geo, scope))
        if "devices" in wanted and scope.key == "district":
            states = self.district_states(now)
            out.columns, out.devices = self._cached(
                self._district, as_utc(now).floor("10s"),
                lambda: (neighborhood_counts(states, geo.layers["neighborhoods"]),
                         notable(states)))
        elif "devices" in wanted:
            out.devices = scoped_states(store, geo, scope, now)
        if "alarms" in wanted:
            out.alarms = located(open_alarms(store.read_records(
                "alarms", scope.store_scope, where={"status": list(OPEN_ALARM_STATUSES)})))
        if "incidents" in wanted:
            out.incidents = open_with_breach(store.read_records(
                "incidents", scope.store_scope, where={"status": list(OPEN_STATUSES)}), now)
        if "patrol_zones" in wanted:
            out.zones = zones_for(geo, scope, self.coverage(now))
        if "patrol_tracks" in wanted:
            out.tracks = recent_tracks(store, geo, scope, now, track_days)
        if "visits" in wanted:
            where = scope.store_scope
            out.visits = visit_marks(
                store.read_columns("households", list(VISIT_MARK_COLUMNS), where),
                store.read_columns("visits", ["kind", "household_id", "started_at"], where), now)
        return out

    def district_states(self, now: pd.Timestamp) -> pd.DataFrame:
        """Every device's state (shared for ``DISTRICT_STATES_TTL_S``): the district's
        columns and the devices in view when zoomed in (``MAP_DETAIL``) come from it."""
        geo = self.geo()
        return self._cached(self._states, (geo.token, as_utc(now).floor("10s")),
                            lambda: scoped_states(self.store, geo, MapScope(), now))

    def city(self, now: pd.Timestamp, lang: str = "zh") -> list[DistrictFigures]:
        """Every district's KPIs at ``now`` (for a viewer who sees the whole city), named in
        ``lang``; shared for ``CITY_TTL_S``."""
        places = self.places(lang)
        scopes = {d: Scope(places.subdistricts_of(d)) for d in places.districts}
        return self._cached(self._city, (self.geo().token, lang, as_utc(now).floor("10s")),
                            lambda: city_figures(self.store, places, scopes, now))

    def coverage(self, now: pd.Timestamp) -> pd.Series:
        """Coverage class per patrol zone id at ``now`` (shared for ``COVERAGE_TTL_S``)."""
        geo = self.geo()
        return self._cached(self._coverage, as_utc(now).floor("min"), lambda: coverage_classes(
            zone_coverage(geo.layers["patrol_zones"], self.store.read_records("patrols"), now)))

    def _cached(self, cache: Cache, key: Hashable, compute: Callable[[], T]) -> T:
        return cached(self._lock, cache, key, compute)
