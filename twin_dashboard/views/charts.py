"""Plotly figures of the screens: pure functions, figures (of domain results) in, figure out.

Nothing here draws a map or loads a style from elsewhere, so a figure never makes a network
request; colours come from ``theme.py`` so that a state looks the same on map and chart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from twin_dashboard.catalog import CATEGORY_BY_CODE, DEVICE_STATES, INCIDENT_SOURCES, LEVELS
from twin_dashboard.i18n import TEXT, t
from twin_dashboard.profiles import profile
from twin_dashboard.views.theme import (
    FONT_STACK,
    LEVEL_COLORS,
    STATE_COLORS,
    UI,
    Theme,
    hex_of,
)

# No mode bar at all: no plotly logo, no "edit in chart studio", no export that phones home.
GRAPH_CONFIG: dict[str, object] = {
    "displaylogo": False, "displayModeBar": False, "showEditInChartStudio": False,
    "showLink": False, "showSendToCloud": False, "responsive": True, "scrollZoom": False,
}
SOURCE_COLORS: dict[str, str] = {  # incident sources: distinct on both themes
    "visit": "#64d2ff", "inspection": "#5e5ce6", "sensor": "#30d158", "patrol": "#ffd60a",
    "hotline": "#ff9f0a", "resident": "#bf5af2",
}


@dataclass(frozen=True)
class ChartStyle:
    """How a figure is drawn on one screen: theme, base font size (px), category cap."""

    theme: Theme = "light"
    font_px: int = 13
    top_categories: int | None = None
    lang: str = "zh"


def chart_style(screen: str, width: int | None, lang: str) -> ChartStyle:
    """The style for ``screen`` at a viewport ``width``: fonts read from afar grow with it."""
    shown = profile(screen)
    font = max(18, round((width or 1920) * 0.0068)) if shown.far else 13
    return ChartStyle(shown.theme, font, shown.top_categories, lang)


def _layout(style: ChartStyle, **extra: object) -> dict[str, object]:
    ui = UI[style.theme]
    axis = {"gridcolor": ui["grid"], "zerolinecolor": ui["grid"], "linecolor": ui["grid"],
            "tickfont": {"size": style.font_px}, "automargin": True}
    layout: dict[str, object] = {
        "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": FONT_STACK, "color": ui["text"], "size": style.font_px},
        "margin": {"l": 8, "r": 16, "t": 8, "b": 8}, "xaxis": dict(axis), "yaxis": dict(axis),
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0,
                   "font": {"size": style.font_px}, "bgcolor": "rgba(0,0,0,0)"},
        "hoverlabel": {"font": {"family": FONT_STACK}}, "bargap": 0.25, "uirevision": "keep",
    }
    layout.update(extra)
    return layout


def empty_figure(style: ChartStyle) -> go.Figure:
    """A blank figure saying there is nothing to show (no axes)."""
    hidden = {"visible": False}
    note = {"text": t("chart.empty", style.lang), "showarrow": False, "x": 0.5, "y": 0.5,
            "xref": "paper", "yref": "paper", "font": {"size": style.font_px * 1.2}}
    return go.Figure(layout=_layout(style, xaxis=hidden, yaxis=hidden, annotations=[note]))


def funnel_figure(funnel: Mapping[str, Mapping[str, float]], style: ChartStyle) -> go.Figure:
    """Resolved incidents by final level (property → committee → subdistrict), with shares."""
    counts = [int(funnel.get(level, {}).get("count", 0)) for level in LEVELS]
    if not sum(counts):
        return empty_figure(style)
    shares = [float(funnel.get(level, {}).get("share", 0.0)) for level in LEVELS]
    trace = go.Funnel(
        y=[t(f"level.{level}", style.lang) for level in LEVELS], x=counts,
        text=[f"{n:,}  ·  {s:.1%}" for n, s in zip(counts, shares, strict=True)],
        # Small bars carry their label outside: plotly would shrink it unreadably inside.
        textinfo="text", textposition=["inside" if s >= 0.3 else "outside" for s in shares],
        cliponaxis=False,
        insidetextfont={"size": style.font_px, "color": "#ffffff"},
        outsidetextfont={"size": style.font_px, "color": UI[style.theme]["text"]},
        marker={"color": [hex_of(LEVEL_COLORS[level]) for level in LEVELS]},
        connector={"fillcolor": UI[style.theme]["grid"]}, hoverinfo="y+x",
    )
    return go.Figure(trace, layout=_layout(style, showlegend=False))


def category_name(code: str, lang: str) -> str:
    category = CATEGORY_BY_CODE.get(code)
    if category is None:
        return t("chart.other", lang)
    return category.en if lang == "en" else category.zh


TROUBLE_STATES: tuple[str, ...] = tuple(s for s in DEVICE_STATES if s != "normal")


def _trouble_first(by_category: pd.DataFrame, top: int | None) -> pd.DataFrame:
    """Categories ordered by devices not normal (most at the top), cut to ``top`` if given."""
    trouble = by_category[list(TROUBLE_STATES)].sum(axis=1)
    order = trouble[trouble > 0].sort_values(ascending=False, kind="stable").index
    picked = by_category.loc[order[:top] if top else order]
    return picked.iloc[::-1]  # plotly draws the first row at the bottom


def device_state_figure(by_category: Mapping[str, Mapping[str, int]],
                        style: ChartStyle) -> go.Figure:
    """Devices not normal per category, stacked by state in the theme's state colours.

    Normal devices are left out: at ~97 % they would flatten every other state to a sliver.
    Each bar's hover carries the category's total.
    """
    frame = pd.DataFrame(by_category).T.reindex(columns=list(DEVICE_STATES)).fillna(0)
    frame = _trouble_first(frame, style.top_categories)
    if frame.empty:
        return empty_figure(style)
    names = [category_name(code, style.lang) for code in frame.index]
    totals = frame.sum(axis=1).astype(int).to_numpy()
    traces = [
        go.Bar(y=names, x=frame[state], name=t(f"state.{state}", style.lang), orientation="h",
               marker={"color": hex_of(STATE_COLORS[state]), "line": {"width": 0}},
               customdata=totals,
               hovertemplate="%{y}: %{x:,} / %{customdata:,}<extra>%{fullData.name}</extra>")
        for state in TROUBLE_STATES
    ]
    # The card carries the state legend (the same colours as the map): no second one here.
    return go.Figure(traces, layout=_layout(style, barmode="stack", showlegend=False))


def rule_name(rule: str, lang: str) -> str:
    """A device category's name, or an elderly-care rule's (by its leading word)."""
    if rule in CATEGORY_BY_CODE:
        return category_name(rule, lang)
    for key in (f"rule.{rule}", f"rule.{rule.split('_')[0]}"):
        if key in TEXT:
            return t(key, lang)
    stem = "_".join(rule.split("_")[:2])
    return t(f"rule.{stem}", lang) if f"rule.{stem}" in TEXT else t("rule.other", lang)


def alarm_figure(by_rule: Mapping[str, int], style: ChartStyle, top: int = 8) -> go.Figure:
    """Open alarms by rule (device category or elderly-care rule), the most frequent on top."""
    counts: dict[str, int] = {}
    for rule, n in by_rule.items():
        name = rule_name(rule, style.lang)
        counts[name] = counts.get(name, 0) + int(n)
    if not sum(counts.values()):
        return empty_figure(style)
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])[:top][::-1]
    trace = go.Bar(y=[k for k, _ in ranked], x=[v for _, v in ranked], orientation="h",
                   marker={"color": hex_of(STATE_COLORS["alarm"])}, text=[v for _, v in ranked],
                   textposition="outside", cliponaxis=False,
                   hovertemplate="%{y}: %{x:,}<extra></extra>")
    return go.Figure(trace, layout=_layout(style, showlegend=False))


def incident_trend_figure(over_time: pd.DataFrame, style: ChartStyle) -> go.Figure:
    """Incidents reported per day, stacked by source (index: period starts)."""
    if over_time.empty or not over_time.to_numpy().sum():
        return empty_figure(style)
    days = [stamp.strftime("%Y-%m-%d") for stamp in over_time.index]
    traces = [
        go.Bar(x=days, y=over_time[source], name=t(f"source.{source}", style.lang),
               marker={"color": SOURCE_COLORS[source], "line": {"width": 0}},
               hovertemplate="%{x}: %{y:,}<extra>%{fullData.name}</extra>")
        for source in INCIDENT_SOURCES if source in over_time
    ]
    # Numeric month-day ticks: no month names, so no English on a Chinese screen.
    layout = _layout(style, barmode="stack", bargap=0.15)
    layout["xaxis"] = {**layout["xaxis"], "type": "date", "tickformat": "%m-%d"}  # type: ignore
    return go.Figure(traces, layout=layout)


def coverage_figure(zones: pd.DataFrame, style: ChartStyle, top: int = 12) -> go.Figure:
    """Hours since each zone's last patrol against its target; overdue zones first."""
    if zones.empty:
        return empty_figure(style)
    frame = zones.assign(hours=zones["hours_since"].fillna(zones["target_hours"] * 2))
    frame = frame.assign(late=frame["hours"] / frame["target_hours"]).sort_values(
        "late", ascending=False, kind="stable").head(top).iloc[::-1]
    covered = frame["covered"].astype(bool)
    colors = [hex_of(STATE_COLORS["normal" if c else "alarm"]) for c in covered]
    trace = go.Bar(y=frame["name"].fillna(frame["zone_id"]), x=frame["hours"].round(1),
                   orientation="h", marker={"color": colors}, showlegend=False,
                   hovertemplate="%{y}: %{x}<extra></extra>")
    targets = go.Scatter(y=frame["name"].fillna(frame["zone_id"]), x=frame["target_hours"],
                         mode="markers", name=t("details.target", style.lang),
                         marker={"symbol": "line-ns-open", "size": style.font_px * 1.4,
                                 "line": {"width": 3, "color": UI[style.theme]["text"]}})
    layout = _layout(style, showlegend=True)
    layout["xaxis"] = {**layout["xaxis"],  # type: ignore[dict-item]
                       "title": {"text": t("chart.hours_since", style.lang)}}
    return go.Figure([trace, targets], layout=layout)
