"""One search box: places, roads, patrol zones, addresses, devices, incidents and residents.

An in-memory :class:`SearchIndex` answers a query in a few milliseconds: each kind's keys (ids,
names, English names, pinyin initials and full pinyin of place names — ``bwt`` → 北外滩) are
joined in one lowercase text per kind and found with ``str.find``, so a query walks only its
matches, never every row. Ranking: exact key > prefix > substring; a cap per kind and a limit.

Scope is decided here, per result, from the :class:`~twin_dashboard.domain.access.Viewer` (never
from the query): a result outside the viewer's scope is never returned. Residents are personal
data: their addresses and names are keys only for a viewer who sees that household in full;
a household found by its id is labelled masked otherwise; each search that shows personal data
is audited by :class:`Searcher`.

:class:`Searcher` (one per app, on ``Services``) keeps the index: the geography, devices,
addresses and residents are rebuilt when the store's layers change (``Atlas.geo``) or after
``STATIC_TTL_S``; incidents, which change live, after ``INCIDENTS_TTL_S`` — and an exact
incident id not yet indexed is read from the store directly.
"""

from __future__ import annotations

import bisect
import re
import threading
import unicodedata
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pandas as pd
import shapely
from cachetools import Cache, TTLCache
from pypinyin import Style, lazy_pinyin

from twin_dashboard.domain import audit
from twin_dashboard.domain._cached import cached
from twin_dashboard.domain.access import Viewer
from twin_dashboard.domain.atlas import Atlas
from twin_dashboard.domain.masking import mask_address
from twin_dashboard.domain.places import MapScope, Places
from twin_dashboard.store.base import Store

T = TypeVar("T")
# Kinds in the order results of the same rank are listed: places before things.
KINDS: tuple[str, ...] = ("subdistrict", "neighborhood", "zone", "road", "address", "device",
                          "incident", "household", "person")
PERSONAL_KINDS = frozenset({"household", "person"})
# What choosing a result opens in the details panel (domain/details.py's layers).
OPENS: dict[str, str] = {"subdistrict": "subdistricts", "neighborhood": "neighborhoods",
                         "zone": "patrol_zones", "address": "buildings", "device": "devices",
                         "incident": "incidents", "household": "households",
                         "person": "households"}
LIMIT = 20
PER_KIND = 6
MAX_QUERY = 64  # characters: a longer query is refused, not cut
STATIC_TTL_S = 600.0  # residents and addresses change by import; the geography says so at once
INCIDENTS_TTL_S = 10.0  # incidents are reported live: an index at most this old
INCIDENT_ID = re.compile(r"^inc-\d+$")
SEP = "\n"
RANKS: tuple[str, ...] = ("exact", "prefix", "substring")


def normalize(text: str | None) -> str:
    """Lowercase, full-width folded (NFKC: an IME's ＢＷＴ is bwt), spaces collapsed."""
    if not text:
        return ""
    return " ".join(unicodedata.normalize("NFKC", str(text)).lower().split())


def pinyin_keys(name: str | None) -> list[str]:
    """A Chinese name's pinyin initials and full pinyin (北外滩 → bwt, beiwaitan)."""
    if not name or name.isascii():
        return []
    return ["".join(lazy_pinyin(name, style=Style.FIRST_LETTER)), "".join(lazy_pinyin(name))]


@dataclass(frozen=True)
class Entry:
    """One thing that can be found: where it is, how it is named, what choosing it does."""

    kind: str
    id: str
    label: tuple[str, str]  # zh, en
    secondary: tuple[str, str] = ("", "")
    subdistrict: str | None = None
    neighborhood: str | None = None
    lon: float | None = None
    lat: float | None = None
    bbox: tuple[float, float, float, float] | None = None
    opens: str | None = None  # the id the details panel opens (OPENS[kind] is its layer)
    row: Mapping[str, Any] = field(default_factory=dict)  # what scope and masking look at
    masked: tuple[str, str] | None = None  # the label for a viewer who sees it masked


@dataclass
class Section:
    """The entries of one kind and their keys, joined for ``str.find``."""

    kind: str
    entries: list[Entry]
    text: str = ""  # SEP + key + SEP + key …: a prefix match follows a SEP
    starts: list[int] = field(default_factory=list)  # offset of each key line in ``text``
    owner: list[int] = field(default_factory=list)  # key line -> entry index
    exact: dict[str, list[int]] = field(default_factory=dict)  # key -> entry indexes

    @classmethod
    def of(cls, kind: str, entries: list[Entry], keys: Callable[[Entry], Iterable[str]]
           ) -> Section:
        section, parts, offset = cls(kind, entries), [], 0
        for i, entry in enumerate(entries):
            for key in dict.fromkeys(normalize(k) for k in keys(entry)):
                if not key:
                    continue
                section.starts.append(offset + 1)
                section.owner.append(i)
                section.exact.setdefault(key, []).append(i)
                parts.append(key)
                offset += len(key) + 1
        section.text = SEP + SEP.join(parts) + SEP if parts else ""
        return section

    def find(self, q: str, keep: Callable[[Entry], bool], cap: int) -> list[tuple[int, int]]:
        """Up to ``cap`` (rank, entry index) pairs that ``keep`` accepts, best first."""
        found: dict[int, int] = {}
        for i in self.exact.get(q, ()):
            if len(found) < cap and keep(self.entries[i]):
                found.setdefault(i, 0)
        for rank, needle in ((1, SEP + q), (2, q)):
            at = self.text.find(needle)
            while at >= 0 and len(found) < cap:
                start = at + len(SEP) if rank == 1 else at
                line = bisect.bisect_right(self.starts, start) - 1
                i = self.owner[line]
                if i not in found and (rank == 1 or self.starts[line] != start) \
                        and keep(self.entries[i]):
                    found[i] = rank
                at = self.text.find(needle, at + 1)
            if len(found) >= cap:
                break
        return sorted(((r, i) for i, r in found.items()))


@dataclass
class SearchIndex:
    """Sections of entries; public keys in ``sections``, residents' personal keys apart."""

    sections: list[Section]
    personal: list[Section] = field(default_factory=list)

    def get(self, kind: str, entry_id: str) -> Entry | None:
        for section in (*self.sections, *self.personal):
            if section.kind == kind:
                for entry in section.entries:
                    if entry.id == entry_id:
                        return entry
        return None

    def search(self, q: str, viewer: Viewer, *, personal: bool = True,
               per_kind: int = PER_KIND) -> list[Hit]:
        """What ``viewer`` may find for ``q``, each kind capped, best first (not limited)."""
        q = normalize(q)
        if not q:
            return []
        hits: dict[tuple[str, str], Hit] = {}
        sections = [*self.sections, *(self.personal if personal and viewer.personal_data
                                      else ())]
        for section in sections:
            def keep(entry: Entry, section: Section = section) -> bool:
                return shown(entry, viewer, personal, section in self.personal) != "none"

            for pos, (rank, i) in enumerate(section.find(q, keep, per_kind)):
                entry = section.entries[i]
                key = (entry.kind, entry.id)
                if key not in hits or hits[key].rank > rank:
                    hits[key] = Hit(entry, rank, pos, shown(entry, viewer, personal))
        return sorted(hits.values(), key=Hit.order)


@dataclass(frozen=True)
class Hit:
    entry: Entry
    rank: int  # 0 exact, 1 prefix, 2 substring
    pos: int  # order within its kind
    show: str  # "full" or "masked" (residents); "full" for everything else

    def order(self) -> tuple[int, int, int]:
        return self.rank, KINDS.index(self.entry.kind), self.pos

    def as_dict(self) -> dict[str, Any]:
        """The API's and the screens' result: kind, id, labels, place, what choosing does."""
        e = self.entry
        label = e.masked if self.show == "masked" and e.masked else e.label
        return {"kind": e.kind, "id": e.id, "label": {"zh": label[0], "en": label[1]},
                "secondary": {"zh": e.secondary[0], "en": e.secondary[1]},
                "lon": e.lon, "lat": e.lat, "bbox": list(e.bbox) if e.bbox else None,
                "select": {"subdistrict": e.subdistrict,
                           "neighborhood": None if e.kind in ("subdistrict", "zone", "road")
                           else e.neighborhood},
                "open": {"layer": OPENS[e.kind], "id": e.opens} if e.opens else None,
                "match": RANKS[self.rank], "masked": self.show == "masked"}


def visible(entry: Entry, viewer: Viewer) -> bool:
    """Whether ``entry`` lies within ``viewer``'s scope (the same tests the screens use)."""
    kind = entry.kind
    if kind == "subdistrict":
        return viewer.allows(MapScope(entry.id))
    if kind == "neighborhood":
        return viewer.covers(entry.subdistrict, entry.id)
    if kind == "zone":
        return viewer.covers_zone({"id": entry.id, "subdistrict_id": entry.subdistrict})
    if kind == "road":
        return viewer.neighborhoods is None and viewer.covers(entry.subdistrict, None)
    if kind == "incident":
        levels = viewer.spec.incident_levels
        if levels is not None and entry.row.get("level") not in levels:
            return False
    return viewer.covers_row(entry.row)


def shown(entry: Entry, viewer: Viewer, personal: bool = True,
          by_personal_key: bool = False) -> str:
    """How ``entry`` may be shown to ``viewer``: "full", "masked" or "none" (not at all).

    A resident found by a personal key (an address, a name) only in full; a household found by
    its id as the viewer may see its residents; nothing personal where the screen shows none.
    """
    if not visible(entry, viewer):
        return "none"
    if entry.kind not in PERSONAL_KINDS:
        return "full"
    how = viewer.personal_for(entry.row) if personal else "none"
    if how == "masked" and (by_personal_key or entry.kind == "person"):
        return "none"
    return how


def _name(places: Places, en: Places, nbh: str | None) -> tuple[str, str]:
    return (places.neighborhoods.get(nbh or "", ""), en.neighborhoods.get(nbh or "", ""))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _joined(*parts: str | None) -> str:
    return " · ".join(p for p in parts if p)


def _pair(*parts: tuple[str | None, str | None]) -> tuple[str, str]:
    return _joined(*(p[0] for p in parts)), _joined(*(p[1] for p in parts))


def _has(frame: Any, *columns: str) -> bool:
    """Whether a layer read has rows and these columns (an empty layer may have neither)."""
    return len(frame) > 0 and all(c in frame for c in columns)


def _area_entries(geo_layers: Mapping[str, Any], places: Places) -> list[Entry]:
    en = places.in_lang("en")
    out: list[Entry] = []
    for kind, layer in (("subdistrict", "subdistricts"), ("neighborhood", "neighborhoods")):
        frame = geo_layers[layer]
        if not _has(frame, "id", "name"):
            continue
        points = shapely.point_on_surface(frame.geometry.to_numpy())
        for row, point, bounds in zip(frame.to_dict("records"), points,
                                      frame.geometry.bounds.to_numpy(), strict=True):
            sub = row["id"] if kind == "subdistrict" else _text(row.get("subdistrict_id"))
            nbh = row["id"] if kind == "neighborhood" else None
            parent = (places.subdistricts.get(sub or "", ""), en.subdistricts.get(sub or "", ""))
            out.append(Entry(kind, row["id"], (row["name"], en.name(sub, nbh) or row["name"]),
                             parent if nbh else ("", ""), sub, nbh, point.x, point.y,
                             tuple(bounds), row["id"], row={"name_en": row.get("name_en")}))
    return out


def _zone_entries(zones: Any, places: Places) -> list[Entry]:
    if not _has(zones, "id", "name"):
        return []
    en = places.in_lang("en")
    points = shapely.point_on_surface(zones.geometry.to_numpy())
    return [Entry("zone", r["id"], (r["name"], r["name"]),
                  (places.subdistricts.get(r.get("subdistrict_id") or "", ""),
                   en.subdistricts.get(r.get("subdistrict_id") or "", "")),
                  _text(r.get("subdistrict_id")), None, p.x, p.y, tuple(b), r["id"])
            for r, p, b in zip(zones.to_dict("records"), points,
                               zones.geometry.bounds.to_numpy(), strict=True)]


def _road_entries(roads: Any, places: Places) -> list[Entry]:
    """One entry per road name and subdistrict (a road is drawn as many segments)."""
    if not _has(roads, "name", "subdistrict_id"):
        return []
    en = places.in_lang("en")
    named = roads[roads["name"].map(lambda n: bool(_text(n)))]
    out = []
    for (name, sub), part in named.groupby(["name", "subdistrict_id"], sort=True, dropna=False):
        bounds = tuple(float(v) for v in part.total_bounds)
        sub = _text(sub)
        out.append(Entry("road", f"{name}@{sub or ''}", (name, name),
                         (places.subdistricts.get(sub or "", ""),
                          en.subdistricts.get(sub or "", "")), sub, None,
                         (bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, bounds))
    return out


def _address_entries(store: Store, buildings: Any, places: Places) -> list[Entry]:
    """标准地址 points, named with their building, opening the building's details."""
    en = places.in_lang("en")
    rows = store.read_columns("addresses", ["id", "address", "subdistrict_id",
                                            "neighborhood_id", "building_id", "lon", "lat"])
    names = (dict(zip(buildings["id"], buildings["name"], strict=True))
             if _has(buildings, "id", "name") else {})
    out = []
    for r in rows.sort_values("id").astype(object).to_dict("records"):  # not Arrow: 3x faster
        nbh, bld = _text(r["neighborhood_id"]), _text(r["building_id"])
        out.append(Entry("address", r["id"], (r["address"], r["address"]),
                         _pair((names.get(bld), names.get(bld)), _name(places, en, nbh)),
                         _text(r["subdistrict_id"]), nbh, r["lon"], r["lat"], None, bld,
                         row={"subdistrict_id": r["subdistrict_id"], "neighborhood_id": nbh,
                              "building": names.get(bld)}))
    return out


def _device_entries(store: Store, places: Places) -> list[Entry]:
    en = places.in_lang("en")
    rows = store.read_columns("devices", ["id", "name", "category", "subdistrict_id",
                                          "neighborhood_id", "household_id", "lon", "lat"])
    out = []
    for r in rows.sort_values("id").astype(object).to_dict("records"):  # not Arrow: 3x faster
        nbh = _text(r["neighborhood_id"])
        out.append(Entry("device", r["id"], (r["id"], r["id"]),
                         _pair((_text(r["name"]), _text(r["name"])), _name(places, en, nbh)),
                         _text(r["subdistrict_id"]), nbh, r["lon"], r["lat"], None, r["id"],
                         row={"subdistrict_id": r["subdistrict_id"], "neighborhood_id": nbh,
                              "household_id": _text(r["household_id"]),
                              "name": _text(r["name"])}))
    return out


def _resident_entries(store: Store, places: Places) -> tuple[list[Entry], list[Entry]]:
    """Households (found by id) and their elders (found by name, personal only)."""
    en = places.in_lang("en")
    homes = store.read_records("households").sort_values("id")
    people = store.read_records("people")
    names = dict(zip(people["id"], people["name"], strict=True))
    households, persons = [], []
    for r in homes.to_dict("records"):
        nbh, address = _text(r.get("neighborhood_id")), _text(r.get("address")) or r["id"]
        row = {"subdistrict_id": r.get("subdistrict_id"), "neighborhood_id": nbh,
               "household_id": r["id"], "buddy_id": r.get("buddy_id")}
        place = _name(places, en, nbh)
        lon, lat = (r.get("lon"), r.get("lat"))
        lon = None if lon is None or pd.isna(lon) else float(lon)
        lat = None if lat is None or pd.isna(lat) else float(lat)
        masked = mask_address(address) or ""
        households.append(Entry("household", r["id"], (address, address),
                                _pair((r["id"], r["id"]), place), _text(r.get("subdistrict_id")),
                                nbh, lon, lat, None, r["id"], row=row, masked=(masked, masked)))
        elder = names.get(r.get("elder_id"))
        if _text(elder):
            persons.append(Entry("person", r["elder_id"], (elder, elder),
                                 _pair((address, address), place),
                                 _text(r.get("subdistrict_id")), nbh, lon, lat, None, r["id"],
                                 row=row))
    return households, persons


def _incident_entries(rows: pd.DataFrame, places: Places) -> list[Entry]:
    en = places.in_lang("en")
    out = []
    for r in rows.sort_values("id", ascending=False).to_dict("records"):  # newest first
        nbh = _text(r.get("neighborhood_id"))
        title = _text(r.get("title")) or r["id"]
        lon, lat = r.get("lon"), r.get("lat")
        out.append(Entry("incident", r["id"], (title, title),
                         _pair((r["id"], r["id"]), _name(places, en, nbh)),
                         _text(r.get("subdistrict_id")), nbh,
                         None if lon is None or pd.isna(lon) else float(lon),
                         None if lat is None or pd.isna(lat) else float(lat), None, r["id"],
                         row={"subdistrict_id": r.get("subdistrict_id"), "neighborhood_id": nbh,
                              "level": r.get("level"), "status": r.get("status")}))
    return out


INCIDENT_COLUMNS = ("id", "title", "subdistrict_id", "neighborhood_id", "level", "status",
                    "lon", "lat")


def static_index(store: Store, atlas: Atlas) -> SearchIndex:
    """Everything but incidents: places (with pinyin), zones, roads, addresses, devices and
    residents, from the geography the atlas holds and the store's records."""
    geo = atlas.geo()
    places = geo.places
    layers = geo.layers
    areas = _area_entries(layers, places)
    households, persons = _resident_entries(store, places)

    def place_keys(e: Entry) -> list[str]:
        return [e.id, e.label[0], e.label[1], _text(e.row.get("name_en")) or "",
                *pinyin_keys(e.label[0])]

    def name_keys(e: Entry) -> list[str]:
        return [e.label[0], *pinyin_keys(e.label[0])]

    sections = [
        Section.of("subdistrict", [e for e in areas if e.kind == "subdistrict"], place_keys),
        Section.of("neighborhood", [e for e in areas if e.kind == "neighborhood"], place_keys),
        Section.of("zone", _zone_entries(layers["patrol_zones"], places),
                   lambda e: [e.id, *name_keys(e)]),
        Section.of("road", _road_entries(layers["roads"], places), name_keys),
        Section.of("address", _address_entries(store, layers["buildings"], places),
                   lambda e: [e.id, e.label[0], e.opens or "", e.row.get("building") or ""]),
        Section.of("device", _device_entries(store, places), lambda e: [e.id]),
        Section.of("household", households, lambda e: [e.id]),
    ]
    personal = [Section.of("household", households, lambda e: [e.label[0]]),
                Section.of("person", persons, lambda e: [e.label[0]])]
    return SearchIndex(sections, personal)


def incident_index(store: Store, places: Places, rows: pd.DataFrame | None = None
                   ) -> SearchIndex:
    """Incidents by id and title (newest first)."""
    if rows is None:
        rows = store.read_columns("incidents", list(INCIDENT_COLUMNS))
    return SearchIndex([Section.of("incident", _incident_entries(rows, places),
                                   lambda e: [e.id, e.label[0]])])


def check_query(q: str | None) -> str:
    """The query, or ``ValueError`` saying why it cannot be searched."""
    text = normalize(q)
    if not text:
        raise ValueError("q: give something to search for (an address, a device or incident "
                         "id, a place, a name)")
    if len(text) > MAX_QUERY:
        raise ValueError(f"q: at most {MAX_QUERY} characters, got {len(text)}")
    return text


class Searcher:
    """The search index of one store, for one app, with bounded caches (``Services.search``)."""

    def __init__(self, store: Store, atlas: Atlas, static_ttl_s: float = STATIC_TTL_S,
                 incidents_ttl_s: float = INCIDENTS_TTL_S) -> None:
        self.store, self.atlas = store, atlas
        self._lock = threading.RLock()
        self._static: TTLCache[Hashable, SearchIndex] = TTLCache(1, static_ttl_s)
        self._incidents: TTLCache[Hashable, SearchIndex] = TTLCache(1, incidents_ttl_s)

    def clear(self) -> None:
        with self._lock:
            self._static.clear()
            self._incidents.clear()

    def indexes(self) -> list[SearchIndex]:
        geo = self.atlas.geo()  # a new read of the geography (an import) is a new index
        return [self._cached(self._static, geo.token,
                             lambda: static_index(self.store, self.atlas)),
                self._cached(self._incidents, geo.token,
                             lambda: incident_index(self.store, geo.places))]

    def search(self, q: str, viewer: Viewer, now: pd.Timestamp, *, personal: bool = True,
               limit: int = LIMIT, ip: str | None = None) -> list[dict[str, Any]]:
        """Up to ``limit`` results for ``viewer``; a search showing residents in full is
        audited (who, whose, the query)."""
        text = check_query(q)
        hits: list[Hit] = []
        for index in self.indexes():
            hits.extend(index.search(text, viewer, personal=personal))
        if INCIDENT_ID.match(text) and not any(h.entry.id == text for h in hits):
            hits.extend(self._fresh_incident(text, viewer))
        hits = sorted(hits, key=Hit.order)[:limit]
        seen = sorted({h.entry.opens or h.entry.id for h in hits
                       if h.entry.kind in PERSONAL_KINDS and h.show == "full"})
        if seen:
            audit.record(self.store, now, viewer.name, "personal.search", ",".join(seen),
                         reason=viewer.reason or f"role {viewer.role}", detail=f"q={text}",
                         ip=ip)
        return [h.as_dict() for h in hits]

    def find(self, kind: str, entry_id: str, viewer: Viewer,
             personal: bool = True) -> dict[str, Any] | None:
        """One result by kind and id if ``viewer`` may find it (a chosen result, rechecked)."""
        entry = None
        for index in self.indexes():
            entry = entry or index.get(kind, entry_id)
        if entry is None and kind == "incident" and INCIDENT_ID.match(entry_id or ""):
            fresh = self._fresh_incident(entry_id, viewer)
            return fresh[0].as_dict() if fresh else None
        how = "none" if entry is None else shown(entry, viewer, personal)
        return None if entry is None or how == "none" else Hit(entry, 0, 0, how).as_dict()

    def _fresh_incident(self, incident_id: str, viewer: Viewer) -> list[Hit]:
        """An incident reported since the index was built, read by its id."""
        rows = self.store.read_columns("incidents", list(INCIDENT_COLUMNS),
                                       where={"id": incident_id})
        index = incident_index(self.store, self.atlas.geo().places, rows)
        return index.search(incident_id, viewer)

    def _cached(self, cache: Cache, key: Hashable, compute: Callable[[], T]) -> T:
        return cached(self._lock, cache, key, compute)


def labels_in(results: Sequence[Mapping[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Results with their label and secondary line in ``lang`` (the screens' list)."""
    return [{**r, "label": r["label"]["en" if lang == "en" else "zh"],
             "secondary": r["secondary"]["en" if lang == "en" else "zh"]} for r in results]
