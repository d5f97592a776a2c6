"""The district's subdistricts and neighborhoods by id and name, and the one way to resolve a scope.

Selectors, map picks, page URLs and API query parameters all name places by id; every one of
them becomes a :class:`MapScope` through :meth:`Places.resolve` (lenient: unknown ids are
dropped) or :meth:`Places.checked` (strict: unknown ids are refused by name).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from twin_dashboard.store.base import Scope


@dataclass(frozen=True)
class MapScope:
    """A resolved scope: unknown ids dropped, a neighborhood's subdistrict filled in."""

    subdistrict: str | None = None
    neighborhood: str | None = None

    @property
    def key(self) -> str:
        return (f"nbh:{self.neighborhood}" if self.neighborhood
                else f"sub:{self.subdistrict}" if self.subdistrict else "district")

    @property
    def store_scope(self) -> Scope:
        """Both ids when known: the store's scoped reads use the subdistrict's index too."""
        return Scope.of(self.subdistrict, self.neighborhood)

    @property
    def selection(self) -> dict[str, str | None]:
        """The scope as the screens' ``ids.SELECTION`` store holds it."""
        return {"subdistrict": self.subdistrict, "neighborhood": self.neighborhood}


@dataclass(frozen=True)
class Places:
    """Names and the subdistrict → neighborhoods tree, in id order."""

    subdistricts: dict[str, str] = field(default_factory=dict)  # id -> name
    neighborhoods: dict[str, str] = field(default_factory=dict)  # id -> name
    parent: dict[str, str] = field(default_factory=dict)  # neighborhood id -> subdistrict id
    english: dict[str, str] = field(default_factory=dict)  # id -> the data's name_en, if any

    @classmethod
    def from_layers(cls, subdistricts: pd.DataFrame, neighborhoods: pd.DataFrame) -> Places:
        subs = subdistricts.sort_values("id")
        nbhs = neighborhoods.sort_values(["subdistrict_id", "id"])
        english = {i: str(n) for frame in (subs, nbhs) if "name_en" in frame
                   for i, n in zip(frame["id"], frame["name_en"], strict=True)
                   if isinstance(n, str) and n.strip()}
        return cls(dict(zip(subs["id"], subs["name"], strict=True)),
                   dict(zip(nbhs["id"], nbhs["name"], strict=True)),
                   dict(zip(nbhs["id"], nbhs["subdistrict_id"], strict=True)), english)

    def in_lang(self, lang: str) -> Places:
        """The same places named in ``lang``: English from the data's ``name_en`` where it
        has one (the Chinese name otherwise)."""
        if lang != "en" or not self.english:
            return self
        return replace(self, subdistricts={i: self.english.get(i, n)
                                           for i, n in self.subdistricts.items()},
                       neighborhoods={i: self.english.get(i, n)
                                      for i, n in self.neighborhoods.items()})

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

    def resolve(self, subdistrict: str | None, neighborhood: str | None) -> MapScope:
        """Known ids only; a neighborhood brings (and wins over) its own subdistrict."""
        if neighborhood and neighborhood in self.parent:
            return MapScope(self.parent[neighborhood] or None, neighborhood)
        return MapScope(subdistrict if subdistrict in self.subdistricts else None)

    def clean(self, subdistrict: str | None, neighborhood: str | None) -> dict[str, str | None]:
        """:meth:`resolve` as a selection dict."""
        return self.resolve(subdistrict, neighborhood).selection

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
        return self.resolve(selection.get("subdistrict"), selection.get("neighborhood"))
