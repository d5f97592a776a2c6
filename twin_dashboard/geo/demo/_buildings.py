"""Building footprints and their standard addresses (标准地址).

Inside a neighborhood, footprints fill a grid aligned to the street grid with cells sized for
the housing: long thin 石库门 rows with narrow lanes between, 6-floor walk-up rows spaced for
winter sun, and point towers. Outside neighborhoods a coarser, sparser grid holds a mix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
import shapely.affinity
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from twin_dashboard.geo.demo._base import Area, rng
from twin_dashboard.geo.demo._neighborhoods import SPEC_BY_ID
from twin_dashboard.geo.demo._roads import BRANCH_GRID, Road

RESIDENTIAL = ("lane", "walkup", "highrise")
# Grid cell (along, across) in metres per housing kind inside neighborhoods.
CELL_M: dict[str, tuple[float, float]] = {
    "lane": (64.0, 17.0), "walkup": (74.0, 27.0), "highrise": (62.0, 56.0),
}
OUTSIDE_CELL_M = 88.0
# Share of outside cells built on, and the kind mix there, by part of the district.
OUTSIDE_DENSITY = {"south": 0.50, "middle": 0.40, "north": 0.34}
OUTSIDE_KINDS = {
    "south": {"lane": 0.30, "commercial": 0.25, "highrise": 0.18, "walkup": 0.15, "public": 0.12},
    "middle": {"walkup": 0.45, "highrise": 0.18, "commercial": 0.15, "public": 0.12, "lane": 0.10},
    "north": {"walkup": 0.50, "highrise": 0.22, "commercial": 0.12, "public": 0.16},
}
PART_OF = {"beiwaitan": "south", "sichuanbeilu": "south", "jiaxinglu": "south",
           "ouyanglu": "middle", "quyanglu": "middle", "guangzhonglu": "middle",
           "liangchengxincun": "north", "jiangwanzhen": "north"}
ROAD_CLEAR_M = {"arterial": 20.0, "secondary": 13.0, "branch": 8.0}
NB_PUBLIC = ("居委会", "社区卫生服务站", "老年活动室", "社区食堂", "幼儿园", "菜场", "党群服务站")
NB_COMMERCIAL = ("便利店", "商铺", "物业管理处")
OUT_PUBLIC = ("小学", "中学", "社区卫生服务中心", "派出所", "邮政支局", "养老院",
              "社区文化活动中心", "图书馆", "体育馆", "街道办事处")
OUT_COMMERCIAL = ("商务楼", "大厦", "商场", "酒店", "办公楼")


@dataclass(frozen=True)
class Building:
    id: str
    name: str
    floors: int
    kind: str
    subdistrict_id: str
    neighborhood_id: str
    geom: Polygon
    address_id: str
    address: str


def _footprint(kind: str, r: np.random.Generator, cell: tuple[float, float]) -> Polygon:
    """A rectangle or L-shape for the kind, centred on (0, 0), along the x axis."""
    cw, ch = cell
    if kind == "lane":
        w, h = r.uniform(0.70, 0.92) * cw, r.uniform(10.0, 12.5)
    elif kind == "walkup":
        w, h = r.uniform(0.62, 0.90) * cw, r.uniform(10.5, 13.0)
    elif kind == "highrise":
        w, h = r.uniform(24.0, 38.0), r.uniform(16.0, 24.0)
    else:  # public / commercial: whatever fits the cell
        w, h = r.uniform(0.45, 0.85) * cw, r.uniform(0.45, 0.80) * ch
    box = shapely.box(-w / 2, -h / 2, w / 2, h / 2)
    if kind in ("highrise", "public", "commercial") and r.random() < 0.3:
        # an L: cut a corner away, so the shape never outgrows its rectangle
        notch = shapely.box(w / 2 - w * r.uniform(0.4, 0.6), h / 2 - h * r.uniform(0.4, 0.6),
                            w / 2 + 1, h / 2 + 1)
        box = box.difference(notch)
    return box


def _floors(kind: str, r: np.random.Generator) -> int:
    if kind == "lane":
        return int(r.choice([2, 3], p=[0.4, 0.6]))
    if kind == "walkup":
        return int(r.choice([5, 6, 7], p=[0.1, 0.85, 0.05]))
    if kind == "highrise":
        return int(r.integers(18, 34))
    if kind == "public":
        return int(r.integers(2, 7))
    return int(r.choice([3, 4, 5, 8, 12, 18, 25]))


def _grid_centres(poly: BaseGeometry, angle: float, cell: tuple[float, float],
                  r: np.random.Generator) -> list[tuple[float, float]]:
    """Cell centres over the polygon's rotated bounds (in rotated coordinates)."""
    c = poly.centroid
    x0, y0, x1, y1 = shapely.affinity.rotate(poly, -angle, origin=c).bounds
    ox, oy = r.uniform(0, cell[0]), r.uniform(0, cell[1])
    return [(float(x), float(y))
            for y in np.arange(y0 + oy - cell[1], y1 + cell[1], cell[1])
            for x in np.arange(x0 + ox - cell[0], x1 + cell[0], cell[0])]


def _place(shape: Polygon, at: tuple[float, float], angle: float, origin) -> Polygon:
    moved = shapely.affinity.translate(shape, at[0], at[1])
    return shapely.affinity.rotate(moved, angle, origin=origin)


def _fits(candidates: list[Polygon], allowed: BaseGeometry) -> np.ndarray:
    shapely.prepare(allowed)
    return shapely.contains(allowed, np.array(candidates, dtype=object))


def road_clearance(roads: list[Road]) -> BaseGeometry:
    """Where no building may stand: each road buffered by its class's half-width."""
    return shapely.union_all([r.geom.buffer(ROAD_CLEAR_M[r.road_class], quad_segs=2)
                              for r in roads])


def _nb_kind(spec_kind: str, x: float, split: float) -> str:
    if spec_kind == "mixed":
        return "highrise" if x > split else "walkup"
    return spec_kind


def neighborhood_lots(nb: Area, clear: BaseGeometry) -> list[tuple[str, Polygon]]:
    """(kind, footprint) for one neighborhood, in a stable order."""
    spec = SPEC_BY_ID[nb.id]
    angle = BRANCH_GRID[nb.subdistrict_id][0]
    r = rng(f"lots:{nb.id}")
    base = "walkup" if spec.kind == "mixed" else spec.kind
    origin = nb.geom.centroid
    centres = _grid_centres(nb.geom, angle, CELL_M[base], r)
    split = float(np.median([x for x, _ in centres])) if centres else 0.0
    lots: list[tuple[str, Polygon]] = []
    for i, (x, y) in enumerate(centres):
        kind = _nb_kind(spec.kind, x, split)
        cell = CELL_M[kind]  # a public building takes the place of a home: same cell
        roll = r.random()
        if kind != base and round(y / CELL_M[base][1]) % 2:
            continue  # towers on a walk-up grid take every other row
        if roll < 0.10:
            continue  # open space, a court, a car park
        if roll < 0.16 or i == len(centres) // 2:
            kind = "public" if roll < 0.14 or i == len(centres) // 2 else "commercial"
        shape = _footprint(kind, r, cell)
        lots.append((kind, _place(shape, (x, y), angle, origin)))
    allowed = nb.geom.buffer(-5.0).difference(clear)
    ok = _fits([shape for _, shape in lots], allowed) if lots else []
    return [lot for lot, good in zip(lots, ok, strict=True) if good]


def _pick(table: dict[str, float], r: np.random.Generator) -> str:
    kinds = list(table)
    return str(r.choice(kinds, p=np.array([table[k] for k in kinds]) / sum(table.values())))


# Outside neighborhoods a cell holds a small cluster: offsets (along, across) per kind.
CLUSTER: dict[str, tuple[tuple[float, float], ...]] = {
    "lane": ((0.0, -17.0), (0.0, 0.0), (0.0, 17.0)),
    "walkup": ((0.0, -14.0), (0.0, 14.0)),
    "highrise": ((-20.0, 0.0), (22.0, 4.0)),
    "public": ((0.0, 0.0),),
    "commercial": ((0.0, 0.0),),
}


def outside_lots(sub: Area, allowed: BaseGeometry) -> list[tuple[str, Polygon]]:
    """(kind, footprint) for a subdistrict's ground outside neighborhoods."""
    part = PART_OF[sub.id]
    angle = BRANCH_GRID[sub.id][0]
    r = rng(f"outside:{sub.id}")
    cell = (OUTSIDE_CELL_M, OUTSIDE_CELL_M * 0.8)
    lots = []
    for x, y in _grid_centres(sub.geom, angle, cell, r):
        if r.random() > OUTSIDE_DENSITY[part]:
            continue
        kind = _pick(OUTSIDE_KINDS[part], r)
        size = (cell[0] * 0.9, cell[1] * 0.9) if kind in ("public", "commercial") else (
            cell[0] * 0.9, CELL_M[kind][1])
        for dx, dy in CLUSTER[kind]:
            shape = _footprint(kind, r, size)
            lots.append((kind, _place(shape, (x + dx, y + dy), angle, sub.geom.centroid)))
    ok = _fits([shape for _, shape in lots], allowed) if lots else []
    return [lot for lot, good in zip(lots, ok, strict=True) if good]

class _Namer:
    """Names and addresses: the nearest road gives the street, numbers count up along it."""

    def __init__(self, roads: list[Road]) -> None:
        self._roads = roads
        self._tree = shapely.STRtree([r.geom for r in roads])
        self._next_no: dict[str, int] = {}

    def road_near(self, geom: BaseGeometry) -> str:
        return self._roads[int(self._tree.nearest(geom))].name

    def number(self, road: str, step: int = 2) -> int:
        """The next house (or lane) number on a road; odd and even sides are not modelled."""
        n = self._next_no.get(road, 1 + 2 * (len(road) % 5))
        self._next_no[road] = n + step
        return n


def _nb_name(nb: Area, kind: str, seq: int, counters: dict[str, int]) -> str:
    if kind in ("public", "commercial"):
        names = NB_PUBLIC if kind == "public" else NB_COMMERCIAL
        k = counters.get(kind, 0)
        counters[kind] = k + 1
        again = f"{k // len(names) + 1}" if k >= len(names) else ""  # a second 菜场 is 菜场2
        return f"{nb.name}{names[k % len(names)]}{again}"
    return f"{nb.name}{seq}号" + ("" if kind == "lane" else "楼")


def _out_name(road: str, kind: str, no: int, r: np.random.Generator) -> str:
    if kind == "public":
        return f"{road}{OUT_PUBLIC[int(r.integers(len(OUT_PUBLIC)))]}"
    if kind == "commercial":
        return f"{road}{no}号{OUT_COMMERCIAL[int(r.integers(len(OUT_COMMERCIAL)))]}"
    return f"{road}{no}号"


def buildings(subs: list[Area], nbs: list[Area], roads: list[Road],
              blocked: BaseGeometry) -> list[Building]:
    """Every footprint with its name, floors and address; ``blocked`` is water and parks."""
    clear = shapely.union_all([road_clearance(roads), blocked.buffer(8.0)])
    namer = _Namer(roads)
    out: list[Building] = []

    def add(kind: str, shape: Polygon, sid: str, nid: str, name: str, address: str) -> None:
        n = len(out) + 1
        floors = _floors(kind, rng(f"floors:{n}"))
        out.append(Building(f"bld-{n:05d}", name, floors, kind, sid, nid, shape,
                            f"addr-{n:05d}", address))

    for nb in nbs:
        road = namer.road_near(nb.geom.centroid)
        lane_no = namer.number(road, step=20)
        counters: dict[str, int] = {}
        for seq, (kind, shape) in enumerate(neighborhood_lots(nb, clear), start=1):
            add(kind, shape, nb.subdistrict_id, nb.id, _nb_name(nb, kind, seq, counters),
                f"虹口区{road}{lane_no}弄{seq}号")
    taken = shapely.union_all([clear] + [nb.geom.buffer(15.0) for nb in nbs])
    for sub in subs:
        r = rng(f"outside-names:{sub.id}")
        for kind, shape in outside_lots(sub, sub.geom.buffer(-8.0).difference(taken)):
            road = namer.road_near(shape)
            no = namer.number(road)
            add(kind, shape, sub.id, "", _out_name(road, kind, no, r), f"虹口区{road}{no}号")
    return out
