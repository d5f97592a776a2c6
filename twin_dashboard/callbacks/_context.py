"""What every screen callback reads from the page: its scope, language, screen and viewer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from twin_dashboard.domain.access import Viewer
from twin_dashboard.domain.places import MapScope
from twin_dashboard.i18n import lang_of
from twin_dashboard.profiles import SCREENS
from twin_dashboard.services import Services


def scope_of(services: Services, selection: Mapping[str, Any] | None) -> MapScope:
    """The selection as a resolved scope: ids the store does not know are dropped."""
    return services.atlas.places().of_selection(dict(selection or {}))


def page_lang(screen: Mapping[str, Any] | None) -> str:
    return lang_of((screen or {}).get("lang"))


def screen_of(screen: Mapping[str, Any] | None) -> str:
    name = (screen or {}).get("screen")
    return name if name in SCREENS else "desk"


def viewer_of(screen: Mapping[str, Any] | None, person_id: str | None = None) -> Viewer:
    """Who asks: the page's screen (as sent; an unknown one sees no personal data)."""
    return Viewer(str((screen or {}).get("screen")), person_id)
