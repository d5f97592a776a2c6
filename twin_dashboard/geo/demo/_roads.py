"""Roads and road-chief patrol zones (双路长制).

Main roads are hand-placed polylines with real Hongkou names; a rotated grid of branch streets
per subdistrict fills in between. Every road is cut by the patrol zones (strips of each
subdistrict) and then into segments of at most :data:`SEGMENT_M`, the unit a patrol covers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
import shapely.affinity
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring

from twin_dashboard.geo.demo._base import Area, rng, to_xy

SEGMENT_M = 480.0
BRANCH_SPACING_M = 430.0
MIN_PIECE_M = 60.0

# name, class, polyline (lon, lat).
NAMED_ROADS: tuple[tuple[str, str, tuple[tuple[float, float], ...]], ...] = (
    ("四川北路", "arterial", ((121.4838, 31.2440), (121.4835, 31.2520), (121.4822, 31.2620),
                              (121.4812, 31.2712))),
    ("大连路", "arterial", ((121.5075, 31.2470), (121.5045, 31.2580), (121.5010, 31.2690),
                            (121.4975, 31.2750))),
    ("中山北一路", "arterial", ((121.4680, 31.2690), (121.4770, 31.2762), (121.4860, 31.2800),
                                (121.4925, 31.2822))),
    ("四平路", "arterial", ((121.4890, 31.2500), (121.4985, 31.2600), (121.5060, 31.2680))),
    ("逸仙路", "arterial", ((121.4862, 31.2950), (121.4828, 31.3060), (121.4800, 31.3165))),
    ("东大名路", "secondary", ((121.4870, 31.2462), (121.4960, 31.2470), (121.5050, 31.2492),
                              (121.5140, 31.2518))),
    ("东长治路", "secondary", ((121.4880, 31.2485), (121.5000, 31.2505), (121.5110, 31.2530))),
    ("周家嘴路", "secondary", ((121.4890, 31.2535), (121.4975, 31.2566), (121.5080, 31.2593))),
    ("海宁路", "secondary", ((121.4756, 31.2493), (121.4885, 31.2500))),
    ("吴淞路", "secondary", ((121.4862, 31.2462), (121.4868, 31.2540))),
    ("东江湾路", "secondary", ((121.4790, 31.2610), (121.4777, 31.2700), (121.4780, 31.2780),
                              (121.4790, 31.2900))),
    ("欧阳路", "secondary", ((121.4850, 31.2705), (121.4920, 31.2740), (121.4975, 31.2765))),
    ("曲阳路", "secondary", ((121.4790, 31.2862), (121.4880, 31.2878), (121.4960, 31.2900))),
    ("赤峰路", "secondary", ((121.4800, 31.2940), (121.4950, 31.2962))),
    ("广中路", "secondary", ((121.4590, 31.2788), (121.4700, 31.2778), (121.4745, 31.2774))),
    ("凉城路", "secondary", ((121.4580, 31.2962), (121.4710, 31.2966))),
    ("水电路", "secondary", ((121.4750, 31.2925), (121.4745, 31.3050), (121.4760, 31.3170))),
    ("汶水东路", "secondary", ((121.4620, 31.3055), (121.4830, 31.3042))),
    ("场中路", "secondary", ((121.4640, 31.3128), (121.4805, 31.3112))),
)

# Per subdistrict: grid rotation (deg) and names for its branch streets, in order of use.
BRANCH_GRID: dict[str, tuple[float, tuple[str, ...]]] = {
    "beiwaitan": (13.0, ("塘沽路", "峨眉路", "武昌路", "汉阳路", "九龙路", "公平路", "旅顺路",
                         "高阳路", "新建路", "东余杭路", "唐山路", "昆明路")),
    "sichuanbeilu": (-6.0, ("多伦路", "山阴路", "甜爱路", "黄渡路", "长春路", "衡水路",
                            "武进路", "横浜路", "祥德路", "施高塔路")),
    "jiaxinglu": (24.0, ("嘉兴路", "海伦路", "宝安路", "临平路", "哈尔滨路", "梧州路",
                         "新广路", "通州路", "唐山路", "瑞虹路")),
    "ouyanglu": (14.0, ("蒋家桥路", "大连西路", "祥德路", "沙泾路", "宝安路北段", "金星路",
                        "甜爱支路", "东体育会路")),
    "quyanglu": (9.0, ("玉田路", "运光路", "中州路", "密云路", "玉田支路", "巴林路",
                       "东体育会路北段", "曲阳支路")),
    "guangzhonglu": (-4.0, ("柳营路", "同心路", "商丘路", "广灵二路", "广灵四路", "水电支路",
                            "花园路", "宝山路", "西江湾路")),
    "liangchengxincun": (2.0, ("车站南路", "车站北路", "锦嘉路", "广纪路", "凉城支路",
                               "丰镇路", "秀苑路", "广灵一路")),
    "jiangwanzhen": (-5.0, ("新市北路", "纪念路", "丰镇北路", "俞泾港路", "万安路",
                            "江湾支路", "汶水支路", "新市南路", "奎照路")),
}
# Patrol zones per subdistrict (the busy river-front one gets more).
ZONES_PER_SUBDISTRICT: dict[str, int] = {
    "beiwaitan": 4, "sichuanbeilu": 3, "jiaxinglu": 3, "ouyanglu": 3, "quyanglu": 3,
    "guangzhonglu": 3, "liangchengxincun": 3, "jiangwanzhen": 3,
}


@dataclass
class Zone:
    """A road-chief patrol zone; its chiefs are filled in when people are made."""

    id: str
    name: str
    subdistrict_id: str
    geom: BaseGeometry
    target_hours: float
    gov_chief_id: str = ""
    community_chief_id: str = ""


@dataclass(frozen=True)
class Road:
    """One road segment, the unit of patrol coverage."""

    id: str
    name: str
    road_class: str
    subdistrict_id: str
    zone_id: str
    geom: LineString


def named_lines() -> list[tuple[str, str, LineString]]:
    """The hand-placed main roads in local metres."""
    return [(n, c, LineString([to_xy(*p) for p in pts])) for n, c, pts in NAMED_ROADS]


def _grid_lines(area: Area, angle: float, offset: float) -> list[LineString]:
    """Parallel lines in both grid directions over the area, rotated to the street grid."""
    centre = area.geom.centroid
    flat = shapely.affinity.rotate(area.geom, -angle, origin=centre)
    x0, y0, x1, y1 = flat.bounds
    lines = [LineString([(x, y0 - 10), (x, y1 + 10)])
             for x in np.arange(x0 + offset, x1, BRANCH_SPACING_M)]
    lines += [LineString([(x0 - 10, y), (x1 + 10, y)])
              for y in np.arange(y0 + offset * 0.7, y1, BRANCH_SPACING_M)]
    return [shapely.affinity.rotate(line, angle, origin=centre) for line in lines]


def branch_lines(areas: list[Area], named: list[BaseGeometry],
                 blocked: BaseGeometry) -> list[tuple[str, str, LineString]]:
    """Branch streets per subdistrict, skipping lines that would double a main road."""
    near_main = shapely.union_all([line.buffer(110.0) for line in named])
    out: list[tuple[str, str, LineString]] = []
    for area in areas:
        angle, names = BRANCH_GRID[area.id]
        offset = float(rng(f"grid:{area.id}").uniform(90.0, 260.0))
        streets = [[piece for piece in _parts(line.intersection(area.geom).difference(blocked))
                    if piece.length >= 150.0
                    and piece.intersection(near_main).length < 0.5 * piece.length]
                   for line in _grid_lines(area, angle, offset)]
        for i, pieces in enumerate(s for s in streets if s):  # one name per street
            name = names[i] if i < len(names) else f"{names[i % len(names)][:-1]}支路"
            out += [(name, "branch", piece) for piece in pieces]
    return out


def _parts(geom: BaseGeometry) -> list[LineString]:
    """The line parts of a geometry, in their stored order."""
    if isinstance(geom, LineString):
        return [] if geom.is_empty else [geom]
    if hasattr(geom, "geoms"):  # multi-part or collection
        return [p for g in geom.geoms for p in _parts(g)]
    return []


def zones(areas: list[Area]) -> list[Zone]:
    """Cut each subdistrict into equal-width strips along its long side."""
    out: list[Zone] = []
    r = rng("zones")
    for area in areas:
        k = ZONES_PER_SUBDISTRICT[area.id]
        for i, strip in enumerate(_strips(area.geom, k)):
            zone_id = f"zone-{len(out) + 1:02d}"
            target = 24.0 if r.random() < 0.6 else 48.0
            name = f"{area.name.removesuffix('街道')}第{i + 1}巡查片区"
            out.append(Zone(zone_id, name, area.id, strip, target))
    return out


def _strips(poly: BaseGeometry, k: int) -> list[BaseGeometry]:
    """k strips of equal width across the polygon's minimum rotated rectangle."""
    xs, ys = poly.minimum_rotated_rectangle.exterior.coords.xy
    (ox, oy), d, e = (xs[0], ys[0]), (xs[1] - xs[0], ys[1] - ys[0]), (xs[3] - xs[0], ys[3] - ys[0])
    if math.hypot(*e) > math.hypot(*d):  # cut across the longer side
        d, e = e, d
    strips = []
    for i in range(k):
        a = -0.05 if i == 0 else i / k
        b = 1.05 if i == k - 1 else (i + 1) / k
        corners = [(a, -0.05), (b, -0.05), (b, 1.05), (a, 1.05)]
        cell = shapely.Polygon([(ox + d[0] * s + e[0] * t, oy + d[1] * s + e[1] * t)
                                for s, t in corners])
        strips.append(poly.intersection(cell))
    return strips


def segments(lines: list[tuple[str, str, BaseGeometry]], zone_list: list[Zone]) -> list[Road]:
    """Cut every road by the zones, then into segments no longer than SEGMENT_M."""
    roads: list[Road] = []
    for name, road_class, line in lines:
        for zone in zone_list:
            for piece in _parts(line.intersection(zone.geom)):
                if piece.length < MIN_PIECE_M:
                    continue
                n = max(1, math.ceil(piece.length / SEGMENT_M))
                for j in range(n):
                    seg = substring(piece, j / n, (j + 1) / n, normalized=True)
                    roads.append(Road(f"road-{len(roads) + 1:04d}", name, road_class,
                                      zone.subdistrict_id, zone.id, seg))
    return roads
