"""The fixed vocabulary (docs/domain.md): categories, states, sources, levels, roles.

Everything that names a kind of thing in code, data and UI comes from here, so that the
generator, the importer, the store, the domain figures and the screens agree.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DeviceCategory:
    """One of the 19 device categories and how its devices report."""

    code: str
    zh: str
    en: str
    heartbeat_hours: float  # no heartbeat for this long -> offline
    unit: str = ""
    elderly: bool = False  # part of the elderly-safety five-piece set (五件套)
    share: float = 0.0  # share of a neighborhood's devices, for the demo generator


DEVICE_CATEGORIES: tuple[DeviceCategory, ...] = (
    # The elderly-safety five-piece set, installed per household.
    DeviceCategory("door_contact", "智能门磁", "Door contact", 2, "", True, 0.06),
    DeviceCategory("infrared", "红外感知", "Infrared motion", 2, "", True, 0.06),
    DeviceCategory("smoke", "烟感", "Smoke detector", 24, "", True, 0.06),
    DeviceCategory("gas", "燃气报警", "Gas alarm", 24, "%LEL", True, 0.06),
    DeviceCategory("water_flow", "水管家", "Water flow", 2, "L/min", True, 0.06),
    # The other 14.
    DeviceCategory("fire_hydrant", "消防栓水压", "Hydrant pressure", 6, "MPa", False, 0.03),
    DeviceCategory("manhole", "智能井盖", "Smart manhole", 12, "", False, 0.05),
    DeviceCategory("ebike_charging", "电动车充电", "E-bike charging", 1, "kWh", False, 0.08),
    DeviceCategory("fire_lane", "消防通道占用", "Fire lane", 1, "", False, 0.03),
    DeviceCategory("falling_object", "高空抛物", "Falling object", 1, "", False, 0.05),
    DeviceCategory("elevator", "电梯", "Elevator", 1, "", False, 0.04),
    DeviceCategory("garbage", "垃圾满溢", "Garbage overflow", 6, "%", False, 0.05),
    DeviceCategory("waterlogging", "积水", "Waterlogging", 6, "cm", False, 0.03),
    DeviceCategory("parking", "车位", "Parking space", 2, "", False, 0.12),
    DeviceCategory("access_gate", "门禁", "Access gate", 1, "", False, 0.06),
    DeviceCategory("street_light", "路灯", "Street light", 12, "", False, 0.07),
    DeviceCategory("air_quality", "空气质量", "Air quality", 2, "AQI", False, 0.02),
    DeviceCategory("noise", "噪声", "Noise", 2, "dB", False, 0.02),
    DeviceCategory("building_tilt", "房屋倾斜", "Building tilt", 24, "°", False, 0.05),
)
CATEGORY_BY_CODE: dict[str, DeviceCategory] = {c.code: c for c in DEVICE_CATEGORIES}
ELDERLY_CATEGORIES: tuple[str, ...] = tuple(c.code for c in DEVICE_CATEGORIES if c.elderly)

DEVICE_STATES: tuple[str, ...] = ("normal", "alarm", "fault", "offline", "low_battery")
LOW_BATTERY = 0.15  # battery share below which a device reports low_battery

READING_EVENTS: tuple[str, ...] = (
    "heartbeat", "open", "close", "motion", "smoke", "gas",
    "flow_start", "flow_stop", "alarm", "fault", "clear",
)

INCIDENT_SOURCES: tuple[str, ...] = (
    "visit", "inspection", "sensor", "patrol", "hotline", "resident",
)
INCIDENT_STATUSES: tuple[str, ...] = (
    "reported", "dispatched", "in_progress", "resolved", "closed",
)
OPEN_STATUSES: tuple[str, ...] = ("reported", "dispatched", "in_progress")
LEVELS: tuple[str, ...] = ("property", "committee", "subdistrict")
# Hours a level has to resolve an incident before it breaches its SLA.
LEVEL_SLA_HOURS: dict[str, float] = {"property": 24, "committee": 72, "subdistrict": 168}

ALARM_STATUSES: tuple[str, ...] = ("open", "acknowledged", "escalated", "closed")
ALARM_SEVERITIES: tuple[str, ...] = ("critical", "major", "minor")

PERSON_ROLES: tuple[str, ...] = (
    "resident", "cadre", "buddy", "gov_chief", "community_chief", "duty_officer",
)
PERSON_TAGS: tuple[str, ...] = ("独居老人", "失能", "低保", "残疾", "高龄", "孤老", "重点关爱")
POLICY_TAGS: tuple[str, ...] = ("助餐补贴", "长护险", "居家养老", "适老化改造", "医疗救助")

BUILDING_KINDS: tuple[str, ...] = ("lane", "walkup", "highrise", "public", "commercial")
ROAD_CLASSES: tuple[str, ...] = ("arterial", "secondary", "branch")
LANDCOVER_KINDS: tuple[str, ...] = ("water", "green")

# 大走访 / 大排查: what a visit looks at, per kind, and what kind of place it is made at.
VISIT_KINDS: tuple[str, ...] = ("visit", "inspection")
VISIT_TARGETS: dict[str, str] = {"visit": "household", "inspection": "building"}
CHECKLISTS: dict[str, tuple[str, ...]] = {
    # 大走访 of an elder's household: 身体状况, 家电安全, 燃气安全, 通道, 五件套完好.
    "visit": ("wellbeing", "appliances", "gas_safety", "escape_route", "five_piece_set"),
    # 大排查 of a building: 消防通道, 电动车充电, 排水, 楼道堆物, 灭火器.
    "inspection": ("fire_lanes", "ebike_charging", "drains", "stairwell_clutter",
                   "extinguishers"),
}
