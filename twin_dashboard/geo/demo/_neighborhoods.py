"""The 25 digital neighborhoods (数字化小区): invented names, hand-placed blocks.

A neighborhood is a rotated block around a hand-placed centre, trimmed to stay inside its
subdistrict, off water, parks and main roads, and off the neighborhoods placed before it.
Its ``kind`` says what housing it is made of (old lanes, walk-ups, towers or a mix).
"""

from __future__ import annotations

from dataclasses import dataclass

import shapely
import shapely.affinity
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient

from twin_dashboard.geo.demo._base import Area, rng, to_xy
from twin_dashboard.geo.demo._roads import BRANCH_GRID

EDGE_M = 25.0  # keep this far inside the subdistrict, so rounding never crosses the line
GAP_M = 20.0  # between neighborhoods, water, parks and main roads
SCALE = 1.2  # the sizes below are written small; real 数字化小区 are 10–25 ha


@dataclass(frozen=True)
class Spec:
    id: str
    name: str
    name_en: str
    subdistrict_id: str
    centre: tuple[float, float]
    size: tuple[float, float]  # metres along and across the street grid
    kind: str  # lane | walkup | highrise | mixed


NEIGHBORHOODS: tuple[Spec, ...] = (
    Spec("yunfang", "云舫小区", "Yunfang", "beiwaitan", (121.5000, 31.2530), (430, 330), "mixed"),
    Spec("huoshan", "霍山小区", "Huoshan", "beiwaitan", (121.5075, 31.2556), (380, 300), "lane"),
    Spec("zhoushan", "舟山苑", "Zhoushan Garden", "beiwaitan", (121.4915, 31.2515), (380, 300),
         "lane"),
    Spec("lintong", "临潼小区", "Lintong", "beiwaitan", (121.4805, 31.2485),
         (380, 330), "highrise"),
    Spec("duolun", "多伦小区", "Duolun", "sichuanbeilu", (121.4795, 31.2575), (360, 330), "lane"),
    Spec("yongfeng", "永丰坊", "Yongfeng Lane", "sichuanbeilu", (121.4849, 31.2580), (300, 350),
         "lane"),
    Spec("shanyin", "山阴小区", "Shanyin", "sichuanbeilu", (121.4790, 31.2655), (380, 350), "lane"),
    Spec("hailun", "海伦小区", "Hailun", "jiaxinglu", (121.4960, 31.2640), (360, 300), "walkup"),
    Spec("baoan", "宝安坊", "Bao'an Lane", "jiaxinglu", (121.4950, 31.2687), (300, 250), "lane"),
    Spec("ruikang", "瑞康小区", "Ruikang", "jiaxinglu", (121.4945, 31.2598),
         (300, 220), "highrise"),
    Spec("jiangjiaqiao", "蒋家桥小区", "Jiangjiaqiao", "ouyanglu", (121.4868, 31.2740), (330, 300),
         "walkup"),
    Spec("dalianxi", "大连西苑", "Dalian West Garden", "ouyanglu", (121.4935, 31.2757), (300, 220),
         "walkup"),
    Spec("yutian", "玉田新村", "Yutian New Village", "quyanglu", (121.4820, 31.2820), (360, 300),
         "walkup"),
    Spec("chifeng", "赤峰小区", "Chifeng", "quyanglu", (121.4830, 31.2902), (380, 280), "walkup"),
    Spec("yunguang", "运光新村", "Yunguang New Village", "quyanglu", (121.4900, 31.2838),
         (300, 300), "walkup"),
    Spec("balin", "巴林小区", "Balin", "quyanglu", (121.4910, 31.2952), (300, 200), "highrise"),
    Spec("shangye", "商业一村", "Shangye No.1 Village", "guangzhonglu", (121.4640, 31.2795),
         (360, 300), "walkup"),
    Spec("liuying", "柳营小区", "Liuying", "guangzhonglu", (121.4745, 31.2850),
         (330, 420), "mixed"),
    Spec("tongxin", "同心苑", "Tongxin Garden", "guangzhonglu", (121.4700, 31.2722), (300, 240),
         "walkup"),
    Spec("liangcheng", "凉城三村", "Liangcheng No.3 Village", "liangchengxincun",
         (121.4640, 31.2845), (380, 330), "walkup"),
    Spec("xiuyuan", "秀苑小区", "Xiuyuan", "liangchengxincun", (121.4668, 31.2990), (380, 300),
         "walkup"),
    Spec("jinyuan", "锦苑小区", "Jinyuan", "liangchengxincun", (121.4610, 31.2925), (300, 330),
         "highrise"),
    Spec("fengzhen", "丰镇小区", "Fengzhen", "jiangwanzhen", (121.4700, 31.3085), (420, 330),
         "walkup"),
    Spec("xinshibei", "新市北苑", "Xinshi North Garden", "jiangwanzhen", (121.4795, 31.2990),
         (380, 300), "highrise"),
    Spec("jiangwan", "江湾新苑", "Jiangwan New Garden", "jiangwanzhen", (121.4690, 31.3150),
         (360, 260), "mixed"),
)
SPEC_BY_ID: dict[str, Spec] = {s.id: s for s in NEIGHBORHOODS}


def _block(spec: Spec, angle: float) -> Polygon:
    """A rotated block with its corners nudged, so no two look machine-made."""
    cx, cy = to_xy(*spec.centre)
    w, h = spec.size[0] * SCALE, spec.size[1] * SCALE
    r = rng(f"block:{spec.id}")
    corners = [(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)]
    pts = [(cx + x + r.uniform(-0.08, 0.08) * w, cy + y + r.uniform(-0.08, 0.08) * h)
           for x, y in corners]
    return shapely.affinity.rotate(Polygon(pts), angle, origin=(cx, cy))


def _largest(geom: BaseGeometry) -> Polygon:
    parts = list(geom.geoms) if hasattr(geom, "geoms") else [geom]
    polys = [p for p in parts if isinstance(p, Polygon) and not p.is_empty]
    if not polys:
        raise ValueError("a neighborhood block vanished while trimming")
    return max(polys, key=lambda p: p.area)


def neighborhoods(subdistricts: list[Area], blocked: BaseGeometry) -> list[Area]:
    """The 25 neighborhoods in local metres; ``blocked`` is water, parks and main roads."""
    by_id = {a.id: a for a in subdistricts}
    placed: list[Polygon] = []
    out: list[Area] = []
    for spec in NEIGHBORHOODS:
        sub = by_id[spec.subdistrict_id]
        block = _block(spec, BRANCH_GRID[spec.subdistrict_id][0])
        taken = shapely.union_all([blocked] + [p.buffer(GAP_M) for p in placed])
        shape = _largest(block.intersection(sub.geom.buffer(-EDGE_M)).difference(taken))
        shape = orient(shape.simplify(1.0), 1.0)
        placed.append(shape)
        out.append(Area(spec.id, spec.name, spec.name_en, shape, spec.subdistrict_id))
    return out
