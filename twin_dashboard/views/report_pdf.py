"""A report as a PDF: two A4 pages drawn with fpdf2, the CJK font embedded, charts as images.

Why fpdf2: it embeds (and subsets) the OpenType/CFF outlines of Debian's ``fonts-noto-cjk``
straight from its ``.ttc`` collection — reportlab embeds only TrueType outlines, so it would
need another font — and it needs no browser for the text. A report with the 3 charts of
``views/report_charts.py`` is ≈ 0.2 MB; the text without charts takes ≈ 0.3 s.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from io import BytesIO
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from twin_dashboard.catalog import INCIDENT_SOURCES, INCIDENT_STATUSES, LEVELS, VISIT_KINDS
from twin_dashboard.domain.reports import Report, change, narrative
from twin_dashboard.domain.time import LOCAL_TZ
from twin_dashboard.i18n import t
from twin_dashboard.views.charts import category_name, rule_name

FONT_PACKAGE = "fonts-noto-cjk"
FONT_DIRS = (Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/opentype/noto-cjk"),
             Path("/usr/share/fonts/truetype/noto"))
FONT_FILES = {"": "NotoSansCJK-Regular.ttc", "B": "NotoSansCJK-Bold.ttc"}
FONT_FAMILY = "Noto Sans CJK SC"
FONT = "cjk"
ZONES_SHOWN = 8  # the least covered zones on paper (all of them in the XLSX)
CHIEFS_SHOWN = 8
RULES_SHOWN = 8
INK, GREY, RULE = (33, 37, 41), (110, 117, 125), (222, 226, 230)
HEADING = FontFace(emphasis="BOLD", fill_color=(238, 241, 245))


class FontMissing(RuntimeError):
    """The CJK font is not installed; the message names the Debian package."""


def cjk_font(style: str = "") -> tuple[Path, int]:
    """The installed Noto Sans CJK file for ``style`` ("" or "B") and the index of its
    Simplified Chinese face in the collection; ``FontMissing`` naming the package otherwise.
    (Looked up per report: reading the collection's name tables lazily takes milliseconds.)"""
    from fontTools.ttLib import TTCollection

    for folder in FONT_DIRS:
        path = folder / FONT_FILES[style]
        if path.is_file():
            for index, face in enumerate(TTCollection(str(path), lazy=True).fonts):
                if face["name"].getDebugName(1) == FONT_FAMILY:
                    return path, index
    raise FontMissing(f"reports need the CJK font {FONT_FAMILY!r}: install the Debian package "
                      f"{FONT_PACKAGE!r} (scripts/setup does)")


def render_pdf(report: Report, lang: str, charts: Sequence[bytes] = ()) -> bytes:
    """The report in ``lang`` as PDF bytes; ``charts`` are PNG images laid out in one row."""
    pdf = _document(report, lang)
    _header(pdf, report, lang)
    _kpis(pdf, report, lang)
    _heading(pdf, t("report.narrative", lang))
    pdf.set_font(FONT, size=9)
    pdf.multi_cell(0, 5, "".join(narrative(report, lang)) if lang == "zh"
                   else " ".join(narrative(report, lang)), align="L", new_x="LMARGIN",
                   new_y="NEXT")
    if charts:
        _charts(pdf, charts, lang)
    _incidents(pdf, report, lang)
    _side_by_side(pdf, lambda: _sla(pdf, report, lang), lambda: _alarms(pdf, report, lang))
    pdf.add_page()
    _zones(pdf, report, lang)
    _side_by_side(pdf, lambda: _chiefs(pdf, report, lang),
                  lambda: (_visits(pdf, report, lang), _funnel(pdf, report, lang)))
    _offline(pdf, report, lang)
    out = BytesIO()
    pdf.output(out)
    return out.getvalue()


def report_title(report: Report, lang: str) -> str:
    place = report.place_name(lang) or (report.district or "")
    return t("report.doc_title", lang, place=place, kind=t(f"report.{report.period.kind}", lang))


def _document(report: Report, lang: str) -> FPDF:
    pdf = FPDF(format="A4")
    pdf.set_margins(12, 12, 12)
    pdf.set_auto_page_break(True, 12)
    for style in FONT_FILES:
        path, index = cjk_font(style)
        pdf.add_font(FONT, style, str(path), collection_font_number=index)
    pdf.set_title(report_title(report, lang))
    pdf.set_creator("twin-dashboard")
    pdf.set_lang("zh-CN" if lang == "zh" else "en")
    pdf.add_page()
    pdf.set_text_color(*INK)
    pdf.set_draw_color(*RULE)
    return pdf


def _header(pdf: FPDF, report: Report, lang: str) -> None:
    period = report.period
    pdf.set_font(FONT, "B", 17)
    pdf.cell(0, 9, report_title(report, lang), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=10)
    pdf.cell(0, 6, t(f"report.period.{period.kind}", lang, first=period.first_day.isoformat(),
                     last=period.last_day.isoformat()), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=7.5)
    pdf.set_text_color(*GREY)
    as_of = report.as_of.tz_convert(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    pdf.cell(0, 5, t("report.made", lang, as_of=as_of), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.ln(2)


def kpi_tiles(report: Report, lang: str) -> list[tuple[str, str, str]]:
    """(label, value, note) of the six headline figures; values as the summary has them."""
    s = report.summary
    now, before = report.received
    moved = change(now, before)
    return [
        (t("report.received", lang), f"{now}",
         f"{t('report.previous', lang)} {before}"
         + ("" if moved is None else f" · {moved:+.0%}")),
        (t("kpi.incidents", lang), f"{s['incidents']['open']}", ""),
        (t("kpi.sla", lang), f"{s['incidents']['sla_breaches']}", ""),
        (t("kpi.alarms", lang), f"{s['alarms']['open']}", ""),
        (t("kpi.online", lang), f"{s['devices']['online_share']:.1%}",
         t("kpi.online.sub", lang, n=s["devices"]["total"])),
        (t("kpi.coverage", lang), f"{s['patrols']['coverage_share']:.1%}",
         t("kpi.coverage.sub", lang, covered=s["patrols"]["segments_covered"],
           total=s["patrols"]["segments"])),
    ]


def _kpis(pdf: FPDF, report: Report, lang: str) -> None:
    tiles = kpi_tiles(report, lang)
    width = pdf.epw / len(tiles)
    top = pdf.get_y()
    for i, (label, value, note) in enumerate(tiles):
        x = pdf.l_margin + i * width
        pdf.rect(x + 0.5, top, width - 1, 20)
        pdf.set_xy(x + 2, top + 1.5)
        pdf.set_font(FONT, size=7.5)
        pdf.set_text_color(*GREY)
        pdf.cell(width - 4, 4, label)
        pdf.set_xy(x + 2, top + 6)
        pdf.set_font(FONT, "B", 15)
        pdf.set_text_color(*INK)
        pdf.cell(width - 4, 8, value)
        pdf.set_xy(x + 2, top + 14.5)
        pdf.set_font(FONT, size=6.5)
        pdf.set_text_color(*GREY)
        pdf.cell(width - 4, 4, note)
    pdf.set_text_color(*INK)
    pdf.set_xy(pdf.l_margin, top + 23)


def _heading(pdf: FPDF, text: str) -> None:
    pdf.set_font(FONT, "B", 10.5)
    pdf.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")


def _charts(pdf: FPDF, charts: Sequence[bytes], lang: str) -> None:
    pdf.ln(1)
    titles = ("report.chart.sources", "report.chart.funnel", "report.chart.alarms")
    width = pdf.epw / len(charts)
    top = pdf.get_y()
    pdf.set_font(FONT, "B", 8.5)
    for i, png in enumerate(charts):
        x = pdf.l_margin + i * width
        pdf.set_xy(x, top)
        pdf.cell(width, 5, t(titles[i], lang) if i < len(titles) else "")
        pdf.image(BytesIO(png), x=x + 1, y=top + 5, w=width - 2)
    pdf.set_xy(pdf.l_margin, top + 5 + (width - 2) * 400 / 560 + 2)


def _table(pdf: FPDF, header: Sequence[str], rows: Iterable[Sequence[object]],
           widths: Sequence[float], width: float | None = None, text: int = 1) -> None:
    """A table whose first ``text`` columns are text (left) and the rest figures (right)."""
    pdf.set_font(FONT, size=7.5)
    with pdf.table(col_widths=tuple(widths), width=width or pdf.epw, align="LEFT",
                   line_height=4.3, headings_style=HEADING, borders_layout="HORIZONTAL_LINES",
                   text_align=("LEFT",) * text + ("RIGHT",) * (len(header) - text)) as table:
        table.row([str(h) for h in header])
        for row in rows:
            table.row(["" if v is None else str(v) for v in row])
    pdf.ln(1.5)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:+.0%}"


def _incidents(pdf: FPDF, report: Report, lang: str) -> None:
    _heading(pdf, t("report.incidents", lang))
    header = [t("report.dimension", lang), t("report.this", lang), t("report.previous", lang),
              t("report.change", lang)]
    left, right = [], []
    for key, pairs, values in (("source", report.by_source, INCIDENT_SOURCES),
                               ("level", report.by_level, LEVELS),
                               ("status", report.by_status, INCIDENT_STATUSES)):
        rows = [(t(f"{key}.{v}", lang), *pairs[v], _pct(change(*pairs[v]))) for v in values]
        (left if key == "source" else right).extend(rows)
    total = (t("report.received", lang), *report.received, _pct(change(*report.received)))
    _side_by_side(pdf, lambda: _table(pdf, header, [total, *left], (4, 2, 2, 2), pdf.epw),
                  lambda: _table(pdf, header, right, (4, 2, 2, 2), pdf.epw))


def _side_by_side(pdf: FPDF, left, right, gap: float = 6) -> None:
    """Draw ``left`` in the left half and ``right`` in the right half, from the same top."""
    top, margin, half = pdf.get_y(), pdf.r_margin, (pdf.epw - gap) / 2
    pdf.set_right_margin(pdf.w - pdf.l_margin - half)
    left()
    bottom = pdf.get_y()
    pdf.set_right_margin(margin)
    old_left = pdf.l_margin
    pdf.set_left_margin(old_left + half + gap)
    pdf.set_xy(pdf.l_margin, top)
    right()
    bottom = max(bottom, pdf.get_y())
    pdf.set_left_margin(old_left)
    pdf.set_xy(old_left, bottom)


def _sla(pdf: FPDF, report: Report, lang: str) -> None:
    _heading(pdf, t("report.sla", lang, total=report.summary["incidents"]["sla_breaches"],
                    n=len(report.sla_worst)))
    names = report.places.in_lang(lang).neighborhoods
    rows = [(f"{r['id']} {r['title']}", names.get(r["neighborhood_id"], ""),
             f"{r['overdue_hours']:.1f}") for r in report.sla_worst]
    _table(pdf, [t("report.subject", lang), t("table.col.neighborhood", lang),
                 t("report.overdue_h", lang)], rows, (5, 2.6, 2.4), text=2)


def _alarms(pdf: FPDF, report: Report, lang: str) -> None:
    a = report.alarms
    _heading(pdf, t("report.alarms", lang))
    rows = [(rule_name(rule, lang), n) for rule, n in list(a["by_rule"].items())[:RULES_SHOWN]]
    rows += [(t("report.raised", lang), a["raised"]),
             (t("alarm_status.acknowledged", lang), a["acked"]),
             (t("report.ack_mean", lang), "–" if a["ack_mean_min"] is None
              else f"{a['ack_mean_min']:.1f}"),
             (t("report.ack_median", lang), "–" if a["ack_median_min"] is None
              else f"{a['ack_median_min']:.1f}")]
    _table(pdf, [t("report.rule", lang), t("chart.count", lang)], rows, (4, 1.5))


def least_covered(report: Report, n: int = ZONES_SHOWN) -> list[dict]:
    return sorted(report.zones, key=lambda z: (z["coverage_share"], z["zone_id"]))[:n]


def fewest_patrols(report: Report, n: int = CHIEFS_SHOWN) -> list[dict]:
    return sorted(report.chiefs, key=lambda c: (c["patrols"], c["km"], c["chief_id"]))[:n]


def _zones(pdf: FPDF, report: Report, lang: str) -> None:
    zones = least_covered(report)
    _heading(pdf, t("report.zones.worst", lang, n=len(zones)))
    yes, no = t("report.yes", lang), t("report.no", lang)
    rows = [(z["name"], z["gov_chief"], z["community_chief"], z["patrols"],
             yes if z["overdue"] else no, f"{z['segments_covered']}/{z['segments']}",
             f"{z['coverage_share']:.1%}") for z in zones]
    _table(pdf, [t("report.zone", lang), t("details.gov_chief", lang),
                 t("details.community_chief", lang), t("board.col.patrols", lang),
                 t("report.overdue", lang), t("report.segments", lang),
                 t("report.share", lang)], rows, (5, 2.5, 2.5, 1.6, 1.3, 1.8, 1.6), text=3)


def _chiefs(pdf: FPDF, report: Report, lang: str) -> None:
    chiefs = fewest_patrols(report)
    _heading(pdf, t("report.chiefs.top", lang, n=len(chiefs)))
    rows = [(c["name"], t(f"report.chief.{c['role']}", lang), c["patrols"], f"{c['km']:.1f}")
            for c in chiefs]
    _table(pdf, [t("report.chief", lang), t("board.col.role", lang),
                 t("board.col.patrols", lang), t("report.km", lang)], rows, (3, 2, 2, 1.6), text=2)


def _visits(pdf: FPDF, report: Report, lang: str) -> None:
    _heading(pdf, t("report.visits", lang))
    rows = [(t(f"source.{k}", lang), *report.visits[k], _pct(change(*report.visits[k])))
            for k in VISIT_KINDS]
    rows.append((t("report.failed", lang), report.visit_findings_failed, "", ""))
    _table(pdf, [t("board.col.role", lang), t("report.this", lang), t("report.previous", lang),
                 t("report.change", lang)], rows, (3, 1.6, 1.6, 1.6))


def _funnel(pdf: FPDF, report: Report, lang: str) -> None:
    _heading(pdf, t("report.funnel", lang))
    funnel = report.summary["incidents"]["funnel"]
    rows = [(t(f"level.{lv}", lang), funnel[lv]["count"], f"{funnel[lv]['share']:.1%}")
            for lv in LEVELS]
    _table(pdf, [t("table.col.level", lang), t("chart.count", lang), t("report.share", lang)],
           rows, (3, 2, 2))


def _offline(pdf: FPDF, report: Report, lang: str) -> None:
    _heading(pdf, t("report.offline", lang))
    names = report.places.in_lang(lang).neighborhoods
    rows = [(d["device_id"], category_name(d["category"], lang),
             names.get(d["neighborhood_id"], d["neighborhood_id"] or ""),
             t("report.never", lang) if d["last_seen"] is None
             else d["last_seen"].tz_convert(LOCAL_TZ).strftime("%m-%d %H:%M"),
             "–" if d["hours"] is None else f"{d['hours']:.1f}") for d in report.offline]
    _table(pdf, [t("report.device", lang), t("details.category", lang),
                 t("table.col.neighborhood", lang),
                 t("report.last_seen", lang), t("report.hours_off", lang)], rows,
           (2.2, 2.2, 2.2, 2, 1.6), text=3)
