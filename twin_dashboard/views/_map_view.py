"""The map's camera: a view state that fits a scope's bounds, per screen and 2D/3D mode.

The server cannot know the map's size in pixels, so the view state carries both a zoom fitted
to a nominal size and the ``bounds`` themselves; the script refits them to the real canvas
(``WebMercatorViewport.fitBounds``) before flying there.
"""

from __future__ import annotations

import math
from typing import TypedDict

from twin_dashboard.profiles import profile

TILE_SIZE = 512  # deck.gl's web-mercator world is 512 px wide at zoom 0
MAX_ZOOM = 18.0
FLY_MS = 1400  # a scope change flies there: the eye follows where the map went



class ViewState(TypedDict):
    longitude: float
    latitude: float
    zoom: float
    pitch: float
    bearing: float
    bounds: list[float]  # [west, south, east, north]
    padding: int
    transitionDuration: int
    key: str
    bearings: list[float]
    outline: list[list[float]] | None  # the scope's hull corners, [lon, lat]


def mercator(lon: float, lat: float) -> tuple[float, float]:
    """Degrees → pixels of the zoom-0 web-mercator world (y grows southward)."""
    x = (lon + 180.0) / 360.0 * TILE_SIZE
    y = (180.0 - math.degrees(math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))))
    return x, y / 360.0 * TILE_SIZE


def unmercator(x: float, y: float) -> tuple[float, float]:
    """Pixels of the zoom-0 world → degrees."""
    lon = x / TILE_SIZE * 360.0 - 180.0
    lat = math.degrees(2 * math.atan(math.exp(math.radians(180.0 - y / TILE_SIZE * 360.0)))
                       - math.pi / 2)
    return lon, lat


def fit_zoom(bounds: tuple[float, float, float, float], width: int, height: int,
             padding: int = 40) -> tuple[float, float, float]:
    """Centre (lon, lat) and zoom that show ``bounds`` whole in ``width`` × ``height`` pixels."""
    west, south, east, north = bounds
    if not (west <= east and south <= north):
        raise ValueError(f"bounds must be [west, south, east, north], got {list(bounds)}")
    x0, y1 = mercator(west, south)
    x1, y0 = mercator(east, north)
    room_w, room_h = max(width - 2 * padding, 1), max(height - 2 * padding, 1)
    span_w, span_h = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
    zoom = min(math.log2(room_w / span_w), math.log2(room_h / span_h), MAX_ZOOM)
    lon, lat = unmercator((x0 + x1) / 2, (y0 + y1) / 2)
    return lon, lat, zoom


def view_for(bounds: tuple[float, float, float, float], screen: str, mode: str | None,
             scope_key: str, *, fly: bool = True, padding: int = 40,
             outline: list[list[float]] | None = None) -> ViewState:
    """The camera for a scope on a screen: fitted to ``bounds``, tilted when in 3D.

    ``key`` names scope and mode, so the script can tell a camera it already shows;
    ``outline`` (the scope's hull) lets it fit a turned camera tighter than the bounds would."""
    shown = profile(screen)
    mode = mode if mode in ("2d", "3d") else shown.default_mode
    pitch, bearing = shown.camera_3d if mode == "3d" else (0.0, 0.0)
    width, height = shown.nominal_map
    # A tilted camera foreshortens north-south by about cos(pitch): fit a taller box.
    tilt = max(math.cos(math.radians(pitch)), 0.55)
    lon, lat, zoom = fit_zoom(bounds, width, round(height / tilt), padding)
    return {"longitude": round(lon, 6), "latitude": round(lat, 6), "zoom": round(zoom, 3),
            "pitch": pitch, "bearing": bearing, "bounds": [round(b, 6) for b in bounds],
            "padding": padding, "transitionDuration": FLY_MS if fly else 0,
            "key": f"{scope_key}:{mode}",
            # A screen may turn the camera so that a tall area fills a wide map (the script
            # keeps the bearing that gives the closest view, preferring the first).
            "bearings": list(shown.bearings) if shown.bearings and mode == "3d" else [bearing],
            "outline": outline}
