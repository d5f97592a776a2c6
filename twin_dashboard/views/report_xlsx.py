"""A report as an Excel workbook (openpyxl): one sheet per table, numbers stored as numbers.

Headers are in the report's language; shares are fractions shown as percentages; every row of
the report is here (the PDF shows the worst few of the long tables).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from twin_dashboard.catalog import INCIDENT_SOURCES, INCIDENT_STATUSES, LEVELS, VISIT_KINDS
from twin_dashboard.domain.reports import Report, change, narrative
from twin_dashboard.domain.time import LOCAL_TZ
from twin_dashboard.i18n import t
from twin_dashboard.views.charts import category_name, rule_name
from twin_dashboard.views.report_pdf import report_title

PERCENT = "0.0%"


def render_xlsx(report: Report, lang: str) -> bytes:
    """The report in ``lang`` as XLSX bytes."""
    book = Workbook()
    _summary(book.active, report, lang)
    _incidents(_sheet(book, "map.layer.incidents", lang), report, lang)
    _funnel(_sheet(book, "report.sheet.funnel", lang), report, lang)
    names = report.places.in_lang(lang).neighborhoods
    _write(_sheet(book, "kpi.sla", lang),
           [t("report.id", lang), t("report.subject", lang), t("table.col.neighborhood", lang),
            t("table.col.level", lang), t("report.overdue_h", lang)],
           [(r["id"], r["title"], names.get(r["neighborhood_id"], r["neighborhood_id"]),
             t(f"level.{r['level']}", lang), r["overdue_hours"]) for r in report.sla_worst])
    _write(_sheet(book, "map.layer.alarms", lang), [t("report.rule", lang), t("chart.count", lang)],
           [(rule_name(rule, lang), n) for rule, n in report.alarms["by_rule"].items()])
    yes, no = t("report.yes", lang), t("report.no", lang)
    _write(_sheet(book, "map.layer.patrol_zones", lang),
           [t("report.zone", lang), t("details.gov_chief", lang),
            t("details.community_chief", lang), t("board.col.patrols", lang),
            t("report.overdue", lang), t("report.segments", lang), t("report.share", lang)],
           [(z["name"], z["gov_chief"], z["community_chief"], z["patrols"],
             yes if z["overdue"] else no, z["segments_covered"], z["coverage_share"])
            for z in report.zones], percent=(7,))
    _write(_sheet(book, "details.chiefs", lang),
           [t("report.chief", lang), t("board.col.role", lang), t("map.layer.patrol_zones", lang),
            t("board.col.patrols", lang), t("report.km", lang)],
           [(c["name"], t(f"report.chief.{c['role']}", lang), c["zones"], c["patrols"], c["km"])
            for c in report.chiefs])
    _write(_sheet(book, "report.sheet.visits", lang),
           [t("board.col.role", lang), t("report.this", lang), t("report.previous", lang),
            t("report.change", lang)],
           [*((t(f"source.{k}", lang), *report.visits[k], change(*report.visits[k]))
              for k in VISIT_KINDS),
            (t("report.failed", lang), report.visit_findings_failed, None, None)],
           percent=(4,))
    _write(_sheet(book, "report.sheet.offline", lang),
           [t("report.device", lang), t("details.category", lang),
                 t("table.col.neighborhood", lang),
            t("report.last_seen", lang), t("report.hours_off", lang)],
           [(d["device_id"], category_name(d["category"], lang),
             names.get(d["neighborhood_id"], d["neighborhood_id"]),
             None if d["last_seen"] is None
             else d["last_seen"].tz_convert(LOCAL_TZ).tz_localize(None).to_pydatetime(),
             d["hours"]) for d in report.offline])
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet(book: Workbook, key: str, lang: str) -> Worksheet:
    return book.create_sheet(t(key, lang))


def _write(sheet: Worksheet, header: Sequence[str], rows: Iterable[Sequence[object]],
           percent: Sequence[int] = (), start: int = 1) -> None:
    """``header`` in bold at row ``start``, then ``rows``; 1-based ``percent`` columns as %."""
    for col, text in enumerate(header, 1):
        sheet.cell(start, col, text).font = Font(bold=True)
        sheet.column_dimensions[sheet.cell(start, col).column_letter].width = \
            max(12, 2 * len(text) + 2)
    for r, row in enumerate(rows, start + 1):
        for col, value in enumerate(row, 1):
            cell = sheet.cell(r, col, value)
            if col in percent:
                cell.number_format = PERCENT
    sheet.freeze_panes = sheet.cell(start + 1, 1)


def _summary(sheet: Worksheet, report: Report, lang: str) -> None:
    """The title, the period, the headline figures (the summary's) and the narrative."""
    sheet.title = t("report.sheet.summary", lang)
    s, a, period = report.summary, report.alarms, report.period
    sheet["A1"] = report_title(report, lang)
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"] = t(f"report.period.{period.kind}", lang, first=period.first_day.isoformat(),
                    last=period.last_day.isoformat())
    sheet["A3"] = report.as_of.tz_convert(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    rows = [(t("report.received", lang), report.received[0]),
            (t("report.previous", lang), report.received[1]),
            (t("kpi.incidents", lang), s["incidents"]["open"]),
            (t("kpi.sla", lang), s["incidents"]["sla_breaches"]),
            (t("kpi.alarms", lang), s["alarms"]["open"]),
            (t("report.devices", lang), s["devices"]["total"]),
            (t("kpi.online", lang), s["devices"]["online_share"]),
            (t("kpi.coverage", lang), s["patrols"]["coverage_share"]),
            (t("report.raised", lang), a["raised"]),
             (t("alarm_status.acknowledged", lang), a["acked"]),
            (t("report.ack_mean", lang), a["ack_mean_min"]),
            (t("report.ack_median", lang), a["ack_median_min"])]
    _write(sheet, [t("report.item", lang), t("report.value", lang)], rows, start=5)
    for r in (12, 13):  # the two shares
        sheet.cell(r, 2).number_format = PERCENT
    sheet.column_dimensions["A"].width = 30
    for i, sentence in enumerate(narrative(report, lang), 5 + len(rows) + 2):
        sheet.cell(i, 1, sentence)


def _incidents(sheet: Worksheet, report: Report, lang: str) -> None:
    rows = [(t("report.received", lang), "", *report.received, change(*report.received))]
    for key, pairs, values in (("source", report.by_source, INCIDENT_SOURCES),
                               ("level", report.by_level, LEVELS),
                               ("status", report.by_status, INCIDENT_STATUSES)):
        rows += [(t(f"table.col.{key}", lang), t(f"{key}.{v}", lang), *pairs[v],
                  change(*pairs[v])) for v in values]
    _write(sheet, [t("report.dimension", lang), t("report.item", lang), t("report.this", lang),
                   t("report.previous", lang), t("report.change", lang)], rows, percent=(5,))


def _funnel(sheet: Worksheet, report: Report, lang: str) -> None:
    funnel, period = report.summary["incidents"]["funnel"], report.funnel
    _write(sheet, [t("table.col.level", lang), t("report.funnel", lang), t("report.share", lang),
                   t("report.funnel.period", lang), t("report.share", lang)],
           [(t(f"level.{lv}", lang), funnel[lv]["count"], funnel[lv]["share"],
             period[lv]["count"], period[lv]["share"]) for lv in LEVELS], percent=(3, 5))
