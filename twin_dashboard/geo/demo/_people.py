"""Synthetic people and the elderly households (五件套 homes).

Names are drawn from common surnames and generation-typical given-name characters; phones are
``170-0000-xxxx`` (a range that looks reserved, never a real subscriber's). No real person's
data is used anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from shapely.geometry import Point

from twin_dashboard.geo.demo._base import Area, rng
from twin_dashboard.geo.demo._buildings import RESIDENTIAL, Building
from twin_dashboard.geo.demo._roads import Zone

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
            "于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江"
            "尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔汤")
ELDER_GIVEN = {
    "f": ("秀英", "桂英", "玉兰", "凤英", "美娟", "月娥", "金娣", "彩凤", "素珍", "雅芳",
          "慧珍", "丽华", "宝珍", "菊芳", "佩玲", "杏娣", "翠英", "淑贞"),
    "m": ("建国", "国强", "金宝", "德明", "家栋", "福生", "根宝", "志刚", "荣发", "永康",
          "兴华", "庆祥", "阿大", "海生", "文斌", "忠良", "振华", "耀祖"),
}
YOUNG_CHARS = {
    "f": "婷静敏颖丽娜雯琳洁佳怡晨燕芳倩瑶蕾露",
    "m": "伟磊杰浩俊鹏军斌超勇涛峰晨宇辉昊凯翔",
}
# Share of elders carrying each person tag, then each policy tag.
ELDER_TAGS = {"独居老人": 0.85, "高龄": 0.45, "孤老": 0.12, "失能": 0.15, "重点关爱": 0.25,
              "低保": 0.10, "残疾": 0.08}
ELDER_POLICIES = {"居家养老": 0.60, "助餐补贴": 0.45, "适老化改造": 0.25, "医疗救助": 0.05}
RESIDENT_TAGS = {"低保": 0.25, "残疾": 0.20, "失能": 0.10, "高龄": 0.20, "重点关爱": 0.20}
RESIDENT_POLICIES = {"助餐补贴": 0.15, "医疗救助": 0.20, "长护险": 0.10}
RESIDENTS_PER_NB = 24  # people other than elders who carry tags (社区大脑 queries)
ELDERS_PER_BUDDY = 2.2
LANE_ROOMS = ("前楼", "后楼", "亭子间", "客堂间", "前厢房", "后厢房")


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    phone: str
    role: str
    subdistrict_id: str
    neighborhood_id: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Household:
    id: str
    subdistrict_id: str
    neighborhood_id: str
    building_id: str
    address: str
    elder_id: str
    cadre_id: str
    buddy_id: str
    x: float
    y: float


@dataclass
class Roster:
    """Everyone made so far; hands out ids and phone numbers in creation order."""

    people: list[Person] = field(default_factory=list)
    _phones: np.ndarray = field(default_factory=lambda: rng("phones").permutation(10_000))
    _names: np.random.Generator = field(default_factory=lambda: rng("names"))

    def add(self, role: str, sid: str, nid: str = "", tags: tuple[str, ...] = (),
            elder: bool = False) -> Person:
        n = len(self.people)
        person = Person(f"p-{n + 1:05d}", self._name(elder), f"170-0000-{self._phones[n]:04d}",
                        role, sid, nid, tags)
        self.people.append(person)
        return person

    def _name(self, elder: bool) -> str:
        r = self._names
        surname = SURNAMES[int(r.integers(len(SURNAMES)))]
        sex = "f" if r.random() < 0.55 else "m"
        if elder:
            pool = ELDER_GIVEN[sex]
            return surname + pool[int(r.integers(len(pool)))]
        chars = YOUNG_CHARS[sex]
        k = 1 if r.random() < 0.3 else 2
        return surname + "".join(chars[int(i)] for i in r.integers(len(chars), size=k))


def _tags(r: np.random.Generator, table: dict[str, float]) -> list[str]:
    return [tag for tag, p in table.items() if r.random() < p]


def elder_tags(r: np.random.Generator) -> tuple[str, ...]:
    """Person then policy tags; every elder with the five-piece set is alone or frail."""
    tags = _tags(r, ELDER_TAGS)
    if "独居老人" not in tags and not {"高龄", "失能"} & set(tags):
        tags.insert(1, "高龄")
    if "孤老" in tags and "独居老人" not in tags:
        tags.remove("孤老")
    policies = _tags(r, ELDER_POLICIES)
    if "失能" in tags:
        policies.append("长护险")
    return tuple(tags + policies)


def officials(roster: Roster, subs: list[Area], zones: list[Zone]) -> dict[str, Person]:
    """Road chiefs per zone (filled into the zones) and a duty officer per subdistrict."""
    for zone in zones:
        zone.gov_chief_id = roster.add("gov_chief", zone.subdistrict_id).id
        zone.community_chief_id = roster.add("community_chief", zone.subdistrict_id).id
    return {sub.id: roster.add("duty_officer", sub.id) for sub in subs}


def _room(b: Building, r: np.random.Generator) -> str:
    if b.kind == "lane":
        return LANE_ROOMS[int(r.integers(len(LANE_ROOMS)))]
    floor = int(r.integers(1, b.floors + 1))
    return f"{floor}{int(r.integers(1, 5 if b.kind == 'walkup' else 9)):02d}室"


def _free_room(b: Building, r: np.random.Generator, used: set[str]) -> str:
    """A room not yet given to another household of this neighborhood (set only for lookup)."""
    room = _room(b, r)
    for k in range(2, 100):
        if f"{b.id}/{room}" not in used:
            break
        room = _room(b, r) if k < 12 else f"{_room(b, r)}{k}"
    used.add(f"{b.id}/{room}")
    return room


def _spot(b: Building, r: np.random.Generator) -> tuple[float, float]:
    """A point inside the footprint, off its centre so homes in one building differ."""
    inner = b.geom.point_on_surface()
    x, y = b.geom.exterior.coords[int(r.integers(4))]
    t = r.uniform(0.0, 0.6)
    p = Point(inner.x + (x - inner.x) * t, inner.y + (y - inner.y) * t)
    return (p.x, p.y) if b.geom.contains(p) else (inner.x, inner.y)


@dataclass
class NeighborhoodPeople:
    duty: Person
    cadres: list[Person]
    households: list[Household]
    residents: list[Person]


@dataclass
class Staff:
    """Who acts for whom: duty officers, cadres and residents by area (ids only)."""

    sub_duty: dict[str, str]
    nb_duty: dict[str, str] = field(default_factory=dict)
    nb_cadres: dict[str, list[str]] = field(default_factory=dict)
    nb_residents: dict[str, list[str]] = field(default_factory=dict)

    def duty_for(self, sid: str, nid: str) -> str:
        """The neighborhood's (property) duty officer, else the subdistrict's."""
        return self.nb_duty[nid] if nid else self.sub_duty[sid]

    def cadre_for(self, sid: str, nid: str, r: np.random.Generator) -> str:
        """A cadre of the neighborhood; outside neighborhoods the subdistrict's duty officer."""
        if not nid:
            return self.sub_duty[sid]
        cadres = self.nb_cadres[nid]
        return cadres[int(r.integers(len(cadres)))]


def neighborhood_people(roster: Roster, nb: Area, homes: list[Building], n_households: int,
                        first_hh: int) -> NeighborhoodPeople:
    """Duty officer, cadres, elders in their households, buddies and tagged residents."""
    r = rng(f"people:{nb.id}")
    sid = nb.subdistrict_id
    duty = roster.add("duty_officer", sid, nb.id)
    cadres = [roster.add("cadre", sid, nb.id) for _ in range(1 + int(r.random() < 0.5))]
    homes = [b for b in homes if b.kind in RESIDENTIAL]
    weight = np.array([{"lane": 5.0, "walkup": 6.0, "highrise": 10.0}[b.kind] for b in homes])
    picks = r.choice(len(homes), size=n_households, p=weight / weight.sum())
    n_buddies = max(1, round(n_households / ELDERS_PER_BUDDY))
    buddies = [roster.add("buddy", sid, nb.id) for _ in range(n_buddies)]
    buddy_of = r.permutation(np.arange(n_households) % n_buddies)
    used: set[str] = set()
    households = []
    for i, k in enumerate(picks):
        b = homes[int(k)]
        room = _free_room(b, r, used)
        elder = roster.add("resident", sid, nb.id, elder_tags(r), elder=True)
        x, y = _spot(b, r)
        households.append(Household(
            f"hh-{first_hh + i:05d}", sid, nb.id, b.id, b.address + room, elder.id,
            cadres[i % len(cadres)].id, buddies[int(buddy_of[i])].id, x, y))
    residents = [roster.add("resident", sid, nb.id,
                            tuple(_tags(r, RESIDENT_TAGS) + _tags(r, RESIDENT_POLICIES)))
                 for _ in range(RESIDENTS_PER_NB)]
    return NeighborhoodPeople(duty, cadres, households, residents)
