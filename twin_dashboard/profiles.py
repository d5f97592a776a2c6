"""The three screens, side by side: every way a screen differs from another, in one table.

Modules ask ``profile(name).<trait>`` instead of testing the screen's name, so a fourth screen
(or a changed wall) is one row here. Plain data only: every layer of the flow may read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Theme = Literal["dark", "light"]
Mode = Literal["2d", "3d"]


@dataclass(frozen=True)
class ScreenProfile:
    """What one screen class is, where it hangs, and how it behaves."""

    name: str
    theme: Theme
    pointer: bool  # a mouse or a finger: layer toggles and clicks (the wall has neither)
    personal_data: bool  # may show residents' names and addresses (never a wall in a room)
    rotates: bool  # may cycle through subdistricts by itself (``?rotate=``)
    feed_limit: int  # lines of the alarm feed
    inbox: bool  # the feed is the acting person's alarm inbox, with acknowledge buttons
    selectors: bool  # subdistrict/neighborhood dropdowns, map picks select an area
    mode_switch: bool  # the 2D/3D switch
    flash: bool  # a banner flashes for a new critical alarm
    far: bool  # read from metres away: chart fonts grow with the screen's width
    acts_as: str | None  # whom the screen acts as on alarms: "duty_officer", "cadre" or nobody
    title_key: str  # the header's title (a tablet has room for the short one)
    scope_prefix: bool  # the header says "my area" before the scope
    default_mode: Mode
    camera_3d: tuple[float, float]  # (pitch, bearing) in 3D
    nominal_map: tuple[int, int]  # the map's usual size in px, for the server's camera fit
    bearings: tuple[float, ...]  # bearings the camera may turn to, to fill a wide map
    deck: dict[str, Any] = field(default_factory=dict)  # deck.gl props that are not layers
    top_categories: int | None = None  # charts keep this many categories (readable at 5 m)


SCREENS: dict[str, ScreenProfile] = {
    # The video wall: dark, read from 5 m, no pointer, a kiosk in a public room.
    "wall": ScreenProfile(
        name="wall", theme="dark", pointer=False, personal_data=False,
        rotates=True, feed_limit=14, inbox=False, selectors=False, mode_switch=False,
        flash=True, far=True, acts_as=None, title_key="app.title", scope_prefix=False,
        default_mode="3d", camera_3d=(50.0, -18.0), nominal_map=(1300, 880),
        bearings=(-18.0, -45.0, -70.0, 25.0, 50.0, 70.0),
        deck={"controller": False, "pickingRadius": 4, "pulse": True}, top_categories=8),
    # Subdistrict staff at a desktop browser: everything, with a mouse.
    "desk": ScreenProfile(
        name="desk", theme="light", pointer=True, personal_data=True,
        rotates=False, feed_limit=14, inbox=False, selectors=True, mode_switch=True,
        flash=False, far=False, acts_as="duty_officer", title_key="app.title",
        scope_prefix=False, default_mode="3d", camera_3d=(38.0, -12.0),
        nominal_map=(1200, 780), bearings=(),
        deck={"controller": {"dragRotate": True, "touchRotate": True, "inertia": True},
              "pickingRadius": 5, "pulse": False}),
    # An officer in the field: "my area", an inbox, fingers.
    "tablet": ScreenProfile(
        name="tablet", theme="light", pointer=True, personal_data=True,
        rotates=False, feed_limit=50, inbox=True, selectors=False, mode_switch=False,
        flash=False, far=False, acts_as="cadre", title_key="app.short", scope_prefix=True,
        default_mode="2d", camera_3d=(30.0, -8.0), nominal_map=(1000, 480), bearings=(),
        deck={"controller": {"dragRotate": False, "touchRotate": True, "inertia": True},
              "pickingRadius": 14, "pulse": False}),
}
DEFAULT_SCREEN = "desk"


def profile(name: str | None) -> ScreenProfile:
    """The profile of ``name``; the desk's for an unknown name (a page must still render)."""
    return SCREENS.get(name or "", SCREENS[DEFAULT_SCREEN])
