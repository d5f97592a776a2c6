"""The 社区大脑 drawer of the desk: tags into all / any / none, the policy gaps one click each,
count per neighborhood or subdistrict; results as the map's choropleth, a chart per area and,
for roles that see residents, the people (filled by ``callbacks/brain.py``)."""

from __future__ import annotations

from dash import dcc, html

from twin_dashboard.domain.brain import AREA_KINDS, KNOWN_TAGS, POLICY_GAPS
from twin_dashboard.i18n import t
from twin_dashboard.layouts import ids
from twin_dashboard.layouts.components import dropdown_labels
from twin_dashboard.views.charts import GRAPH_CONFIG


def tag_options(lang: str) -> list[dict[str, str]]:
    return [{"label": t(f"tag.{tag}", lang), "value": tag} for tag in KNOWN_TAGS]


def open_button(lang: str) -> html.Button:
    """On the desk's map: opens the drawer."""
    return html.Button(t("brain.open", lang), id=ids.BRAIN_OPEN, n_clicks=0, type="button",
                       className="btn btn-primary brain-open")


def _picker(component_id: str, label_key: str, lang: str) -> html.Label:
    return html.Label([html.Span(t(label_key, lang), className="brain-label"),
                       dcc.Dropdown(id=component_id, options=tag_options(lang), value=[],
                                    multi=True, placeholder=t("brain.pick", lang),
                                    labels=dropdown_labels(lang), className="select brain-tags")],
                      className="brain-field")


def tag_editor(lang: str) -> html.Div:
    """An admin's tag management: a person by id (admins see no names), their tags, save."""
    return html.Div([
        html.Div(t("brain.tags.title", lang), className="brain-section"),
        html.Div([dcc.Input(id=ids.BRAIN_TAG_PERSON, type="text", maxLength=64, debounce=True,
                            placeholder=t("brain.tags.person", lang), className="brain-person"),
                  html.Button(t("brain.tags.load", lang), id=ids.BRAIN_TAG_LOAD, n_clicks=0,
                              type="button", className="btn btn-ghost")], className="brain-row"),
        dcc.Dropdown(id=ids.BRAIN_TAG_VALUE, options=tag_options(lang), value=[], multi=True,
                     placeholder=t("brain.pick", lang), labels=dropdown_labels(lang),
                     className="select brain-tags"),
        html.Div([html.Div(id=ids.BRAIN_TAG_MSG, className="brain-note", role="status"),
                  html.Button(t("brain.tags.save", lang), id=ids.BRAIN_TAG_SAVE, n_clicks=0,
                              type="button", className="btn btn-primary brain-clear")],
                 className="brain-row"),
    ], className="brain-tag-editor")


def brain_panel(lang: str, lists_people: bool, admin: bool = False) -> html.Aside:
    """The drawer, hidden until opened; ``lists_people``: the role may see residents at all;
    ``admin``: with the tag editor (the server checks the role again on each use)."""
    head = html.Div([html.H2(t("brain.open", lang)),
                     html.Button(t("brain.close", lang), id=ids.BRAIN_CLOSE, n_clicks=0,
                                 type="button", className="btn btn-ghost")],
                    className="card-head")
    gaps = html.Div([html.Button(g.name(lang), id=ids.brain_gap(g.key), n_clicks=0,
                                 type="button", className="btn brain-gap", title=g.name(lang))
                     for g in POLICY_GAPS], className="brain-gaps")
    by = dcc.RadioItems(id=ids.BRAIN_BY, value="neighborhood", className="brain-by",
                        inputClassName="brain-by-input", labelClassName="brain-by-label",
                        options=[{"label": t(f"brain.by.{k}", lang), "value": k}
                                 for k in reversed(AREA_KINDS)])
    show = dcc.Checklist(id=ids.BRAIN_SHOW, value=["map"], className="brain-show",
                         options=[{"label": t("brain.show", lang), "value": "map"}])
    query = html.Div([
        html.Div(t("brain.gaps", lang), className="brain-section"), gaps,
        _picker(ids.BRAIN_ALL, "brain.all", lang), _picker(ids.BRAIN_ANY, "brain.any", lang),
        _picker(ids.BRAIN_NOT, "brain.none", lang),
        html.Div([html.Span(t("brain.by", lang), className="brain-label"), by, show,
                  html.Button(t("brain.clear", lang), id=ids.BRAIN_CLEAR, n_clicks=0,
                              type="button", className="btn btn-ghost brain-clear")],
                 className="brain-row"),
    ], className="brain-query")
    results = [
        html.Div([html.Div(t("brain.hint", lang), id=ids.BRAIN_TOTAL, className="brain-total"),
                  html.Div(id=ids.BRAIN_LEGEND, className="brain-legend")],
                 className="brain-summary"),
        html.Div(t("brain.chart", lang), className="brain-section"),
        dcc.Graph(id=ids.BRAIN_CHART, config=GRAPH_CONFIG, className="brain-chart"),
    ]
    if lists_people:
        results += [html.Div(t("brain.people", lang), className="brain-section"),
                    html.Div(id=ids.BRAIN_PEOPLE, className="brain-people")]
    if admin:
        results.append(tag_editor(lang))
    return html.Aside([head, html.Div([query, *results], className="brain-body"),
                       dcc.Store(id=ids.BRAIN_MAP)],
                      id=ids.BRAIN_PANEL, className="brain-panel card", hidden=True,
                      **{"aria-label": t("brain.open", lang)})
