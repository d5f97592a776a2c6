"""Rows for the incident table, the live feed and the KPI tiles: pure, frames in, plain data out.

Times are shown on the district's clock; every label comes from the catalog, names of places
and titles are data and pass through untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from twin_dashboard.catalog import INCIDENT_SOURCES, INCIDENT_STATUSES, LEVELS, OPEN_STATUSES
from twin_dashboard.domain.time import LOCAL_TZ, as_utc, as_utc_series
from twin_dashboard.i18n import TEXT as _CATALOG
from twin_dashboard.i18n import t
from twin_dashboard.views.charts import rule_name
from twin_dashboard.views.titles import incident_titles

TABLE_MAX_ROWS = 1_000  # open incidents first, then the newest closed ones: a browser-sized table
FLASH_MINUTES = 10  # a critical alarm this new flashes on the wall
TABLE_FIELDS: tuple[str, ...] = ("id", "title", "neighborhood", "source", "level", "status",
                                 "reported", "due")


# Sizing of the grid's columns: a share of spare width, and a floor that fits the widest label
# (header or value) in the page's language, so headers never overflow; text beyond is cut (…).
COLUMN_FLEX: dict[str, float] = {"title": 2.6}
COLUMN_MIN_PX: dict[str, int] = {"id": 96, "title": 150, "neighborhood": 90,
                                 "reported": 100, "due": 100}
NUMERIC_FIELDS: frozenset[str] = frozenset({"id", "reported", "due"})  # tabular digits
_VOCABULARY: dict[str, tuple[str, tuple[str, ...]]] = {
    "source": ("source", INCIDENT_SOURCES), "level": ("level", LEVELS),
    "status": ("status", INCIDENT_STATUSES)}
_FONT_PX, _CELL_PAD_PX, _SORT_ICON_PX = 14, 20, 18  # assets/desk.css: font, cell padding


def _text_px(text: str, latin_em: float = 0.6) -> int:
    """Width of ``text`` at the table's font size: a CJK character is 1 em, others about
    ``latin_em`` (0.6 covers bold headers; values in regular weight are nearer 0.55)."""
    return round(sum(_FONT_PX * (1.0 if ord(ch) >= 0x2E80 else latin_em) for ch in text))


def incident_columns(lang: str) -> list[dict[str, Any]]:
    """The grid's ``columnDefs``; ``overdue`` travels in each row but is not a column."""
    columns = []
    for field in TABLE_FIELDS:
        header = t(f"table.col.{field}", lang)
        prefix, codes = _VOCABULARY.get(field, ("", ()))
        widest = max([_text_px(t(f"{prefix}.{code}", lang), 0.55) for code in codes],
                     default=0)
        min_px = max(COLUMN_MIN_PX.get(field, 0), widest + _CELL_PAD_PX,
                     _text_px(header) + _CELL_PAD_PX + _SORT_ICON_PX)
        columns.append({"field": field, "headerName": header, "minWidth": min_px,
                        "flex": COLUMN_FLEX.get(field, 1),
                        **({"cellClass": "num"} if field in NUMERIC_FIELDS else {})})
    return columns


GRID_TEXT: dict[str, str] = {  # AG Grid's own strings (its ``localeText`` keys) → catalog keys
    "page": "table.page", "to": "table.to", "of": "table.of",
    "firstPage": "table.first_page", "previousPage": "table.previous_page",
    "nextPage": "table.next_page", "lastPage": "table.last_page",
    "noRowsToShow": "table.empty", "loadingOoo": "table.loading",
    "ariaFilterInput": "table.filter",
}


def grid_locale(lang: str) -> dict[str, str]:
    """The grid's ``localeText``: its pagination, overlays and labels in the page's language."""
    return {key: t(text_key, lang) for key, text_key in GRID_TEXT.items()}


def _local(values: pd.Series) -> pd.Series:
    """``MM-DD HH:MM`` on the district's clock (sortable as text within a year)."""
    return as_utc_series(values).dt.tz_convert(LOCAL_TZ).dt.strftime("%m-%d %H:%M").fillna("")


def incident_rows(incidents: pd.DataFrame, names: Mapping[str, str], now: pd.Timestamp,
                  lang: str) -> list[dict[str, Any]]:
    """One row per incident, open ones first then newest first, at most ``TABLE_MAX_ROWS``."""
    if incidents.empty:
        return []
    frame = incidents.assign(_open=incidents["status"].isin(OPEN_STATUSES))
    frame = frame.sort_values(["_open", "reported_at"], ascending=False, kind="stable")
    frame = frame.head(TABLE_MAX_ROWS)
    due = as_utc_series(frame["sla_due_at"])
    overdue = frame["_open"] & (due < as_utc(now))
    return pd.DataFrame({
        "id": frame["id"], "title": incident_titles(frame, names, lang),
        "neighborhood": frame["neighborhood_id"].map(names).fillna(""),
        "source": frame["source"].map(lambda s: t(f"source.{s}", lang)),
        "level": frame["level"].map(lambda s: t(f"level.{s}", lang)),
        "status": frame["status"].map(lambda s: t(f"status.{s}", lang)),
        "reported": _local(frame["reported_at"]), "due": _local(frame["sla_due_at"]),
        "overdue": overdue.astype(bool),
    }).to_dict("records")


def ago(moment: pd.Timestamp, now: pd.Timestamp, lang: str) -> str:
    """How long ago, in the largest whole unit (``3 分钟前`` / ``3 min ago``)."""
    return age_text((as_utc(now) - as_utc(moment)).total_seconds(), lang)


def age_text(seconds: float, lang: str) -> str:
    """An age in the largest whole unit; under a minute is "just now"."""
    minutes = int(max(seconds, 0) // 60)
    if minutes < 1:
        return t("feed.just_now", lang)
    if minutes < 60:
        return t("feed.minutes_ago", lang, n=minutes)
    if minutes < 48 * 60:
        return t("feed.hours_ago", lang, n=minutes // 60)
    return t("feed.days_ago", lang, n=minutes // (24 * 60))


@dataclass(frozen=True)
class FeedItem:
    """One line of the live feed: an open alarm or an open incident."""

    kind: str  # "alarm" | "incident"
    id: str
    label: str  # what happened (catalog text for alarms, the incident's title — data)
    place: str  # neighborhood name (data)
    tag: str  # severity or level label
    tone: str  # css modifier: critical | major | minor | property | committee | subdistrict
    ago: str
    at: pd.Timestamp
    flash: bool = False


def _alarm_items(alarms: pd.DataFrame, names: Mapping[str, str], now: pd.Timestamp,
                 lang: str) -> list[FeedItem]:
    fresh_after = as_utc(now) - pd.Timedelta(minutes=FLASH_MINUTES)
    return [FeedItem("alarm", row.id, rule_name(row.rule, lang),
                     names.get(row.neighborhood_id, ""), t(f"severity.{row.severity}", lang),
                     row.severity, ago(row.raised_at, now, lang), as_utc(row.raised_at),
                     row.severity == "critical" and as_utc(row.raised_at) >= fresh_after)
            for row in alarms.itertuples(index=False)]


def _incident_items(incidents: pd.DataFrame, names: Mapping[str, str], now: pd.Timestamp,
                    lang: str) -> list[FeedItem]:
    titles = incident_titles(incidents, names, lang)
    return [FeedItem("incident", row.id, title or t(f"source.{row.source}", lang),
                     _place_unless_named(names.get(row.neighborhood_id, ""), title),
                     t(f"level.{row.level}", lang),
                     row.level if row.level in LEVELS else "property",
                     ago(row.reported_at, now, lang), as_utc(row.reported_at))
            for row, title in zip(incidents.itertuples(index=False), titles, strict=True)]


def _place_unless_named(place: str, title: str | None) -> str:
    """The place, unless the title already names it (titles often end in the neighborhood)."""
    return "" if place and title and place in title else place


def feed_items(alarms: pd.DataFrame, incidents: pd.DataFrame, names: Mapping[str, str],
               now: pd.Timestamp, lang: str, limit: int = 12) -> list[FeedItem]:
    """Open alarms and open incidents merged, newest first, critical alarms ahead of ties."""
    items = (_alarm_items(alarms.head(limit), names, now, lang)
             + _incident_items(incidents.head(limit), names, now, lang))
    items.sort(key=lambda item: (item.at, item.tone == "critical"), reverse=True)
    return items[:limit]


@dataclass(frozen=True)
class Kpi:
    """One KPI tile: its key (stable, for tests), shown value, raw value and sub-line."""

    key: str
    value: str
    raw: float
    sub: str
    alert: bool = False
    levels: tuple[tuple[str, int], ...] = ()  # (level, open incidents): drawn as coloured dots


def kpis(summary: Mapping[str, Any], lang: str) -> list[Kpi]:
    """The five KPI tiles from ``summarize()``'s dict — the same figures as /api/v1/summary."""
    devices, alarms = summary["devices"], summary["alarms"]
    incidents, patrols = summary["incidents"], summary["patrols"]
    by_level = " · ".join(f"{t(f'level.{lv}', lang)} {incidents['open_by_level'].get(lv, 0)}"
                          for lv in LEVELS)
    critical = alarms["by_severity"].get("critical", 0)
    return [
        Kpi("online", f"{devices['online_share']:.1%}", devices["online_share"],
            t("kpi.online.sub", lang, n=f"{devices['total']:,}")),
        Kpi("alarms", f"{alarms['open']:,}", alarms["open"],
            t("kpi.alarms.sub", lang, n=critical), critical > 0),
        Kpi("incidents", f"{incidents['open']:,}", incidents["open"], by_level,
            levels=tuple((lv, int(incidents["open_by_level"].get(lv, 0))) for lv in LEVELS)),
        Kpi("sla", f"{incidents['sla_breaches']:,}", incidents["sla_breaches"],
            t("kpi.sla.sub", lang), incidents["sla_breaches"] > 0),
        Kpi("coverage", f"{patrols['coverage_share']:.1%}", patrols["coverage_share"],
            t("kpi.coverage.sub", lang, covered=patrols["segments_covered"],
              total=patrols["segments"])),
    ]


AUDIT_FIELDS: tuple[str, ...] = ("ts", "actor", "action", "subject", "reason", "ip")
AUDIT_FLEX = {"ts": 0, "actor": 1, "action": 1, "subject": 1, "reason": 2, "ip": 1}
AUDIT_SAMPLE = {"ts": "2026-01-01 00:00:00"}  # a column as wide as its widest value


def audit_columns(lang: str) -> list[dict[str, Any]]:
    """The audit grid's ``columnDefs``."""
    def width(field: str) -> int:
        header = _text_px(t(f"audit.col.{field}", lang)) + _SORT_ICON_PX
        return max(header, _text_px(AUDIT_SAMPLE.get(field, ""), 0.62)) + _CELL_PAD_PX

    return [{"field": f, "headerName": t(f"audit.col.{f}", lang), "minWidth": width(f),
             **({"flex": AUDIT_FLEX[f]} if AUDIT_FLEX[f] else {"width": width(f)})}
            for f in AUDIT_FIELDS]


def audit_rows(entries: list[dict[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Audit entries as grid rows: local time to the second, the action named in ``lang``
    (an action the catalog does not know is shown as its code)."""
    rows = []
    for entry in entries:
        when = pd.Timestamp(entry["ts"]).tz_convert(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S")
        key = f"audit.action.{entry['action']}"
        action = t(key, lang) if key in _CATALOG else entry["action"]
        rows.append({"ts": when, "actor": entry["actor"] or "", "action": action,
                     "subject": entry["subject"] or "", "reason": entry["reason"] or "",
                     "ip": entry["ip"] or ""})
    return rows


# --- the desk's road-chief board 双路长制 ---------------------------------------------------------

# field -> catalog key of its header (some shared with the details panel: one meaning, one key)
ZONE_BOARD_HEADERS: dict[str, str] = {
    "zone": "details.zone", "subdistrict": "details.subdistrict",
    "gov_chief": "details.gov_chief", "community_chief": "details.community_chief",
    "last_patrol": "details.last_patrol", "status": "table.col.status",
    "coverage": "board.col.coverage",
}
CHIEF_BOARD_HEADERS: dict[str, str] = {
    "chief": "role.road_chief", "role": "board.col.role", "zones": "board.col.zones",
    "patrols": "board.col.patrols", "km": "board.col.km", "last_patrol": "details.last_patrol",
}
BOARD_NUMERIC: frozenset[str] = frozenset({"last_patrol", "coverage", "patrols", "km"})
BOARD_FLEX: dict[str, float] = {"zone": 1.6, "zones": 1.6}


def board_columns(headers: Mapping[str, str], lang: str) -> list[dict[str, Any]]:
    """``columnDefs`` of a road-chief grid: each column at least as wide as its header."""
    return [{"field": field, "headerName": t(key, lang), "flex": BOARD_FLEX.get(field, 1),
             "minWidth": _text_px(t(key, lang)) + _CELL_PAD_PX + _SORT_ICON_PX,
             **({"cellClass": "num"} if field in BOARD_NUMERIC else {}),
             **({"cellClassRules": {"cell-overdue": "params.data.overdue"}}
                if field == "status" else {})}
            for field, key in headers.items()]


def zone_board_rows(board: pd.DataFrame, chiefs: Mapping[str, str],
                    subdistricts: Mapping[str, str], lang: str) -> list[dict[str, Any]]:
    """One row per zone of ``patrols.zone_board``, overdue ones first, then by name; ``chiefs``
    names the road chiefs (staff) by person id. ``overdue`` travels in each row for its style."""
    if board.empty:
        return []
    frame = board.sort_values(["overdue", "name"], ascending=[False, True], kind="stable")
    return pd.DataFrame({
        "id": frame["zone_id"], "zone": frame["name"].fillna(frame["zone_id"]),
        "subdistrict": _names_of(frame["subdistrict_id"], subdistricts),
        "gov_chief": _names_of(frame["gov_chief_id"], chiefs),
        "community_chief": _names_of(frame["community_chief_id"], chiefs),
        "last_patrol": _local(frame["last_patrol_end"]).replace("", t("board.never", lang)),
        "status": [t("board.overdue", lang) if late else
                   t("map.coverage.covered", lang) if pd.notna(last) else ""
                   for late, last in zip(frame["overdue"], frame["last_patrol_end"],
                                         strict=True)],
        "coverage": (frame["coverage_share"] * 100).round().astype(int),
        "overdue": frame["overdue"].astype(bool),
    }).to_dict("records")


def chief_board_rows(board: pd.DataFrame, chiefs: Mapping[str, str],
                     zones: Mapping[str, str], lang: str) -> list[dict[str, Any]]:
    """One row per road chief of ``patrols.chief_board``: name, role, zones by name, patrols
    and kilometres of the last 7 days, last patrol ever; most kilometres first."""
    if board.empty:
        return []
    frame = board.sort_values(["km", "chief_id"], ascending=[False, True], kind="stable")
    roles = {"gov": t("details.gov_chief", lang), "community": t("details.community_chief", lang)}
    return pd.DataFrame({
        "id": frame["chief_id"], "chief": [chiefs.get(c) or c for c in frame["chief_id"]],
        "role": frame["chief_role"].map(roles).fillna(""),
        "zones": [("、" if lang == "zh" else ", ").join(zones.get(z, z) for z in ids)
                  for ids in frame["zone_ids"]],
        "patrols": frame["patrols"].astype(int), "km": frame["km"].astype(float),
        "last_patrol": _local(frame["last_patrol_end"]).replace("", t("board.never", lang)),
    }).to_dict("records")


def _names_of(values: pd.Series, names: Mapping[str, str]) -> list[str]:
    """Each id's name ("" for a missing id or one without a name)."""
    return [names.get(v, "") if isinstance(v, str) else "" for v in values]
