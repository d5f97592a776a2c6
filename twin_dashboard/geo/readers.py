"""Read an input file of any accepted format into source coordinates and raw properties.

Readers only read: they keep the file's own coordinates and CRS and every property as it
came (checking and converting is ``validate``'s and ``crs``'s job). A file that cannot be read
at all raises :class:`ReadError` naming the problem; a feature whose geometry alone is
unreadable is recorded in ``geometry_errors`` so that all problems are reported together.
"""

from __future__ import annotations

import codecs
import json
import re
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
import shapely.geometry
from tqdm import tqdm

from twin_dashboard.geo.crs import WGS84, crs_alias, is_geographic, normalize_crs

SUFFIXES: tuple[str, ...] = (".geojson", ".json", ".gpkg", ".zip", ".parquet", ".geoparquet",
                             ".csv")
LON_NAMES: tuple[str, ...] = ("lon", "lng", "longitude", "long", "x")
LAT_NAMES: tuple[str, ...] = ("lat", "latitude", "y")
# Foreign member our exporter writes on non-WGS84 GeoJSON (RFC 7946 has no crs member).
COORDINATE_SYSTEM_MEMBER = "coordinate_system"
PROGRESS_MIN = 2000  # show a progress bar only for inputs larger than this
_CSV_ENCODINGS = ("utf-8-sig", "gb18030")  # Excel in China saves CSV as GBK
# A shapefile naming no encoding (no .cpg, no code page in the .dbf) is tried in these, strictly:
# UTF-8 first (it rarely decodes anything else), then GB18030, a superset of GBK and GB2312,
# which Chinese GIS tools write. GDAL's own guess for it, ISO-8859-1, turns Chinese to mojibake.
_SHAPEFILE_ENCODINGS = ("utf-8", "gb18030")
_GDAL_UNDECLARED = "ISO-8859-1"  # what pyogrio reports for a shapefile that names no encoding


class ReadError(ValueError):
    """The file cannot be read as features; nothing was imported."""


@dataclass
class SourceData:
    """What a file holds, before conversion and checks (row i is the file's feature i + 1)."""

    properties: pd.DataFrame  # one row per feature, object columns as read
    geometry: np.ndarray  # shapely geometries (or None) in the source CRS
    crs: str  # canonical (see crs.normalize_crs)
    notes: list[str] = field(default_factory=list)
    geometry_errors: dict[int, str] = field(default_factory=dict)  # row -> reason
    short_names: bool = False  # a shapefile: its field names were cut to 10 characters


def read_features(path: Path | str, *, crs: str | None = None, layer: str | None = None,
                  progress: bool = False, encoding: str | None = None) -> SourceData:
    """Read ``path`` (format by suffix); ``crs`` overrides the file's own CRS.

    ``layer`` picks the layer of a multi-layer GeoPackage or zip by name. ``encoding`` is the
    text's (GeoJSON, CSV, shapefile); by default GeoJSON is UTF-8, CSV UTF-8 else GB18030, and
    a shapefile what its .cpg says, else UTF-8 if it decodes, else GB18030 (with a note).
    """
    path = Path(path)
    _check_file(path)
    override = normalize_crs(crs) if crs else None
    if encoding is not None:
        encoding = _codec(encoding)
    suffix = path.suffix.lower()
    if suffix in (".geojson", ".json"):
        data = _read_geojson(path, progress, encoding)
    elif suffix == ".csv":
        data = _read_csv(path, override, encoding)
    elif suffix in (".parquet", ".geoparquet"):
        data = _read_parquet(path)
    else:
        data = _read_ogr(path, layer, encoding)
    if override:
        data.crs = override
    _settle_crs(data, path, declared=bool(override) or data.crs != "")
    return data


def _codec(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise ReadError(f"unknown text encoding {encoding!r} (e.g. utf-8, gb18030, gbk)") from None


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise ReadError(f"{path}: no such file")
    if path.suffix.lower() not in SUFFIXES:
        raise ReadError(f"{path.name}: unknown file type {path.suffix or '(no suffix)'!r}: "
                        f"expected one of {', '.join(SUFFIXES)}")
    if path.stat().st_size == 0:
        raise ReadError(f"{path.name} is empty (0 bytes)")


def _settle_crs(data: SourceData, path: Path, declared: bool) -> None:
    """Default an undeclared CRS to WGS84, unless the coordinates are plainly not degrees."""
    sample = _non_degree_sample(data.geometry)
    if not declared:
        if sample is not None:
            raise ReadError(
                f"{path.name} has no CRS (no .prj or crs metadata) and its coordinates are "
                f"not degrees (e.g. {sample}): it is projected; pass --crs EPSG:N")
        data.crs = WGS84
        if path.suffix.lower() in (".zip", ".gpkg", ".parquet", ".geoparquet"):
            data.notes.append(f"{path.name} names no CRS: its degrees were read as WGS84")
    elif sample is not None and is_geographic(data.crs):
        raise ReadError(
            f"{path.name}: coordinates such as {sample} are not degrees, yet the CRS is "
            f"{data.crs}: pass --crs EPSG:N of the file's projection")


def _non_degree_sample(geoms: np.ndarray) -> str | None:
    """A coordinate pair outside ±180/±90, as text, or None when all look like degrees."""
    coords = shapely.get_coordinates(np.array([g for g in geoms if g is not None] or [None]))
    bad = (np.abs(coords[:, 0]) > 180) | (np.abs(coords[:, 1]) > 90)
    if not bad.any():
        return None
    x, y = coords[bad][0]
    return f"x={x:.1f}, y={y:.1f}"


# --- GeoJSON -------------------------------------------------------------------------------


def _read_geojson(path: Path, progress: bool, encoding: str | None = None) -> SourceData:
    """A FeatureCollection, a bare array of Features (DataV) or a single Feature."""
    features, crs = _geojson_features(_load_json(path, encoding), path)
    rows: list[dict[str, Any]] = []
    geoms: list[Any] = []
    errors: dict[int, str] = {}
    shown = progress and len(features) > PROGRESS_MIN
    for i, feature in enumerate(tqdm(features, desc="reading", unit="feature", disable=not shown)):
        props, geom, error = _geojson_feature(feature)
        rows.append(props)
        geoms.append(geom)
        if error:
            errors[i] = error
    frame = pd.DataFrame.from_records(rows, index=pd.RangeIndex(len(rows))).astype(object)
    return SourceData(frame, np.array(geoms, dtype=object), crs, geometry_errors=errors)


def _load_json(path: Path, encoding: str | None = None) -> Any:
    try:
        text = path.read_text(encoding=encoding or "utf-8-sig")
    except UnicodeDecodeError as err:
        raise ReadError(f"{path.name} is not {encoding or 'UTF-8'} text (byte {err.start}): "
                        "GeoJSON must be UTF-8") from None
    try:
        return json.loads(text)
    except RecursionError:
        raise ReadError(f"{path.name}: JSON nested deeper than the reader takes (about "
                        f"{sys.getrecursionlimit()} levels): not GeoJSON") from None
    except json.JSONDecodeError as err:
        ends = " (the file ends early: truncated?)" if err.pos >= len(text.rstrip()) else ""
        raise ReadError(f"{path.name} is not valid JSON: {err.msg} at line {err.lineno}, "
                        f"column {err.colno}{ends}") from None


def _geojson_features(data: Any, path: Path) -> tuple[list[Any], str]:
    """The features and the declared CRS ('' when none) of parsed GeoJSON."""
    if isinstance(data, list):
        return data, ""
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list):
            raise ReadError(f"{path.name}: FeatureCollection has no 'features' array")
        declared = data.get("crs") or data.get(COORDINATE_SYSTEM_MEMBER)
        return features, _geojson_crs(declared, path)
    if isinstance(data, dict) and data.get("type") == "Feature":
        return [data], _geojson_crs(data.get("crs"), path)
    kind = data.get("type") if isinstance(data, dict) else type(data).__name__
    raise ReadError(f"{path.name}: expected a FeatureCollection or an array of Features, "
                    f"found {kind!r}")


def _geojson_crs(member: Any, path: Path) -> str:
    """The old (2008) GeoJSON ``crs`` member (``urn:ogc:def:crs:EPSG::3857``), or ours."""
    if not member:
        return ""
    try:
        return normalize_crs(member if isinstance(member, str) else
                             str(member["properties"]["name"]))
    except (KeyError, TypeError, ValueError) as err:
        raise ReadError(f"{path.name}: unreadable 'crs' member {member!r} ({err})") from None


def _geojson_feature(feature: Any) -> tuple[dict[str, Any], Any, str | None]:
    """Properties, geometry and (if unreadable) the reason, of one Feature."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return {}, None, "not a GeoJSON Feature"
    props = dict(feature.get("properties") or {})
    if feature.get("id") is not None and "id" not in props:
        props["id"] = feature["id"]
    spec = feature.get("geometry")
    if spec is None:
        return props, None, None
    try:
        return props, shapely.geometry.shape(spec), None
    except RecursionError:
        return props, None, "unreadable geometry: coordinates nested too deeply"
    except (ValueError, TypeError, KeyError, AttributeError, IndexError,
            shapely.errors.ShapelyError) as err:
        return props, None, f"unreadable geometry: {err or type(err).__name__}"


# --- GeoPackage, zipped Shapefile, GeoParquet ----------------------------------------------


def _read_ogr(path: Path, layer: str | None, encoding: str | None = None) -> SourceData:
    """GeoPackage or zipped Shapefile, through pyogrio (GDAL)."""
    name = _ogr_call(path, _pick_layer, path, layer)
    info = _ogr_call(path, pyogrio.read_info, path, layer=name)
    shapefile = info.get("driver") == "ESRI Shapefile"
    notes = []
    if shapefile and (encoding is not None or info.get("encoding") == _GDAL_UNDECLARED):
        guessed = encoding is None
        encoding = _dbf_encoding(path, name, encoding)
        if guessed and encoding not in (None, "utf-8"):
            notes.append(f"{path.name} names no text encoding (no .cpg) and is not UTF-8: it "
                         f"was read as {encoding.upper()} (pass --encoding if that is wrong)")
    frame = _read_ogr_frame(path, name, encoding)
    data = _from_geodataframe(frame, path)
    data.notes += notes
    data.short_names = shapefile
    return data


def _dbf_encoding(path: Path, name: str, wanted: str | None) -> str | None:
    """``wanted`` if all text of the layer's .dbf decodes in it, strictly; with none wanted, the
    first of ``_SHAPEFILE_ENCODINGS`` that does.

    Checked on the bytes here: GDAL's recoding drops what it cannot convert and says so once
    per process. None when the zip holds no such .dbf (GDAL then reads as it would).
    """
    raw = _dbf_text(path, name)
    if raw is None:
        return wanted
    for encoding in (wanted,) if wanted else _SHAPEFILE_ENCODINGS:
        try:
            raw.decode(encoding)
        except UnicodeDecodeError as err:
            if wanted:
                raise ReadError(f"{path.name}: its text is not {wanted} (byte {err.start} of "
                                f"the .dbf's text): pass the file's --encoding") from None
            continue
        return encoding
    raise ReadError(f"{path.name} names no text encoding (no .cpg) and its text is neither "
                    f"{' nor '.join(e.upper() for e in _SHAPEFILE_ENCODINGS)}: pass --encoding")


def _dbf_text(path: Path, name: str) -> bytes | None:
    """The field names and records of ``<name>.dbf`` in the zip, as bytes (None if absent)."""
    with zipfile.ZipFile(path) as archive:
        member = next((m for m in archive.namelist()
                       if PurePosixPath(m).name.lower() == f"{name.lower()}.dbf"), None)
        if member is None:
            return None
        data = archive.read(member)
    header = int.from_bytes(data[8:10], "little")
    names = [data[i:i + 11].split(b"\0")[0] for i in range(32, header - 1, 32)
             if data[i] != 0x0D]
    return b" ".join(names) + b" " + data[header:]


def _read_ogr_frame(path: Path, name: str, encoding: str | None) -> gpd.GeoDataFrame:
    """The layer ``name`` with its text in ``encoding`` (None: as GDAL finds it)."""
    try:
        return _ogr_call(path, gpd.read_file, path, layer=name, engine="pyogrio",
                         encoding=encoding)
    except UnicodeDecodeError as err:
        raise ReadError(f"{path.name}: its text is not {encoding} (byte {err.start}): pass the "
                        "file's --encoding") from None


def _ogr_call(path: Path, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
            pyogrio.errors.GeometryError, pyogrio.errors.FieldError,
            pyogrio.errors.CRSError) as err:
        raise ReadError(f"{path.name}: cannot read: {err}") from None


def _pick_layer(path: Path, wanted: str | None) -> str:
    """The only layer, or the one named like the layer being imported."""
    names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    if not names:
        raise ReadError(f"{path.name} holds no layer (a zip must contain a .shp with its "
                        ".shx and .dbf)")
    if len(names) == 1:
        return names[0]
    for name in names:
        if wanted and name.lower() in (wanted.lower(), wanted.replace("-", "_").lower()):
            return name
    raise ReadError(f"{path.name} holds {len(names)} layers ({', '.join(names)}): keep one, "
                    f"or name one {wanted!r}")


def _read_parquet(path: Path) -> SourceData:
    try:
        frame = gpd.read_parquet(path)
    except (ValueError, OSError) as err:
        raise ReadError(f"{path.name}: not a GeoParquet file: {err}") from None
    return _from_geodataframe(frame, path)


def _from_geodataframe(frame: gpd.GeoDataFrame, path: Path) -> SourceData:
    if not isinstance(frame, gpd.GeoDataFrame):
        raise ReadError(f"{path.name}: the table has no geometry column")
    geoms = frame.geometry.to_numpy().astype(object)
    geoms[pd.isna(geoms)] = None
    props = pd.DataFrame(frame.drop(columns=frame.geometry.name)).astype(object)
    props.index = pd.RangeIndex(len(props))
    crs = normalize_crs(frame.crs) if frame.crs is not None else ""
    return SourceData(props, geoms, crs)


# --- CSV with coordinate columns -----------------------------------------------------------


def _read_csv(path: Path, override: str | None, encoding: str | None = None) -> SourceData:
    """Points from lon/lat columns; CRS-prefixed pairs (``gcj02_lng``) are chosen by CRS."""
    table = _load_csv(path, (encoding,) if encoding else _CSV_ENCODINGS)
    (lon_col, lat_col), crs, used = _coordinate_columns(list(table.columns), override, path)
    lon = pd.to_numeric(table[lon_col], errors="coerce").to_numpy(float)
    lat = pd.to_numeric(table[lat_col], errors="coerce").to_numpy(float)
    errors: dict[int, str] = {}
    for i in np.flatnonzero(np.isnan(lon) | np.isnan(lat)):
        raw = (table.at[i, lon_col].strip(), table.at[i, lat_col].strip())
        if any(raw):
            errors[int(i)] = f"{lon_col}/{lat_col} {raw[0]!r}, {raw[1]!r} are not numbers"
    geoms = shapely.points(lon, lat).astype(object)
    geoms[np.isnan(lon) | np.isnan(lat)] = None
    props = table.drop(columns=used).astype(object)
    return SourceData(props, geoms, crs or "", geometry_errors=errors)


def _load_csv(path: Path, encodings: tuple[str, ...]) -> pd.DataFrame:
    for encoding in encodings:
        try:
            return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding,
                               skipinitialspace=True)
        except UnicodeDecodeError:
            continue
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
            raise ReadError(f"{path.name}: not a readable CSV: {err}") from None
    if encodings == _CSV_ENCODINGS:
        raise ReadError(f"{path.name}: text is neither UTF-8 nor GB18030: pass --encoding")
    raise ReadError(f"{path.name}: text is not {encodings[0]}")


def _coordinate_columns(columns: list[str], override: str | None, path: Path
                        ) -> tuple[tuple[str, str], str | None, list[str]]:
    """The (lon, lat) columns to use, their CRS, and every coordinate column (to drop)."""
    pairs = _prefixed_pairs(columns)
    plain = _plain_pair(columns)
    used = [c for pair in [*pairs.values(), plain] if pair for c in pair]
    wanted = override or WGS84
    if wanted in pairs:
        return pairs[wanted], wanted, used
    if plain:
        return plain, override, used
    if pairs:
        have = ", ".join(f"{crs} ({lon}, {lat})" for crs, (lon, lat) in pairs.items())
        raise ReadError(f"{path.name} has no {wanted} coordinate columns, only {have}: "
                        "pass --crs to pick one")
    raise ReadError(f"{path.name}: no longitude/latitude columns (expected one of "
                    f"{'|'.join(LON_NAMES)} and of {'|'.join(LAT_NAMES)}); "
                    f"columns are: {', '.join(columns)}")


def _plain_pair(columns: list[str]) -> tuple[str, str] | None:
    lower = {c.strip().lower(): c for c in columns}
    lon = next((lower[n] for n in LON_NAMES if n in lower), None)
    lat = next((lower[n] for n in LAT_NAMES if n in lower), None)
    return (lon, lat) if lon and lat else None


_PREFIXED = re.compile(r"^(?P<crs>[a-z0-9-]+)[_ ](?P<axis>[a-z]+)$")


def _prefixed_pairs(columns: list[str]) -> dict[str, tuple[str, str]]:
    """``{crs: (lon column, lat column)}`` for names like ``gcj02_lng``/``gcj02_lat``."""
    found: dict[str, dict[str, str]] = {}
    for column in columns:
        match = _PREFIXED.match(column.strip().lower())
        if not match:
            continue
        crs = crs_alias(match["crs"])
        axis = "lon" if match["axis"] in LON_NAMES else "lat" if match["axis"] in LAT_NAMES \
            else None
        if axis and crs:
            found.setdefault(crs, {}).setdefault(axis, column)
    return {crs: (p["lon"], p["lat"]) for crs, p in found.items() if len(p) == 2}
