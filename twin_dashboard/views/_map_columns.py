"""The wire format of map data: columns, not one object per feature (docs/browser.md: ≈3× smaller).

A layer's ``data`` is a *column envelope* that ``assets/twin_map.js`` (``rowsOf``) turns into
rows once per new data; it never passes through deck.gl's JSON converter, so no string in the
data can be evaluated::

    {"length": n,
     "columns": {"id": [...], "lon": float64[n], "state": uint8[n], ...},
     "codes":   {"state": ["normal", "alarm", ...]},      # column of codes -> these strings
     "derive":  {"color": ["state", {"normal": [r, g, b, a], ...}]},  # field from a lookup
     "shapes":  {"polygon": {"kind": "polygon", "coords": float64[2k], "rings": int32[],
                             "rows": int32[n + 1]}}}

Numbers travel as numpy arrays: Dash's orjson encoder writes them without walking each value.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

import numpy as np
import orjson
import shapely

COORD_DIGITS = 6  # ≈ 0.1 m: the precision of geodata/, no more
JSON_OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


class Shape(TypedDict, total=False):
    """Ragged geometry: flat ``coords`` (x0, y0, x1, y1, …) cut by offsets (in points)."""

    kind: str  # "polygon" (rows of rings) or "path" (rows of points)
    coords: np.ndarray
    rings: np.ndarray  # polygon only: ring r spans points rings[r]..rings[r+1]
    rows: np.ndarray  # row i spans rings (polygon) or points (path) rows[i]..rows[i+1]


class ColumnData(TypedDict, total=False):
    length: int
    columns: dict[str, Any]
    codes: dict[str, list[str]]
    derive: dict[str, list[Any]]
    shapes: dict[str, Shape]


def column_data(length: int, columns: Mapping[str, Any], *,
                codes: Mapping[str, Sequence[str]] | None = None,
                derive: Mapping[str, tuple[str, Mapping[str, Any]]] | None = None,
                shapes: Mapping[str, Shape] | None = None) -> ColumnData:
    """The envelope of one layer's rows; every column and shape must have ``length`` rows."""
    for name, values in columns.items():
        if len(values) != length:
            raise ValueError(f"column {name!r} has {len(values)} rows, expected {length}")
    for name, shape in (shapes or {}).items():
        if len(shape["rows"]) != length + 1:
            raise ValueError(f"shape {name!r} has {len(shape['rows']) - 1} rows, expected {length}")
    data: ColumnData = {"length": int(length), "columns": dict(columns)}
    if codes:
        data["codes"] = {k: list(v) for k, v in codes.items()}
    if derive:
        data["derive"] = {k: [src, dict(table)] for k, (src, table) in derive.items()}
    if shapes:
        data["shapes"] = dict(shapes)
    return data


def encode(values: Sequence[Any] | np.ndarray,
           vocabulary: Sequence[str] | None = None) -> tuple[np.ndarray, list[str]]:
    """Dictionary-encode strings: small integer codes plus the vocabulary they index.

    With ``vocabulary`` the order is fixed (and a value outside it is a ValueError); without,
    it is the sorted distinct values.
    """
    strings = np.asarray([("" if v is None else str(v)) for v in values], dtype=object)
    vocab = list(vocabulary) if vocabulary is not None else sorted(set(strings.tolist()))
    index = {v: i for i, v in enumerate(vocab)}
    unknown = sorted(set(strings.tolist()) - set(index))
    if unknown:
        raise ValueError(f"values outside the vocabulary: {', '.join(unknown[:5])}")
    dtype = np.uint8 if len(vocab) <= 256 else np.uint16
    return np.fromiter((index[s] for s in strings), dtype=dtype, count=len(strings)), vocab


def rounded(values: Sequence[float] | np.ndarray, digits: int = COORD_DIGITS) -> np.ndarray:
    """Floats rounded for the wire (shorter JSON), as a contiguous float64 array."""
    return np.ascontiguousarray(np.round(np.asarray(values, dtype=float), digits))


def polygon_shape(geoms: Sequence[Any] | np.ndarray) -> tuple[Shape, np.ndarray]:
    """Polygons and multipolygons as ragged rows, one row per polygon part.

    Returns the shape and, per row, the index of the geometry it came from (a multipolygon
    gives several rows, all pointing back at it).
    """
    parts, source = shapely.get_parts(np.asarray(geoms, dtype=object), return_index=True)
    if len(parts) == 0:
        empty = np.zeros(1, dtype=np.int32)
        return {"kind": "polygon", "coords": np.zeros(0), "rings": empty, "rows": empty}, source
    _, coords, (rings, rows) = shapely.to_ragged_array(parts)
    return {"kind": "polygon", "coords": rounded(coords.ravel()),
            "rings": rings.astype(np.int32), "rows": rows.astype(np.int32)}, source


def path_shape(geoms: Sequence[Any] | np.ndarray) -> tuple[Shape, np.ndarray]:
    """Lines and polygon outlines as ragged paths, one row per line (or ring) part."""
    lines = _as_lines(np.asarray(geoms, dtype=object))
    parts, source = shapely.get_parts(lines[0], return_index=True)
    source = lines[1][source]
    if len(parts) == 0:
        return {"kind": "path", "coords": np.zeros(0),
                "rows": np.zeros(1, dtype=np.int32)}, source
    _, coords, (rows,) = shapely.to_ragged_array(parts)
    return {"kind": "path", "coords": rounded(coords.ravel()),
            "rows": rows.astype(np.int32)}, source


def _as_lines(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Polygons become their boundaries (exterior and holes); lines stay lines."""
    out: list[Any] = []
    index: list[int] = []
    for i, geom in enumerate(geoms):
        if geom is None or geom.is_empty:
            continue
        line = geom.boundary if geom.geom_type in ("Polygon", "MultiPolygon") else geom
        out.append(line)
        index.append(i)
    return np.asarray(out, dtype=object), np.asarray(index, dtype=np.int64)


def data_key(data: Any) -> str:
    """A short digest of a layer's data, so the browser can tell unchanged data and keep it."""
    return hashlib.blake2b(orjson.dumps(data, option=JSON_OPTIONS), digest_size=8).hexdigest()


def take(values: Sequence[Any] | np.ndarray, index: np.ndarray) -> list[Any]:
    """``values`` at ``index`` as a plain list (for string columns repeated per part)."""
    array = np.asarray(values, dtype=object)
    return array[index].tolist() if len(index) else []
