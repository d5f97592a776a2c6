"""The one callback graph: each feature module registers its callbacks once, for every layout.

Listed explicitly (datasette's DEFAULT_PLUGINS) so the order of registration is plain to see.
Each module has ``register(app, services)``: registering per app (not at import), with the app's
own services in hand, lets one process build many apps that never see each other's state.
"""

from __future__ import annotations

import importlib

from dash import Dash

from twin_dashboard.services import Services

FEATURES: tuple[str, ...] = (
    "twin_dashboard.callbacks.pages",
    # the screens (issue 3): selection first, then everything that reads it
    "twin_dashboard.callbacks.selection",
    "twin_dashboard.callbacks.map",
    "twin_dashboard.callbacks.kpis",
    "twin_dashboard.callbacks.charts",
    "twin_dashboard.callbacks.feed",
    "twin_dashboard.callbacks.incidents",
    "twin_dashboard.callbacks.road_chiefs",
    "twin_dashboard.callbacks.details",
    # live screens (issue 4): the event stream, stale banner and flash, in the browser
    "twin_dashboard.callbacks.live",
    # people and access (issue 8): the admins' audit drawer
    "twin_dashboard.callbacks.audit",
    # community brain (issue 10): the desk's brain drawer and its choropleth
    "twin_dashboard.callbacks.brain",
    # time replay (issue 10): the replay bar, stepping in the browser
    "twin_dashboard.callbacks.replay",
    # search (issue 10): the search box on desk and tablet
    "twin_dashboard.callbacks.search",
)


def register_all(app: Dash, services: Services) -> None:
    for name in FEATURES:
        importlib.import_module(name).register(app, services)
