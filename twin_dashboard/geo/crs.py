"""Coordinate systems of input files: WGS84, CGCS2000, GCJ-02 (Amap/DataV), BD-09 (Baidu), EPSG.

Storage is WGS84 (docs/domain.md). GCJ-02 and BD-09 are not datums but published obfuscations,
so they have no EPSG code and pyproj cannot do them: the forward formulas are the widely
copied ones (googollee/eviltransform, wandergis/coordtransform, Artoria2e5/PRCoords), and the
inverses are solved by fixed-point iteration (Cai Jun's method, as in PRCoords' ``_bored``),
which is exact to well under a millimetre instead of the one-step approximation's metres.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np
import pyproj
import shapely

WGS84 = "wgs84"
GCJ02 = "gcj02"
BD09 = "bd09"

Coords = np.ndarray  # shape (N, 2): lon, lat
Transform = Callable[[Coords], Coords]

# Krasovsky 1940 ellipsoid, which the GCJ-02 formulas use.
_A = 6378245.0
_EE = 0.00669342162296594323
# Baidu's extra rotation and shift on top of GCJ-02.
_X_PI = np.pi * 3000.0 / 180.0
_BD_DLON, _BD_DLAT = 0.0065, 0.006
# GCJ-02 leaves points outside this box (the "out_of_china" test of every implementation).
_CHINA_BOX = (72.004, 0.8293, 137.8347, 55.8271)
# The inverse stops when the forward image is this close (degrees, ~1 µm) to the input.
_INVERSE_TOL = 1e-11
_INVERSE_MAX_STEPS = 30

_ALIASES: dict[str, str] = {
    "wgs84": WGS84, "wgs-84": WGS84, "wgs_84": WGS84, "epsg:4326": WGS84, "4326": WGS84,
    "crs84": WGS84, "ogc:crs84": WGS84,
    # CGCS2000 differs from WGS84 by centimetres: treated as WGS84 (docs/domain.md).
    "cgcs2000": WGS84, "epsg:4490": WGS84, "4490": WGS84,
    "gcj02": GCJ02, "gcj-02": GCJ02, "gcj_02": GCJ02, "gcj": GCJ02,
    "bd09": BD09, "bd-09": BD09, "bd_09": BD09, "bd09ll": BD09,
}


def crs_alias(text: str) -> str | None:
    """The canonical name of a short CRS name (``wgs84``, ``GCJ-02``, ``cgcs2000``…), else None."""
    return _ALIASES.get(text.strip().lower())


def normalize_crs(value: str | pyproj.CRS) -> str:
    """The canonical name of a CRS: ``wgs84``, ``gcj02``, ``bd09`` or ``EPSG:N`` (else its WKT).

    Raises ``ValueError`` naming the value when pyproj does not know it either.
    """
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _ALIASES:
            return _ALIASES[text]
        try:
            value = pyproj.CRS.from_user_input(value.strip())
        except pyproj.exceptions.CRSError:
            raise ValueError(
                f"unknown CRS {value!r}: use wgs84, gcj02, bd09, cgcs2000 or EPSG:N"
            ) from None
    return _canonical_pyproj(value)


def _canonical_pyproj(crs: pyproj.CRS) -> str:
    """Map a pyproj CRS onto our names: WGS84-like geographic CRSs become ``wgs84``."""
    authority = crs.to_authority(min_confidence=70)
    if authority in (("OGC", "CRS84"), ("EPSG", "4326"), ("EPSG", "4490")):
        return WGS84
    if authority and authority[0] == "EPSG":
        return f"EPSG:{authority[1]}"
    return crs.to_wkt()


def is_geographic(crs: str) -> bool:
    """True when coordinates in ``crs`` are degrees of longitude and latitude."""
    if crs in (WGS84, GCJ02, BD09):
        return True
    return bool(pyproj.CRS.from_user_input(crs).is_geographic)


# --- the formulas, vectorised over arrays of lon/lat ---------------------------------------


def out_of_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Mask of points GCJ-02 leaves unchanged."""
    lon, lat = _as_arrays(lon, lat)
    minx, miny, maxx, maxy = _CHINA_BOX
    return np.logical_not((lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy))


def _gcj_offset(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The GCJ-02 shift (degrees) at a WGS84 point; zero outside China."""
    x, y = lon - 105.0, lat - 35.0
    wave = 20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
            + (wave + 20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)
               + 160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y / 30.0 * np.pi))
            * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
            + (wave + 20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)
               + 150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi))
            * 2.0 / 3.0)
    rad = np.radians(lat)
    magic = 1.0 - _EE * np.sin(rad) ** 2
    dlat = dlat * 180.0 / (_A * (1.0 - _EE) / (magic * np.sqrt(magic)) * np.pi)
    dlon = dlon * 180.0 / (_A / np.sqrt(magic) * np.cos(rad) * np.pi)
    outside = out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def _as_arrays(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def wgs84_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 → GCJ-02 (the published forward formula)."""
    lon, lat = _as_arrays(lon, lat)
    dlon, dlat = _gcj_offset(lon, lat)
    return lon + dlon, lat + dlat


def _invert(forward: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]],
            first_guess: tuple[np.ndarray, np.ndarray],
            lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``forward(p) == (lon, lat)`` by fixed-point iteration from ``first_guess``.

    The shifts vary by ~1e-4 per degree, so each step gains about four digits.
    """
    x, y = (np.array(a, dtype=float) for a in first_guess)
    for _ in range(_INVERSE_MAX_STEPS):
        fx, fy = forward(x, y)
        ex, ey = fx - lon, fy - lat
        x, y = x - ex, y - ey
        if x.size == 0 or max(np.abs(ex).max(), np.abs(ey).max()) < _INVERSE_TOL:
            break
    return x, y


def gcj02_to_wgs84(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 → WGS84, the precise inverse (error ≪ 1 mm); points outside China unchanged."""
    lon, lat = _as_arrays(lon, lat)
    dlon, dlat = _gcj_offset(lon, lat)
    x, y = _invert(wgs84_to_gcj02, (lon - dlon, lat - dlat), lon, lat)
    outside = out_of_china(lon, lat)
    return np.where(outside, lon, x), np.where(outside, lat, y)


def gcj02_to_bd09(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 → BD-09 (Baidu's published rotation and shift)."""
    x, y = _as_arrays(lon, lat)
    z = np.hypot(x, y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + _BD_DLON, z * np.sin(theta) + _BD_DLAT


def _bd09_to_gcj02_rough(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The usual one-step BD-09 → GCJ-02 (decimetre error): the inverse's first guess."""
    x, y = x - _BD_DLON, y - _BD_DLAT
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def bd09_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 → GCJ-02, refined by iteration to the exact inverse of :func:`gcj02_to_bd09`."""
    lon, lat = _as_arrays(lon, lat)
    return _invert(gcj02_to_bd09, _bd09_to_gcj02_rough(lon, lat), lon, lat)


def wgs84_to_bd09(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 → BD-09, through GCJ-02."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """BD-09 → WGS84, through GCJ-02 (both steps precise)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


# --- applying them to geometries -----------------------------------------------------------

_TO_WGS84 = {GCJ02: gcj02_to_wgs84, BD09: bd09_to_wgs84}
_FROM_WGS84 = {GCJ02: wgs84_to_gcj02, BD09: wgs84_to_bd09}


def _columns(func: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
             ) -> Transform:
    """Adapt a ``(lon, lat) -> (lon, lat)`` function to shapely.transform's (N, 2) arrays."""
    return lambda xy: np.column_stack(func(xy[:, 0], xy[:, 1]))


@lru_cache(maxsize=32)
def _pyproj_transform(source: str, target: str) -> Transform:
    transformer = pyproj.Transformer.from_crs(source, target, always_xy=True)
    return _columns(transformer.transform)


def to_wgs84(crs: str) -> Transform:
    """The coordinate transform from canonical ``crs`` (see :func:`normalize_crs`) to WGS84."""
    if crs == WGS84:
        return lambda xy: xy
    if crs in _TO_WGS84:
        return _columns(_TO_WGS84[crs])
    return _pyproj_transform(crs, "EPSG:4326")


def from_wgs84(crs: str) -> Transform:
    """The coordinate transform from WGS84 to canonical ``crs``."""
    if crs == WGS84:
        return lambda xy: xy
    if crs in _FROM_WGS84:
        return _columns(_FROM_WGS84[crs])
    return _pyproj_transform("EPSG:4326", crs)


def transform_geometries(geoms: np.ndarray, func: Transform, decimals: int | None = 7
                         ) -> np.ndarray:
    """Apply ``func`` to every coordinate of an array of shapely geometries (2D out).

    Coordinates are rounded to ``decimals`` (7 ≈ 1 cm) so stored files stay small and stable.
    """
    def step(xy: Coords) -> Coords:
        out = func(xy)
        return np.round(out, decimals) if decimals is not None else out

    return shapely.transform(np.asarray(geoms, dtype=object), step)
