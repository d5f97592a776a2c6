"""The district's subdistricts and neighborhoods by id and name, and the one way to resolve a scope.

Selectors, map picks, page URLs and API query parameters all name places by id; every one of
them becomes a :class:`MapScope` through :meth:`Places.resolve` (lenient: unknown ids are
dropped) or :meth:`Places.checked` (strict: unknown ids are refused by name).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import geopandas as gpd
import pandas as pd

from twin_dashboard.geo.importer import place_in_districts
from twin_dashboard.geo.layers import layer_spec
from twin_dashboard.store.base import Scope


@dataclass(frozen=True)
class MapScope:
    """A resolved scope: unknown ids dropped, a neighborhood's subdistrict filled in."""

    subdistrict: str | None = None
    neighborhood: str | None = None
    # One district of a city, seen whole (``district=``), and its subdistricts; unset within
    # a subdistrict, for a city seen whole and for a store of one district.
    district: str | None = None
    district_subdistricts: frozenset[str] | None = None

    @property
    def key(self) -> str:
        return (f"nbh:{self.neighborhood}" if self.neighborhood
                else f"sub:{self.subdistrict}" if self.subdistrict
                else f"dst:{self.district}" if self.district else "district")

    @property
    def store_scope(self) -> Scope:
        """Both ids when known: the store's scoped reads use the subdistrict's index too."""
        if self.district and not (self.subdistrict or self.neighborhood):
            return Scope(self.district_subdistricts or frozenset())
        return Scope.of(self.subdistrict, self.neighborhood)

    @property
    def selection(self) -> dict[str, str | None]:
        """The scope as the screens' ``ids.SELECTION`` store holds it (``district`` only for
        one district of a city seen whole)."""
        chosen = {"subdistrict": self.subdistrict, "neighborhood": self.neighborhood}
        return {**chosen, "district": self.district} if self.district else chosen


@dataclass(frozen=True)
class Places:
    """Names and the subdistrict → neighborhoods tree, in id order."""

    subdistricts: dict[str, str] = field(default_factory=dict)  # id -> name
    neighborhoods: dict[str, str] = field(default_factory=dict)  # id -> name
    parent: dict[str, str] = field(default_factory=dict)  # neighborhood id -> subdistrict id
    english: dict[str, str] = field(default_factory=dict)  # id -> the data's name_en, if any
    # The city's districts (DESIGN §4.4): id -> name (the id when the data names none), and
    # subdistrict id -> its district id.
    districts: dict[str, str] = field(default_factory=dict)
    district_of: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_layers(cls, subdistricts: pd.DataFrame, neighborhoods: pd.DataFrame,
                    district: pd.DataFrame | None = None) -> Places:
        subs = subdistricts.sort_values("id")
        nbhs = neighborhoods.sort_values(["subdistrict_id", "id"])
        dsts = (district if district is not None else pd.DataFrame(columns=["id", "name"])
                ).sort_values("id")
        english = {i: str(n) for frame in (subs, nbhs, dsts) if "name_en" in frame
                   for i, n in zip(frame["id"], frame["name_en"], strict=True)
                   if isinstance(n, str) and n.strip()}
        district_of = _districts_of(subs, district)
        return cls(dict(zip(subs["id"], subs["name"], strict=True)),
                   dict(zip(nbhs["id"], nbhs["name"], strict=True)),
                   dict(zip(nbhs["id"], nbhs["subdistrict_id"], strict=True)), english,
                   {i: _named(n, i) for i, n in zip(dsts["id"], dsts["name"], strict=True)},
                   district_of)

    def in_lang(self, lang: str) -> Places:
        """The same places named in ``lang``: English from the data's ``name_en`` where it
        has one (the Chinese name otherwise)."""
        if lang != "en" or not self.english:
            return self
        return replace(self, subdistricts={i: self.english.get(i, n)
                                           for i, n in self.subdistricts.items()},
                       neighborhoods={i: self.english.get(i, n)
                                      for i, n in self.neighborhoods.items()},
                       districts={i: self.english.get(i, n) for i, n in self.districts.items()})

    @property
    def is_city(self) -> bool:
        """Whether the data holds several districts (a city-level view exists)."""
        return len(self.districts) > 1

    def district_name(self, subdistrict: str | None = None,
                      district: str | None = None) -> str | None:
        """The name of ``district``, else of the district holding ``subdistrict``, else of the
        only district; ``None`` for a city seen whole (or no district data)."""
        found = district or self.district_of.get(subdistrict or "")
        if found is None and len(self.districts) == 1:
            found = next(iter(self.districts))
        return self.districts.get(found, found) if found else None

    def subdistricts_of(self, district: str) -> frozenset[str]:
        """The subdistrict ids of ``district`` (all of them when no row names a district)."""
        if not self.district_of and district in self.districts:
            return frozenset(self.subdistricts)
        return frozenset(s for s, d in self.district_of.items() if d == district)

    def district_scope(self, district: str | None) -> Scope | None:
        """The store scope of one district (``ValueError`` for an unknown id); ``None``: no
        district asked."""
        if not district:
            return None
        if district not in self.districts:
            raise ValueError(f"unknown district {district!r}: one of "
                             f"{', '.join(self.districts) or 'none stored'}")
        return Scope(self.subdistricts_of(district))

    def children(self, subdistrict: str | None) -> list[str]:
        """Neighborhood ids of ``subdistrict`` (all of them for ``None``)."""
        return [n for n, s in self.parent.items() if subdistrict in (None, s)]

    def name(self, subdistrict: str | None, neighborhood: str | None) -> str | None:
        """The name of the narrowest place given, ``None`` for the whole district."""
        if neighborhood:
            return self.neighborhoods.get(neighborhood, neighborhood)
        if subdistrict:
            return self.subdistricts.get(subdistrict, subdistrict)
        return None

    def resolve(self, subdistrict: str | None, neighborhood: str | None,
                district: str | None = None) -> MapScope:
        """Known ids only; a neighborhood brings (and wins over) its own subdistrict, a
        subdistrict over a district; a district counts only in a city."""
        if neighborhood and neighborhood in self.parent:
            return MapScope(self.parent[neighborhood] or None, neighborhood)
        if subdistrict in self.subdistricts:
            return MapScope(subdistrict)
        return self.district_place(district)

    def district_place(self, district: str | None) -> MapScope:
        """One district of a city as a scope; the whole (``MapScope()``) for an unknown id or
        a store of one district (whose whole is that district)."""
        if not self.is_city or district not in self.districts:
            return MapScope()
        return MapScope(district=district, district_subdistricts=self.subdistricts_of(district))

    def clean(self, subdistrict: str | None, neighborhood: str | None,
              district: str | None = None) -> dict[str, str | None]:
        """:meth:`resolve` as a selection dict."""
        return self.resolve(subdistrict, neighborhood, district).selection

    def checked(self, subdistrict: str | None, neighborhood: str | None) -> MapScope:
        """The scope asked for, or ``ValueError`` naming an unknown or inconsistent id."""
        if subdistrict and subdistrict not in self.subdistricts:
            raise ValueError(f"unknown subdistrict {subdistrict!r}")
        if neighborhood and neighborhood not in self.parent:
            raise ValueError(f"unknown neighborhood {neighborhood!r}")
        parent = self.parent.get(neighborhood or "")
        if neighborhood and subdistrict and parent != subdistrict:
            raise ValueError(f"neighborhood {neighborhood!r} is in {parent!r}, "
                             f"not in {subdistrict!r}")
        return MapScope(subdistrict or parent or None, neighborhood or None)

    def of_selection(self, selection: dict | None) -> MapScope:
        """A screen's ``ids.SELECTION`` (possibly stale or forged) as a resolved scope."""
        selection = selection or {}
        return self.resolve(selection.get("subdistrict"), selection.get("neighborhood"),
                            selection.get("district"))


def _districts_of(subdistricts: pd.DataFrame,
                  district: pd.DataFrame | None) -> dict[str, str]:
    """Subdistrict id -> district id: the rows' own ``district_id``; rows stored before
    several districts (none) are placed by their shape in the district holding them."""
    subs = subdistricts.copy()
    if "district_id" not in subs:
        subs["district_id"] = None
    named = subs["district_id"].notna() & (subs["district_id"].astype(str) != "")
    subs["district_id"] = subs["district_id"].astype(object).where(named, None)
    shaped = isinstance(subs, gpd.GeoDataFrame) and isinstance(district, gpd.GeoDataFrame)
    if not named.all() and shaped and len(district) and len(subs):
        subs = place_in_districts(layer_spec("subdistricts"), subs, district, None)
    return {s: d for s, d in zip(subs["id"], subs["district_id"], strict=True)
            if isinstance(d, str) and d}


def _named(name: object, fallback: str) -> str:
    """A name from the data, the id when the data has none."""
    return name if isinstance(name, str) and name.strip() else fallback
