"""The audit drawer on an admin's desk: opened and closed by its buttons, its rows read on
opening. The role is checked here, on the server: the buttons exist only on admins' pages,
but a forged callback from anyone else gets nothing."""

from __future__ import annotations

from dash import Dash, Input, Output, State, ctx
from dash.exceptions import PreventUpdate

from twin_dashboard.auth.context import viewing
from twin_dashboard.callbacks._context import page_lang
from twin_dashboard.domain import audit
from twin_dashboard.layouts import ids
from twin_dashboard.services import Services
from twin_dashboard.views.tables import audit_rows

AUDIT_ROWS = 500  # the drawer's latest entries; the full trail is `twin-dashboard audit`


def register(app: Dash, services: Services) -> None:
    @app.callback(Output(ids.AUDIT_PANEL, "hidden"), Output(ids.AUDIT_GRID, "rowData"),
                  Input(ids.AUDIT_OPEN, "n_clicks"), Input(ids.AUDIT_CLOSE, "n_clicks"),
                  State(ids.SCREEN, "data"), prevent_initial_call=True)
    def toggle_audit(_open: int, _close: int, screen: dict | None):
        if not viewing().spec.admin:
            raise PreventUpdate
        if ctx.triggered_id == ids.AUDIT_CLOSE:
            return True, []
        entries = audit.entries(services.store, limit=AUDIT_ROWS, newest=True)
        return False, audit_rows(entries, page_lang(screen))
