"""Strings of the twin map: layer names, legend, tooltips. key -> (zh, en)."""

TEXT: dict[str, tuple[str, str]] = {
    "map.title": ("数字孪生地图", "Twin map"),
}
