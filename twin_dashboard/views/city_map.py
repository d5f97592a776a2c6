"""A city seen whole on the twin map: each district a polygon labelled with its name and KPIs.

Drawn over the base board (the ``extra`` of ``MAP_DATA``'s layers) only when the data holds
several districts and the page looks at the whole city; a click picks the district
(``pick="districts"``) and the screen drills into it (``callbacks/selection.py``). Pure:
district shapes and ``domain.city.DistrictFigures`` in, deck.gl layer JSON out.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np

from twin_dashboard.domain.city import DistrictFigures
from twin_dashboard.i18n import t
from twin_dashboard.views._map_columns import column_data, polygon_shape, rounded, take
from twin_dashboard.views.map_layers import ON_TOP, LayerDict, layer
from twin_dashboard.views.theme import BASE, FONT_STACK, Theme

FILL_ALPHA = 60  # the base board's buildings and roads show through
ALERT_RGB = (255, 99, 71)  # a district with an SLA breach is tinted as a warning
# At distance on the wall: the district's name and four figures in three lines.
LABEL_SIZE = 26


def city_layers(districts: gpd.GeoDataFrame, figures: Sequence[DistrictFigures],
                theme: Theme, lang: str) -> list[LayerDict]:
    """The districts of ``figures`` (shapes from the ``district`` layer: ``id``, geometry)
    as pickable polygons, and one label each: name (from the data) and KPIs."""
    by_id = {f.id: f for f in figures}
    shown = districts[districts["id"].astype(str).isin(by_id)].reset_index(drop=True)
    rows = [by_id[str(i)] for i in shown["id"]]
    shape, source = polygon_shape(shown.geometry.to_numpy())
    accent = BASE[theme]["subdistrict_line"][:3]
    fills = [list(ALERT_RGB if f.sla_breaches else accent) + [FILL_ALPHA] for f in rows]
    tips = [t("city.tip", lang, **f.as_dict()) for f in rows]
    data = column_data(len(source), {
        "id": take([f.id for f in rows], source), "name": take([f.name for f in rows], source),
        "tip": take(tips, source), "fill": [fills[i] for i in source],
    }, shapes={"polygon": shape})
    polygons = layer("PolygonLayer", "city", data, pick="districts", tooltip="{tip}",
                     get_polygon="@@=polygon", get_fill_color="@@=fill",
                     get_line_color=BASE[theme]["selected"][:3] + [230], stroked=True,
                     filled=True, line_width_min_pixels=3, parameters=ON_TOP)
    # Above each district's northern edge: clear of its own subdistricts' labels.
    points = shown.geometry.representative_point()
    north = shown.geometry.bounds["maxy"].to_numpy() if len(shown) else np.zeros(0)
    labels = column_data(len(shown), {
        "id": [f.id for f in rows], "name": [f.name for f in rows],
        "text": [t("city.label", lang, name=f.name, online=f.devices_online, devices=f.devices,
                   alarms=f.open_alarms, incidents=f.open_incidents, breaches=f.sla_breaches)
                 for f in rows],
        "lon": rounded(points.x if len(shown) else np.zeros(0)),
        "lat": rounded(north),
    })
    text = layer("TextLayer", "city_labels", labels, get_position="@@=[lon, lat]",
                 get_text="@@=text", get_size=LABEL_SIZE, get_color=BASE[theme]["text"],
                 character_set="auto", font_family=FONT_STACK, font_weight=700,
                 billboard=True, font_settings={"sdf": True, "fontSize": 48, "buffer": 6},
                 outline_width=3, outline_color=BASE[theme]["background"][:3] + [230],
                 get_text_anchor="middle", get_alignment_baseline="bottom",
                 get_pixel_offset=[0, -10],
                 line_height=1.25, parameters={"depthCompare": "always"},
                 declutter=-1)  # placed first: a subdistrict's name under it gives way
    return [polygons, text]
