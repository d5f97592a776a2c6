"""Shared ground of the demo generator: the fixed clock, random streams and the local frame.

Generation works in a local metric frame (metres east/north of :data:`ORIGIN`) because
buildings, road spacing and walking speeds are metric; everything is turned back into WGS84
degrees only when written. The transform is affine, so shapes stay shapes.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

SEED = 20261101
GENERATOR_VERSION = "1"
CST = timezone(timedelta(hours=8))
AS_OF = datetime(2026, 11, 1, 8, 0, 0, tzinfo=CST)
AS_OF_TS = AS_OF.timestamp()
HOUR = 3600.0
DAY = 24 * HOUR
HISTORY_DAYS = 90

ORIGIN = (121.48, 31.28)  # lon, lat of the local frame's (0, 0)
_M_PER_DEG_LAT = 110_900.0
_M_PER_DEG_LON = 111_320.0 * float(np.cos(np.radians(ORIGIN[1])))


def rng(stream: str) -> np.random.Generator:
    """An independent, reproducible random stream per part, so editing one part leaves
    the others' numbers unchanged (``zlib.crc32`` rather than ``hash``, which is salted)."""
    return np.random.default_rng([SEED, zlib.crc32(stream.encode())])


def to_xy(lon: float, lat: float) -> tuple[float, float]:
    """Degrees to local metres."""
    return (lon - ORIGIN[0]) * _M_PER_DEG_LON, (lat - ORIGIN[1]) * _M_PER_DEG_LAT


def to_lonlat(x: float, y: float) -> tuple[float, float]:
    """Local metres to degrees."""
    return ORIGIN[0] + x / _M_PER_DEG_LON, ORIGIN[1] + y / _M_PER_DEG_LAT


def _xy_array(coords: np.ndarray) -> np.ndarray:
    return np.column_stack(((coords[:, 0] - ORIGIN[0]) * _M_PER_DEG_LON,
                            (coords[:, 1] - ORIGIN[1]) * _M_PER_DEG_LAT))


def _lonlat_array(coords: np.ndarray) -> np.ndarray:
    return np.column_stack((ORIGIN[0] + coords[:, 0] / _M_PER_DEG_LON,
                            ORIGIN[1] + coords[:, 1] / _M_PER_DEG_LAT))


def geom_to_xy(geom: BaseGeometry) -> BaseGeometry:
    """A WGS84 geometry in local metres."""
    return shapely.transform(geom, _xy_array)


def geom_to_lonlat(geom: BaseGeometry) -> BaseGeometry:
    """A local-metre geometry in WGS84 degrees."""
    return shapely.transform(geom, _lonlat_array)


def iso(ts: float) -> str:
    """Epoch seconds as ISO 8601 in China Standard Time, to the second."""
    return datetime.fromtimestamp(round(ts), CST).isoformat(timespec="seconds")


def iso_or_empty(ts: float | None) -> str:
    return "" if ts is None else iso(ts)


@dataclass(frozen=True)
class Area:
    """A named polygon of the hierarchy (subdistrict or neighborhood), in local metres."""

    id: str
    name: str
    name_en: str
    geom: BaseGeometry
    subdistrict_id: str = ""
