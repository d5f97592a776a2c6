"""What every screen callback reads from the page: its scope, language and screen."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from twin_dashboard.store.base import Scope


def scope_of(selection: Mapping[str, Any] | None) -> Scope:
    """The store scope of a selection; a neighborhood alone, as ``?neighborhood=`` asks."""
    selection = selection or {}
    if selection.get("neighborhood"):
        return Scope.of(neighborhood=selection["neighborhood"])
    return Scope.of(selection.get("subdistrict"))


def lang_of(screen: Mapping[str, Any] | None) -> str:
    return (screen or {}).get("lang", "zh")


def screen_of(screen: Mapping[str, Any] | None) -> str:
    return (screen or {}).get("screen", "desk")
