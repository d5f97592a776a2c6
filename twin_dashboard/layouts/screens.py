"""Builds a screen from the shared components (placeholder until the screens land)."""

from __future__ import annotations

from dash import html

from twin_dashboard.i18n import t
from twin_dashboard.layouts import ids


def build(screen: str, *, subdistrict: str | None, neighborhood: str | None, lang: str,
          rotate: str | None) -> html.Div:
    return html.Div([html.H1(t("app.title", lang)), html.Div(id=ids.TWIN_MAP)],
                    className=f"screen screen-{screen}")
