"""The desk's 社区大脑 drawer: open/close, a policy gap or 清除 fills the three tag pickers, and
the query gives the map's choropleth, the chart per area and — for roles that see residents —
the people (masked as the viewer's role says; each list audited).

Scope and personal data come from the session (``viewing()``): the selection only narrows.
"""

from __future__ import annotations

import asyncio
from typing import Any

from dash import ALL, ClientsideFunction, Dash, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate

from twin_dashboard.callbacks._context import page_lang, scope_of, screen_of, viewing
from twin_dashboard.domain import brain
from twin_dashboard.domain.access import Viewer
from twin_dashboard.i18n import t
from twin_dashboard.layouts import ids
from twin_dashboard.profiles import profile
from twin_dashboard.services import Services
from twin_dashboard.views.brain import brain_figure, brain_map, legend_steps, people_items
from twin_dashboard.views.charts import chart_style
from twin_dashboard.views.theme import hex_of

DESK_PEOPLE = 100  # the drawer lists this many; the API gives more


def _query(all_: Any, any_: Any, not_: Any) -> brain.BrainQuery:
    return brain.brain_query(all_ or [], any_ or [], not_ or [])


def result_of(services: Services, viewer: Viewer, selection: dict | None, query: brain.BrainQuery,
              by: str, lang: str) -> dict[str, Any]:
    """The counts for the selection (inside the viewer's scope), names in the page's language."""
    scope = scope_of(services, viewer, selection).store_scope
    return brain.counts(services.store, services.atlas.places(lang), viewer, scope, query, by)


def show_result(services: Services, viewer: Viewer, selection: dict | None, all_: Any,
                any_: Any, not_: Any, by: str | None, show: list | None,
                screen: dict | None) -> tuple:
    """The map store, chart, total line and legend for the pickers' query."""
    lang, shown = page_lang(screen), profile(screen_of(screen))
    style = chart_style(screen_of(screen), None, lang)
    try:
        query = _query(all_, any_, not_)
    except ValueError as err:
        return (brain_map(None, None, shown.theme, lang), brain_figure(None, style),
                t("brain.error", lang, error=str(err)), [])
    if query.empty:
        return (brain_map(None, None, shown.theme, lang), brain_figure(None, style),
                t("brain.hint", lang), [])
    by = by if by in brain.AREA_KINDS else "neighborhood"
    result = result_of(services, viewer, selection, query, by, lang)
    layer = services.atlas.geo().layers.get(f"{by}s")
    on_map = brain_map(layer if "map" in (show or []) else None, result, shown.theme, lang)
    legend = [html.Span(t("brain.legend", lang), className="brain-legend-title")] + [
        html.Span([html.Span(className="brain-swatch", style={"--swatch": hex_of(color)}),
                   text], className="brain-legend-item")
        for text, color in legend_steps([a["count"] for a in result["areas"]])]
    return (on_map, brain_figure(result, style), t("brain.total", lang, total=result["total"]),
            legend)


def show_people(services: Services, viewer: Viewer, selection: dict | None, all_: Any,
                any_: Any, not_: Any, screen: dict | None) -> list:
    """The people of the query as the viewer may see them (audited), or nothing."""
    lang = page_lang(screen)
    try:
        query = _query(all_, any_, not_)
    except ValueError:
        return []
    if query.empty or viewer.spec.personal == "never":
        return []
    scope = scope_of(services, viewer, selection).store_scope
    answer = brain.people_answer(services.store, viewer, scope, query, DESK_PEOPLE,
                                 services.now())
    if not answer["people"]:
        return [html.P(t("brain.people.none", lang), className="brain-note")]
    places = services.atlas.places(lang)
    names = {**places.subdistricts, **places.neighborhoods}
    rows = people_items(answer["people"], names, lambda tag: t(f"tag.{tag}", lang))
    head = html.Tr([html.Th(t(f"brain.col.{k}", lang)) for k in ("name", "phone", "place",
                                                                  "tags")])
    body = [html.Tr([html.Td(r["name"], className="datum"), html.Td(r["phone"], className="num"),
                     html.Td(r["place"], className="datum"), html.Td(r["tags"])],
                    className="masked" if r["masked"] else "") for r in rows]
    notes = []
    if any(r["masked"] for r in rows):
        key = ("brain.people.reason" if viewer.spec.personal == "with_reason"
               else "brain.people.masked")
        notes.append(html.P(t(key, lang), className="brain-note"))
    if answer["total"] > len(rows):
        notes.append(html.P(t("brain.people.more", lang, shown=len(rows),
                              total=answer["total"]), className="brain-note"))
    return [*notes, html.Table([html.Thead(head), html.Tbody(body)], className="brain-table")]


def fill_pickers(_gaps: list, _clear: int) -> tuple[list, list, list]:
    """A policy gap's query (or nothing, for 清除) into the three pickers."""
    picked = ctx.triggered_id
    if picked == ids.BRAIN_CLEAR:
        return [], [], []
    if not isinstance(picked, dict) or picked.get("key") not in brain.GAPS_BY_KEY:
        raise PreventUpdate
    if not any(c["value"] for c in ctx.triggered):
        raise PreventUpdate  # a button newly drawn, not clicked
    query = brain.GAPS_BY_KEY[picked["key"]].query
    return list(query.all), list(query.any), list(query.none)


def edit_tags(services: Services, viewer: Viewer, person: str | None, tags: Any,
              screen: dict | None) -> tuple[list, str]:
    """An admin's tag editor: 读取 loads a person's tags, 保存 replaces them (checked and
    audited by ``brain.set_tags``); anyone else gets no update."""
    if not viewer.spec.admin:
        raise PreventUpdate
    lang, person = page_lang(screen), (person or "").strip()
    if not person:
        raise PreventUpdate
    if ctx.triggered_id == ids.BRAIN_TAG_SAVE:
        try:
            old, new = brain.set_tags(services.store, person, tags or [], viewer.name,
                                      services.now())
        except KeyError:
            return no_update, t("brain.tags.unknown", lang, person=person)
        except ValueError as err:
            return no_update, str(err)
        def listed(tags: list[str]) -> str:
            names = [t(f"tag.{tag}", lang) for tag in tags]
            return ("、" if lang == "zh" else ", ").join(names) or t("brain.tags.none", lang)

        return new, t("brain.tags.saved", lang, person=person, old=listed(old), new=listed(new))
    found = services.store.read_records("people", where={"id": person})
    if found.empty:
        return [], t("brain.tags.unknown", lang, person=person)
    row = found.iloc[0]
    tags_now = [x for x in str(row["tags"] or "").split(brain.TAG_SEPARATOR) if x]
    role = row["role"] if isinstance(row["role"], str) and row["role"] else "—"
    return tags_now, t("brain.tags.loaded", lang, person=person, role=role, n=len(tags_now))


def toggle(_open: int, _close: int) -> bool:
    return ctx.triggered_id != ids.BRAIN_OPEN


def register(app: Dash, services: Services) -> None:
    app.callback(Output(ids.BRAIN_PANEL, "hidden"), Input(ids.BRAIN_OPEN, "n_clicks"),
                 Input(ids.BRAIN_CLOSE, "n_clicks"), prevent_initial_call=True)(toggle)
    app.callback(Output(ids.BRAIN_ALL, "value"), Output(ids.BRAIN_ANY, "value"),
                 Output(ids.BRAIN_NOT, "value"),
                 Input({"type": ids.BRAIN_GAP, "key": ALL}, "n_clicks"),
                 Input(ids.BRAIN_CLEAR, "n_clicks"), prevent_initial_call=True)(fill_pickers)

    pickers = (Input(ids.SELECTION, "data"), Input(ids.BRAIN_ALL, "value"),
               Input(ids.BRAIN_ANY, "value"), Input(ids.BRAIN_NOT, "value"))

    @app.callback(Output(ids.BRAIN_MAP, "data"), Output(ids.BRAIN_CHART, "figure"),
                  Output(ids.BRAIN_TOTAL, "children"), Output(ids.BRAIN_LEGEND, "children"),
                  *pickers, Input(ids.BRAIN_BY, "value"), Input(ids.BRAIN_SHOW, "value"),
                  State(ids.SCREEN, "data"))
    async def brain_counts(selection, all_, any_, not_, by, show, screen):
        return await asyncio.to_thread(show_result, services, viewing(), selection, all_,
                                       any_, not_, by, show, screen)

    @app.callback(Output(ids.BRAIN_PEOPLE, "children"), *pickers, State(ids.SCREEN, "data"),
                  prevent_initial_call=True)
    async def brain_people(selection, all_, any_, not_, screen):
        return await asyncio.to_thread(show_people, services, viewing(), selection, all_,
                                       any_, not_, screen)

    @app.callback(Output(ids.BRAIN_TAG_VALUE, "value"), Output(ids.BRAIN_TAG_MSG, "children"),
                  Input(ids.BRAIN_TAG_LOAD, "n_clicks"), Input(ids.BRAIN_TAG_SAVE, "n_clicks"),
                  State(ids.BRAIN_TAG_PERSON, "value"), State(ids.BRAIN_TAG_VALUE, "value"),
                  State(ids.SCREEN, "data"), prevent_initial_call=True)
    async def brain_tags(_load, _save, person, tags, screen):
        return await asyncio.to_thread(edit_tags, services, viewing(), person, tags, screen)

    # The choropleth joins the map's overlays in the browser (assets/twin_map.js).
    app.clientside_callback(ClientsideFunction("twin_map", "extra"),
                            Input(ids.BRAIN_MAP, "data", allow_optional=True))
