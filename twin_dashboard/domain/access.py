"""Who is asking, and what they may see: the one place that decides on scope and personal data.

A :class:`Viewer` is the signed-in caller (a person, a kiosk), built by the server from the
session — never from anything the browser sends. Selectors, URL and query parameters only ever
*narrow* inside the viewer's scope: :meth:`Viewer.narrow` (pages, callbacks: a place outside the
scope falls back to the viewer's home) and :meth:`Viewer.checked` (API: refused with
:class:`OutOfScope`). Personal data of a household is decided by :meth:`Viewer.personal_for`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from twin_dashboard.domain.places import MapScope, Places
from twin_dashboard.domain.roles import ROLES, Role
from twin_dashboard.store.base import Scope

Shown = Literal["full", "masked", "none"]


class OutOfScope(PermissionError):
    """A place or object outside the caller's scope was asked for by name (HTTP 403)."""


@dataclass(frozen=True)
class Viewer:
    """The signed-in caller: name, role, linked person and scope (``None``: no limit)."""

    name: str
    role: str
    person_id: str | None = None
    subdistricts: frozenset[str] | None = None
    neighborhoods: frozenset[str] | None = None
    households: frozenset[str] | None = None  # a buddy's elders' households (None: no limit)
    reason: str | None = None  # a commander's stated reason for personal data, while it holds
    session: str | None = None  # the session's id hash (for stating a reason), if any
    zones: frozenset[str] | None = None  # a road chief's patrol zones (None: no zone limit)
    rotate_s: int | None = None  # a kiosk's rotation through its subdistricts (its setting)

    @property
    def spec(self) -> Role:
        return ROLES[self.role]

    @property
    def read_only(self) -> bool:
        return not self.spec.acts

    @property
    def personal_data(self) -> bool:
        """Whether this caller sees any resident's unmasked personal data right now."""
        kind = self.spec.personal
        return kind in ("area", "buddied") or (kind == "with_reason" and bool(self.reason))

    @property
    def store_scope(self) -> Scope:
        return Scope(self.subdistricts, self.neighborhoods)

    # --- scope ---
    def covers(self, subdistrict: str | None, neighborhood: str | None) -> bool:
        """Whether an object at this place is within the scope."""
        return ((self.subdistricts is None or subdistrict in self.subdistricts)
                and (self.neighborhoods is None or neighborhood in self.neighborhoods))

    def covers_row(self, row: Mapping[str, Any]) -> bool:
        """:meth:`covers` for a record with ``subdistrict_id``/``neighborhood_id`` (and, for a
        buddy, only the households they buddy)."""
        if self.households is not None and row.get("household_id") is not None \
                and row.get("household_id") not in self.households:
            return False
        return self.covers(_text(row.get("subdistrict_id")), _text(row.get("neighborhood_id")))

    def allows(self, scope: MapScope) -> bool:
        """Whether the whole of a resolved place lies within the viewer's scope."""
        if scope.neighborhood:
            return self.covers(scope.subdistrict, scope.neighborhood)
        if scope.subdistrict:
            return self.neighborhoods is None and self.covers(scope.subdistrict, None)
        if scope.district:
            return self.neighborhoods is None and (
                self.subdistricts is None
                or (scope.district_subdistricts or frozenset()) <= self.subdistricts)
        return self.subdistricts is None and self.neighborhoods is None

    def home(self, places: Places) -> MapScope:
        """The widest single place of the scope: where the viewer's screens open."""
        if self.allows(MapScope()):
            return MapScope()
        whole = [places.district_place(d) for d in sorted(places.districts)]
        for district in whole:  # a viewer of one district of a city: that district
            if district.district and self.allows(district):
                return district
        if self.neighborhoods is None:
            subs = sorted(self.subdistricts or ())
            return MapScope(subs[0]) if subs else MapScope()
        for nbh in places.parent:
            if nbh in self.neighborhoods and self.covers(places.parent[nbh], nbh):
                return MapScope(places.parent[nbh], nbh)
        nbh = sorted(self.neighborhoods)[0] if self.neighborhoods else None
        return MapScope(places.parent.get(nbh or ""), nbh)

    def areas(self, places: Places) -> Places:
        """The places the viewer may pick (selectors, the wall's rotation)."""
        subs = {s: n for s, n in places.subdistricts.items()
                if self.allows(MapScope(s))}
        nbhs = {n: name for n, name in places.neighborhoods.items()
                if self.covers(places.parent.get(n), n)}
        return replace(places, subdistricts=subs, neighborhoods=nbhs,
                       parent={n: places.parent[n] for n in nbhs})

    def narrow(self, places: Places, subdistrict: str | None,
               neighborhood: str | None, district: str | None = None) -> MapScope:
        """The asked place if the viewer may see all of it, else the viewer's home (lenient)."""
        asked = places.resolve(subdistrict, neighborhood, district)
        return asked if self.allows(asked) else self.home(places)

    def checked(self, places: Places, subdistrict: str | None,
                neighborhood: str | None) -> Scope:
        """The scope of API query parameters, strict: ``ValueError`` for unknown ids,
        :class:`OutOfScope` for a place outside the viewer's; nothing asked → the whole scope."""
        if not (subdistrict or neighborhood):
            return self.store_scope
        asked = places.checked(subdistrict, neighborhood)
        if not self.allows(asked):
            raise OutOfScope(f"{neighborhood or subdistrict!r} is outside the scope of "
                             f"{self.name!r} ({self.role})")
        return Scope(frozenset([subdistrict]) if subdistrict else self.subdistricts,
                     frozenset([neighborhood]) if neighborhood else self.neighborhoods)

    def in_district(self, places: Places, district: str | None, scope: Scope) -> Scope:
        """``scope`` (already checked) narrowed to ``district`` (API ``district=``), strict:
        ``ValueError`` for an unknown id, :class:`OutOfScope` when none of the district lies in
        the viewer's scope. Only ever narrows: a viewer of one district cannot widen it."""
        wanted = places.district_scope(district)
        if wanted is None:
            return scope
        subs = wanted.subdistrict_ids or frozenset()
        if scope.subdistrict_ids is not None:
            subs = subs & scope.subdistrict_ids
        if not subs or (scope.neighborhood_ids is not None
                        and not any(places.parent.get(n) in subs
                                    for n in scope.neighborhood_ids)):
            raise OutOfScope(f"district {district!r} is outside the scope of {self.name!r} "
                             f"({self.role})")
        return Scope(subs, scope.neighborhood_ids)

    def districts(self, places: Places) -> list[str]:
        """The districts of which the viewer sees at least a part, in id order."""
        return [d for d in sorted(places.districts)
                if any(self.covers(s, None) or (self.neighborhoods is not None
                                                and any(places.parent.get(n) == s
                                                        for n in self.neighborhoods))
                       for s in places.subdistricts_of(d))]

    def covers_zone(self, zone: Mapping[str, Any]) -> bool:
        """Whether a patrol zone (``id``, ``subdistrict_id``) is within the scope: a road
        chief's own zones; for others, a zone of a subdistrict the scope holds whole."""
        if self.zones is not None:
            return zone.get("id") in self.zones
        return self.neighborhoods is None and self.covers(_text(zone.get("subdistrict_id")), None)

    def may_record(self, kind: str) -> bool:
        """Whether this caller may record field work of ``kind`` (visit, inspection, patrol)."""
        return kind in self.spec.records

    # --- personal data ---
    def personal_for(self, household: Mapping[str, Any] | None) -> Shown:
        """How this viewer may see a household's residents: in full, masked, or not at all."""
        kind = self.spec.personal
        if kind == "never" or household is None:
            return "none"
        if kind == "with_reason" and self.reason:
            return "full"
        if kind == "area" and self.covers(_text(household.get("subdistrict_id")),
                                          _text(household.get("neighborhood_id"))):
            return "full"
        if kind == "buddied" and self.person_id and household.get("buddy_id") == self.person_id:
            return "full"
        return "masked"


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def kiosk_viewer(name: str, scope: MapScope) -> Viewer:
    """A wall's viewer at one place (tests, benchmarks)."""
    return Viewer(name, "kiosk", None,
                  frozenset([scope.subdistrict]) if scope.subdistrict else None,
                  frozenset([scope.neighborhood]) if scope.neighborhood else None)
