"""What a composition needs to know about the page being built."""

from __future__ import annotations

from dataclasses import dataclass

from twin_dashboard.layouts.places import Places


@dataclass(frozen=True)
class ScreenContext:
    screen: str
    lang: str
    selection: dict[str, str | None]
    places: Places
    rotate_s: int | None = None

    @property
    def scope_name(self) -> str | None:
        return self.places.name(self.selection.get("subdistrict"),
                                self.selection.get("neighborhood"))
