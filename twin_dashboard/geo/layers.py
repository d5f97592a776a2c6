"""What each geographic layer holds: the one description shared by generator, importer and store.

A layer is a table of features with an ``id``, a geometry of known kinds, typed attribute
columns and a ``props`` JSON column for anything else a source file carried. Layer names are
the command-line names of the README (``patrol-zones``); ``table`` is the store's name.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

ColumnType = Literal["str", "int", "float", "time"]
DISTRICT_COLUMN = "district_id"  # on every layer row but the district's own


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType = "str"
    required: bool = False  # must be present and non-empty in every imported feature
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class LayerSpec:
    name: str  # command-line name
    table: str  # store table
    geometry: tuple[str, ...]  # accepted shapely geom_type values
    columns: tuple[Column, ...] = field(default_factory=tuple)
    file: str = ""  # file name in geodata/
    # Columns that place a feature in a scope (which subdistricts/neighborhoods one may see).
    scope_columns: tuple[str, ...] = ()
    # A feature with more vertices is refused: a 10^6-vertex polygon inflates the map's data
    # from kilobytes to megabytes on every screen for nothing a district map can show.
    max_vertices: int = 50_000

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _layers() -> dict[str, LayerSpec]:
    from twin_dashboard.catalog import (
        BUILDING_KINDS,
        DEVICE_CATEGORIES,
        LANDCOVER_KINDS,
        ROAD_CLASSES,
    )

    polygon = ("Polygon", "MultiPolygon")
    line = ("LineString", "MultiLineString")
    point = ("Point",)
    specs = [
        LayerSpec("district", "district", polygon,
                  (Column("name"), Column("adcode", "int"), Column("name_en")),
                  "district.geojson"),
        LayerSpec("subdistricts", "subdistricts", polygon,
                  (Column("name", required=True), Column("name_en")),
                  "subdistricts.geojson", ("id",)),
        LayerSpec("neighborhoods", "neighborhoods", polygon,
                  (Column("name", required=True), Column("name_en"), Column("subdistrict_id")),
                  "neighborhoods.geojson", ("subdistrict_id", "id")),
        LayerSpec("buildings", "buildings", polygon,
                  (Column("name"), Column("floors", "int"),
                   Column("kind", choices=BUILDING_KINDS),
                   Column("subdistrict_id"), Column("neighborhood_id")),
                  "buildings.geojson", ("subdistrict_id", "neighborhood_id"),
                  max_vertices=5_000),
        LayerSpec("roads", "roads", line,
                  (Column("name"), Column("road_class", choices=ROAD_CLASSES),
                   Column("subdistrict_id"), Column("zone_id")),
                  "roads.geojson", ("subdistrict_id",), max_vertices=10_000),
        LayerSpec("landcover", "landcover", polygon,
                  (Column("name"), Column("kind", required=True, choices=LANDCOVER_KINDS)),
                  "landcover.geojson"),
        LayerSpec("addresses", "addresses", point,
                  (Column("address", required=True), Column("subdistrict_id"),
                   Column("neighborhood_id"), Column("building_id")),
                  "addresses.csv", ("subdistrict_id", "neighborhood_id")),
        LayerSpec("patrol-zones", "patrol_zones", polygon,
                  (Column("name", required=True), Column("subdistrict_id"),
                   Column("gov_chief_id"), Column("community_chief_id"),
                   Column("target_hours", "float")),
                  "patrol_zones.geojson", ("subdistrict_id",)),
        LayerSpec("devices", "devices", point,
                  (Column("category", required=True,
                          choices=tuple(c.code for c in DEVICE_CATEGORIES)),
                   Column("name"), Column("subdistrict_id"), Column("neighborhood_id"),
                   Column("building_id"), Column("household_id"),
                   Column("installed_at", "time")),
                  "devices.csv", ("subdistrict_id", "neighborhood_id")),
    ]
    # Every row of a layer but the district's own carries the district it lies in (DESIGN
    # §4.4: the district layer may hold a city); the importer fills it from the boundaries.
    specs = [s if s.name == "district" else
             replace(s, columns=(*s.columns, Column(DISTRICT_COLUMN))) for s in specs]
    return {s.name: s for s in specs}


LAYERS: dict[str, LayerSpec] = _layers()
LAYER_NAMES: tuple[str, ...] = tuple(LAYERS)
# Layers whose features must lie inside the district (all but the district itself).
DISTRICT_LAYER = "district"
INSIDE_SHARE = 0.90  # a feature is inside when this share of it lies in the buffered district
DISTRICT_BUFFER_M = 200.0


def district_part(spec: LayerSpec, district: str | None) -> tuple[str, str] | None:
    """The column and value that pick one district's rows of a layer (``None``: the whole
    layer): an import for one district replaces only its own part of a city's layer."""
    if district is None:
        return None
    return ("id" if spec.name == DISTRICT_LAYER else DISTRICT_COLUMN, district)


def layer_spec(name: str) -> LayerSpec:
    """The spec of a layer by its command-line name; a clear error for unknown names."""
    try:
        return LAYERS[name]
    except KeyError:
        raise ValueError(
            f"unknown layer {name!r}: expected one of {', '.join(LAYER_NAMES)}"
        ) from None
