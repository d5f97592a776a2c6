"""Incidents (事件/工单) of the last 90 days and every step of their closed loop.

Incidents come from all six sources: neighbourhood work (visits, inspections), residents and the
12345 hotline, patrol findings and sensor alarms. The level each one is finally handled at is
dealt from exact quotas per neighborhood: healthy ones ~90/8.5/1.5 % (property / committee /
subdistrict, the pilot's figures), a few worse ones 75/18/7 %. Each incident's timeline is then
played up to ``as_of``: the newest are still open, some stuck past their SLA.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely

from twin_dashboard.catalog import CATEGORY_BY_CODE
from twin_dashboard.geo.demo._alarms import Alarm
from twin_dashboard.geo.demo._base import AS_OF_TS, DAY, HISTORY_DAYS, HOUR, Area, rng
from twin_dashboard.geo.demo._buildings import Building
from twin_dashboard.geo.demo._patrols import Finding
from twin_dashboard.geo.demo._people import Staff

HEALTHY_SPLIT = (0.90, 0.085, 0.015)
WORSE_SPLIT = (0.75, 0.18, 0.07)
WORSE_NEIGHBORHOODS = ("duolun", "baoan", "liuying")
STUCK_CHANCE = {"healthy": 0.07, "worse": 0.18}
# Incidents per neighborhood per day, by source (sensor and patrol ones come from elsewhere).
DAILY_RATE = {"visit": 0.26, "inspection": 0.19, "hotline": 0.26, "resident": 0.17}
OUTSIDE_SHARE = {"hotline": 0.15, "resident": 0.05}  # about places outside neighborhoods
KINDS: dict[str, tuple[tuple[str, str], ...]] = {
    "visit": (("elder_care", "独居老人生活需求"), ("housing_repair", "房屋报修"),
              ("dispute", "邻里纠纷"), ("welfare", "困难帮扶申请")),
    "inspection": (("fire_hazard", "消防隐患"), ("ebike_indoor", "电动车违规入户充电"),
                   ("illegal_build", "违章搭建"), ("clutter", "楼道堆物"),
                   ("structure", "房屋安全隐患")),
    "hotline": (("noise", "噪声扰民"), ("leak", "漏水"), ("parking", "停车纠纷"),
                ("property", "物业服务"), ("sanitation", "环境卫生")),
    "resident": (("clutter", "楼道堆物"), ("leak", "漏水"), ("lighting", "路灯损坏"),
                 ("garbage", "垃圾未及时清运"), ("pest", "虫鼠害")),
    "patrol": (("road_damage", "道路破损"), ("illegal_parking", "违章停车"),
               ("street_vending", "占道经营"), ("garbage_exposed", "垃圾暴露"),
               ("manhole_damage", "井盖破损"), ("shared_bikes", "共享单车乱停放")),
}
RULE_ZH = {"no_activity_12h": "老人12小时无活动", "no_water_24h": "老人24小时未用水",
           "water_running_2h": "持续用水超2小时", "smoke": "烟感报警", "gas": "燃气泄漏报警"}
SOURCE_ZH = {"visit": "大走访", "inspection": "大排查", "sensor": "物联感知", "patrol": "路长巡查",
             "hotline": "12345热线", "resident": "居民上报"}
STATUS_AFTER = {"report": "reported", "dispatch": "dispatched", "start": "in_progress",
                "escalate": "dispatched", "resolve": "resolved", "close": "closed"}
SYSTEM = "system"  # the platform itself: sensor reports are raised by no person


@dataclass
class Stub:
    source: str
    kind: str
    title: str
    subdistrict_id: str
    neighborhood_id: str
    reported_at: float
    x: float
    y: float
    reporter: str
    zone_id: str = ""
    device_id: str = ""
    alarm: Alarm | None = None


@dataclass
class Incident:
    id: str
    stub: Stub
    level: str = "property"
    status: str = "reported"
    dispatched_at: float | None = None
    resolved_at: float | None = None
    closed_at: float | None = None
    sla_due_at: float = 0.0
    events: list[tuple[float, str, str, str, str]] = field(default_factory=list)


def _daytime(r: np.random.Generator, n: int) -> np.ndarray:
    """n times in the history, mostly between 07:00 and 22:00, in random order."""
    t = AS_OF_TS - r.uniform(0, HISTORY_DAYS * DAY, 4 * n + 8)
    hour = ((t - (AS_OF_TS - 8 * HOUR)) / HOUR) % 24
    keep = ((hour >= 7) & (hour < 22)) | (r.random(t.size) < 0.12)
    return t[keep][:n]


def sensor_stubs(alarms: list[Alarm], names: dict[str, str],
                 r: np.random.Generator) -> list[Stub]:
    """Escalated alarms, and some serious ones, become sensor-sourced incidents."""
    out = []
    for a in alarms:
        serious = a.severity != "minor"
        if a.escalated_at is None and r.random() >= (0.2 if serious else 0.04):
            continue
        reported = a.escalated_at or a.raised_at + r.uniform(5, 30) * 60
        if reported > AS_OF_TS:
            continue
        what = RULE_ZH.get(a.rule) or f"{CATEGORY_BY_CODE[a.rule].zh}告警"
        where = names.get(a.neighborhood_id) or names[a.subdistrict_id]
        out.append(Stub("sensor", a.rule, f"{what}：{where}", a.subdistrict_id,
                        a.neighborhood_id, reported, a.x, a.y, SYSTEM,
                        device_id=a.device_id, alarm=a))
    return out


def patrol_stubs(found: list[Finding], nbs: list[Area], names: dict[str, str],
                 r: np.random.Generator) -> list[Stub]:
    """What the chiefs found on their walks, placed where they stood."""
    out = []
    for f in found:
        nid = next((nb.id for nb in nbs if shapely.contains_xy(nb.geom, f.x, f.y)), "")
        kind, zh = KINDS["patrol"][int(r.integers(len(KINDS["patrol"])))]
        where = names.get(nid) or names[f.subdistrict_id]
        out.append(Stub("patrol", kind, f"{zh}：{where}", f.subdistrict_id, nid, f.ts, f.x, f.y,
                        f.chief_id, zone_id=f.zone_id))
    return out


def _reporter(source: str, sid: str, nid: str, staff: Staff, r: np.random.Generator) -> str:
    if source == "hotline" or not nid:
        return staff.sub_duty[sid]
    if source == "resident":
        people = staff.nb_residents[nid]
        return people[int(r.integers(len(people)))]
    if source == "inspection" and r.random() < 0.5:
        return staff.nb_duty[nid]
    return staff.cadre_for(sid, nid, r)


def citizen_stubs(nbs: list[Area], buildings: list[Building], staff: Staff) -> list[Stub]:
    """Visits, inspections, hotline calls and residents' reports, per neighborhood."""
    inside = {nb.id: [b for b in buildings if b.neighborhood_id == nb.id] for nb in nbs}
    outside = {nb.subdistrict_id: [b for b in buildings
                                   if b.subdistrict_id == nb.subdistrict_id
                                   and not b.neighborhood_id] for nb in nbs}
    out = []
    for nb in nbs:
        r = rng(f"incidents:{nb.id}")
        boost = 1.3 if nb.id in WORSE_NEIGHBORHOODS else 1.0
        for source, rate in DAILY_RATE.items():
            n = int(r.poisson(rate * boost * HISTORY_DAYS))
            for ts in _daytime(r, n):
                away = r.random() < OUTSIDE_SHARE.get(source, 0.0) and outside[nb.subdistrict_id]
                pool = outside[nb.subdistrict_id] if away else inside[nb.id]
                b = pool[int(r.integers(len(pool)))]
                kind, zh = KINDS[source][int(r.integers(len(KINDS[source])))]
                p = b.geom.point_on_surface()
                out.append(Stub(source, kind, f"{zh}：{b.name}", b.subdistrict_id,
                                b.neighborhood_id, float(ts), p.x, p.y,
                                _reporter(source, b.subdistrict_id, b.neighborhood_id, staff, r)))
    return out


def deal_levels(incidents: list[Incident]) -> dict[str, str]:
    """Final level per incident id, from exact quotas per neighborhood (or subdistrict rest)."""
    groups: dict[str, list[str]] = {}
    for inc in incidents:  # insertion order follows the (time-sorted) incident list
        s = inc.stub
        groups.setdefault(s.neighborhood_id or f"sub:{s.subdistrict_id}", []).append(inc.id)
    out: dict[str, str] = {}
    for key, ids in groups.items():
        split = WORSE_SPLIT if key in WORSE_NEIGHBORHOODS else HEALTHY_SPLIT
        n_sub, n_com = round(len(ids) * split[2]), round(len(ids) * split[1])
        levels = ["subdistrict"] * n_sub + ["committee"] * n_com
        levels += ["property"] * (len(ids) - len(levels))
        for inc_id, level in zip(ids, rng(f"levels:{key}").permutation(levels), strict=True):
            out[inc_id] = str(level)
    return out
