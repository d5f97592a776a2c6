"""社区大脑 on the screens: the choropleth of counts per area (deck.gl layer JSON, drawn over
the base board), the bar chart per area and the people list's rows. Pure functions of the
counts that ``domain.brain.counts`` gives and the areas' geometry.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import plotly.graph_objects as go

from twin_dashboard.i18n import t
from twin_dashboard.views._map_columns import column_data, polygon_shape, rounded, take
from twin_dashboard.views.charts import ChartStyle, _layout, empty_figure
from twin_dashboard.views.map_layers import ON_TOP, LayerDict, label_of, layer
from twin_dashboard.views.theme import BASE, FONT_STACK, Theme

# A sequential ramp, none → most (ColorBrewer YlOrRd, 5 classes): an area's class is its share
# of the largest count; an area with nobody is a pale tint, never hidden.
RAMP: tuple[tuple[int, int, int], ...] = (
    (255, 255, 178), (254, 204, 92), (253, 141, 60), (240, 59, 32), (189, 0, 38))
NONE_RGB = (200, 200, 200)
FILL_ALPHA = 150  # over the buildings (drawn on top): they show through
LABEL_SIZE = 20
CHART_TOP = 12  # bars in the chart; more would not read in the drawer


def ramp_class(counts: np.ndarray) -> np.ndarray:
    """Per count, its class 0…4 (``RAMP``) by share of the largest; −1 for zero."""
    counts = np.asarray(counts, dtype=float)
    top = max(float(counts.max(initial=0)), 1.0)
    classes = np.minimum((counts / top * len(RAMP)).astype(int), len(RAMP) - 1)
    return np.where(counts > 0, classes, -1)


def ramp_colors(counts: Sequence[int] | np.ndarray, alpha: int = FILL_ALPHA) -> list[list[int]]:
    """The fill colour of each count."""
    return [list(RAMP[c] if c >= 0 else NONE_RGB) + [alpha] for c in ramp_class(counts)]


def legend_steps(counts: Sequence[int]) -> list[tuple[str, list[int]]]:
    """The legend: one (range text, colour) per class, from 1 to the largest count."""
    top = max([int(c) for c in counts] + [0])
    if top == 0:
        return []
    steps, low = [], 1
    for i, rgb in enumerate(RAMP):
        high = int(np.ceil(top * (i + 1) / len(RAMP)) - (0 if i == len(RAMP) - 1 else 1))
        high = max(high, low)
        if low <= top and (not steps or high >= low):
            steps.append((f"{low}" if low == high else f"{low}–{high}", [*rgb, 255]))
        low = high + 1
        if low > top:
            break
    return steps


def brain_layers(areas: gpd.GeoDataFrame, counts: Sequence[Mapping[str, Any]], theme: Theme,
                 lang: str) -> list[LayerDict]:
    """The choropleth: each area of ``counts`` filled by its count, with the count as a label.

    ``areas``: the subdistricts or neighborhoods layer (``id``, ``name``, ``name_en``, polygon
    geometry); ``counts``: ``[{"id", "count"}, …]`` (``domain.brain.counts``'s ``areas``).
    """
    by_id = {str(a["id"]): int(a["count"]) for a in counts}
    shown = areas[areas["id"].astype(str).isin(by_id)].reset_index(drop=True)
    names = label_of(shown["name"], shown.get("name_en"), lang)
    count = np.asarray([by_id[str(i)] for i in shown["id"]], dtype=np.int32)
    shape, source = polygon_shape(shown.geometry.to_numpy())
    fill = ramp_colors(count)
    parent = (shown["subdistrict_id"].fillna("").astype(str) if "subdistrict_id" in shown
              else shown["id"].astype(str))
    data = column_data(len(source), {
        "id": take(shown["id"].astype(str), source), "name": take(names, source),
        "subdistrict_id": take(parent, source),
        "count": count[source].astype(np.int32),
        "fill": [fill[i] for i in source],
    }, shapes={"polygon": shape})
    # A click opens the area's details, as a click on the base board's area would.
    pick = "neighborhoods" if "subdistrict_id" in shown else "subdistricts"
    polygons = layer("PolygonLayer", "brain", data, pick=pick, tooltip=t("brain.tip", lang),
                     get_polygon="@@=polygon", get_fill_color="@@=fill",
                     get_line_color=BASE[theme]["text"][:3] + [160], stroked=True,
                     filled=True, line_width_min_pixels=1.5, parameters=ON_TOP)
    points = shown.geometry.representative_point()
    labels = column_data(len(shown), {
        "id": shown["id"].astype(str).tolist(), "count": count,
        "text": [str(c) for c in count.tolist()],
        "lon": rounded(points.x), "lat": rounded(points.y),
    })
    text = layer("TextLayer", "brain_labels", labels, get_position="@@=[lon, lat]",
                 get_text="@@=text", get_size=LABEL_SIZE, get_color=BASE[theme]["text"],
                 character_set="auto", font_family=FONT_STACK, font_weight=700,
                 billboard=True, font_settings={"sdf": True, "fontSize": 48, "buffer": 6},
                 outline_width=3, outline_color=BASE[theme]["background"][:3] + [230],
                 get_text_anchor="middle", get_alignment_baseline="top",
                 get_pixel_offset=[0, 12], parameters={"depthCompare": "always"})
    return [polygons, text]


def brain_map(areas: gpd.GeoDataFrame | None, result: Mapping[str, Any] | None, theme: Theme,
              lang: str) -> dict[str, Any]:
    """The brain's map store: its layers (none without a result) and a key for the browser."""
    if areas is None or not result:
        return {"key": "", "layers": []}
    found = brain_layers(areas, result["areas"], theme, lang)
    return {"key": f"{result['by']}:{found[0]['meta']['key']}", "layers": found}


def brain_figure(result: Mapping[str, Any] | None, style: ChartStyle,
                 top: int = CHART_TOP) -> go.Figure:
    """Matching people per area: the ``top`` areas with the most, the most on top (horizontal
    bars labelled with the count; the map shows every area)."""
    areas = [a for a in (result or {}).get("areas") or [] if int(a["count"]) > 0]
    if not areas:
        return empty_figure(style)
    ranked = sorted(areas, key=lambda a: (-int(a["count"]), str(a["id"])))[:top][::-1]
    counts = [int(a["count"]) for a in ranked]
    colors = ["rgba({},{},{},1)".format(*c[:3]) for c in ramp_colors(counts)]
    trace = go.Bar(y=[a["name"] for a in ranked], x=counts, orientation="h",
                   marker={"color": colors, "line": {"width": 0}}, text=counts,
                   textposition="outside", cliponaxis=False, textfont={"size": style.font_px},
                   customdata=[a["id"] for a in ranked],
                   hovertemplate="%{y}: %{x:,}<extra></extra>")
    return go.Figure(trace, layout=_layout(style, showlegend=False))


def people_items(people: Sequence[Mapping[str, Any]], place_names: Mapping[str, str],
                 tag_name: Any) -> list[dict[str, str]]:
    """The list's rows: name, phone (as the API gave them), place and tags in the page's
    language (``tag_name``: tag → its label)."""
    return [{"id": str(p["id"]), "name": p.get("name") or "—", "phone": p.get("phone") or "—",
             "place": place_names.get(p.get("neighborhood_id") or "")
             or place_names.get(p.get("subdistrict_id") or "", "—"),
             "tags": "、".join(tag_name(x) for x in p.get("tags", [])),
             "masked": "1" if p.get("masked") else ""} for p in people]
