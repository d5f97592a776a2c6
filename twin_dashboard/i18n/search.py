"""Strings of the search box (layouts/components.py ``search_box``). key -> (zh, en)."""

TEXT: dict[str, tuple[str, str]] = {
    "search.placeholder": ("搜索地址、设备、事件、地点",
                           "Search addresses, devices, incidents, places"),
    "search.label": ("全局搜索", "Search the map"),
    "search.none": ("无匹配结果", "No matches"),
    "search.kind.neighborhood": ("居委", "Neighborhood"),
    "search.kind.zone": ("片区", "Patrol zone"),
    "search.kind.road": ("道路", "Road"),
    "search.kind.device": ("设备", "Device"),
    "search.kind.household": ("住户", "Household"),
    "search.kind.person": ("居民", "Resident"),
}
