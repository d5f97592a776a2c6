"""Per-feature checks of an import against its LayerSpec, and the inside-district rule.

Every check collects :class:`Problem` s instead of stopping at the first, so that one run tells
the user everything wrong with a file (all or nothing, errors name the feature: README).
Geometries arrive here already in WGS84.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry
from tqdm import tqdm

from twin_dashboard.geo.crs import transform_geometries
from twin_dashboard.geo.layers import DISTRICT_BUFFER_M, INSIDE_SHARE, Column, LayerSpec
from twin_dashboard.geo.readers import PROGRESS_MIN

LIST_LIMIT = 20  # problems listed in a message; the rest are counted
REPAIR_AREA_TOLERANCE = 0.01  # make_valid may change a polygon's area by at most this share
NAIVE_TIME_ZONE = "Asia/Shanghai"  # times without an offset in a district file are local
_LABEL_COLUMNS = ("name", "address")  # what names a feature in messages when it has no id


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one feature (``position`` 1-based in the file; 0: the file)."""

    position: int
    label: str
    reason: str
    kind: str

    def __str__(self) -> str:
        if not self.position:
            return self.reason
        label = f" ({self.label})" if self.label else ""
        return f"feature {self.position}{label}: {self.reason}"


def format_problems(problems: Sequence[Problem], total: int, limit: int = LIST_LIMIT) -> str:
    """A header counting problems by kind, then the first ``limit`` of them in file order."""
    ordered = sorted(problems, key=lambda p: p.position)
    kinds = ", ".join(f"{n} {kind}" for kind, n in Counter(p.kind for p in ordered).items())
    lines = [f"{len(ordered)} problem{'s' if len(ordered) != 1 else ''} in {total} "
             f"feature{'s' if total != 1 else ''} ({kinds}):"]
    lines += [f"  {p}" for p in ordered[:limit]]
    if len(ordered) > limit:
        lines.append(f"  … and {len(ordered) - limit} more")
    return "\n".join(lines)


# --- ids and labels ------------------------------------------------------------------------


def is_missing(value: Any) -> bool:
    """None, NaN, NaT, pd.NA or blank text (lists and dicts are never missing)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    return isinstance(value, str) and not value.strip()


def as_text(value: Any) -> str | None:
    """A property value as text: whole floats lose their ``.0``; lists become JSON."""
    if is_missing(value):
        return None
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, list | dict | tuple | np.ndarray):
        return json.dumps(_plain(value), ensure_ascii=False)
    return str(value).strip()


def find_column(props: pd.DataFrame, name: str) -> str | None:
    """The file's column for ``name``, matched case-insensitively (shapefiles shout NAME)."""
    return next((c for c in props.columns if str(c).strip().lower() == name.lower()), None)


def feature_ids(props: pd.DataFrame, layer: str) -> tuple[list[str | None], bool]:
    """The file's ids, or ``layer-001``… by row order when it has no id column."""
    column = find_column(props, "id")
    if column is not None:
        return [as_text(v) for v in props[column]], True
    width = max(3, len(str(len(props))))
    return [f"{layer}-{i:0{width}d}" for i in range(1, len(props) + 1)], False


def feature_labels(props: pd.DataFrame, ids: Sequence[str | None], from_source: bool
                   ) -> list[str]:
    """How messages name each feature: its file id, else its name or address."""
    if from_source:
        return [f"id {i!r}" if i else "" for i in ids]
    for name in _LABEL_COLUMNS:
        column = find_column(props, name)
        if column is not None:
            return [repr(t) if (t := as_text(v)) else "" for v in props[column]]
    return [""] * len(props)


def duplicate_ids(ids: Sequence[str | None], rows: Sequence[int], labels: Sequence[str]
                  ) -> list[Problem]:
    """A problem for each repeat of an id, naming the first feature that had it."""
    first: dict[str, int] = {}
    problems = []
    for row in rows:
        value = ids[row]
        if value is None:
            problems.append(Problem(row + 1, labels[row], "has no id", "missing id"))
        elif value in first:
            problems.append(Problem(row + 1, labels[row], f"duplicate id {value!r}, also "
                                    f"feature {first[value] + 1}", "duplicate id"))
        else:
            first[value] = row
    return problems


# --- geometry ------------------------------------------------------------------------------


@dataclass
class GeometryCheck:
    geometry: np.ndarray  # usable geometries (repaired where allowed), None where refused
    problems: list[Problem]
    repaired: list[Problem]  # not errors: told to the user as notes


def check_geometries(geoms: np.ndarray, spec: LayerSpec, labels: Sequence[str],
                     read_errors: dict[int, str] | None = None, progress: bool = False
                     ) -> GeometryCheck:
    """Presence, kind, finiteness and validity of each geometry; repair when harmless."""
    out = np.empty(len(geoms), dtype=object)
    problems: list[Problem] = []
    repaired: list[Problem] = []
    shown = progress and len(geoms) > PROGRESS_MIN
    for row, geom in enumerate(tqdm(geoms, desc="checking", unit="feature", disable=not shown)):
        if read_errors and row in read_errors:
            problems.append(Problem(row + 1, labels[row], read_errors[row], "bad geometry"))
            continue
        geom, reason, repair = _check_geometry(geom, spec)
        out[row] = geom
        if reason:
            problems.append(Problem(row + 1, labels[row], reason, "bad geometry"))
        elif repair:
            repaired.append(Problem(row + 1, labels[row], repair, "repaired"))
    return GeometryCheck(out, problems, repaired)


def _check_geometry(geom: BaseGeometry | None, spec: LayerSpec
                    ) -> tuple[BaseGeometry | None, str | None, str | None]:
    """(usable geometry, reason it is refused, note on a repair)."""
    if geom is None or shapely.is_missing(geom):
        return None, "has no geometry", None
    if geom.is_empty:
        return None, "has an empty geometry", None
    if geom.geom_type == "MultiPoint" and "Point" in spec.geometry and len(geom.geoms) == 1:
        geom = geom.geoms[0]
    if geom.geom_type not in spec.geometry:
        return None, (f"a {geom.geom_type} is not allowed in layer {spec.name} "
                      f"(it takes {' or '.join(spec.geometry)})"), None
    if not np.isfinite(shapely.get_coordinates(geom)).all():
        return None, "has NaN or infinite coordinates", None
    if geom.is_valid:
        return geom, None, None
    return _repair(geom)


def _repair(geom: BaseGeometry) -> tuple[BaseGeometry | None, str | None, str | None]:
    """make_valid, kept only if the kind is unchanged and the area moves by ≤ 1 %."""
    why = shapely.is_valid_reason(geom)
    fixed = shapely.make_valid(geom)
    if fixed.geom_type != geom.geom_type:
        return None, (f"invalid geometry ({why}); repairing it would make a "
                      f"{fixed.geom_type}"), None
    if geom.area or fixed.area:
        change = abs(fixed.area - geom.area) / max(abs(geom.area), 1e-30)
        if change > REPAIR_AREA_TOLERANCE:
            return None, (f"invalid geometry ({why}); repairing it would change its area "
                          f"by {min(change, 9.99):.0%}"), None
    return fixed, None, f"invalid geometry ({why}) repaired"


# --- inside the district -------------------------------------------------------------------


def metric_crs(around: BaseGeometry) -> pyproj.CRS:
    """An azimuthal equidistant CRS in metres centred on ``around``: true distances nearby."""
    centre = around.centroid
    return pyproj.CRS.from_proj4(f"+proj=aeqd +lat_0={centre.y} +lon_0={centre.x} "
                                 "+datum=WGS84 +units=m +no_defs")


def _to_metres(geoms: np.ndarray, crs: pyproj.CRS) -> np.ndarray:
    transformer = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)

    def step(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))

    return transform_geometries(geoms, step, decimals=None)


def inside_shares(geoms: np.ndarray, district: BaseGeometry,
                  buffer_m: float = DISTRICT_BUFFER_M) -> tuple[np.ndarray, np.ndarray]:
    """Per feature, the share of it (area, length, or the point) within the buffered district,
    and its distance in metres from the district itself (NaN where there is no geometry)."""
    crs = metric_crs(district)
    home = _to_metres(np.array([district], dtype=object), crs)[0]
    zone = shapely.buffer(home, buffer_m)
    shapely.prepare(zone)
    metric = _to_metres(geoms, crs)
    dims = shapely.get_dimensions(metric)
    shares = np.where(dims >= 0, 0.0, np.nan)
    covered = shapely.covers(zone, metric)
    shares[covered] = 1.0
    for dim, measure in ((2, shapely.area), (1, shapely.length)):
        todo = ~covered & (dims == dim)
        whole = measure(metric[todo])
        part = measure(shapely.intersection(metric[todo], zone))
        shares[todo] = np.divide(part, whole, out=np.zeros_like(part), where=whole > 0)
    return shares, shapely.distance(home, metric)


def outside_district(geoms: np.ndarray, district: BaseGeometry, labels: Sequence[str],
                     rows: Sequence[int]) -> list[Problem]:
    """A problem for each feature (of ``rows``) less than 90 % inside the buffered district."""
    shares, distance = inside_shares(geoms[list(rows)], district)
    problems = []
    for row, share, metres in zip(rows, shares, distance, strict=True):
        if np.isnan(share) or share >= INSIDE_SHARE:
            continue
        if share == 0:
            reason = (f"outside the district: {_km(metres)} beyond its boundary "
                      f"({DISTRICT_BUFFER_M:.0f} m allowed)")
        else:
            reason = (f"outside the district: only {share:.0%} of it lies within "
                      f"{DISTRICT_BUFFER_M:.0f} m of it ({INSIDE_SHARE:.0%} must)")
        problems.append(Problem(row + 1, labels[row], reason, "outside the district"))
    return problems


def _km(metres: float) -> str:
    return f"{metres / 1000:.1f} km" if metres >= 1000 else f"{metres:.0f} m"


# --- attributes ----------------------------------------------------------------------------


def check_attributes(props: pd.DataFrame, spec: LayerSpec, rows: Sequence[int],
                     labels: Sequence[str]) -> tuple[pd.DataFrame, list[Problem]]:
    """The layer's typed columns for ``rows``, and the problems found."""
    out: dict[str, Any] = {}
    problems: list[Problem] = []
    for column in spec.columns:
        source = find_column(props, column.name)
        if source is None:
            if column.required:
                problems.append(Problem(0, "", f"the file has no {column.name!r} column, which "
                                        f"layer {spec.name} requires (columns: "
                                        f"{', '.join(map(str, props.columns))})", "missing column"))
            values: list[Any] = [None] * len(rows)
        else:
            raw = props[source].to_numpy(dtype=object)
            values = [_convert(raw[row], column) for row in rows]
            problems += _value_problems(values, column, rows, labels)
        out[column.name] = _typed(values, column)
    return pd.DataFrame(out, index=pd.RangeIndex(len(rows))), problems


def _value_problems(values: list[Any], column: Column, rows: Sequence[int],
                    labels: Sequence[str]) -> list[Problem]:
    problems = []
    for i, value in enumerate(values):
        reason = value.reason if isinstance(value, _Bad) else None
        if value is None and column.required:
            reason = f"has no {column.name}, which is required"
        if reason:
            problems.append(Problem(rows[i] + 1, labels[rows[i]], reason, f"bad {column.name}"))
    return problems


@dataclass(frozen=True)
class _Bad:
    reason: str


def _convert(value: Any, column: Column) -> Any:
    """A value as the column's type, None when missing, or ``_Bad`` saying why not."""
    text = as_text(value)
    if text is None:
        return None
    if column.choices and text not in column.choices:
        return _Bad(f"{column.name} {text!r} is not one of {', '.join(column.choices)}")
    try:
        if column.type == "int":
            return _to_int(text, column)
        if column.type == "float":
            number = float(text)
            return number if math.isfinite(number) else _Bad(f"{column.name} {text!r} is "
                                                             "not a finite number")
        if column.type == "time":
            return _to_time(value, text)
    except (ValueError, OverflowError):
        kind = "a date/time" if column.type == "time" else "a number"
        return _Bad(f"{column.name} {text!r} is not {kind}")
    return text


def _to_int(text: str, column: Column) -> int | _Bad:
    """Whole numbers, also written ``12.0``; exact beyond 2**53 when written as integers."""
    try:
        return int(text)
    except ValueError:
        number = float(text)
    if not number.is_integer():
        return _Bad(f"{column.name} {text!r} is not a whole number")
    return int(number)


def _to_time(value: Any, text: str) -> pd.Timestamp:
    """Numbers are epoch seconds; text is ISO 8601, read as China time when it has no offset."""
    if not isinstance(value, pd.Timestamp):
        try:
            return pd.Timestamp(float(text), unit="s", tz="UTC").as_unit("ns")
        except ValueError:
            pass
    stamp = pd.Timestamp(value if isinstance(value, pd.Timestamp) else text)
    if pd.isna(stamp):
        raise ValueError(text)
    if stamp.tzinfo is None:
        return stamp.tz_localize(NAIVE_TIME_ZONE).tz_convert("UTC").as_unit("ns")
    return stamp.tz_convert("UTC").as_unit("ns")


def _typed(values: list[Any], column: Column) -> pd.Series:
    clean = [None if isinstance(v, _Bad) else v for v in values]
    if column.type == "int":
        return pd.Series(clean, dtype="Int64")
    if column.type == "float":
        return pd.Series([np.nan if v is None else v for v in clean], dtype="float64")
    if column.type == "time":
        return pd.Series(pd.to_datetime(clean, utc=True), dtype="datetime64[ns, UTC]")
    return pd.Series(clean, dtype=object)


# --- props ---------------------------------------------------------------------------------


def extra_properties(props: pd.DataFrame, spec: LayerSpec, rows: Sequence[int]
                     ) -> list[dict[str, Any]]:
    """Per row, the file's other columns (not id, not the layer's) as a JSON-ready dict."""
    taken = {"id", *(c.lower() for c in spec.column_names)}
    extra = [c for c in props.columns if str(c).strip().lower() not in taken]
    columns = {c: props[c].to_numpy() for c in extra}
    return [{str(c): _plain(v[row]) for c, v in columns.items() if not is_missing(v[row])}
            for row in rows]


def _plain(value: Any) -> Any:
    """numpy and pandas scalars to Python's, so that props serialise as JSON."""
    if isinstance(value, np.ndarray | list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value
