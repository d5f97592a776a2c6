"""Prepare a file for ``twin-dashboard import``: read, convert to WGS84, check, assemble.

Pure: it never touches the store. The CLI hands the prepared frame to ``store.replace_layer``,
which is transactional, so a refused or failed import changes nothing (README: command line and
HTTP).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from twin_dashboard.geo.crs import to_wgs84, transform_geometries
from twin_dashboard.geo.layers import DISTRICT_COLUMN, DISTRICT_LAYER, LayerSpec, layer_spec
from twin_dashboard.geo.readers import ReadError, SourceData, read_features
from twin_dashboard.geo.validate import (
    LIST_LIMIT,
    Problem,
    check_attributes,
    check_geometries,
    duplicate_ids,
    extra_properties,
    feature_ids,
    feature_labels,
    format_problems,
    outside_district,
)

COORDINATE_DECIMALS = 7  # ≈ 1 cm: finer than any source, and keeps stored text short
DBF_NAME_LENGTH = 10  # a shapefile's .dbf keeps this many characters of a field name


class ImportRefused(ValueError):
    """The file was refused as a whole; the message lists every problem found."""


@dataclass
class PreparedImport:
    """A checked layer ready for ``store.replace_layer``, and what to tell the user."""

    layer: str
    frame: gpd.GeoDataFrame  # EPSG:4326; columns: id, the layer's columns, props, geometry
    notes: list[str] = field(default_factory=list)
    source_crs: str = "wgs84"


def prepare_import(layer: str, path: Path | str, *, crs: str | None = None,
                   district: gpd.GeoDataFrame | None = None, drop_outside: bool = False,
                   progress: bool = False, encoding: str | None = None,
                   district_id: str | None = None) -> PreparedImport:
    """Read ``path`` as ``layer``, convert it to WGS84 and check every feature.

    Parameters
    ----------
    layer : a layer name of the README (``subdistricts``, ``patrol-zones``…).
    path : GeoJSON (or a bare array of Features), GeoPackage, zipped Shapefile, GeoParquet
        or CSV with lon/lat columns.
    crs : the file's coordinates (``wgs84``, ``gcj02``, ``bd09``, ``EPSG:N``); overrides the
        CRS the file declares. Default: the file's own, else WGS84.
    district : the stored district layer, for the inside-district rule; None or empty skips
        the rule (with a note). Ignored when ``layer`` is the district.
    drop_outside : drop features outside the district (listed in the notes) instead of
        refusing the file.
    progress : show progress bars on stderr for inputs of more than 2,000 features.
    encoding : the text encoding of the file (``gb18030``, ``utf-8``…). Default: what the
        file declares; a shapefile declaring none is read as UTF-8 if it decodes, else GB18030.
    district_id : import for this one district of a city (``--district``): every feature gets
        it, must lie inside its boundary, and the store replaces only its rows. For the district
        layer, the file's one feature becomes that district. Default: each feature gets the
        stored district whose boundary holds it.

    Raises
    ------
    ImportRefused : naming each problem (feature position, id or name, reason).
    """
    try:
        spec = layer_spec(layer)
        source = read_features(path, crs=crs, layer=spec.table, progress=progress,
                               encoding=encoding)
    except ReadError as err:
        raise ImportRefused(str(err)) from None
    except ValueError as err:  # an unknown layer or CRS name
        raise ImportRefused(str(err)) from None
    total = len(source.geometry)
    if total == 0:
        raise ImportRefused(f"{Path(path).name} holds no features")
    if source.short_names:
        source.properties, renamed = full_field_names(source.properties, spec)
        source.notes += renamed
    district = _districts(district, spec, district_id)
    try:
        prepared = _prepare(spec, source, _district_shape(district, spec), drop_outside,
                            progress)
        prepared.frame = place_in_districts(spec, prepared.frame, district, district_id)
        return prepared
    except RecursionError:  # e.g. a property holding lists in lists a thousand deep
        raise ImportRefused(f"{Path(path).name}: values nested deeper than the importer takes "
                            f"(about {sys.getrecursionlimit() // 2} levels)") from None


def full_field_names(props: pd.DataFrame, spec: LayerSpec) -> tuple[pd.DataFrame, list[str]]:
    """A shapefile's fields cut to 10 characters (``subdistric``) renamed to the layer's
    column they begin (``subdistrict_id``), with a note for each.

    Raises :class:`ImportRefused` for a cut name that could be two columns, or one that GDAL
    numbered apart (``subdistr_1``): guessing would import values into the wrong column.
    """
    long = [c for c in spec.column_names if len(c) > DBF_NAME_LENGTH]
    present = {str(c).strip().lower() for c in props.columns}
    renames: dict[str, str] = {}
    problems: list[str] = []
    for field_name in map(str, props.columns):
        short = field_name.strip().lower()
        if len(short) != DBF_NAME_LENGTH or short in spec.column_names:
            continue
        matches = [c for c in long if c.startswith(short) and c not in present]
        numbered = re.fullmatch(r"(.+)_\d+", short)
        if len(matches) == 1:
            renames[field_name] = matches[0]
        elif matches:
            problems.append(f"field {field_name!r} may be {' or '.join(matches)} cut to "
                            f"{DBF_NAME_LENGTH} characters: rename it in the file")
        elif numbered and any(c.startswith(numbered[1]) for c in long):
            problems.append(f"field {field_name!r} looks like a name cut to {DBF_NAME_LENGTH} "
                            "characters and numbered apart from another: rename it in the file "
                            f"to one of {', '.join(long)}")
    if problems:
        raise ImportRefused("shapefile field names are cut to 10 characters and these cannot "
                            "be told apart:\n" + "\n".join(f"  {p}" for p in problems))
    notes = [f"shapefile field {short!r} read as {full!r} (field names are cut to "
             f"{DBF_NAME_LENGTH} characters)" for short, full in renames.items()]
    return props.rename(columns=renames), notes


def _prepare(spec: LayerSpec, source: SourceData, district: shapely.Geometry | None,
             drop_outside: bool, progress: bool) -> PreparedImport:
    """The pipeline: convert, check geometry, place in district, check attributes, assemble."""
    total = len(source.geometry)
    notes = list(source.notes)
    within, read_errors = _vertex_limit(source, spec)
    geoms = transform_geometries(within, to_wgs84(source.crs), COORDINATE_DECIMALS)
    ids, from_source = feature_ids(source.properties, spec.name)
    labels = feature_labels(source.properties, ids, from_source)
    checked = check_geometries(geoms, spec, labels, read_errors, progress=progress)
    problems = list(checked.problems)
    rows = list(range(total))
    outside, note = _outside(spec, checked.geometry, district, labels)
    notes += note
    if drop_outside and outside:
        dropped = {p.position - 1 for p in outside}
        rows = [r for r in rows if r not in dropped]
        notes += [f"dropped {len(outside)} feature(s) outside the district:",
                  *(f"  {p}" for p in sorted(outside, key=lambda p: p.position))]
    else:
        problems += outside
    table, attribute_problems = check_attributes(source.properties, spec, rows, labels)
    problems += attribute_problems + duplicate_ids(ids, rows, labels)
    if problems:
        raise ImportRefused(format_problems(problems, total))
    notes += _listing(f"repaired {len(checked.repaired)} invalid geometries:", checked.repaired)
    frame = _assemble(spec, source, rows, ids, table, checked.geometry)
    return PreparedImport(spec.name, frame, notes, source.crs)


def _vertex_limit(source: SourceData, spec: LayerSpec) -> tuple[np.ndarray, dict[int, str]]:
    """The geometries without those over the layer's vertex limit (not worth converting or
    checking), and the read errors with a reason for each of those."""
    vertices = shapely.get_num_coordinates(source.geometry)
    over = np.flatnonzero(vertices > spec.max_vertices)
    if not len(over):
        return source.geometry, source.geometry_errors
    within = source.geometry.copy()
    within[over] = None
    errors = dict(source.geometry_errors)
    for row in map(int, over):
        errors[row] = (f"{vertices[row]:,} vertices, more than the {spec.max_vertices:,} a "
                       f"feature of layer {spec.name} may have: simplify it first (e.g. "
                       "mapshaper -simplify, ogr2ogr -simplify)")
    return within, errors


def _districts(district: gpd.GeoDataFrame | None, spec: LayerSpec,
               district_id: str | None) -> gpd.GeoDataFrame | None:
    """The stored districts a file is checked against and placed in: only ``district_id``'s
    when given (refused when no such district is stored)."""
    if district_id is None or spec.name == DISTRICT_LAYER:
        return district
    if district is None or district_id not in set(district["id"]):
        known = ", ".join(sorted(map(str, district["id"]))) if district is not None else ""
        raise ImportRefused(f"no district {district_id!r} is stored (known: {known or 'none'}): "
                            f"import its boundary first: import district FILE --district "
                            f"{district_id}")
    return district[district["id"] == district_id]


def place_in_districts(spec: LayerSpec, frame: gpd.GeoDataFrame,
                        district: gpd.GeoDataFrame | None,
                        district_id: str | None) -> gpd.GeoDataFrame:
    """Each feature's ``district_id``: the one asked for, the file's own, else the stored
    district whose boundary holds the feature's inner point (nearest one for a point just
    outside, within the buffer the inside rule allows). The district layer's own ids."""
    if spec.name == DISTRICT_LAYER:
        if district_id is not None:
            if len(frame) != 1:
                raise ImportRefused(f"--district {district_id} takes a file of one district "
                                    f"boundary; this one holds {len(frame)} features")
            frame["id"] = [district_id]
        return frame
    given = frame[DISTRICT_COLUMN].to_numpy(dtype=object, copy=True)
    if district_id is not None:
        other = sorted({str(v) for v in given if v is not None and v != district_id})
        if other:
            raise ImportRefused(f"the file's district_id values {', '.join(other)} are not "
                                f"{district_id!r}, the --district asked for")
        frame[DISTRICT_COLUMN] = district_id
        return frame
    missing = np.array([v is None for v in given], dtype=bool)
    if missing.any() and district is not None and not district.empty:
        shapes = district.to_crs("EPSG:4326").geometry.to_numpy() \
            if district.crs is not None else district.geometry.to_numpy()
        inner = shapely.point_on_surface(frame.geometry.to_numpy()[missing])
        nearest = shapely.STRtree(shapes).query_nearest(inner, all_matches=False)
        given[np.flatnonzero(missing)[nearest[0]]] = district["id"].to_numpy()[nearest[1]]
        frame[DISTRICT_COLUMN] = given
    return frame


def _district_shape(district: gpd.GeoDataFrame | None, spec: LayerSpec
                    ) -> shapely.Geometry | None:
    """The district as one WGS84 geometry, or None when there is none (or it is the import)."""
    if spec.name == DISTRICT_LAYER or district is None or district.empty:
        return None
    if district.crs is not None and not district.crs.equals("EPSG:4326"):
        district = district.to_crs("EPSG:4326")
    shape = shapely.union_all(district.geometry.dropna().to_numpy())
    return None if shape.is_empty else shape


def _outside(spec: LayerSpec, geoms: np.ndarray, district: shapely.Geometry | None,
             labels: list[str]) -> tuple[list[Problem], list[str]]:
    """Problems for features outside the district, and a note when the rule was skipped."""
    if spec.name == DISTRICT_LAYER:
        return [], []
    if district is None:
        return [], ["the store has no district yet: the inside-district check was skipped "
                    "(import the district layer first to have it)"]
    usable = [row for row, geom in enumerate(geoms) if geom is not None]
    return outside_district(geoms, district, labels, usable), []


def _listing(header: str, items: list[Problem]) -> list[str]:
    if not items:
        return []
    lines = [header, *(f"  {p}" for p in items[:LIST_LIMIT])]
    if len(items) > LIST_LIMIT:
        lines.append(f"  … and {len(items) - LIST_LIMIT} more")
    return lines


def _assemble(spec: LayerSpec, source: SourceData, rows: list[int], ids: list[str | None],
              table: pd.DataFrame, geoms: np.ndarray) -> gpd.GeoDataFrame:
    """Columns exactly: id, the layer's columns, props, geometry (EPSG:4326)."""
    frame = table.copy()
    frame.insert(0, "id", np.array([ids[r] for r in rows], dtype=object))
    frame["props"] = extra_properties(source.properties, spec, rows)
    geometry = gpd.GeoSeries(geoms[rows], crs="EPSG:4326", index=frame.index)
    return gpd.GeoDataFrame(frame, geometry=geometry)
