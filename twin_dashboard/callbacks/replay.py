"""Time replay (issue 10): the replay bar's controls, wired to ``assets/replay.js``.

All stepping runs in the browser: each control's change goes to the script, which fetches the
step's delta (``GET /api/v1/replay/delta``, scoped by the server like every read), applies it to
the map, holds the live stream's map and feed updates while replaying, and sets
``ids.REPLAY_AT`` for the KPI and chart callbacks (``kpis.py``, ``charts.py``). Each clientside
callback has an output because Dash never runs a no-output callback for a new page.
"""

from __future__ import annotations

from dash import ClientsideFunction, Dash, Input, Output, State

from twin_dashboard.layouts import ids
from twin_dashboard.services import Services


def register(app: Dash, services: Services) -> None:
    app.clientside_callback(ClientsideFunction("twin_replay", "init"),
                            Output(ids.REPLAY_BAR, "data-scope"),
                            Input(ids.REPLAY_CONFIG, "data"), Input(ids.SELECTION, "data"),
                            State(ids.CLIENT_CONFIG, "data"))
    app.clientside_callback(ClientsideFunction("twin_replay", "seek"),
                            Output(ids.REPLAY_SLIDER, "className"),
                            Input(ids.REPLAY_SLIDER, "value"), prevent_initial_call=True)
    app.clientside_callback(ClientsideFunction("twin_replay", "toggle"),
                            Output(ids.REPLAY_PLAY, "data-clicks"),
                            Input(ids.REPLAY_PLAY, "n_clicks"), prevent_initial_call=True)
    app.clientside_callback(ClientsideFunction("twin_replay", "speed"),
                            Output(ids.REPLAY_SPEED, "className"),
                            Input(ids.REPLAY_SPEED, "value"), State(ids.REPLAY_CONFIG, "data"))
    app.clientside_callback(ClientsideFunction("twin_replay", "live"),
                            Output(ids.REPLAY_LIVE, "data-clicks"),
                            Input(ids.REPLAY_LIVE, "n_clicks"), prevent_initial_call=True)
