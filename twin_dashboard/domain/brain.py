"""Community brain 社区大脑: people found by their person and policy tags.

A person's ``tags`` is one ``;``-separated string (``独居老人;高龄;助餐补贴``). A query combines
tags with AND (``include_all``), OR (``include_any``) and NOT (``exclude``); the answer is a list
(for roles allowed to see people) or counts per area (for everyone else, and the map).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from twin_dashboard.catalog import PERSON_TAGS, POLICY_TAGS
from twin_dashboard.domain import audit
from twin_dashboard.domain._frames import require_columns
from twin_dashboard.domain.access import Viewer
from twin_dashboard.domain.masking import mask_name, mask_phone
from twin_dashboard.domain.places import Places
from twin_dashboard.store.base import Scope, Store

TAG_SEPARATOR = ";"


def query_people(people: pd.DataFrame, include_all: Sequence[str] = (),
                 include_any: Sequence[str] = (), exclude: Sequence[str] = ()) -> pd.DataFrame:
    """People whose tags satisfy an AND / OR / NOT query.

    Parameters
    ----------
    people : DataFrame
        People records with a ``tags`` column (``;``-separated, may be empty).
    include_all : sequence of str
        Tags a person must all carry (AND). Empty: no condition.
    include_any : sequence of str
        Tags of which a person must carry at least one (OR). Empty: no condition.
    exclude : sequence of str
        Tags a person must carry none of (NOT).

    Returns
    -------
    DataFrame
        The matching rows of ``people`` in their order (index kept). An empty query matches
        everyone; a tag nobody carries matches nobody.

    Raises
    ------
    ValueError
        For an empty tag or one containing ``;``, or a tag both required and excluded.
    """
    require_columns(people, ("tags",), "people")
    _check_tags(include_all, include_any, exclude)
    padded = _padded_tags(people)
    keep = np.ones(len(people), dtype=bool)
    for tag in include_all:
        keep &= _has(padded, tag)
    if include_any:
        keep &= np.logical_or.reduce([_has(padded, tag) for tag in include_any])
    for tag in exclude:
        keep &= ~_has(padded, tag)
    return people[keep]


def tag_counts(people: pd.DataFrame, by: str = "neighborhood_id") -> pd.DataFrame:
    """How many people carry each tag, per area (or any other column).

    Parameters
    ----------
    people : DataFrame
        People records with ``tags`` and the ``by`` column.
    by : str, default "neighborhood_id"
        The column to group by (``subdistrict_id``, ``role`` …).

    Returns
    -------
    DataFrame
        Index: the ``by`` values present (sorted); columns: the catalog's person tags then
        policy tags, then any other tag found (sorted); integer counts, zeros included.
    """
    require_columns(people, ("tags", by), "people")
    split = people["tags"].fillna("").astype(str).str.split(TAG_SEPARATOR)
    pairs = pd.DataFrame({by: people[by].to_numpy(), "tag": split.to_numpy()}).explode("tag")
    pairs["tag"] = pairs["tag"].str.strip()
    pairs = pairs[pairs["tag"].notna() & (pairs["tag"] != "")]
    counts = pd.crosstab(pairs[by], pairs["tag"]) if len(pairs) else pd.DataFrame()
    known = [*PERSON_TAGS, *POLICY_TAGS]
    columns = known + sorted(set(counts.columns) - set(known))
    groups = sorted(people[by].dropna().unique())
    counts = counts.reindex(index=groups, columns=columns, fill_value=0).astype(int)
    counts.index.name, counts.columns.name = by, "tag"
    return counts


def _check_tags(include_all: Sequence[str], include_any: Sequence[str],
                exclude: Sequence[str]) -> None:
    for tag in (*include_all, *include_any, *exclude):
        if not isinstance(tag, str) or not tag.strip() or TAG_SEPARATOR in tag:
            raise ValueError(f"bad tag {tag!r}: a tag is a non-empty string without ';'")
    both = sorted((set(include_all) | set(include_any)) & set(exclude))
    if both:
        raise ValueError(f"tag(s) both included and excluded: {', '.join(both)}")


def _padded_tags(people: pd.DataFrame) -> pd.Series:
    """``;a;b;`` per person, so one substring test matches a whole tag and never a part."""
    tags = people["tags"].fillna("").astype(str).str.replace(r"\s*;\s*", ";", regex=True)
    return TAG_SEPARATOR + tags.str.strip() + TAG_SEPARATOR


def _has(padded: pd.Series, tag: str) -> np.ndarray:
    needle = f"{TAG_SEPARATOR}{tag.strip()}{TAG_SEPARATOR}"
    return padded.str.contains(needle, regex=False).to_numpy(bool)


# --- the brain's questions: counts per area, the people, policy gaps, tags --------------------

KNOWN_TAGS: tuple[str, ...] = (*PERSON_TAGS, *POLICY_TAGS)
AREA_KINDS: tuple[str, ...] = ("subdistrict", "neighborhood")
PEOPLE_COLUMNS: tuple[str, ...] = ("id", "name", "phone", "role", "subdistrict_id",
                                   "neighborhood_id", "tags")


@dataclass(frozen=True)
class BrainQuery:
    """A tag query: every tag of ``all``, at least one of ``any``, none of ``none``."""

    all: tuple[str, ...] = ()
    any: tuple[str, ...] = ()
    none: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.all or self.any or self.none)

    def as_dict(self) -> dict[str, list[str]]:
        return {"all": list(self.all), "any": list(self.any), "not": list(self.none)}

    def text(self) -> str:
        """``all=独居老人,高龄&not=助餐补贴`` (the audit's record of what was asked)."""
        return "&".join(f"{k}={','.join(v)}" for k, v in self.as_dict().items() if v)


def brain_query(all_tags: Iterable[str] = (), any_tags: Iterable[str] = (),
                not_tags: Iterable[str] = ()) -> BrainQuery:
    """A checked query: ``ValueError`` naming an unknown tag (known: the catalog's person and
    policy tags) or a tag both asked for and excluded."""
    parts = [tuple(dict.fromkeys(str(x).strip() for x in tags if str(x).strip()))
             for tags in (all_tags, any_tags, not_tags)]
    unknown = sorted({tag for part in parts for tag in part} - set(KNOWN_TAGS))
    if unknown:
        raise ValueError(f"unknown tag(s) {', '.join(unknown)}: known tags are "
                         f"{', '.join(KNOWN_TAGS)}")
    _check_tags(*parts)
    return BrainQuery(*parts)


def split_tags(text: str | None) -> list[str]:
    """``"独居老人,高龄"`` (a query parameter) → the tags; commas (ASCII or full-width)."""
    return [x for x in (text or "").replace("，", ",").split(",") if x.strip()]


def area_column(by: str) -> str:
    """``neighborhood`` → ``neighborhood_id``; ``ValueError`` naming the choices otherwise."""
    if by not in AREA_KINDS:
        raise ValueError(f"unknown by {by!r}: one of {', '.join(AREA_KINDS)}")
    return f"{by}_id"


def areas_in(places: Places, scope: Scope, by: str) -> dict[str, str]:
    """The areas (id → name) of kind ``by`` within ``scope``: the neighborhoods it covers, and
    the subdistricts holding any of them (or named by it)."""
    def covered(nbh: str) -> bool:
        sub = places.parent.get(nbh)
        return ((scope.subdistrict_ids is None or sub in scope.subdistrict_ids)
                and (scope.neighborhood_ids is None or nbh in scope.neighborhood_ids))
    nbhs = {n: name for n, name in places.neighborhoods.items() if covered(n)}
    if by == "neighborhood":
        return nbhs
    parents = {places.parent[n] for n in nbhs if n in places.parent}
    return {s: name for s, name in places.subdistricts.items()
            if s in parents or (scope.neighborhood_ids is None and scope.subdistrict_ids
                                is not None and s in scope.subdistrict_ids)}


def area_counts(people: pd.DataFrame, query: BrainQuery, areas: Mapping[str, str],
                by: str) -> pd.DataFrame:
    """How many people match ``query`` per area: one row per area of ``areas`` (zeros where
    nobody does), columns ``id``, ``name``, ``count``; in the order of ``areas``."""
    column = area_column(by)
    found = query_people(people, query.all, query.any, query.none)
    per_area = found[column].value_counts()
    ids = list(areas)
    return pd.DataFrame({"id": ids, "name": [areas[i] for i in ids],
                         "count": [int(per_area.get(i, 0)) for i in ids]})


def people_in(store: Store, viewer: Viewer, scope: Scope) -> pd.DataFrame:
    """The people records the viewer may count or list within ``scope`` (already narrowed to
    the viewer's): for a buddy, only the elders of the households they buddy."""
    people = store.read_records("people", scope)
    if viewer.households is not None:
        homes = store.read_records("households", where={"id": sorted(viewer.households)})
        people = people[people["id"].isin(set(homes["elder_id"].dropna()))]
    return people


def counts(store: Store, places: Places, viewer: Viewer, scope: Scope, query: BrainQuery,
           by: str) -> dict[str, Any]:
    """What ``GET /api/v1/brain/counts`` answers and the desk draws: per area of ``by`` within
    ``scope`` (already the viewer's or narrower), how many people match; ``total`` counts
    everyone matching in the scope (people outside any neighborhood too)."""
    area_column(by)
    people = people_in(store, viewer, scope)
    per_area = area_counts(people, query, areas_in(places, scope, by), by)
    total = len(query_people(people, query.all, query.any, query.none))
    return {"by": by, "query": query.as_dict(), "total": total,
            "areas": per_area.to_dict("records")}


def people_rows(found: pd.DataFrame, viewer: Viewer, limit: int) -> tuple[list[dict], bool]:
    """At most ``limit`` people as the viewer may see them (names and phones in full or masked,
    per person: :meth:`Viewer.personal_for`), and whether any was shown in full."""
    rows, full_seen = [], False
    for row in found.head(limit).to_dict("records"):
        full = viewer.personal_for({**row, "buddy_id": viewer.person_id
                                    if viewer.households is not None else None}) == "full"
        full_seen |= full
        rows.append({"id": row["id"], "role": row.get("role"),
                     "subdistrict_id": row.get("subdistrict_id") or None,
                     "neighborhood_id": row.get("neighborhood_id") or None,
                     "name": row.get("name") if full else mask_name(row.get("name")),
                     "phone": row.get("phone") if full else mask_phone(row.get("phone")),
                     "tags": [x for x in str(row.get("tags") or "").split(TAG_SEPARATOR) if x],
                     "masked": not full})
    return rows, full_seen


def listing(store: Store, viewer: Viewer, scope: Scope, query: BrainQuery,
            limit: int) -> tuple[int, list[dict], bool]:
    """The people matching ``query`` in ``scope`` as the viewer may see them: how many match,
    the first ``limit`` (by area, then id) and whether any was shown in full (to audit)."""
    found = query_people(people_in(store, viewer, scope), query.all, query.any, query.none)
    found = found.sort_values(["subdistrict_id", "neighborhood_id", "id"])
    rows, full = people_rows(found, viewer, limit)
    return len(found), rows, full


def people_answer(store: Store, viewer: Viewer, scope: Scope, query: BrainQuery, limit: int,
                  now: pd.Timestamp, ip: str | None = None) -> dict[str, Any]:
    """The people list as ``GET /api/v1/brain/people`` and the desk give it, audited: who
    asked which query, how many rows, whether any was shown in full. ``PermissionError`` for
    a role that sees no residents at all."""
    if viewer.spec.personal == "never":
        raise PermissionError(f"{viewer.name!r} ({viewer.role}): this role sees no residents; "
                              "counts are at /api/v1/brain/counts")
    found, rows, full = listing(store, viewer, scope, query, limit)
    audit.record(store, now, viewer.name, "brain.people", query.text() or "(all)",
                 reason=viewer.reason or f"role {viewer.role}",
                 detail=f"rows={len(rows)} of {found}; {'full' if full else 'masked'}", ip=ip)
    return {"query": query.as_dict(), "total": found, "people": rows}


def checked_tags(tags: Iterable[str]) -> list[str]:
    """A person's new tags in catalog order, duplicates dropped; ``ValueError`` naming any tag
    the catalog does not know (the one rule for changing tags)."""
    wanted = [str(x).strip() for x in tags]
    unknown = sorted({x for x in wanted if x not in KNOWN_TAGS})
    if unknown:
        raise ValueError(f"unknown tag(s) {', '.join(unknown) or repr('')}: known tags are "
                         f"{', '.join(KNOWN_TAGS)}")
    return [tag for tag in KNOWN_TAGS if tag in wanted]


def set_tags(store: Store, person_id: str, tags: Iterable[str], actor: str,
             now: pd.Timestamp) -> tuple[list[str], list[str]]:
    """Replace a person's tags (checked), audited with who, when, old and new; returns
    ``(old, new)``. ``KeyError`` for an unknown person."""
    new = checked_tags(tags)
    old = store.set_person_tags(person_id, TAG_SEPARATOR.join(new))
    if old is None:
        raise KeyError(person_id)
    old_tags = [x for x in old.split(TAG_SEPARATOR) if x]
    audit.record(store, now, actor, "person.tags", person_id,
                 detail=f"{TAG_SEPARATOR.join(old_tags)} -> {TAG_SEPARATOR.join(new)}")
    return old_tags, new


# Policy gaps: the ready-made queries a social worker runs — who qualifies but is not served.
@dataclass(frozen=True)
class PolicyGap:
    key: str
    zh: str
    en: str
    query: BrainQuery

    def name(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


POLICY_GAPS: tuple[PolicyGap, ...] = (
    PolicyGap("alone_80_no_meals", "高龄独居未享助餐", "Alone, 80+, no meal subsidy",
              BrainQuery(("独居老人", "高龄"), (), ("助餐补贴",))),
    PolicyGap("disabled_no_ltc", "残疾未享长护险", "Disabled, no long-term care",
              BrainQuery(("残疾",), (), ("长护险",))),
    PolicyGap("frail_no_homecare", "失能未享居家养老", "Frail, no home care",
              BrainQuery(("失能",), (), ("居家养老",))),
    PolicyGap("alone_no_adaptation", "独居未做适老化改造", "Alone, home not adapted",
              BrainQuery(("独居老人",), (), ("适老化改造",))),
    PolicyGap("poor_no_medical", "低保未享医疗救助", "Low income, no medical aid",
              BrainQuery(("低保",), (), ("医疗救助",))),
    PolicyGap("childless_no_homecare", "孤老未享居家养老", "Childless elder, no home care",
              BrainQuery(("孤老",), (), ("居家养老",))),
)
GAPS_BY_KEY: dict[str, PolicyGap] = {g.key: g for g in POLICY_GAPS}
