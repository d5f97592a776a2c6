"""The details panel's content for each kind of picked object: plain dicts in, components out.

Personal data (a household's address and people) arrives only when the caller may show it;
the wall never asks for it (docs/domain.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dash import dcc, html

from twin_dashboard.catalog import LEVELS
from twin_dashboard.i18n import TEXT, t
from twin_dashboard.layouts import ids
from twin_dashboard.layouts.components import datum
from twin_dashboard.views.charts import category_name, rule_name
from twin_dashboard.views.tables import kpis
from twin_dashboard.views.titles import incident_title

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
        rows += household_rows(household, lang)
    form = reveal_form(data["id"], lang) if household and household.get("reason_needed") \
        and data.get("id") else []
    if household and data.get("household_id"):
        form.append(household_button(data["household_id"], lang))
    return [_head("details.device", data.get("name") or data["id"], lang), _rows(rows, lang),
            *form]


def household_rows(household: Mapping[str, Any], lang: str) -> list[Row]:
    """A household's address and people (masked ones say so); the cadre's phone as a call
    button for those who see the household in full (a buddy calls the cadre)."""
    masked = t("details.masked", lang) if household.get("masked") else ""
    phone = household.get("cadre_phone")
    cadre = [datum(household.get("cadre")), " ",
             html.A(t("details.call", lang), href=f"tel:{phone}", className="btn btn-ghost call")
             ] if phone else datum(household.get("cadre"))
    return [("details.address", datum(f"{household.get('address') or ''}{masked}")),
            ("details.elder", datum(household.get("elder"))),
            ("details.cadre", html.Span(cadre) if phone else cadre),
            ("details.buddy", datum(household.get("buddy")))]


def household_button(household_id: str, lang: str) -> html.Button:
    """Opens the household's card (住户卡) in the panel (callbacks/details.py)."""
    return html.Button(t("details.household_card", lang), id=ids.open_household(household_id),
                       n_clicks=0, type="button", className="act-btn household-open")


def household_details(data: Mapping[str, Any], lang: str) -> list:
    """A five-piece home: people (as the viewer may see them), the five devices' states, the
    last activity sensed and the newest alarms."""
    people = data.get("people")
    rows: list[Row] = [("details.place", datum(data.get("place"))),
                       *(household_rows(people, lang) if people else []),
                       ("details.last_activity", data.get("last_activity"))]
    kit = [html.Li([html.I(className=f"dot state-{d.get('state')}"),
                    html.Span(category_name(d["category"], lang), className="kit-name"),
                    html.Span(_vocab("state", d.get("state"), lang), className="kit-state")],
                   className=f"kit-item state-{d.get('state')}") for d in data["devices"]]
    history = [html.Li([html.Span(a["raised_at"], className="when"), " ",
                        html.Span(rule_name(a["rule"], lang),
                                  className=f"tag tone-{a.get('severity')}"), " ",
                        _vocab("alarm_status", a.get("status"), lang)])
               for a in data.get("alarms", [])]
    start = [visit_button("visit", data["id"], lang)] if data.get("may_visit") else []
    return [_head("details.home", (people or {}).get("address") or data["id"], lang),
            _rows(rows, lang), *start, html.H3(t("details.five_piece", lang)),
            html.Ul(kit, className="kit"), html.H3(t("details.alarm_history", lang)),
            html.Ol(history or [html.Li(t("details.no_alarms", lang), className="muted")],
                    className="history")]


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
    """An alarm: what fired, how urgent, since when, where; the caller's actions; its device
    (or, for an elderly-care rule, its household) below."""
    status = _vocab("alarm_status", data.get("status"), lang)
    if data.get("escalated") and data.get("status") != "escalated":
        status = [status, " ", html.Span(t("alarm_status.was_escalated", lang),
                                         className="tag tone-major")]
    rows: list[Row] = [
        ("details.rule", rule_name(data["rule"], lang)),
        ("details.severity", html.Span(_vocab("severity", data.get("severity"), lang),
                                       className=f"tag tone-{data.get('severity')}")),
        ("details.status", html.Span(status, className="alarm-status")),
        ("details.raised", data.get("raised_at")),
        ("details.place", datum(data.get("place"))),
    ]
    device, home = data.get("device"), data.get("household")
    body = device_details(device, lang)[1:] if device else []
    if home:
        body = [_rows(household_rows(home, lang), lang),
                household_button(data["household_id"], lang)]
    return [_head("details.alarm", rule_name(data["rule"], lang), lang,
                  f"tone-{data.get('severity')}"), _rows(rows, lang),
            *alarm_actions(data, lang), *body]


ACTION_LABELS = {"ack": "live.ack", "escalate": "live.escalate", "close": "act.close",
                 "incident": "act.incident"}


def alarm_actions(data: Mapping[str, Any], lang: str) -> list:
    """The steps the signed-in caller may take (decided on the server: ``actions``), each a
    ≥ 44 px button handled by ``callbacks/details.py``; a note goes with closing."""
    actions = data.get("actions") or ()
    if not actions:
        return []
    buttons = [html.Button(t(ACTION_LABELS[a], lang), id=ids.alarm_action(data["id"], a),
                           n_clicks=0, type="button",
                           className=f"act-btn act-{a}" + (" act-primary" if i == 0 else ""))
               for i, a in enumerate(actions)]
    note = [dcc.Input(id=ids.alarm_note(data["id"]), type="text", maxLength=500,
                      placeholder=t("act.note", lang), className="act-note")] \
        if "close" in actions else []
    return [html.Div([*note, html.Div(buttons, className="act-row")],
                     className="details-actions")]


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
    written = str(data.get("title") or "")
    title = incident_title(written, data.get("kind"), "", lang)
    if title != written and written:  # named in English: the Chinese title is the original
        rows.insert(0, ("details.original_title", datum(written)))
    history = [html.Li([html.Span(e["ts"], className="when"), " ",
                        _vocab("action", e.get("action"), lang), " ",
                        _vocab("level", e.get("level"), lang) or "", " ",
                        datum(e.get("note") or "")]) for e in data.get("history", [])]
    return [_head("details.incident", title or data["id"], lang,
                  f"tone-{data.get('level')}"),
            _rows(rows, lang), *incident_actions(data, lang), html.H3(t("details.history", lang)),
            html.Ol(history, className="history")]


NEEDS_REASON = ("escalate", "reopen")


def incident_actions(data: Mapping[str, Any], lang: str) -> list:
    """The workflow steps the signed-in caller may take now (decided on the server:
    ``actions``): a level to dispatch to, a note or reason, one ≥ 44 px button per step."""
    actions = data.get("actions") or ()
    if not actions:
        return []
    fields: list = []
    if "dispatch" in actions:
        fields.append(dcc.RadioItems(
            id=ids.incident_level(data["id"]), value=data.get("level"), inline=True,
            options=[{"label": t(f"level.{lv}", lang), "value": lv} for lv in LEVELS],
            className="act-levels"))
    hint = "do.reason" if any(a in NEEDS_REASON for a in actions) else "act.note"
    fields.append(dcc.Input(id=ids.incident_note(data["id"]), type="text", maxLength=500,
                            placeholder=t(hint, lang), className="act-note"))
    buttons = [html.Button(t(f"do.{a}", lang), id=ids.incident_action(data["id"], a),
                           n_clicks=0, type="button",
                           className=f"act-btn act-{a}" + (" act-primary" if i == 0 else ""))
               for i, a in enumerate(actions)]
    return [html.Div([*fields, html.Div(buttons, className="act-row")],
                     className="details-actions")]


# What people report most (the kind of an incident; anything else is "other").
REPORT_KINDS: tuple[str, ...] = ("facility", "sanitation", "fire_risk", "occupation", "safety",
                                 "other")
REPORT_SOURCES: tuple[str, ...] = ("resident", "hotline", "patrol", "visit", "inspection")


def report_form(lang: str, place: str | None, at_point: bool) -> list:
    """上报事件: title, kind and source; the place is the last map pick (a point) or the
    selected area, named above the form. Handled by callbacks/details.py."""
    where = place or t("scope.district", lang)
    where_key = "report.at_point" if at_point else "report.in_area"
    return [_head("report.title", None, lang),
            html.P(t(where_key, lang, place=where), className="report-where"),
            html.Div([
                dcc.Input(id=ids.REPORT_TITLE, type="text", maxLength=120, debounce=False,
                          placeholder=t("report.what", lang), className="act-note"),
                dcc.RadioItems(id=ids.REPORT_KIND, value="facility", inline=True,
                               options=[{"label": t(f"kind.{k}", lang), "value": k}
                                        for k in REPORT_KINDS], className="act-levels"),
                dcc.RadioItems(id=ids.REPORT_SOURCE, value="resident", inline=True,
                               options=[{"label": t(f"source.{s}", lang), "value": s}
                                        for s in REPORT_SOURCES], className="act-levels"),
                html.Button(t("report.submit", lang), id=ids.REPORT_SUBMIT, n_clicks=0,
                            type="button", className="act-btn act-primary"),
            ], className="details-actions")]


def area_details(kind_key: str, name: str | None, summary: Mapping[str, Any],
                 lang: str, visited: float | None = None) -> list:
    """A neighborhood or subdistrict: its own KPI figures (the same as /api/v1/summary) and
    the share of its households visited (大走访) in the last 30 days."""
    rows: list[Row] = [(f"kpi.{k.key}", html.Span(k.value, className="fact-value"))
                       for k in kpis(summary, lang)]
    rows.append(("details.devices", f"{summary['devices']['total']:,}"))
    if visited is not None:
        rows.append(("details.visited_30d", html.Span(f"{visited:.1%}", className="fact-value")))
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
    start = [visit_button("inspection", data["id"], lang)] if data.get("may_inspect") else []
    return [_head("details.building", data.get("name") or data.get("id"), lang),
            _rows([("details.floors", data.get("floors"))], lang), *start]


def visit_button(kind: str, place_id: str, lang: str) -> html.Button:
    """开始走访 / 开始排查: opens the checklist of ``kind`` for the place."""
    return html.Button(t(f"visit.start.{kind}", lang), id=ids.visit_open(kind, place_id),
                       n_clicks=0, type="button", className="act-btn act-primary visit-open")


def visit_form(kind: str, place_id: str, label: str | None, items: Sequence[str],
               started: str, lang: str) -> list:
    """The checklist: each item 合格 / 有问题 (a ≥ 44 px choice) with a note; each problem
    opens an incident when submitted (callbacks/details.py)."""
    rows = [html.Div([
        html.Span(t(f"check.{item}", lang), className="visit-item-name"),
        dcc.RadioItems(id=ids.visit_item(item), value="ok", inline=True,
                       options=[{"label": t("visit.ok", lang), "value": "ok"},
                                {"label": t("visit.problem", lang), "value": "problem"}],
                       className="act-levels visit-choice"),
        dcc.Input(id=ids.visit_note(item), type="text", maxLength=500,
                  placeholder=t("visit.note", lang), className="act-note"),
    ], className="visit-item") for item in items]
    return [_head(f"visit.title.{kind}", label or place_id, lang),
            html.P(t("visit.hint", lang), className="report-where"),
            html.Div(rows, className="visit-items"),
            html.Button(t("visit.submit", lang), id=ids.visit_submit(kind, place_id, started),
                        n_clicks=0, type="button", className="act-btn act-primary")]


def not_found(lang: str) -> list:
    return [html.P(t("details.not_found", lang), className="muted")]
