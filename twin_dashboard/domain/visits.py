"""大走访 / 大排查: visits of households and inspections of buildings, their findings, coverage.

A ``visit`` (大走访) is made at a household — typically an elder living alone — and an
``inspection`` (大排查) at a building; each goes through its kind's checklist
(``catalog.CHECKLISTS``, labels ``check.<item>`` in ``i18n/field.py``). Every item found not ok
opens an incident with source ``visit`` or ``inspection`` at property level, at the place
visited. A visit with any wrong part (kind, target, item, times) is refused whole.
Who may record which kind is ``Role.records`` (``domain/roles.py``); scope is the caller's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pandas as pd

from twin_dashboard.catalog import CHECKLISTS, VISIT_TARGETS
from twin_dashboard.domain import workflow
from twin_dashboard.domain._frames import require_columns, share
from twin_dashboard.domain.time import as_utc, as_utc_series
from twin_dashboard.i18n import t
from twin_dashboard.store.base import ALL, Scope, Store

COVERAGE_DAYS = 30  # a household counts as visited for this long (the map's, the KPIs')
FUTURE_SLACK = pd.Timedelta(minutes=1)  # a tablet's clock may run a little ahead
FIRST_LEVEL = "property"  # most findings are fixed by the property manager (docs/domain.md)


class VisitRefused(ValueError):
    """A visit that cannot be recorded; the message names the value and the reason."""


@dataclass(frozen=True)
class Finding:
    """One checklist item: ``ok``, or not ok with what was seen (``note``)."""

    item: str
    ok: bool
    note: str | None = None


@dataclass(frozen=True)
class Visit:
    """A visit or inspection as reported from the field (not yet checked)."""

    kind: str  # visit | inspection
    household_id: str | None
    building_id: str | None
    started_at: pd.Timestamp
    ended_at: pd.Timestamp
    findings: tuple[Finding, ...]
    visitor_id: str | None = None  # the person who went there


@dataclass(frozen=True)
class Place:
    """Where a visit was made: a household or a building, its area and location."""

    kind: str  # household | building
    id: str
    subdistrict_id: str | None
    neighborhood_id: str | None
    label: str  # an address or a building name, for incident titles
    lon: float | None = None
    lat: float | None = None

    def row(self) -> dict[str, Any]:
        """Scope columns as a record, for ``Viewer.covers_row``."""
        return {"subdistrict_id": self.subdistrict_id, "neighborhood_id": self.neighborhood_id,
                f"{self.kind}_id": self.id}


def checklist(kind: str) -> tuple[str, ...]:
    """The items a visit of ``kind`` looks at; :class:`VisitRefused` for an unknown kind."""
    try:
        return CHECKLISTS[kind]
    except KeyError:
        raise VisitRefused(f"unknown kind {kind!r}: one of {', '.join(CHECKLISTS)}") from None


def item_label(item: str, lang: str = "zh") -> str:
    """A checklist item's label (``check.<item>``) in ``lang``."""
    return t(f"check.{item}", lang)


def check_visit(visit: Visit, now: pd.Timestamp) -> None:
    """Refuse (:class:`VisitRefused`) a visit with a wrong kind, target, item or time.

    Parameters
    ----------
    visit : Visit
        As reported.
    now : Timestamp
        The server's time: a visit may not end more than :data:`FUTURE_SLACK` after it.
    """
    items = checklist(visit.kind)
    target = VISIT_TARGETS[visit.kind]
    other = "building" if target == "household" else "household"
    made = f"{'an' if visit.kind[0] in 'aeiou' else 'a'} {visit.kind} is made at a {target}"
    if not getattr(visit, f"{target}_id"):
        raise VisitRefused(f"{made}: give {target}_id")
    if getattr(visit, f"{other}_id"):
        raise VisitRefused(f"{made}: give {target}_id, not {other}_id")
    if not visit.findings:
        raise VisitRefused("findings: at least one checklist item is needed")
    seen: set[str] = set()
    for i, finding in enumerate(visit.findings):
        if finding.item not in items:
            raise VisitRefused(f"findings[{i}]: {finding.item!r} is not an item of a "
                               f"{visit.kind}: one of {', '.join(items)}")
        if finding.item in seen:
            raise VisitRefused(f"findings[{i}]: {finding.item!r} is given twice")
        seen.add(finding.item)
    _check_times(visit.started_at, visit.ended_at, now)


def _check_times(started: pd.Timestamp, ended: pd.Timestamp, now: pd.Timestamp) -> None:
    if as_utc(ended) <= as_utc(started):
        raise VisitRefused(f"ended_at {ended.isoformat()} is not after started_at "
                           f"{started.isoformat()}")
    if as_utc(ended) > as_utc(now) + FUTURE_SLACK:
        raise VisitRefused(f"ended_at {ended.isoformat()} is in the future")


def find_place(store: Store, kind: str, place_id: str) -> Place:
    """The household or building (``kind``) called ``place_id``; :class:`VisitRefused` if
    there is none."""
    if kind == "household":
        found = store.read_records("households", where={"id": place_id})
        if found.empty:
            raise VisitRefused(f"household_id: unknown household {place_id!r}")
        row = found.iloc[0]
        return Place("household", place_id, _text(row["subdistrict_id"]),
                     _text(row["neighborhood_id"]), _text(row["address"]) or place_id,
                     _float(row["lon"]), _float(row["lat"]))
    return _building(store, place_id)


def _building(store: Store, building_id: str) -> Place:
    """A building with a point inside it (read within its neighborhood only: cheap)."""
    ids = store.read_columns("buildings", ["id", "subdistrict_id", "neighborhood_id"],
                             where={"id": building_id})
    if ids.empty:
        raise VisitRefused(f"building_id: unknown building {building_id!r}")
    sub, nbh = _text(ids.iloc[0]["subdistrict_id"]), _text(ids.iloc[0]["neighborhood_id"])
    near = store.read_layer("buildings", Scope.of(sub, nbh))
    row = near[near["id"] == building_id].iloc[0]
    point = row.geometry.representative_point() if row.geometry is not None else None
    return Place("building", building_id, sub, nbh, _text(row.get("name")) or building_id,
                 point.x if point else None, point.y if point else None)


def record_visit(store: Store, visit: Visit, place: Place, recorded_by: str,
                 now: pd.Timestamp) -> tuple[str, list[str]]:
    """Store a checked visit and open an incident per failed item, all or nothing.

    Returns
    -------
    tuple
        The visit's id and the ids of the incidents it opened (in findings order).
    """
    visit_id = f"vis-{uuid.uuid4().hex[:12]}"
    actor = visit.visitor_id or recorded_by
    failed = sum(not f.ok for f in visit.findings)
    row = {"id": visit_id, "kind": visit.kind, f"{place.kind}_id": place.id,
           "subdistrict_id": place.subdistrict_id, "neighborhood_id": place.neighborhood_id,
           "visitor_id": visit.visitor_id, "recorded_by": recorded_by,
           "started_at": _s(visit.started_at), "ended_at": _s(visit.ended_at),
           "findings": len(visit.findings), "failed": failed, "lon": place.lon,
           "lat": place.lat}
    incident_ids, findings = [], []
    with store.live_tx() as tx:
        for finding in visit.findings:
            incident_id = None
            if not finding.ok:  # the workflow's one way to open an incident
                incident_id = workflow.new_incident(tx, now, {
                    "source": visit.kind, "kind": finding.item, "level": FIRST_LEVEL,
                    "title": f"{item_label(finding.item)}：{place.label}",
                    "subdistrict_id": place.subdistrict_id,
                    "neighborhood_id": place.neighborhood_id, "lon": place.lon,
                    "lat": place.lat}, actor, finding.note or f"from {visit.kind} {visit_id}")
                incident_ids.append(incident_id)
            findings.append((visit_id, finding.item, int(finding.ok), finding.note,
                             incident_id))
        tx.add_visit(row, findings)
    return visit_id, incident_ids


def read_visits(store: Store, scope: Scope = ALL,
                since: pd.Timestamp | None = None) -> pd.DataFrame:
    """Visits within ``scope`` started at or after ``since``, newest first, each with its
    ``findings`` as a list of dicts (item, ok, note, incident_id)."""
    visits = store.read_records("visits", scope)
    if since is not None and len(visits):
        visits = visits[as_utc_series(visits["started_at"]) >= as_utc(since)]
    visits = visits.sort_values(["started_at", "id"], ascending=[False, True], kind="stable")
    found = store.read_records("visit_findings", where={"visit_id": list(visits["id"])})
    found["ok"] = found["ok"].astype(bool)
    by_visit = {vid: rows.drop(columns="visit_id").to_dict("records")
                for vid, rows in found.groupby("visit_id", sort=False)}
    return visits.assign(findings=[by_visit.get(v, []) for v in visits["id"]]
                         ).reset_index(drop=True)


def visited_households(households: pd.DataFrame, visits: pd.DataFrame, now: pd.Timestamp,
                       days: float = COVERAGE_DAYS) -> pd.Series:
    """Per household (``households`` order, indexed by id): visited (kind ``visit``) within
    the ``days`` before ``now``. Visits started after ``now`` do not count (time replay)."""
    require_columns(households, ("id",), "households")
    require_columns(visits, ("kind", "household_id", "started_at"), "visits")
    at = as_utc(now)
    started = as_utc_series(visits["started_at"])
    recent = visits[(visits["kind"] == "visit") & (started <= at)
                    & (started > at - pd.Timedelta(days=days))]
    done = set(recent["household_id"].dropna())
    return pd.Series([h in done for h in households["id"]], index=households["id"].to_numpy(),
                     name="visited", dtype=bool)


def visit_coverage(households: pd.DataFrame, visits: pd.DataFrame, now: pd.Timestamp,
                   days: float = COVERAGE_DAYS) -> float:
    """Share of ``households`` visited within the last ``days`` (0.0 when there are none).

    Parameters
    ----------
    households : DataFrame
        The households in scope (``id``).
    visits : DataFrame
        Visit records (``kind``, ``household_id``, ``started_at``); inspections are ignored.
    now : Timestamp
        The moment to judge at (naive means UTC).
    days : float, default 30
        How long a visit counts.

    Returns
    -------
    float
        ``visited households / households``.
    """
    visited = visited_households(households, visits, now, days)
    return share(int(visited.sum()), len(visited))


def visit_coverage_by(households: pd.DataFrame, visits: pd.DataFrame, now: pd.Timestamp,
                      by: str = "neighborhood_id", days: float = COVERAGE_DAYS) -> pd.DataFrame:
    """Per value of ``by`` (e.g. neighborhood): ``households``, ``visited`` and ``share``."""
    require_columns(households, (by,), "households")
    visited = visited_households(households, visits, now, days).to_numpy()
    frame = pd.DataFrame({by: households[by].to_numpy(), "visited": visited})
    out = frame.groupby(by, sort=True)["visited"].agg(["size", "sum"])
    out.columns = ["households", "visited"]
    out["share"] = [share(int(v), int(n)) for v, n in zip(out["visited"], out["households"],
                                                           strict=True)]
    return out.astype({"households": int, "visited": int})


def visit_marks(households: pd.DataFrame, visits: pd.DataFrame, now: pd.Timestamp,
                days: float = COVERAGE_DAYS) -> pd.DataFrame:
    """The map's visit coverage: each household with a position, ``visited`` within ``days``
    or due, and ``since_days`` (whole days since its last visit; -1: never visited).

    ``households``: ``id``, ``lon``, ``lat`` and the place columns; ``visits``: ``kind``,
    ``household_id``, ``started_at``. No name or address: the layer is no personal data.
    """
    require_columns(households, ("id", "lon", "lat"), "households")
    placed = households.dropna(subset=["lon", "lat"]).reset_index(drop=True)
    visited = visited_households(placed, visits, now, days).to_numpy()
    at = as_utc(now)
    started = as_utc_series(visits["started_at"])
    done = visits[(visits["kind"] == "visit") & (started <= at)].assign(started=started)
    last = done.groupby("household_id")["started"].max().to_dict()  # a dict: empty maps too
    age = (at - pd.to_datetime(placed["id"].map(last), utc=True)).dt.days
    return placed.assign(visited=visited, since_days=age.fillna(-1).astype(int))


def household_visit_coverage(store: Store, scope: Scope, now: pd.Timestamp,
                             days: float = COVERAGE_DAYS) -> float:
    """:func:`visit_coverage` of the households within ``scope`` (the map's and KPIs' figure)."""
    households = store.read_columns("households", ["id"], scope)
    visits = store.read_columns("visits", ["kind", "household_id", "started_at"], scope)
    return visit_coverage(households, visits, now, days)


def _s(at: pd.Timestamp) -> int:
    return int(as_utc(at).timestamp())


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _float(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)
