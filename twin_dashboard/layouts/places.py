"""The district's subdistricts and neighborhoods by id and name, for selectors and labels.

Read once per ``PLACES_TTL_S`` from the store: layouts and callbacks ask for names on every
render, and the two layers change only by an import.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from twin_dashboard.runtime import runtime

PLACES_TTL_S = 60.0


@dataclass(frozen=True)
class Places:
    """Names and the subdistrict → neighborhoods tree, in id order."""

    subdistricts: dict[str, str] = field(default_factory=dict)  # id -> name
    neighborhoods: dict[str, str] = field(default_factory=dict)  # id -> name
    parent: dict[str, str] = field(default_factory=dict)  # neighborhood id -> subdistrict id

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

    def clean(self, subdistrict: str | None, neighborhood: str | None) -> dict[str, str | None]:
        """A selection of known ids only; a neighborhood brings its own subdistrict."""
        nbh = neighborhood if neighborhood in self.parent else None
        sub = self.parent[nbh] if nbh else (subdistrict if subdistrict in self.subdistricts
                                            else None)
        return {"subdistrict": sub, "neighborhood": nbh}


_lock = threading.Lock()
_cache: dict[str, tuple[float, Places]] = {}


def places() -> Places:
    """The current store's places (cached for ``PLACES_TTL_S`` seconds)."""
    store = runtime().store
    with _lock:
        hit = _cache.get(store.url)
        if hit and time.monotonic() - hit[0] < PLACES_TTL_S:
            return hit[1]
        subs = store.read_layer("subdistricts").sort_values("id")
        nbhs = store.read_layer("neighborhoods").sort_values(["subdistrict_id", "id"])
        found = Places(dict(zip(subs["id"], subs["name"], strict=True)),
                       dict(zip(nbhs["id"], nbhs["name"], strict=True)),
                       dict(zip(nbhs["id"], nbhs["subdistrict_id"], strict=True)))
        _cache[store.url] = (time.monotonic(), found)
        return found
