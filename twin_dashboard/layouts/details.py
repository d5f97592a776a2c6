"""The details panel's content for each kind of picked object: plain dicts in, components out.

Personal data (a household's address and people) arrives only when the caller may show it;
the wall never asks for it (docs/domain.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dash import dcc, html

from twin_dashboard.i18n import TEXT, t
from twin_dashboard.layouts import ids
from twin_dashboard.layouts.components import datum
from twin_dashboard.views.charts import category_name, rule_name
from twin_dashboard.views.tables import kpis

Row = tuple[str, Any]  # (catalog key of the label, value: str or component)


def _rows(rows: Sequence[Row], lang: str) -> html.Dl:
    items: list = []
    for key, value in rows:
        items += [html.Dt(t(key, lang)), html.Dd(value if value not in (None, "") else "—")]
    return html.Dl(items, className="facts")


def _head(kind_key: str, name: str | None, lang: str, tone: str = "") -> html.Div:
    return html.Div([html.Span(t(kind_key, lang), className=f"tag {tone}".strip()),
                     datum(name, className="details-name")], className="details-head")


def _vocab(prefix: str, code: str | None, lang: str) -> Any:
    """A vocabulary code's label; a code the catalog lacks is shown as data."""
    if code is None:
        return None
    key = f"{prefix}.{code}"
    return t(key, lang) if key in TEXT else datum(code)


def device_details(data: Mapping[str, Any], lang: str) -> list:
    """A device: category, state, last reading, household (only when given)."""
    reading = data.get("last_value")
    rows: list[Row] = [
        ("details.category", category_name(data["category"], lang)),
        ("details.state", html.Span(_vocab("state", data.get("state"), lang),
                                    className=f"state state-{data.get('state')}")),
        ("details.last_reading", datum(f"{reading:g} {data.get('unit', '')}".strip())
         if isinstance(reading, int | float) else _vocab("event", data.get("last_event"), lang)),
        ("details.last_seen", data.get("last_seen")),
        ("details.battery", f"{data['battery']:.0%}" if data.get("battery") is not None
         else None),
    ]
    household = data.get("household")
    if household:
        masked = t("details.masked", lang) if household.get("masked") else ""
        rows += [("details.address", datum(f"{household.get('address') or ''}{masked}")),
                 ("details.elder", datum(household.get("elder"))),
                 ("details.cadre", datum(household.get("cadre"))),
                 ("details.buddy", datum(household.get("buddy")))]
    form = reveal_form(data["id"], lang) if household and household.get("reason_needed") \
        and data.get("id") else []
    return [_head("details.device", data.get("name") or data["id"], lang), _rows(rows, lang),
            *form]


def reveal_form(device_id: str, lang: str) -> list:
    """A commander's reason for seeing this household in full (callbacks/details.py, audited)."""
    return [html.Div([
        html.P(t("reveal.prompt", lang), className="reveal-prompt"),
        dcc.Input(id=ids.reveal("reason", device_id), type="text", maxLength=300,
                  placeholder=t("reveal.reason", lang), className="reveal-reason"),
        html.Button(t("reveal.submit", lang), id=ids.reveal("button", device_id),
                    type="button", className="reveal-btn", n_clicks=0),
    ], className="details-reveal")]


def alarm_details(data: Mapping[str, Any], lang: str) -> list:
    """An alarm: what fired, how urgent, since when, where; its device and household below."""
    rows: list[Row] = [
        ("details.rule", rule_name(data["rule"], lang)),
        ("details.severity", html.Span(_vocab("severity", data.get("severity"), lang),
                                       className=f"tag tone-{data.get('severity')}")),
        ("details.status", _vocab("alarm_status", data.get("status"), lang)),
        ("details.raised", data.get("raised_at")),
        ("details.place", datum(data.get("place"))),
    ]
    device = data.get("device")
    body = device_details(device, lang)[1:] if device else []
    return [_head("details.alarm", rule_name(data["rule"], lang), lang,
                  f"tone-{data.get('severity')}"), _rows(rows, lang), *alarm_actions(data, lang),
            *body]


# Only recipients may acknowledge (domain/routing.py): the desk acts as the subdistrict's duty
# officer, a recipient only once the alarm is escalated, so it escalates open alarms first.
DESK_ACTIONS = {"open": ("escalate", "live.escalate"),
                "acknowledged": ("escalate", "live.escalate"), "escalated": ("ack", "live.ack")}


def alarm_actions(data: Mapping[str, Any], lang: str) -> list:
    """The desk's one next step for an alarm, when the caller names who acts (``actor``);
    assets/live.js posts it (the same handler as the tablet's acknowledge)."""
    action = DESK_ACTIONS.get(data.get("status") or "")
    if not data.get("actor") or action is None:
        return []
    verb, key = action
    button = html.Button(t(key, lang), className="ack-btn details-action", type="button",
                         **{"data-alarm": data["id"], "data-action": verb,
                            "data-actor": data["actor"]})
    return [html.Div(button, className="details-actions")]


def incident_details(data: Mapping[str, Any], lang: str) -> list:
    """An incident: source, level, status, deadline and its closed-loop history."""
    overdue = data.get("overdue")
    sla = [data.get("sla_due_at") or "—", " ",
           html.Span(t("details.overdue" if overdue else "details.on_time", lang),
                     className="tag tone-critical" if overdue else "tag tone-ok")]
    rows: list[Row] = [
        ("details.source", _vocab("source", data.get("source"), lang)),
        ("details.level", _vocab("level", data.get("level"), lang)),
        ("details.status", _vocab("status", data.get("status"), lang)),
        ("details.sla", html.Span(sla)),
    ]
    history = [html.Li([html.Span(e["ts"], className="when"), " ",
                        _vocab("action", e.get("action"), lang), " ",
                        _vocab("level", e.get("level"), lang) or "", " ",
                        datum(e.get("note") or "")]) for e in data.get("history", [])]
    return [_head("details.incident", data.get("title") or data["id"], lang,
                  f"tone-{data.get('level')}"),
            _rows(rows, lang), html.H3(t("details.history", lang)),
            html.Ol(history, className="history")]


def area_details(kind_key: str, name: str | None, summary: Mapping[str, Any],
                 lang: str) -> list:
    """A neighborhood or subdistrict: its own KPI figures (the same as /api/v1/summary)."""
    rows: list[Row] = [(f"kpi.{k.key}", html.Span(k.value, className="fact-value"))
                       for k in kpis(summary, lang)]
    rows.append(("details.devices", f"{summary['devices']['total']:,}"))
    return [_head(kind_key, name, lang), _rows(rows, lang)]


def zone_details(data: Mapping[str, Any], lang: str) -> list:
    """A patrol zone: its two road chiefs, target interval and last patrol."""
    hours = data.get("hours_since")
    rows: list[Row] = [
        ("details.gov_chief", datum(data.get("gov_chief"))),
        ("details.community_chief", datum(data.get("community_chief"))),
        ("details.target", t("details.hours", lang, n=f"{data.get('target_hours') or 0:g}")),
        ("details.last_patrol", data.get("last_patrol") or t("details.never", lang)),
        ("chart.hours_since", f"{hours:.1f}" if isinstance(hours, float) and hours == hours
         else None),
    ]
    tone = "tone-ok" if data.get("covered") else "tone-critical"
    return [_head("details.zone", data.get("name"), lang, tone), _rows(rows, lang)]


def building_details(data: Mapping[str, Any], lang: str) -> list:
    return [_head("details.building", data.get("name") or data.get("id"), lang),
            _rows([("details.floors", data.get("floors"))], lang)]


def not_found(lang: str) -> list:
    return [html.P(t("details.not_found", lang), className="muted")]
