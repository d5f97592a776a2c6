"""Smart reports 智能报告: the figures of a daily or weekly report for one scope, as data.

A report is two kinds of figure. The *snapshot* is :func:`summary.summarize` as it stood at the
period's end (:func:`replay.summary_at`; at the moment the report is made for a period still
running) — the very dict ``GET /api/v1/summary?at=`` answers, so a report can never disagree
with the screens. The *period* figures count what happened between the period's start and its
end (or now, for a period still running), beside the period before: incidents received by
source, level and status; SLA breaches with the worst named; alarms by rule and how fast they
were acknowledged; patrols per zone and chief; visits done; devices offline the longest.

Everything here is data (:class:`Report`); the PDF and the XLSX are drawn by
``views/report_pdf.py`` and ``views/report_xlsx.py``, the narrative's sentences come from
``i18n/reports.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from twin_dashboard.catalog import INCIDENT_SOURCES, INCIDENT_STATUSES, LEVELS, VISIT_KINDS
from twin_dashboard.domain.devices import current_states
from twin_dashboard.domain.incidents import resolution_funnel, sla_breaches
from twin_dashboard.domain.patrols import chief_board, zone_board
from twin_dashboard.domain.places import Places
from twin_dashboard.domain.replay import summary_at
from twin_dashboard.domain.summary import summarize
from twin_dashboard.domain.time import HOUR, LOCAL_TZ, as_utc, as_utc_series
from twin_dashboard.domain.tracks import patrol_lengths, staff_names
from twin_dashboard.i18n import t
from twin_dashboard.store.base import Scope, Store

KINDS: tuple[str, ...] = ("daily", "weekly")
FORMATS: tuple[str, ...] = ("pdf", "xlsx")
WORST = 5  # SLA breaches named
OFFLINE_LONGEST = 8  # devices listed among those offline the longest


class ReportRefused(ValueError):
    """A report asked for wrongly; the message names the parameter and why."""


@dataclass(frozen=True)
class Period:
    """A report's calendar period on the district's clock and the one before it (all UTC)."""

    kind: str
    day: date  # the day asked for (a weekly period is the Monday–Sunday week holding it)
    start: pd.Timestamp
    end: pd.Timestamp  # exclusive
    until: pd.Timestamp  # min(end, now): a running period counts up to now
    previous_start: pd.Timestamp

    @property
    def first_day(self) -> date:
        return self.start.tz_convert(LOCAL_TZ).date()

    @property
    def last_day(self) -> date:
        return (self.end - pd.Timedelta(seconds=1)).tz_convert(LOCAL_TZ).date()


@dataclass(frozen=True)
class Report:
    """Every figure of one report; renderers only lay these out."""

    period: Period
    scope: Scope
    places: Places  # names of the scope's places (zh, with the data's English)
    district: str | None  # the district's name from the data
    as_of: pd.Timestamp  # when the snapshot was taken
    summary: dict[str, Any]  # GET /api/v1/summary?at=as_of verbatim
    received: tuple[int, int]  # incidents received (this period, previous period)
    by_source: dict[str, tuple[int, int]]
    by_level: dict[str, tuple[int, int]]
    by_status: dict[str, tuple[int, int]]  # today's status of the incidents received
    funnel: dict[str, dict[str, float]]  # where this period's finished incidents were resolved
    sla_worst: list[dict[str, Any]]  # id, title, level, neighborhood_id, overdue_hours
    alarms: dict[str, Any]  # raised, previous, acked, ack_mean_min, ack_median_min, by_rule
    zones: list[dict[str, Any]]  # per patrol zone: chiefs, patrols in the period, covered
    chiefs: list[dict[str, Any]]  # per road chief: name, role, patrols, km in the period
    visits: dict[str, tuple[int, int]]  # kind → (done this period, previous period)
    visit_findings_failed: int  # checklist items found wrong this period
    offline: list[dict[str, Any]]  # device_id, category, neighborhood_id, last_seen, hours

    def place_name(self, lang: str) -> str | None:
        """The scope's name in ``lang`` (``None``: the whole district)."""
        names = self.places.in_lang(lang)
        subs, nbhs = self.scope.subdistrict_ids, self.scope.neighborhood_ids
        if nbhs is not None:
            return "、".join(names.neighborhoods.get(n, n) for n in sorted(nbhs))
        if subs is not None:
            return "、".join(names.subdistricts.get(s, s) for s in sorted(subs))
        return None


def change(now: int | float, before: int | float) -> float | None:
    """Relative change from ``before`` to ``now`` (``None`` when there was nothing before)."""
    return (float(now) - float(before)) / float(before) if before else None


def report_period(kind: str, day: date, now: pd.Timestamp) -> Period:
    """The period of a ``daily`` report (``day``) or a ``weekly`` one (the Monday–Sunday week
    holding ``day``) on the district's clock; ``ReportRefused`` for another kind or a period
    that has not begun."""
    if kind not in KINDS:
        raise ReportRefused(f"kind: {kind!r} is not one of {', '.join(KINDS)}")
    first = day if kind == "daily" else day - timedelta(days=day.weekday())
    length = pd.Timedelta(days=1 if kind == "daily" else 7)
    start = pd.Timestamp(first).tz_localize(LOCAL_TZ).tz_convert("UTC")
    at = as_utc(now)
    if start > at:
        raise ReportRefused(f"date: {day.isoformat()} is in the future")
    return Period(kind, day, start, start + length, min(start + length, at), start - length)


def parse_day(text: str | None, now: pd.Timestamp) -> date:
    """``YYYY-MM-DD``, or today on the district's clock when not given."""
    if not text:
        return as_utc(now).tz_convert(LOCAL_TZ).date()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ReportRefused(f"date: {text!r} is not a date YYYY-MM-DD") from None


def parse_scope(text: str | None) -> tuple[str | None, str | None]:
    """``district``, ``subdistrict:ID`` or ``neighborhood:ID`` → (subdistrict, neighborhood)."""
    kind, _, value = (text or "district").partition(":")
    if kind == "district" and not value:
        return None, None
    if kind == "subdistrict" and value:
        return value, None
    if kind == "neighborhood" and value:
        return None, value
    raise ReportRefused(f"scope: {text!r} is not district, subdistrict:ID or neighborhood:ID")


def build_report(store: Store, scope: Scope, period: Period, now: pd.Timestamp) -> Report:
    """Every figure of a report of ``period`` over ``scope``: the snapshot as it stood at the
    period's end (``summary?at=``; now, for a period still running)."""
    at = min(as_utc(period.until), as_utc(now))
    summary = summarize(store, scope, at) if at >= as_utc(now) else summary_at(store, scope, at)
    incidents = store.read_columns("incidents", (
        "id", "title", "source", "level", "status", "reported_at", "sla_due_at",
        "neighborhood_id"), scope)
    current, previous = _split(incidents, "reported_at", period)
    zones, chiefs = _patrols(store, scope, period)
    visits = store.read_columns("visits", ("kind", "started_at", "failed"), scope)
    visits_now, visits_before = _split(visits, "started_at", period)
    return Report(
        period=period, scope=scope, places=read_places(store), district=_district(store),
        as_of=at, summary=summary,
        received=(len(current), len(previous)),
        by_source=_pairs(current, previous, "source", INCIDENT_SOURCES),
        by_level=_pairs(current, previous, "level", LEVELS),
        by_status=_pairs(current, previous, "status", INCIDENT_STATUSES),
        funnel={level: {"count": int(row["count"]), "share": float(row["share"])}
                for level, row in resolution_funnel(current).iterrows()},
        sla_worst=_worst(incidents, at),
        alarms=_alarms(store, scope, period),
        zones=zones, chiefs=chiefs,
        visits={kind: (int((visits_now["kind"] == kind).sum()),
                       int((visits_before["kind"] == kind).sum())) for kind in VISIT_KINDS},
        visit_findings_failed=int(pd.to_numeric(visits_now["failed"]).fillna(0).sum()),
        offline=_offline(store, scope, at),
    )


def _split(frame: pd.DataFrame, column: str, period: Period
           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows of ``frame`` whose ``column`` falls in the period, and in the one before."""
    times = as_utc_series(frame[column])
    return (frame[(times >= period.start) & (times < period.until)],
            frame[(times >= period.previous_start) & (times < period.start)])


def _pairs(current: pd.DataFrame, previous: pd.DataFrame, column: str,
           order: tuple[str, ...]) -> dict[str, tuple[int, int]]:
    now, before = current[column].value_counts(), previous[column].value_counts()
    return {key: (int(now.get(key, 0)), int(before.get(key, 0))) for key in order}


def _worst(incidents: pd.DataFrame, now: pd.Timestamp) -> list[dict[str, Any]]:
    late = sla_breaches(incidents, now).head(WORST)
    return [{"id": row["id"], "title": row["title"] or "", "level": row["level"],
             "neighborhood_id": row["neighborhood_id"],
             "overdue_hours": round(float(row["overdue_hours"]), 1)}
            for row in late.to_dict("records")]


def _alarms(store: Store, scope: Scope, period: Period) -> dict[str, Any]:
    """Alarms raised in the period: by rule, and minutes from raised to acknowledged."""
    alarms = store.read_columns("alarms", ("rule", "raised_at", "acked_at"), scope)
    current, previous = _split(alarms, "raised_at", period)
    acked = current[current["acked_at"].notna()]
    minutes = (as_utc_series(acked["acked_at"]) - as_utc_series(acked["raised_at"])) / (HOUR / 60)
    by_rule = current["rule"].value_counts()
    by_rule = by_rule.sort_index().sort_values(ascending=False, kind="stable")
    return {"raised": len(current), "previous": len(previous), "acked": len(acked),
            "ack_mean_min": round(float(minutes.mean()), 1) if len(acked) else None,
            "ack_median_min": round(float(minutes.median()), 1) if len(acked) else None,
            "by_rule": {str(k): int(v) for k, v in by_rule.items()}}


def _patrols(store: Store, scope: Scope, period: Period
             ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Per zone (coverage at the period's end, patrols in it) and per chief (patrols and km
    in the period); zones follow the scope's subdistricts, as on the road-chief board."""
    area = Scope(scope.subdistrict_ids)
    if scope.neighborhood_ids is not None and scope.subdistrict_ids is None:
        area = Scope(frozenset(_subdistricts_of(store, scope)))
    zones = store.read_layer("patrol-zones", area)
    roads = store.read_columns("roads", ["id", "zone_id", "subdistrict_id"], area)
    patrols = store.read_records("patrols", area)
    days = (period.until - period.start) / pd.Timedelta(days=1)
    by_zone = zone_board(zones, roads, patrols, period.until)
    by_chief = chief_board(zones, patrols, period.until, patrol_lengths(patrols), days=days)
    started = as_utc_series(patrols["started_at"]) if len(patrols) else pd.Series([], dtype=object)
    in_period = patrols[(started >= period.start) & (started < period.until)] \
        if len(patrols) else patrols
    counts = in_period["zone_id"].value_counts() if len(in_period) else pd.Series(dtype=int)
    names = staff_names(store, list(by_chief["chief_id"]))
    zone_rows = [{"zone_id": z["zone_id"], "name": z["name"] or z["zone_id"],
                  "subdistrict_id": z["subdistrict_id"],
                  "gov_chief": names.get(z["gov_chief_id"], z["gov_chief_id"] or ""),
                  "community_chief": names.get(z["community_chief_id"],
                                               z["community_chief_id"] or ""),
                  "patrols": int(counts.get(z["zone_id"], 0)), "overdue": bool(z["overdue"]),
                  "segments": int(z["segments"]), "segments_covered": int(z["segments_covered"]),
                  "coverage_share": float(z["coverage_share"])}
                 for z in by_zone.to_dict("records")]
    chief_rows = [{"chief_id": c["chief_id"], "name": names.get(c["chief_id"], c["chief_id"]),
                   "role": c["chief_role"], "zones": len(c["zone_ids"]),
                   "patrols": int(c["patrols"]), "km": float(c["km"])}
                  for c in by_chief.to_dict("records")]
    return zone_rows, chief_rows


def _subdistricts_of(store: Store, scope: Scope) -> set[str]:
    """The subdistricts holding a neighborhood-only scope's neighborhoods."""
    nbhs = store.read_columns("neighborhoods", ["id", "subdistrict_id"],
                              Scope(None, scope.neighborhood_ids))
    return set(nbhs["subdistrict_id"].dropna())


def _offline(store: Store, scope: Scope, now: pd.Timestamp) -> list[dict[str, Any]]:
    """Devices offline at ``now``, the longest silent first (never seen: first of all)."""
    devices = store.read_columns("devices", ("id", "category", "subdistrict_id",
                                             "neighborhood_id"), scope)
    status = store.read_columns("device_status", ("device_id", "state", "last_seen",
                                                  "battery"), scope)
    states = current_states(devices, status, now)
    off = states[states["state"] == "offline"].sort_values(
        "last_seen", na_position="first", kind="stable").head(OFFLINE_LONGEST)
    return [{"device_id": row["id"], "category": row["category"],
             "neighborhood_id": row["neighborhood_id"],
             "last_seen": None if pd.isna(row["last_seen"]) else row["last_seen"],
             "hours": None if pd.isna(row["last_seen"])
             else round(float((now - row["last_seen"]) / HOUR), 1)}
            for row in off.to_dict("records")]


def read_places(store: Store) -> Places:
    """The place names and tree of the store (zh, with the data's English)."""
    return Places.from_layers(
        store.read_columns("subdistricts", ["id", "name", "name_en"]),
        store.read_columns("neighborhoods", ["id", "name", "name_en", "subdistrict_id"]))


def _district(store: Store) -> str | None:
    names = store.read_columns("district", ["name"])["name"].dropna()
    return str(names.iloc[0]) if len(names) else None


def funnel_share(report: Report, level: str = "property") -> float:
    """Share of this period's finished incidents resolved at ``level`` (the narrative's)."""
    return float(report.funnel.get(level, {}).get("share", 0.0))


def narrative(report: Report, lang: str) -> list[str]:
    """The report's short summary: template sentences (``i18n/reports.py``) filled in."""
    kind = report.period.kind
    this, prev = t(f"report.this.{kind}", lang), t(f"report.prev.{kind}", lang)
    now, before = report.received
    moved = change(now, before)
    if moved is None:
        first = t("report.narr.new", lang, this=this, n=now)
    elif moved == 0:
        first = t("report.narr.same", lang, this=this, n=now, prev=prev)
    else:
        first = t("report.narr.received", lang, this=this, n=now, prev=prev,
                  trend=t("report.up" if moved > 0 else "report.down", lang),
                  pct=f"{abs(moved):.0%}")
    done = sum(int(v["count"]) for v in report.funnel.values())
    first += (t("report.narr.funnel", lang, share=f"{funnel_share(report):.0%}") if done
              else t("report.narr.end", lang))
    figures = report.summary
    worst = report.sla_worst
    sla = (t("report.narr.sla", lang, n=figures["incidents"]["sla_breaches"], id=worst[0]["id"],
             title=worst[0]["title"], hours=f"{worst[0]['overdue_hours']:.0f}") if worst
           else t("report.narr.sla_none", lang))
    alarms = report.alarms
    mean, median = alarms["ack_mean_min"], alarms["ack_median_min"]
    patrols = figures["patrols"]
    return [first, sla,
            t("report.narr.alarms", lang, n=alarms["raised"], acked=alarms["acked"],
              mean="–" if mean is None else f"{mean:.0f}",
              median="–" if median is None else f"{median:.0f}", open=figures["alarms"]["open"]),
            t("report.narr.patrols", lang, share=f"{patrols['coverage_share']:.0%}",
              covered=patrols["segments_covered"], total=patrols["segments"],
              online=f"{figures['devices']['online_share']:.0%}"),
            t("report.narr.visits", lang, visit=report.visits["visit"][0],
              inspection=report.visits["inspection"][0], failed=report.visit_findings_failed)]


__all__ = ["FORMATS", "KINDS", "Period", "Report", "ReportRefused", "build_report", "change",
           "funnel_share", "narrative", "parse_day", "parse_scope", "report_period"]
