"""Strings of the twin map: layer names, legend, tooltips. key -> (zh, en).

Vocabulary (device states, incident levels and statuses, alarm severities) is the screens'
(``state.alarm`` … in ``screens.py``): the map's legend and tooltips say what the tables say.

Tooltip templates name row fields in braces (``{name}``); the map script fills them in as plain
text, so a field can never inject markup.
"""

TEXT: dict[str, tuple[str, str]] = {
    "map.title": ("数字孪生地图", "Twin map"),
    "map.loading": ("正在绘制孪生地图…", "Drawing the twin map…"),
    "map.no_webgl": ("此浏览器无法绘制三维地图（WebGL 不可用）",
                     "This browser cannot draw the 3D map (WebGL unavailable)"),
    # overlay toggles
    "map.layers": ("图层", "Layers"),
    "map.layer.devices": ("感知设备", "Devices"),
    "map.layer.alarms": ("告警", "Alarms"),
    "map.layer.incidents": ("事件", "Incidents"),
    "map.layer.patrol_zones": ("巡查片区", "Patrol zones"),
    "map.layer.patrol_tracks": ("巡查轨迹", "Patrol tracks"),
    "map.layer.visits": ("走访覆盖", "Visit coverage"),
    "map.legend.visits": ("走访（30 天）", "Visits (30 days)"),
    "map.visit.visited": ("30 天内已走访", "Visited in 30 days"),
    "map.visit.due": ("待走访", "Visit due"),
    "map.tip.visit": ("{visit_label}\n{since_label}", "{visit_label}\n{since_label}"),
    "map.visit.since": ("上次走访：{days} 天前", "Last visit: {days} days ago"),
    "map.visit.never": ("从未走访", "Never visited"),
    "map.tracks.window": ("轨迹时段", "Tracks of"),
    "map.tracks.1": ("24 小时", "24 h"),
    "map.tracks.7": ("7 天", "7 days"),
    # 2D / 3D
    "map.mode": ("视角", "View"),
    "map.mode.2d": ("二维", "2D"),
    "map.mode.3d": ("三维", "3D"),
    # legend
    "map.legend.devices": ("设备状态", "Device state"),
    "map.legend.incidents": ("事件层级", "Incident level"),
    "map.legend.coverage": ("巡查覆盖", "Patrol coverage"),
    "map.legend.sla": ("超时未办结", "Past SLA"),
    "map.legend.column": ("柱高 = 异常设备数 · 放大查看每台设备",
                          "Column height = devices not normal · zoom in for each device"),
    "map.legend.track.day": ("24 小时内", "Last 24 h"),
    "map.legend.track.week": ("7 天内", "Last 7 days"),
    "map.coverage.covered": ("按时巡查", "Patrolled in time"),
    "map.coverage.late": ("逾期", "Overdue"),
    "map.coverage.uncovered": ("未巡查", "Not patrolled"),
    # tooltips: {field} is filled from the picked row
    "map.tip.building": ("{name} · {floors} 层", "{name} · {floors} floors"),
    "map.tip.device": ("{category_label}\n{name}\n状态：{state_label}",
                       "{category_label}\n{name}\nState: {state_label}"),
    "map.tip.aggregate": ("{name}\n设备 {total} 台 · 告警 {alarm} · 故障 {fault} · 离线 {offline}"
                          " · 低电量 {low_battery}\n放大查看每台设备",
                          "{name}\n{total} devices · {alarm} alarm · {fault} fault · "
                          "{offline} offline · {low_battery} low battery\n"
                          "Zoom in for each device"),
    "map.tip.alarm": ("{severity_label}告警\n{rule_label}", "{severity_label} alarm\n{rule_label}"),
    "map.tip.incident": ("{title}\n{level_label} · {status_label}{breach_label}",
                         "{title}\n{level_label} · {status_label}{breach_label}"),
    "map.tip.breach": (" · 已超时", " · past SLA"),
    "map.tip.track": ("巡查轨迹 · {zone_name}\n{chief}\n{time}",
                      "Patrol track · {zone_name}\n{chief}\n{time}"),
    "map.tip.zone": ("{name}\n{coverage_label}", "{name}\n{coverage_label}"),
}
