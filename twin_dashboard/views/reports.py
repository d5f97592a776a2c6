"""A report's file in the asked format: the one place that picks the PDF or XLSX renderer."""

from __future__ import annotations

from twin_dashboard.domain.reports import FORMATS, Report, ReportRefused
from twin_dashboard.views.report_charts import chart_images, report_figures
from twin_dashboard.views.report_pdf import render_pdf
from twin_dashboard.views.report_xlsx import render_xlsx

MEDIA_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def render_report(report: Report, fmt: str, lang: str, charts: bool = True) -> bytes:
    """The report as ``fmt`` (pdf | xlsx) bytes in ``lang``; a PDF with its charts unless
    ``charts`` is false (no browser needed then)."""
    if fmt == "pdf":
        images = chart_images(report_figures(report, lang)) if charts else []
        return render_pdf(report, lang, images)
    if fmt == "xlsx":
        return render_xlsx(report, lang)
    raise ReportRefused(f"format: {fmt!r} is not one of {', '.join(FORMATS)}")


def file_name(report: Report, fmt: str) -> str:
    """``daily-2026-03-01-district.pdf``, ``weekly-2026-02-23-subdistrict-beiwaitan.xlsx``."""
    scope = report.scope
    where = ("neighborhood-" + "-".join(sorted(scope.neighborhood_ids))
             if scope.neighborhood_ids is not None else
             "subdistrict-" + "-".join(sorted(scope.subdistrict_ids))
             if scope.subdistrict_ids is not None else "district")
    return f"{report.period.kind}-{report.period.first_day.isoformat()}-{where}.{fmt}"
