"""What the asset scripts learn from the page: ``ids.CLIENT_CONFIG``, one small store.

``assets/twin_map.js`` and ``assets/live.js`` take it as a ``State`` of their clientside
callbacks (``callbacks/map.py``, ``callbacks/live.py``) and hard-code no element id: the ids they
talk to are the constants of ``ids.py``, under the names below. ``test_hooks`` (the server's
``Settings.test_hooks``, ``serve --test-hooks``) asks them to install ``window.twinMap`` and
``window.twinLive`` for the browser tests and the benchmarks; a page served without has neither.
"""

from __future__ import annotations

from typing import Any

from dash import dcc

from twin_dashboard.layouts import ids

# name in the scripts -> element id
JS_IDS: dict[str, str] = {
    "map": ids.TWIN_MAP,  # twin_map.js: the container deck.gl draws into
    "pick": ids.MAP_PICK,  # twin_map.js: a click's pick goes to Dash here
    "legend": ids.MAP_LEGEND,  # twin_map.js: the camera fit leaves room for the legend
    "detail_ask": ids.MAP_DETAIL_ASK,  # twin_map.js: zoomed in on an aggregated scope
    "selection": ids.SELECTION,  # live.js: re-set when the stream says `reset`
    "event": ids.LIVE_EVENT,  # live.js: events that raise or change alarms
    "status": ids.LIVE_STATUS,  # live.js: stream health and per-source freshness
    "figures": ids.LIVE_FIGURES,  # live.js: KPIs and charts follow a few s after alarms
    "feed": ids.ALARM_FEED,  # live.js: watched for an alarm's line (test hooks' marks)
}


def client_config(test_hooks: bool = False) -> dict[str, Any]:
    """The data of ``ids.CLIENT_CONFIG``."""
    return {"ids": dict(JS_IDS), "test_hooks": test_hooks}


def client_store(test_hooks: bool = False) -> dcc.Store:
    return dcc.Store(id=ids.CLIENT_CONFIG, data=client_config(test_hooks))
