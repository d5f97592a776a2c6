"""Who is asking, and what they may see: the one place that decides on personal data.

Until people sign in, a screen stands for its viewer: the wall is a kiosk in a public room and
never sees residents' personal data; the desk and the tablet do, as the duty officer or the
area's cadre. Sign-in will make a :class:`Viewer` of the session's person and role instead;
every caller already asks this module, so that change happens here.
"""

from __future__ import annotations

from dataclasses import dataclass

from twin_dashboard.profiles import SCREENS


@dataclass(frozen=True)
class Viewer:
    """The one asking: the screen it uses and, where known, the person it acts as."""

    screen: str
    person_id: str | None = None

    @property
    def sees_personal_data(self) -> bool:
        """Names, addresses and phones of residents; never on a kiosk or an unknown screen."""
        return self.screen in SCREENS and SCREENS[self.screen].personal_data
