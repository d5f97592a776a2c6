"""A demo city: the demo district copied N times side by side (``generate-demo --districts N``).

For the city-scale benchmark, not for the screens' demo: copy 1 is the demo district as it is;
copy k (2…N) is the same data moved east and north on a grid, every id prefixed ``dKK-`` and
the district named 示范K区 / Demo District K. Rows carry no ``district_id``: ``seed`` (as
``import``) places each in the district whose boundary holds it, and the copies do not overlap.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

GRID_COLUMNS = 4
STEP_LON, STEP_LAT = 0.08, 0.09  # the district spans ≈ 0.065° × 0.08°: copies keep apart
# Columns naming a person or another row without ending in ``_id``.
PERSON_COLUMNS = frozenset({"acked_by", "assignee", "actor", "recorded_by"})
LIST_COLUMNS = frozenset({"road_ids"})  # ';'-separated ids


def city_files(files: dict[str, str], districts: int) -> dict[str, str]:
    """The rendered files of one district (``_tables.render``) as those of ``districts``."""
    known = _all_ids(files)
    out = {}
    for name, text in files.items():
        if name.endswith(".geojson"):
            out[name] = _geojson(name, text, districts, known)
        elif name.endswith(".csv"):
            out[name] = _csv(text, districts, known)
    return out


def row_counts(files: dict[str, str]) -> dict[str, int]:
    """Rows per file (features of a GeoJSON, lines of a CSV but its header)."""
    return {name: (len(json.loads(text)["features"]) if name.endswith(".geojson")
                   else sum(1 for _ in csv.reader(io.StringIO(text))) - 1)
            for name, text in files.items()}


def _offset(k: int) -> tuple[float, float]:
    return (k % GRID_COLUMNS) * STEP_LON, (k // GRID_COLUMNS) * STEP_LAT


def _prefix(k: int) -> str:
    return "" if k == 0 else f"d{k + 1:02d}-"


def _id_column(name: str) -> bool:
    return name == "id" or name.endswith("_id") or name in LIST_COLUMNS


def _all_ids(files: dict[str, str]) -> frozenset[str]:
    """Every id of the district, to tell person ids in ``actor`` from words like ``system``."""
    found: set[str] = set()
    for name, text in files.items():
        if name.endswith(".csv"):
            found.update(row["id"] for row in csv.DictReader(io.StringIO(text)) if "id" in row)
        elif name.endswith(".geojson"):
            found.update(str(f["properties"].get("id")) for f in json.loads(text)["features"])
    return frozenset(found)


def _value(column: str, value: Any, prefix: str, known: frozenset[str]) -> Any:
    if not prefix or value in (None, ""):
        return value
    if column in LIST_COLUMNS:
        return ";".join(prefix + v for v in str(value).split(";") if v)
    if _id_column(column) or (column in PERSON_COLUMNS and value in known):
        return prefix + str(value)
    return value


def _district_row(props: dict[str, Any], k: int) -> dict[str, Any]:
    if k == 0:
        return props
    return {**props, "id": f"demo-{k + 1:02d}", "name": f"示范{k + 1}区",
            "name_en": f"Demo District {k + 1}", "adcode": None}


def _shift(coords: Any, dx: float, dy: float) -> Any:
    if coords and isinstance(coords[0], int | float):
        return [round(coords[0] + dx, 6), round(coords[1] + dy, 6), *coords[2:]]
    return [_shift(c, dx, dy) for c in coords]


def _geojson(name: str, text: str, districts: int, known: frozenset[str]) -> str:
    features = json.loads(text)["features"]
    lines = []
    for k in range(districts):
        dx, dy = _offset(k)
        for feature in features:
            props = {c: _value(c, v, _prefix(k), known) for c, v in feature["properties"].items()}
            if name == "district.geojson":
                props = _district_row(feature["properties"], k)
            geometry = {**feature["geometry"],
                        "coordinates": _shift(feature["geometry"]["coordinates"], dx, dy)}
            lines.append(json.dumps({"type": "Feature", "properties": props,
                                     "geometry": geometry}, ensure_ascii=False,
                                    separators=(",", ":")))
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def _csv(text: str, districts: int, known: frozenset[str]) -> str:
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    rows = list(reader)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for k in range(districts):
        dx, dy = _offset(k)
        prefix = _prefix(k)
        for row in rows:
            moved = []
            for column, value in zip(header, row, strict=True):
                if k and column in ("lon", "lat") and value:
                    value = f"{float(value) + (dx if column == 'lon' else dy):.6f}"
                moved.append(_value(column, value, prefix, known))
            writer.writerow(moved)
    return out.getvalue()
