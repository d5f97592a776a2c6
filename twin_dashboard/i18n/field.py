"""Strings of field work: the checklist items of 大走访 / 大排查 visits. key -> (zh, en)."""

TEXT: dict[str, tuple[str, str]] = {
    "check.wellbeing": ("身体状况", "Wellbeing"),
    "check.appliances": ("家电安全", "Appliance safety"),
    "check.gas_safety": ("燃气安全", "Gas safety"),
    "check.escape_route": ("通道畅通", "Door and escape route"),
    "check.five_piece_set": ("五件套完好", "Five-piece set working"),
    "check.fire_lanes": ("消防通道", "Fire lanes clear"),
    "check.ebike_charging": ("电动车充电", "E-bike charging safe"),
    "check.drains": ("排水", "Drains"),
    "check.stairwell_clutter": ("楼道堆物", "Stairwell clutter"),
    "check.extinguishers": ("灭火器", "Fire extinguishers"),
}
