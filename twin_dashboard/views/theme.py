"""Colours and sizes of the two themes: dark for the wall, light for desk and tablet.

One palette for map and charts alike, so a colour means the same thing everywhere.
Colours are RGBA lists (deck.gl) with ``hex_of`` for plotly/CSS.
"""

from __future__ import annotations

from twin_dashboard.profiles import Theme

__all__ = ["BASE", "FONT_STACK", "LEVEL_COLORS", "SEVERITY_COLORS", "STATE_COLORS", "UI", "Theme",
           "hex_of"]
RGBA = list[int]
# System CJK fonts only, nothing fetched: map labels and charts (assets/base.css has the same
# list for the page, as CSS cannot read this).
FONT_STACK = ('"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", '
              '"WenQuanYi Micro Hei", sans-serif')


# Device states: alarm and offline must stand out on both themes.
STATE_COLORS: dict[str, RGBA] = {
    "normal": [46, 204, 113, 200],
    "alarm": [255, 59, 48, 255],
    "fault": [255, 149, 0, 255],
    "offline": [142, 142, 147, 230],
    "low_battery": [255, 214, 10, 255],
}
# Incident handling levels (property → committee → subdistrict).
LEVEL_COLORS: dict[str, RGBA] = {
    "property": [10, 132, 255, 255],
    "committee": [191, 90, 242, 255],
    "subdistrict": [255, 55, 95, 255],
}
SEVERITY_COLORS: dict[str, RGBA] = {
    "critical": [255, 59, 48, 255],
    "major": [255, 149, 0, 255],
    "minor": [255, 214, 10, 255],
}

BASE: dict[Theme, dict[str, RGBA]] = {
    "dark": {
        "background": [6, 14, 28, 255],
        "land": [14, 28, 48, 255],
        "subdistrict_line": [64, 160, 255, 200],
        "neighborhood_fill": [32, 110, 200, 70],
        "neighborhood_line": [90, 200, 250, 220],
        "building": [40, 70, 110, 235],
        "building_in_neighborhood": [60, 120, 190, 240],
        "road": [70, 95, 130, 255],
        "water": [10, 60, 110, 255],
        "green": [18, 70, 52, 255],
        "text": [220, 235, 255, 255],
        "selected": [255, 214, 10, 255],
    },
    "light": {
        "background": [238, 241, 245, 255],
        "land": [246, 247, 249, 255],
        "subdistrict_line": [60, 90, 140, 220],
        "neighborhood_fill": [0, 122, 255, 35],
        "neighborhood_line": [0, 102, 204, 220],
        "building": [205, 210, 220, 255],
        "building_in_neighborhood": [170, 190, 220, 255],
        "road": [255, 255, 255, 255],
        "water": [166, 205, 240, 255],
        "green": [200, 230, 200, 255],
        "text": [30, 40, 55, 255],
        "selected": [255, 149, 0, 255],
    },
}

# Chart and page colours (CSS).
UI: dict[Theme, dict[str, str]] = {
    "dark": {"paper": "#060e1c", "panel": "#0b1a30", "text": "#dcebff", "muted": "#7f95b5",
             "grid": "#1b2d4a", "accent": "#40a0ff"},
    "light": {"paper": "#ffffff", "panel": "#f5f7fa", "text": "#1e2837", "muted": "#5f6b7a",
              "grid": "#e3e8ef", "accent": "#0a84ff"},
}


def hex_of(rgba: RGBA) -> str:
    """``[r, g, b, a]`` → ``#rrggbb`` for plotly and CSS."""
    return "#{:02x}{:02x}{:02x}".format(*rgba[:3])
