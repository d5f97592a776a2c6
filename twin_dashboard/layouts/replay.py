"""The replay bar (issue 10): one component for the desk and the wall.

A slider over the last 90 days (minutes before now; 0 is live), play / pause, speed, the moment
shown and 回到实时 / Back to live. ``assets/replay.js`` does the stepping: it fetches each step's
delta (``GET /api/v1/replay/delta``) and applies it to the map the page has, holds live events
while replaying, and sets ``ids.REPLAY_AT``, which the KPI and chart callbacks read. The bar
says 回放中 / REPLAY in a colour of its own while it shows the past. On the wall (no pointer)
only the banner shows; ``?replay=24h`` in a wall's URL loops the last 24 hours.
"""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from twin_dashboard.domain.replay import REPLAY_DAYS
from twin_dashboard.i18n import t
from twin_dashboard.layouts import ids

STEP_MINUTES = 15  # replay minutes per second at 1×
SPEEDS: tuple[int, ...] = (1, 4, 16)  # 15 min, 1 h, 4 h of replay per second
MARK_DAYS: tuple[int, ...] = (90, 60, 30)  # the last week is too narrow for more labels
JS_IDS: dict[str, str] = {
    "bar": ids.REPLAY_BAR, "slider": ids.REPLAY_SLIDER, "play": ids.REPLAY_PLAY,
    "at": ids.REPLAY_AT, "live": ids.REPLAY_LIVE,
}


SPEED_CLASS = "replay-speed"  # the speed choice's class, given back by the script's callback


def replay_config(lang: str) -> dict[str, Any]:
    """The data of ``ids.REPLAY_CONFIG``: what assets/replay.js needs, no element id in it."""
    keys = ("banner", "live_badge", "play", "pause", "failed")
    return {"ids": dict(JS_IDS), "days": REPLAY_DAYS, "step_minutes": STEP_MINUTES,
            "lang": lang, "text": {k: t(f"replay.{k}", lang) for k in keys},
            "speed_class": SPEED_CLASS}


def replay_bar(lang: str) -> html.Div:
    """The bar, live at first: the banner reads 实时 / LIVE until the slider moves."""
    minutes = REPLAY_DAYS * 24 * 60
    marks = {-d * 24 * 60: t("replay.days_ago", lang, n=d) for d in MARK_DAYS}
    marks[0] = t("replay.now", lang)
    return html.Div([
        dcc.Store(id=ids.REPLAY_AT, data=None),
        dcc.Store(id=ids.REPLAY_CONFIG, data=replay_config(lang)),
        html.Div([html.Span(t("replay.live_badge", lang), className="replay-badge"),
                  html.Span(className="replay-time datum")],
                 className="replay-banner", role="status", **{"aria-live": "polite"}),
        html.Div([
            html.Button(t("replay.play", lang), id=ids.REPLAY_PLAY, n_clicks=0, type="button",
                        className="btn btn-ghost replay-play"),
            html.Div(dcc.Slider(id=ids.REPLAY_SLIDER, min=-minutes, max=0, step=5, value=0,
                                marks=marks, included=False, updatemode="mouseup",
                                allow_direct_input=False),
                     className="replay-slider", title=t("replay.title", lang)),
            dcc.RadioItems(id=ids.REPLAY_SPEED, value=1, inline=True,
                           options=[{"label": f"{s}×", "value": s} for s in SPEEDS],
                           className=SPEED_CLASS, inputClassName="replay-speed-input"),
            html.Button(t("replay.back", lang), id=ids.REPLAY_LIVE, n_clicks=0, type="button",
                        className="btn btn-primary replay-live"),
        ], className="replay-controls"),
    ], id=ids.REPLAY_BAR, className="replay-bar is-live")
