"""What a composition needs to know about the page being built."""

from __future__ import annotations

from dataclasses import dataclass

from twin_dashboard.domain.places import Places
from twin_dashboard.layouts.map_panel import MapPaint


@dataclass(frozen=True)
class UserBadge:
    """Who is signed in, as the header shows it (built by the page adapter from the session)."""

    name: str
    role: str
    admin: bool = False  # the desk offers the audit trail
    kiosk: bool = False  # a wall in a room: no sign-out link
    acts: bool = False  # may report incidents (the header's 上报 button)
    patrol_zone: str | None = None  # a road chief's zone: the tablet records patrols in it


@dataclass(frozen=True)
class ScreenContext:
    screen: str
    lang: str
    selection: dict[str, str | None]
    places: Places
    rotate_s: int | None = None
    paint: MapPaint | None = None  # the map's first paint (None: a store with no geography)
    user: UserBadge | None = None

    @property
    def district_name(self) -> str | None:
        """The district the page shows (from the data), ``None`` for a city seen whole."""
        return self.places.district_name(self.selection.get("subdistrict"),
                                         self.selection.get("district"))

    @property
    def scope_name(self) -> str | None:
        return self.places.name(self.selection.get("subdistrict"),
                                self.selection.get("neighborhood"))
