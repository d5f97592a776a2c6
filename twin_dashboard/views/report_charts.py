"""The charts of a report as PNG images: plotly figures drawn by kaleido in the system Chromium.

Why kaleido and not charts drawn by the PDF library: the report's charts are then the screens'
own plotly figures (``views/charts.py``: the funnel, alarms by rule) in the same colours and
fonts, not a second drawing of them. Measured on this 2-core machine (Debian Chromium, kaleido
1.5): starting the browser ≈ 2.4 s, then ≈ 0.2 s per figure — so one browser draws all of a
report's charts (:func:`chart_images`), ≈ 3 s per PDF, which a report made on demand or at night
can afford. kaleido is pointed at ``/usr/bin/chromium`` and at plotly's own ``plotly.min.js``,
with MathJax off: it never downloads a browser and the page it draws in makes no request.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Sequence
from pathlib import Path

import plotly
import plotly.graph_objects as go

from twin_dashboard.catalog import INCIDENT_SOURCES
from twin_dashboard.domain.reports import Report
from twin_dashboard.i18n import t
from twin_dashboard.views.charts import (
    SOURCE_COLORS,
    ChartStyle,
    _layout,
    alarm_figure,
    funnel_figure,
)

CHART_PX = (560, 400)  # width, height of each chart before the 2x scale
CHROMIUM_PACKAGE = "chromium"  # the Debian package kaleido draws with (scripts/setup)
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


class ChartsUnavailable(RuntimeError):
    """The charts cannot be drawn on this machine; the message names what to install."""


def report_figures(report: Report, lang: str) -> list[go.Figure]:
    """The report's charts: incidents received by source (this period beside the previous),
    the resolution funnel (as on the screens), this period's alarms by rule."""
    style = ChartStyle("light", 19, None, lang)
    return [source_figure(report, style),
            funnel_figure(report.summary["incidents"]["funnel"], style),
            alarm_figure(report.alarms["by_rule"], style, top=8)]


def source_figure(report: Report, style: ChartStyle) -> go.Figure:
    """Incidents received per source: this period solid, the previous one pale beside it."""
    names = [t(f"source.{s}", style.lang) for s in INCIDENT_SOURCES]
    colors = [SOURCE_COLORS[s] for s in INCIDENT_SOURCES]
    bars = [go.Bar(x=names, y=[report.by_source[s][1] for s in INCIDENT_SOURCES],
                   name=t("report.previous", style.lang), marker={"color": colors,
                                                                  "opacity": 0.35}),
            go.Bar(x=names, y=[report.by_source[s][0] for s in INCIDENT_SOURCES],
                   name=t("report.this", style.lang), marker={"color": colors},
                   text=[report.by_source[s][0] for s in INCIDENT_SOURCES],
                   textposition="outside", cliponaxis=False)]
    return go.Figure(bars, layout=_layout(style, barmode="group", showlegend=True))


def chromium_path() -> str:
    """The system Chromium; ``ChartsUnavailable`` naming the Debian package when missing."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        raise ChartsUnavailable(f"report charts need the system Chromium: install the Debian "
                                f"package {CHROMIUM_PACKAGE!r} (scripts/setup does)")
    return found


def chart_images(figures: Sequence[go.Figure], size: tuple[int, int] = CHART_PX
                 ) -> list[bytes]:
    """PNG bytes of each figure, drawn by one headless Chromium started for the batch.

    Runs its own event loop: call it from a worker thread (a sync route, the CLI, the
    scheduler), never from inside a running loop.
    """
    import kaleido  # imported here: starting the app needs neither kaleido nor a browser

    path = chromium_path()
    opts = {"format": "png", "width": size[0], "height": size[1], "scale": 2}

    async def draw() -> list[bytes]:
        async with kaleido.Kaleido(n=1, timeout=90, path=path, plotlyjs=str(PLOTLY_JS),
                                   mathjax=False) as browser:
            return [await browser.calc_fig(fig, opts=opts) for fig in figures]

    return asyncio.run(draw())
