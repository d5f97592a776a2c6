"""Strings of a city of several districts: titles naming the district (its name comes from the
data, never from here) and the city view's district labels and tooltips."""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    "app.title_of": ("{place}一网统管 · 数字孪生指挥", "{place} Command Center · Digital Twin"),
    "scope.district_of": ("{place}全域", "All of {place}"),
    "city.label": ("{name}\n在线 {online}/{devices} · 告警 {alarms}\n"
                   "事件 {incidents} · 超时 {breaches}",
                   "{name}\nonline {online}/{devices} · alarms {alarms}\n"
                   "incidents {incidents} · SLA {breaches}"),
    "city.tip": ("{name}\n在线设备 {devices_online}/{devices}\n待处置告警 {open_alarms}\n"
                 "在办事件 {open_incidents}\n超时 {sla_breaches}\n点击进入该区",
                 "{name}\nDevices online {devices_online}/{devices}\nOpen alarms {open_alarms}\n"
                 "Open incidents {open_incidents}\nSLA breaches {sla_breaches}\n"
                 "Click to open the district"),
}
