"""Page-level behaviour: `/` picks a screen by the viewport's size."""

from __future__ import annotations

from dash import Dash, Input, Output

from twin_dashboard.layouts.pages import PICKER_LOCATION

PICK_SCREEN = """
function(pathname) {
    const w = window.innerWidth, h = window.innerHeight;
    const screen = w > 1920 ? "wall"
        : (Math.min(w, h) <= 820 || (navigator.maxTouchPoints > 0 && w <= 1366)) ? "tablet"
        : "desk";
    return "/" + screen + window.location.search;
}
"""


def register(app: Dash) -> None:
    app.clientside_callback(PICK_SCREEN, Output(PICKER_LOCATION, "href"),
                            Input(PICKER_LOCATION, "pathname"))
