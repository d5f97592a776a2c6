"""Page-level behaviour: `/` picks a screen by the viewport; the tab title follows `lang`."""

from __future__ import annotations

import json

from dash import Dash, Input, Output

from twin_dashboard.i18n import LANGS, t
from twin_dashboard.layouts import ids
from twin_dashboard.layouts.pages import PICKER_LOCATION, SCREENS

PICK_SCREEN = """
function(pathname) {
    const w = window.innerWidth, h = window.innerHeight;
    const screen = w > 1920 ? "wall"
        : (Math.min(w, h) <= 820 || (navigator.maxTouchPoints > 0 && w <= 1366)) ? "tablet"
        : "desk";
    return "/" + screen + window.location.search;
}
"""

# Dash's page title is fixed per page; the language comes from the query, so set it here.
SET_TITLE = """
function(screen) {
    const titles = %s;
    if (screen && titles[screen.lang]) {
        document.title = titles[screen.lang][screen.screen] || document.title;
    }
    return window.dash_clientside.no_update;
}
"""


def _titles() -> dict[str, dict[str, str]]:
    return {lang: {s: f"{t('app.title', lang)} · {t('screen.' + s, lang)}" for s in SCREENS}
            for lang in LANGS}


def register(app: Dash) -> None:
    app.clientside_callback(PICK_SCREEN, Output(PICKER_LOCATION, "href"),
                            Input(PICKER_LOCATION, "pathname"))
    app.clientside_callback(SET_TITLE % json.dumps(_titles(), ensure_ascii=False),
                            Output(ids.SCREEN, "id"), Input(ids.SCREEN, "data"))
