"""The static base board of the twin map: land, water and green, boundaries, roads, buildings.

Drawn from our own geodata (no online base map: docs/browser.md). These layers change only when a
layer is imported, so ``domain.overlays`` builds them once per process and theme, and the layout
embeds them (``MAP_SPEC``) so the first paint needs no extra round trip.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from twin_dashboard.catalog import ROAD_CLASSES
from twin_dashboard.i18n import t
from twin_dashboard.profiles import profile
from twin_dashboard.views._map_columns import (
    column_data,
    encode,
    path_shape,
    polygon_shape,
    rounded,
    take,
)
from twin_dashboard.views.map_layers import LayerDict, label_of, layer
from twin_dashboard.views.theme import BASE, FONT_STACK, Theme

if TYPE_CHECKING:
    from twin_dashboard.domain.overlays import BaseGeo


FLOOR_HEIGHT_M = 3.0  # a storey, for extruding buildings from their floor count
ROAD_WIDTH_M: dict[str, float] = {"arterial": 16.0, "secondary": 10.0, "branch": 6.0}


def land(district: gpd.GeoDataFrame, theme: Theme) -> LayerDict:
    """The district's ground: everything else is drawn on it."""
    shape, source = polygon_shape(district.geometry.to_numpy())
    data = column_data(len(source), {}, shapes={"polygon": shape})
    return layer("PolygonLayer", "land", data, get_polygon="@@=polygon",
                 get_fill_color=BASE[theme]["land"], stroked=False, filled=True)


def landcover(cover: gpd.GeoDataFrame, theme: Theme) -> LayerDict:
    """Water (the Huangpu, creeks) and green (parks)."""
    shape, source = polygon_shape(cover.geometry.to_numpy())
    kind, vocab = encode(take(cover["kind"], source), ("water", "green"))
    colors = {"water": BASE[theme]["water"], "green": BASE[theme]["green"]}
    data = column_data(len(source), {"kind": kind}, codes={"kind": vocab},
                       shapes={"polygon": shape}, derive={"color": ("kind", colors)})
    return layer("PolygonLayer", "landcover", data, get_polygon="@@=polygon",
                 get_fill_color="@@=color", stroked=False, filled=True)


def subdistricts(frame: gpd.GeoDataFrame, theme: Theme, lang: str) -> LayerDict:
    """Subdistrict areas: clickable (nearly invisible fill) with a firm outline."""
    shape, source = polygon_shape(frame.geometry.to_numpy())
    names = label_of(frame["name"], frame.get("name_en"), lang)
    data = column_data(len(source), {
        "id": take(frame["id"].astype(str), source), "name": take(names, source),
    }, shapes={"polygon": shape})
    # Alpha 1, not 0: a fully transparent fill would not be picked.
    return layer("PolygonLayer", "subdistricts", data, pick="subdistricts", tooltip="{name}",
                 get_polygon="@@=polygon", get_fill_color=[0, 0, 0, 1],
                 get_line_color=BASE[theme]["subdistrict_line"], stroked=True, filled=True,
                 line_width_min_pixels=2.5)


def neighborhoods(frame: gpd.GeoDataFrame, theme: Theme, lang: str) -> LayerDict:
    """The 25 digital neighborhoods, tinted, outlined and clickable."""
    shape, source = polygon_shape(frame.geometry.to_numpy())
    names = label_of(frame["name"], frame.get("name_en"), lang)
    data = column_data(len(source), {
        "id": take(frame["id"].astype(str), source), "name": take(names, source),
        "subdistrict_id": take(frame["subdistrict_id"].fillna("").astype(str), source),
    }, shapes={"polygon": shape})
    return layer("PolygonLayer", "neighborhoods", data, pick="neighborhoods", tooltip="{name}",
                 get_polygon="@@=polygon", get_fill_color=BASE[theme]["neighborhood_fill"],
                 get_line_color=BASE[theme]["neighborhood_line"], stroked=True, filled=True,
                 line_width_min_pixels=1.5)


def roads(frame: gpd.GeoDataFrame, theme: Theme) -> LayerDict:
    """Road centre lines, wider by class."""
    shape, source = path_shape(frame.geometry.to_numpy())
    road_class, vocab = encode(take(frame["road_class"].fillna("branch"), source), ROAD_CLASSES)
    data = column_data(len(source), {"road_class": road_class}, codes={"road_class": vocab},
                       shapes={"path": shape}, derive={"width": ("road_class", ROAD_WIDTH_M)})
    return layer("PathLayer", "roads", data, get_path="@@=path", get_width="@@=width",
                 get_color=BASE[theme]["road"], width_min_pixels=1, cap_rounded=True,
                 joint_rounded=True)


def buildings(frame: gpd.GeoDataFrame, theme: Theme, lang: str) -> LayerDict:
    """Buildings extruded by floors; those inside a digital neighborhood in a brighter tone."""
    shape, source = polygon_shape(frame.geometry.to_numpy())
    floors = pd.to_numeric(frame["floors"], errors="coerce").fillna(1).clip(lower=1)
    inside = frame["neighborhood_id"].fillna("").astype(str) != ""
    tone, vocab = encode(np.where(inside.to_numpy(), "in", "out")[source], ("in", "out"))
    colors = {"in": BASE[theme]["building_in_neighborhood"], "out": BASE[theme]["building"]}
    data = column_data(len(source), {
        "id": take(frame["id"].astype(str), source),
        "name": take(frame["name"].fillna("").astype(str), source),
        "floors": floors.to_numpy(np.int32)[source],
        "height": rounded(floors.to_numpy(float)[source] * FLOOR_HEIGHT_M, 1),
        "neighborhood_id": take(frame["neighborhood_id"].fillna("").astype(str), source),
        "subdistrict_id": take(frame["subdistrict_id"].fillna("").astype(str), source),
        "tone": tone,
    }, codes={"tone": vocab}, shapes={"polygon": shape}, derive={"color": ("tone", colors)})
    return layer("PolygonLayer", "buildings", data, pick="buildings",
                 tooltip=t("map.tip.building", lang), get_polygon="@@=polygon",
                 get_fill_color="@@=color", get_elevation="@@=height", extruded=True,
                 wireframe=False, stroked=False, filled=True,
                 material={"ambient": 0.45, "diffuse": 0.6, "shininess": 24,
                           "specularColor": [60, 80, 110]})


# Subdistrict names give way to neighborhood names as one zooms in (the script hides by zoom).
SUBDISTRICT_LABELS_UNTIL = 15.0
NEIGHBORHOOD_LABELS_FROM = 14.2


def place_labels(areas: gpd.GeoDataFrame, theme: Theme, lang: str) -> list[LayerDict]:
    """Names of subdistricts (large, zoomed out) and neighborhoods (zoomed in).

    ``areas``: ``id``, ``name``, ``name_en``, ``rank`` (0 subdistrict, 1 neighborhood), geometry.
    """
    rank = areas["rank"].to_numpy(int)
    # Where two names would overlap the script keeps the first: larger areas first (by their
    # bounding box: a ranking, no geodesic area needed).
    b = areas.geometry.bounds
    size = ((b["maxx"] - b["minx"]) * (b["maxy"] - b["miny"])).to_numpy()
    areas = areas.iloc[np.argsort(-size, kind="stable")]
    rank = areas["rank"].to_numpy(int)
    return [_labels(areas[rank == 0], theme, lang, "labels_sub", 22, None,
                    SUBDISTRICT_LABELS_UNTIL, short=True, declutter=0),
            _labels(areas[rank == 1], theme, lang, "labels_nbh", 15, NEIGHBORHOOD_LABELS_FROM,
                    None, declutter=1)]


# On the map, "X Road Subdistrict" is "X Road": the map shows what a subdistrict is, and the
# long English names of neighbours overlapped (the titles and lists keep the full name).
MAP_SUFFIXES_EN: tuple[str, ...] = (" Subdistrict",)


def short_label(name: str, lang: str) -> str:
    """A subdistrict's map label: without the suffix that the map makes plain, in English."""
    if lang == "en":
        for suffix in MAP_SUFFIXES_EN:
            if name.endswith(suffix) and len(name) > len(suffix):
                return name[: -len(suffix)]
    return name


def _labels(areas: gpd.GeoDataFrame, theme: Theme, lang: str, layer_id: str, size: int,
            min_zoom: float | None, max_zoom: float | None, short: bool = False,
            declutter: int | None = None) -> LayerDict:
    points = areas.geometry.representative_point()
    names = label_of(areas["name"], areas.get("name_en"), lang)
    data = column_data(len(areas), {
        "name": [short_label(n, lang) for n in names] if short else names,
        "lon": rounded(points.x), "lat": rounded(points.y),
    })
    return layer("TextLayer", layer_id, data, min_zoom=min_zoom, max_zoom=max_zoom,
                 declutter=declutter, get_position="@@=[lon, lat]", get_text="@@=name",
                 get_size=size,
                 get_color=BASE[theme]["text"], character_set="auto", font_family=FONT_STACK,
                 font_weight=600, billboard=True,
                 font_settings={"sdf": True, "fontSize": 48, "buffer": 6}, outline_width=3,
                 outline_color=BASE[theme]["background"][:3] + [220],
                 get_text_anchor="middle", get_alignment_baseline="center",
                 parameters={"depthCompare": "always"})


def base_spec(parts: dict[str, gpd.GeoDataFrame], theme: Theme, lang: str,
              deck_props: dict[str, Any] | None = None) -> dict[str, Any]:
    """The whole static description: theme colours, deck props and the base layers.

    ``parts``: the ``district``, ``landcover``, ``subdistricts``, ``neighborhoods``, ``roads``,
    ``buildings`` layers and ``areas`` (labels); a missing or empty part is left out.
    """
    builders = {
        "district": lambda f: land(f, theme), "landcover": lambda f: landcover(f, theme),
        "subdistricts": lambda f: subdistricts(f, theme, lang),
        "neighborhoods": lambda f: neighborhoods(f, theme, lang),
        "roads": lambda f: roads(f, theme), "buildings": lambda f: buildings(f, theme, lang),
        "areas": lambda f: place_labels(f, theme, lang),
    }
    layers: list[LayerDict] = []
    for name, build in builders.items():
        if name in parts and len(parts[name]):
            built = build(parts[name])
            layers.extend(built if isinstance(built, list) else [built])
    return {"theme": theme, "background": BASE[theme]["background"],
            "deck": dict(deck_props or {}), "layers": layers}


def base_board(geo: BaseGeo, screen: str, lang: str) -> dict[str, Any]:
    """The base board of ``screen``: the geography without the patrol zones (an overlay,
    drawn from ``MAP_DATA`` with its coverage)."""
    parts = {**geo.layers, "areas": geo.areas}
    parts.pop("patrol_zones", None)
    screen_profile = profile(screen)
    return base_spec(parts, screen_profile.theme, lang, screen_profile.deck)
