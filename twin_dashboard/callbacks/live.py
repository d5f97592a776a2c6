"""Live screens (issue 4): the page's event stream, stale banner and wall flash, in the browser.

Everything here runs client-side in ``assets/live.js``: opening the stream for the page's scope,
the banner from the stream's health and per-source freshness, the flash of a new critical alarm.
The feed, KPI and inbox callbacks take ``ids.LIVE_EVENT`` as an input (``feed.py``, ``kpis.py``).
Each clientside callback has an output because Dash never runs a no-output callback for a newly
rendered page.
"""

from __future__ import annotations

from dash import ClientsideFunction, Dash, Input, Output, State

from twin_dashboard.layouts import ids
from twin_dashboard.services import Services


def register(app: Dash, services: Services) -> None:
    app.clientside_callback(ClientsideFunction("twin_live", "connect"),
                            Output(ids.STALE_BANNER, "data-stream"),
                            Input(ids.SELECTION, "data"), Input(ids.LIVE_CONFIG, "data"),
                            State(ids.CLIENT_CONFIG, "data"))
    app.clientside_callback(ClientsideFunction("twin_live", "banner"),
                            Output(ids.STALE_BANNER, "hidden"),
                            Output(ids.STALE_REASON, "children"),
                            Input(ids.LIVE_STATUS, "data"), State(ids.LIVE_CONFIG, "data"),
                            prevent_initial_call=True)
    app.clientside_callback(ClientsideFunction("twin_live", "flash"),
                            Output(ids.ALARM_FLASH, "children"),
                            Output(ids.ALARM_FLASH, "className"),
                            Input(ids.LIVE_EVENT, "data"), State(ids.LIVE_CONFIG, "data"),
                            prevent_initial_call=True)
