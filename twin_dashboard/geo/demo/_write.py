"""Byte-stable serialization of the demo files: GeoJSON one feature per line, CSV with '\\n'.

Everything that could vary between runs is fixed here: key order (as written), float rounding
(6 decimals for coordinates), line endings, and no generation timestamps.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from twin_dashboard.geo.demo._base import geom_to_lonlat, to_lonlat

DECIMALS = 6


def _ring(coords: Iterable[Sequence[float]]) -> list[list[float]]:
    """Rounded coordinates without the repeats that rounding can create."""
    out: list[list[float]] = []
    for x, y in coords:
        pt = [round(x, DECIMALS), round(y, DECIMALS)]
        if not out or pt != out[-1]:
            out.append(pt)
    return out


def _polygon(p: BaseGeometry) -> list[list[list[float]]]:
    p = orient(p, 1.0)  # RFC 7946: exterior counter-clockwise
    return [_ring(p.exterior.coords)] + [_ring(i.coords) for i in p.interiors]


def geometry(geom_xy: BaseGeometry) -> dict[str, Any]:
    """GeoJSON geometry in WGS84 from a local-metre geometry."""
    g = geom_to_lonlat(geom_xy)
    kind = g.geom_type
    if kind == "Polygon":
        return {"type": "Polygon", "coordinates": _polygon(g)}
    if kind == "MultiPolygon":
        return {"type": "MultiPolygon", "coordinates": [_polygon(p) for p in g.geoms]}
    if kind == "LineString":
        return {"type": "LineString", "coordinates": _ring(g.coords)}
    if kind == "Point":
        return {"type": "Point", "coordinates": _ring(g.coords)[0]}
    raise ValueError(f"cannot write geometry of type {kind}")


def feature_collection(features: Iterable[tuple[dict[str, Any], BaseGeometry]]) -> str:
    """A FeatureCollection, one feature per line so diffs stay readable."""
    lines = [json.dumps({"type": "Feature", "properties": props, "geometry": geometry(geom)},
                        ensure_ascii=False, separators=(",", ":"))
             for props, geom in features]
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def lonlat(x: float, y: float) -> tuple[str, str]:
    """A local point as CSV lon/lat text, always 6 decimals."""
    lon, lat = to_lonlat(x, y)
    return f"{lon:.{DECIMALS}f}", f"{lat:.{DECIMALS}f}"


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV with a header row and '\\n' line endings on every platform."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def write_files(out_dir: Path, files: dict[str, str]) -> None:
    """Write every file to a temporary name first, then rename them all: a run that fails
    while writing leaves the old files, never a half-written one."""
    out_dir.mkdir(parents=True, exist_ok=True)
    temps: list[tuple[Path, Path]] = []
    try:
        for name, text in files.items():
            tmp = out_dir / f".{name}.tmp"
            temps.append((tmp, out_dir / name))
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
    except BaseException:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, final in temps:
        os.replace(tmp, final)
