"""What every screen callback reads: the signed-in viewer, their scope, the page's language.

The viewer comes from the request (``auth.context.viewing``, set by the middleware from the
session), never from the page: a forged ``ids.SELECTION`` or ``ids.SCREEN`` only narrows inside
the viewer's scope. The SCREEN store still says which layout is drawn and in which language.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from dash.exceptions import PreventUpdate

from twin_dashboard.auth.context import viewing
from twin_dashboard.domain.access import Viewer
from twin_dashboard.domain.places import MapScope
from twin_dashboard.domain.replay import StoreAt, replay_time
from twin_dashboard.i18n import lang_of
from twin_dashboard.profiles import SCREENS
from twin_dashboard.services import Services

__all__ = ["page_lang", "scope_of", "screen_of", "viewing"]


def scope_of(services: Services, viewer: Viewer,
             selection: Mapping[str, Any] | None) -> MapScope:
    """The selection as a resolved scope inside the viewer's: unknown ids are dropped, a place
    outside the scope gives the viewer's home instead."""
    selection = selection or {}
    return viewer.narrow(services.atlas.places(), selection.get("subdistrict"),
                         selection.get("neighborhood"), selection.get("district"))


def page_lang(screen: Mapping[str, Any] | None) -> str:
    return lang_of((screen or {}).get("lang"))


def screen_of(screen: Mapping[str, Any] | None) -> str:
    name = (screen or {}).get("screen")
    return name if name in SCREENS else "desk"


def replayed(replay_at: str | None, now: pd.Timestamp) -> pd.Timestamp | None:
    """The moment the replay bar shows (``ids.REPLAY_AT``), or ``None`` when live; a bad time
    from the browser is no update."""
    try:
        return replay_time(replay_at, now)
    except ValueError:
        raise PreventUpdate from None


def store_at(services: Services, replay_at: str | None) -> tuple[Any, pd.Timestamp]:
    """The store and the moment a list reads: live, or as it stood at the replay bar's
    ``replay_at`` (a read-only view)."""
    now = services.now()
    at = replayed(replay_at, now)
    return (services.store, now) if at is None else (StoreAt(services.store, at), at)
