"""Strings of the screens: titles, KPI tiles, charts, tables, panels. key -> (zh, en)."""

TEXT: dict[str, tuple[str, str]] = {
    "app.title": ("虹口区一网统管 · 数字孪生指挥", "Hongkou Command Center · Digital Twin"),
    "screen.wall": ("大屏", "Wall"),
    "screen.desk": ("中屏", "Desk"),
    "screen.tablet": ("小屏", "Tablet"),
}
