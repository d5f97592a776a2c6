"""The district outline, its 8 subdistricts, water and green, drawn by hand.

The outline is a simplified, invented shape in the spirit of Hongkou (long north–south, the
Huangpu along the south-east). Subdistricts are cut by hand-drawn split lines whose ends sit
exactly on outline vertices, so the pieces tile the district with shared vertices only: no new
intersection points, nothing for 6-decimal rounding to open up.
"""

from __future__ import annotations

import shapely
import shapely.affinity
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.polygon import orient
from shapely.ops import polygonize, unary_union

from twin_dashboard.geo.demo._base import Area, geom_to_xy, to_xy

# Counter-clockwise from the south-west corner where the Suzhou Creek meets the district.
OUTLINE: tuple[tuple[float, float], ...] = (
    (121.4770, 31.2445), (121.4842, 31.2432), (121.4930, 31.2440), (121.5020, 31.2458),
    (121.5110, 31.2478), (121.5178, 31.2502), (121.5120, 31.2560), (121.5065, 31.2628),
    (121.5030, 31.2705), (121.4985, 31.2760), (121.4930, 31.2790), (121.4925, 31.2855),
    (121.4982, 31.2915), (121.4962, 31.2972), (121.4870, 31.2955), (121.4835, 31.3060),
    (121.4808, 31.3172), (121.4720, 31.3178), (121.4640, 31.3175), (121.4618, 31.3085),
    (121.4590, 31.3010), (121.4558, 31.2920), (121.4572, 31.2810), (121.4650, 31.2725),
    (121.4718, 31.2660), (121.4755, 31.2600), (121.4752, 31.2520),
)
_O = OUTLINE
# Junctions inside the district where three subdistricts meet or a split line bends.
_J = {
    "j1": (121.4810, 31.2528), "j2": (121.4880, 31.2552), "j3": (121.4975, 31.2590),
    "j5": (121.4852, 31.2600), "j6": (121.4866, 31.2655), "j7": (121.4875, 31.2690),
    "j8": (121.4762, 31.2700), "j9": (121.4942, 31.2738), "j10": (121.4850, 31.2788),
    "j11": (121.4766, 31.2778), "j12": (121.4776, 31.2920), "j14": (121.4726, 31.2914),
    "j15": (121.4714, 31.2802), "j16": (121.4720, 31.3018),
}
# Split lines, each a chain of outline vertices (ints) and junctions (names).
_SPLITS: tuple[tuple[int | str, ...], ...] = (
    (26, "j1", "j2", "j3", 7),          # 北外滩 | 四川北路, 嘉兴路
    ("j2", "j5", "j6", "j7"),           # 四川北路 | 嘉兴路
    (24, "j8", "j7", "j9", 9),          # 四川北路, 嘉兴路 | 欧阳路
    ("j8", "j11", "j10", 10),           # 欧阳路 | 广中路, 曲阳路
    ("j11", "j12", 14),                 # 广中路 | 曲阳路, and 曲阳路 | 江湾镇
    ("j12", "j14", "j15", 22),          # 广中路 | 江湾镇, 凉城新村
    ("j14", "j16", 20),                 # 凉城新村 | 江湾镇
)

# id, name, name_en, a point inside (lon, lat) that names the piece.
SUBDISTRICTS: tuple[tuple[str, str, str, tuple[float, float]], ...] = (
    ("ouyanglu", "欧阳路街道", "Ouyang Road Subdistrict", (121.4850, 31.2745)),
    ("quyanglu", "曲阳路街道", "Quyang Road Subdistrict", (121.4860, 31.2870)),
    ("guangzhonglu", "广中路街道", "Guangzhong Road Subdistrict", (121.4680, 31.2760)),
    ("jiaxinglu", "嘉兴路街道", "Jiaxing Road Subdistrict", (121.4950, 31.2650)),
    ("liangchengxincun", "凉城新村街道", "Liangcheng Xincun Subdistrict", (121.4640, 31.2900)),
    ("jiangwanzhen", "江湾镇", "Jiangwan Town", (121.4720, 31.3100)),
    ("sichuanbeilu", "四川北路街道", "North Sichuan Road Subdistrict", (121.4810, 31.2600)),
    ("beiwaitan", "北外滩街道", "North Bund Subdistrict", (121.5000, 31.2520)),
)

# Water: name, centre line (lon, lat), half-width inside / outside the centre line in metres.
# The Huangpu and the Suzhou Creek follow the district edge; half their width lies outside.
RIVERS: tuple[tuple[str, tuple[tuple[float, float], ...], float], ...] = (
    ("黄浦江", _O[1:6], 170.0),
    ("苏州河", _O[0:2], 35.0),
)
RIVER_NAMES: tuple[str, ...] = tuple(name for name, _, _ in RIVERS)
CREEKS: tuple[tuple[str, tuple[tuple[float, float], ...], float], ...] = (
    ("虹口港", ((121.4968, 31.2455), (121.4960, 31.2505), (121.4938, 31.2548),
               (121.4918, 31.2590)), 11.0),
    ("俞泾浦", ((121.4918, 31.2590), (121.4902, 31.2640), (121.4908, 31.2700),
               (121.4893, 31.2760), (121.4868, 31.2815), (121.4830, 31.2868)), 9.0),
    ("沙泾港", ((121.4938, 31.2548), (121.5010, 31.2570), (121.5060, 31.2585)), 7.0),
)
# Green: name, centre (lon, lat), width, height (m), rotation (deg).
PARKS: tuple[tuple[str, tuple[float, float], float, float, float], ...] = (
    ("鲁迅公园", (121.4818, 31.2738), 520.0, 430.0, -8.0),
    ("和平公园", (121.5002, 31.2668), 420.0, 330.0, 20.0),
    ("霍山公园", (121.5085, 31.2508), 120.0, 90.0, 12.0),
    ("凉城公园", (121.4676, 31.2884), 260.0, 200.0, 5.0),
    ("江湾绿地", (121.4700, 31.3135), 380.0, 240.0, -4.0),
    ("曲阳公园", (121.4900, 31.2915), 300.0, 220.0, 10.0),
    ("多伦绿地", (121.4826, 31.2545), 110.0, 80.0, -10.0),
)


def _vertex(key: int | str) -> tuple[float, float]:
    return _O[key] if isinstance(key, int) else _J[key]


def district_outline() -> Polygon:
    """The district in degrees, exactly the hand-drawn vertices."""
    return orient(Polygon(OUTLINE), 1.0)


def subdistrict_pieces() -> list[tuple[str, str, str, Polygon]]:
    """(id, name, name_en, polygon in degrees) cut from the outline by the split lines."""
    lines = [LineString(OUTLINE + OUTLINE[:1])]
    lines += [LineString([_vertex(k) for k in chain]) for chain in _SPLITS]
    pieces = list(polygonize(unary_union(lines)))
    if len(pieces) != len(SUBDISTRICTS):
        raise ValueError(f"split lines cut {len(pieces)} pieces, expected {len(SUBDISTRICTS)}")
    named = []
    for sid, name, name_en, label in SUBDISTRICTS:
        hits = [p for p in pieces if p.contains(Point(label))]
        if len(hits) != 1:
            raise ValueError(f"label of {sid} falls in {len(hits)} pieces")
        named.append((sid, name, name_en, orient(hits[0], 1.0)))
    return named


def subdistricts() -> list[Area]:
    """The 8 subdistricts in local metres."""
    return [Area(sid, name, name_en, geom_to_xy(poly))
            for sid, name, name_en, poly in subdistrict_pieces()]


def _band(line_deg: tuple[tuple[float, float], ...], half_width: float) -> Polygon:
    line = LineString([to_xy(*p) for p in line_deg])
    return line.buffer(half_width, cap_style="flat", join_style="round", quad_segs=4)


def _rect(center: tuple[float, float], w: float, h: float, angle: float) -> Polygon:
    cx, cy = to_xy(*center)
    box = shapely.box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
    return shapely.affinity.rotate(box, angle, origin=(cx, cy))


def landcover() -> list[tuple[str, str, Polygon]]:
    """(name, kind, polygon in local metres): rivers, creeks and parks."""
    water = [(name, "water", _band(line, w)) for name, line, w in RIVERS + CREEKS]
    green = [(name, "green", _rect(c, w, h, a)) for name, c, w, h, a in PARKS]
    return water + green
