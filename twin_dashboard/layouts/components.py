"""The shared component set every screen is composed of (dmc-docs' ``create_*`` builders).

A builder returns the component with its id from ``ids.py`` and its first content; callbacks
replace the content. Data names (places, titles) are wrapped in ``.datum`` so language checks
can tell them from UI strings.
"""

from __future__ import annotations

from collections.abc import Sequence

import dash_ag_grid as dag
from dash import dcc, html

from twin_dashboard.catalog import DEVICE_STATES, LEVELS
from twin_dashboard.domain.queries import QUEUES
from twin_dashboard.i18n import t
from twin_dashboard.layouts import ids
from twin_dashboard.layouts.context import UserBadge
from twin_dashboard.layouts.map_panel import MapPaint, map_panel
from twin_dashboard.layouts.replay import replay_bar  # noqa: F401  (desk and wall)
from twin_dashboard.profiles import profile
from twin_dashboard.views.charts import GRAPH_CONFIG
from twin_dashboard.views.tables import (
    CHIEF_BOARD_HEADERS,
    ZONE_BOARD_HEADERS,
    FeedItem,
    Kpi,
    audit_columns,
    board_columns,
    grid_locale,
    incident_columns,
)
from twin_dashboard.views.theme import LEVEL_COLORS, STATE_COLORS, hex_of

CLOCK_MS = 15_000  # how often figures refresh: the feed is "live" within this
KPI_KEYS: tuple[str, ...] = ("online", "alarms", "incidents", "sla", "coverage")
TABLE_PAGE_SIZE = 12
BOARD_PAGE_SIZE = 8


def datum(text: str | None, className: str = "", **kwargs: object) -> html.Span:  # noqa: N803
    """A piece of data shown as is (a place name, a title): not a UI string."""
    return html.Span(text or "", className=f"datum {className}".strip(), **kwargs)


def page_stores(screen: str, lang: str, selection: dict[str, str | None],
                rotate_s: int | None, subdistricts: Sequence[str]) -> list:
    """Page state every screen carries: screen, selection, summary, viewport, clocks."""
    parts = [
        dcc.Store(id=ids.SCREEN, data={"screen": screen, "lang": lang, "rotate": rotate_s,
                                       "subdistricts": list(subdistricts)}),
        dcc.Store(id=ids.SELECTION, data=selection),
        dcc.Store(id=ids.SUMMARY), dcc.Store(id=ids.VIEWPORT),
        dcc.Interval(id=ids.CLOCK, interval=CLOCK_MS),
    ]
    if rotate_s:
        parts.append(dcc.Interval(id=ids.ROTATE_TIMER, interval=rotate_s * 1000))
    return parts


def header(screen: str, lang: str, scope_name: str | None, tools: Sequence = (),
           user: UserBadge | None = None, place: str | None = None) -> html.Header:
    """Title, scope, optional tools (selectors), freshness badges, the clock and who is
    signed in; ``place``: the district shown, named by the data (``None``: a city whole)."""
    return html.Header([
        html.Div([html.Span(className="brand-mark"),
                  html.H1(app_title(screen, lang, place), id=ids.APP_TITLE,
                          title=full_title(lang, place))], className="brand"),
        html.Div(scope_label(scope_name, lang, screen, place), id=ids.SCOPE_TITLE,
                 className="scope"),
        html.Div(list(tools), className="tools"),
        html.Div(id=ids.FRESHNESS, className="freshness"),
        html.Div(id=ids.CLOCK_TEXT, className="clock"),
        *([user_menu(user, lang)] if user else []),
    ], className="header")


def full_title(lang: str, place: str | None) -> str:
    """The app's full title, naming the district ``place`` (from the data) when there is one:
    the page's title and the header's tooltip."""
    return t("app.title_of", lang, place=place) if place else t("app.title", lang)


def app_title(screen: str, lang: str, place: str | None) -> str:
    """The header's title: the full one, or the screen's short one (a tablet's)."""
    key = profile(screen).title_key
    return full_title(lang, place) if key == "app.title" else t(key, lang)


def user_menu(user: UserBadge, lang: str) -> html.Div:
    """The signed-in name and role; the audit trail for admins; sign out (not on a kiosk)."""
    parts: list = [html.Span([datum(user.name, className="user-name"),
                              html.Span(t(f"role.{user.role}", lang), className="user-role")],
                             className="user-badge", title=t("user.signed_in", lang))]
    if user.patrol_zone:
        parts.append(patrol_button(user.patrol_zone, lang))
    if user.acts:
        parts.append(html.Button(t("report.open", lang), id=ids.REPORT_OPEN, n_clicks=0,
                                 type="button", className="btn btn-primary report-open"))
    if user.admin:
        parts.append(html.Button(t("audit.open", lang), id=ids.AUDIT_OPEN, n_clicks=0,
                                 type="button", className="btn btn-ghost"))
    if not user.kiosk:
        parts.append(html.A(t("user.logout", lang), href=f"/logout?lang={lang}",
                            className="btn btn-ghost logout"))
    return html.Div(parts, className="user-menu")


PATROL_TEXTS = ("start", "end", "recording", "no_gps", "too_short", "recorded", "refused")


def patrol_button(zone_id: str, lang: str) -> html.Span:
    """开始巡查 / 结束巡查 for a road chief (assets/patrol.js records the track and posts it);
    its texts travel as data attributes, its outcome shows on the line beside it."""
    texts = {f"data-text-{k}": t(f"patrol.{k}", lang) for k in PATROL_TEXTS}
    return html.Span([
        html.Button(t("patrol.start", lang), type="button", className="btn btn-primary patrol-btn",
                    **{"data-zone": zone_id, **texts}),
        html.Span("", className="patrol-status", role="status"),
    ], className="patrol")


def audit_panel(lang: str) -> html.Aside:
    """The audit trail (admins): a drawer over the desk, newest first, rows from a callback
    that checks the role on the server (callbacks/audit.py)."""
    grid = dag.AgGrid(
        id=ids.AUDIT_GRID, columnDefs=audit_columns(lang),
        defaultColDef={"sortable": True, "resizable": True, "filter": "agTextColumnFilter"},
        dashGridOptions={"pagination": True, "paginationPageSize": 20,
                         "paginationPageSizeSelector": False,
                         "localeText": grid_locale(lang)},
        className="audit-grid", style={"height": "100%", "width": "100%"})
    head = html.Div([html.H2(t("audit.title", lang)),
                     html.Button(t("audit.close", lang), id=ids.AUDIT_CLOSE, n_clicks=0,
                                 type="button", className="btn btn-ghost")],
                    className="card-head")
    return html.Aside([head, html.Div(grid, className="audit-body")], id=ids.AUDIT_PANEL,
                      className="audit-panel card", hidden=True,
                      **{"aria-label": t("audit.title", lang)})


def scope_label(scope_name: str | None, lang: str, screen: str,
                place: str | None = None) -> list:
    """The scope shown in the header: a place name (data), or the whole of the district
    ``place`` (its name from the data), or the whole area."""
    prefix = ([html.Span(t("tablet.my_area", lang), className="scope-prefix")]
              if profile(screen).scope_prefix else [])
    return prefix + [datum(scope_name) if scope_name else html.Span(whole_scope(lang, place))]


def whole_scope(lang: str, place: str | None) -> str:
    """The words for a scope seen whole: "<district>全域", or "全域" without a name."""
    return t("scope.district_of", lang, place=place) if place else t("scope.district", lang)


def kpi_strip(lang: str) -> html.Div:
    """The KPI tiles, as skeletons until the summary arrives."""
    return html.Div([kpi_tile(Kpi(key, "—", 0, ""), lang, loading=True) for key in KPI_KEYS],
                    id=ids.KPI_TILES, className="kpis", role="list")


def kpi_tile(kpi: Kpi, lang: str, loading: bool = False) -> html.Div:
    """One tile: label, big value (stable id + ``data-kpi``/``data-value``), sub-line, tooltip."""
    classes = "kpi" + (" kpi-alert" if kpi.alert else "") + (" skeleton" if loading else "")
    return html.Div([
        html.Div(t(f"kpi.{kpi.key}", lang), className="kpi-label"),
        html.Div(kpi.value, id=ids.kpi_value(kpi.key), className="kpi-value",
                 **{"data-kpi": kpi.key, "data-value": "" if loading else str(kpi.raw)}),
        html.Div(_level_dots(kpi.levels) if kpi.levels else kpi.sub, className="kpi-sub",
                 title=kpi.sub),
    ], className=classes, title=t(f"kpi.{kpi.key}.tip", lang), role="listitem")


def _level_dots(levels: Sequence[tuple[str, int]]) -> list:
    """Counts per handling level as coloured dots (the funnel's colours): short in any language."""
    return [html.Span([html.I(style={"background": hex_of(LEVEL_COLORS[lv])}), f"{n:,}"],
                      className="level-dot") for lv, n in levels]


def legend(entries: Sequence[tuple[str, str]], title: str | None = None) -> html.Div:
    """A colour legend: (colour, label) pairs."""
    items = [html.Span([html.I(style={"background": color}), label], className="legend-item")
             for color, label in entries]
    head = [html.Span(title, className="legend-title")] if title else []
    return html.Div(head + items, className="legend")


def state_legend(lang: str, states: Sequence[str] = DEVICE_STATES) -> html.Div:
    return legend([(hex_of(STATE_COLORS[s]), t(f"state.{s}", lang)) for s in states])


def level_legend(lang: str) -> html.Div:
    return legend([(hex_of(LEVEL_COLORS[lv]), t(f"level.{lv}", lang)) for lv in LEVELS])


def card(title: str, body: Sequence, class_name: str = "", tip: str | None = None,
         extra: Sequence = ()) -> html.Section:
    """A titled panel."""
    head = html.Div([html.H2(title, title=tip), *extra], className="card-head")
    return html.Section([head, html.Div(list(body), className="card-body")],
                        className=f"card {class_name}".strip())


def chart_card(graph_id: str, title_key: str, lang: str, extra: Sequence = (),
               class_name: str = "") -> html.Section:
    """A chart in a card, with a loading state; the figure comes from a callback."""
    graph = dcc.Graph(id=graph_id, config=GRAPH_CONFIG, className="chart",
                      style={"height": "100%", "width": "100%"})
    loading = dcc.Loading(graph, type="dot", className="chart-loading",
                          parent_className="chart-wrap", delay_show=400)
    tip_key = f"{title_key}.tip"
    tip = t(tip_key, lang) if tip_key in _KEYS else None
    return card(t(title_key, lang), [loading], f"chart-card {class_name}", tip, extra)


def devices_card(lang: str) -> html.Section:
    """Devices not normal by category, with the legend of its state colours."""
    from twin_dashboard.views.charts import TROUBLE_STATES

    return chart_card(ids.DEVICE_CHART, "chart.devices", lang,
                      [state_legend(lang, TROUBLE_STATES)])


def funnel_card(lang: str) -> html.Section:
    """Where incidents are resolved, with the legend of its level colours."""
    return chart_card(ids.FUNNEL_CHART, "chart.funnel", lang, [level_legend(lang)])


def feed_panel(lang: str, title_key: str = "feed.title", class_name: str = "") -> html.Section:
    """The live alarm and incident feed (wall) or alarm inbox (tablet)."""
    body = html.Ul(id=ids.ALARM_FEED, className="feed", role="list")
    count = html.Span("", id=ids.INBOX_COUNT, className="count-badge",
                      title=t("live.inbox_count", lang))
    return card(t(title_key, lang), [body], f"feed-card {class_name}", extra=[count])


def feed_entries(items: Sequence[FeedItem], lang: str, ack: bool = False) -> list:
    """The feed's ``<li>``s; a new critical alarm carries ``flash``; ``ack`` adds, per alarm,
    the button assets/live.js posts as the acknowledgement (tablet inbox)."""
    if not items:
        return [html.Li(t("feed.empty", lang), className="feed-empty")]
    return [html.Li([
        html.Span(item.tag, className=f"tag tone-{item.tone}"),
        html.Span(t(f"feed.{item.kind}", lang), className="feed-kind"),
        html.Span([datum(item.label, className="feed-label") if item.kind == "incident"
                   else html.Span(item.label, className="feed-label"),
                   datum(item.place, className="feed-place")], className="feed-what"),
        html.Span(item.ago, className="feed-ago"),
        *([ack_button(item.id, lang)] if ack and item.kind == "alarm" else []),
    ], id=ids.feed_item(item.kind, item.id), n_clicks=0,
        className=f"feed-item feed-{item.kind}" + (" flash" if item.flash else ""),
        **{"data-id": item.id}) for item in items]


def ack_button(alarm_id: str, lang: str) -> html.Button:
    """确认 / Acknowledge: a ≥ 44 px target; assets/live.js posts it (no Dash round trip)."""
    return html.Button(t("live.ack", lang), className="ack-btn", type="button",
                       **{"data-alarm": alarm_id})


def incident_table(lang: str) -> html.Section:
    """The sortable, filterable, paged incident table (desk); rows come from a callback.

    Overdue rows get the class ``row-overdue`` (assets/desk.css) from an expression
    dash-ag-grid evaluates itself: no JavaScript is sent. Its look is set in CSS. No
    ``rowData`` yet: the grid shows its own loading overlay until the first rows, and no
    dcc.Loading around it, which would hide the grid at every refresh of the clock.
    """
    table = dag.AgGrid(
        id=ids.INCIDENT_TABLE, columnDefs=incident_columns(lang),
        getRowId="params.data.id", rowClassRules={"row-overdue": "params.data.overdue"},
        defaultColDef={"sortable": True, "resizable": True, "filter": "agTextColumnFilter",
                       "floatingFilter": True, "suppressFloatingFilterButton": True,
                       "suppressHeaderMenuButton": True, "suppressHeaderFilterButton": True,
                       # a blank placeholder: the filter box shows AG Grid's magnifier and no
                       # text to cut short in narrow columns (its label is ariaFilterInput)
                       "floatingFilterComponentParams": {"filterPlaceholder": " "}},
        dashGridOptions={"pagination": True, "paginationPageSize": TABLE_PAGE_SIZE,
                         "paginationPageSizeSelector": False, "domLayout": "autoHeight",
                         "localeText": grid_locale(lang)},
        className="incident-grid", style={"width": "100%"},
    )
    queue = dcc.RadioItems(
        id=ids.INCIDENT_QUEUE, value="all", inline=True, className="queue",
        options=[{"label": t(f"queue.{q}", lang), "value": q} for q in QUEUES])
    return card(t("table.title", lang), [table], "table-card", extra=[queue])


def road_chief_board(lang: str) -> html.Section:
    """The road-chief board 双路长制 (desk): per zone (chiefs, last patrol, overdue in red,
    coverage) beside per chief (patrols and km of 7 days); rows from callbacks/road_chiefs.py."""
    def grid(grid_id: str, headers: dict[str, str], title_key: str, **options: object):
        table = dag.AgGrid(
            id=grid_id, columnDefs=board_columns(headers, lang), getRowId="params.data.id",
            defaultColDef={"sortable": True, "resizable": True,
                           "suppressHeaderMenuButton": True},
            dashGridOptions={"pagination": True, "paginationPageSize": BOARD_PAGE_SIZE,
                             "paginationPageSizeSelector": False, "domLayout": "autoHeight",
                             "localeText": grid_locale(lang)},
            className="board-grid", style={"width": "100%"}, **options)
        return html.Div([html.H3(t(title_key, lang), className="board-part-title"), table],
                        className=f"board-part board-part--{grid_id}")

    return card(t("board.title", lang), [html.Div([
        grid(ids.ZONE_BOARD, ZONE_BOARD_HEADERS, "board.zones",
             rowClassRules={"row-overdue": "params.data.overdue"}),
        grid(ids.CHIEF_BOARD, CHIEF_BOARD_HEADERS, "board.chiefs"),
    ], className="board-parts")], "board-card", t("board.tip", lang))


def details_panel(lang: str) -> html.Section:
    """What was picked on the map or in the table; filled by the details callback."""
    body = html.Div(html.P(t("details.empty", lang), className="muted"),
                    id=ids.DETAILS_PANEL, className="details")
    return card(t("details.title", lang), [body], "details-card")


def dropdown_labels(lang: str) -> dict[str, str]:
    keys = ("select_all", "deselect_all", "selected_count", "search", "clear_search",
            "clear_selection", "no_options_found")
    return {key: t(f"dropdown.{key}", lang) for key in keys}


def selectors(lang: str, subdistricts: dict[str, str], neighborhoods: dict[str, str],
              selection: dict[str, str | None]) -> html.Div:
    """Subdistrict → neighborhood selectors (the second's options follow the first)."""
    labels = dropdown_labels(lang)
    return html.Div([
        dcc.Dropdown(id=ids.SUBDISTRICT_SELECT, value=selection.get("subdistrict"),
                     options=[{"label": n, "value": i} for i, n in subdistricts.items()],
                     placeholder=t("select.all_subdistricts", lang), labels=labels,
                     clearable=True, className="select select-subdistrict"),
        dcc.Dropdown(id=ids.NEIGHBORHOOD_SELECT, value=selection.get("neighborhood"),
                     options=[{"label": n, "value": i} for i, n in neighborhoods.items()],
                     placeholder=t("select.all_neighborhoods", lang), labels=labels,
                     clearable=True, className="select select-neighborhood"),
    ], className="selectors")


# A result's kind badge: the words the screens already use for that kind, else search.kind.*.
SEARCH_KIND_KEYS: dict[str, str] = {"subdistrict": "select.subdistrict",
                                    "address": "details.address", "incident": "feed.incident"}
SEARCH_DEBOUNCE_S = 0.25  # type-ahead: a query after a quarter second's pause, not per key


def search_box(lang: str) -> html.Div:
    """One search box (desk and tablet headers): type-ahead results under it; choosing one sets
    the selection and opens its details (callbacks/search.py); Esc clears (assets/search.js)."""
    return html.Div([
        html.Label(t("search.label", lang), htmlFor=ids.SEARCH_INPUT, className="search-name"),
        dcc.Input(id=ids.SEARCH_INPUT, type="search", debounce=SEARCH_DEBOUNCE_S, n_submit=0,
                  placeholder=t("search.placeholder", lang), autoComplete="off",
                  className="search-input"),
        html.Div(id=ids.SEARCH_RESULTS, className="search-results", role="listbox"),
        dcc.Store(id=ids.SEARCH_PICK),
    ], className="search", role="search")


def search_results(results: Sequence[dict], lang: str, asked: bool = True) -> list:
    """The rows of the results list: kind badge, label and secondary line (data, as is)."""
    if not results:
        return [html.P(t("search.none", lang), className="search-none muted")] if asked else []
    return [html.Button([
        html.Span(t(SEARCH_KIND_KEYS.get(r["kind"], f"search.kind.{r['kind']}"), lang),
                  className=f"search-kind search-kind-{r['kind']}"),
        html.Span([datum(r["label"], className="search-label"),
                   datum(r["secondary"], className="search-secondary")],
                  className="search-text"),
    ], id=ids.search_hit(r["kind"], r["id"]), n_clicks=0, type="button",
        className="search-hit", role="option") for r in results]


def map_slot(screen: str, lang: str, paint: MapPaint | None) -> html.Div:
    """The map panel (``layouts/map_panel.py``) in a sized slot."""
    return html.Div(map_panel(screen, lang, paint), className="map-slot")


def _catalog_keys() -> frozenset[str]:
    from twin_dashboard.i18n import TEXT

    return frozenset(TEXT)


_KEYS = _catalog_keys()


def freshness_badges(ages: Sequence[tuple[str, float, bool]], lang: str) -> list:
    """One badge per data source: its age, red when stale (as /healthz judges it)."""
    from twin_dashboard.views.tables import age_text

    badges = []
    for name, age, stale in ages:
        key = f"fresh.{name}" if f"fresh.{name}" in _KEYS else "fresh.other"
        badges.append(html.Span([html.I(className="dot"), t(key, lang), " ",
                                 html.B(age_text(age, lang))],
                                className="badge" + (" stale" if stale else ""),
                                title=t("fresh.stale", lang) if stale else t("fresh.title", lang),
                                **{"data-source": name}))
    return badges


def report_card(lang: str) -> html.Section:
    """报告 / Report: the daily and weekly report of the caller's scope as PDF or Excel — plain
    links to ``GET /api/v1/reports/…``, the one path that builds a report file."""
    links = [html.A(f"{t(f'report.{kind}', lang)} · {t(f'report.fmt.{fmt}', lang)}",
                    href=f"/api/v1/reports/{kind}.{fmt}?lang={lang}", download="",
                    className="report-link")
             for kind in ("daily", "weekly") for fmt in ("pdf", "xlsx")]
    return card(t("report.card", lang), [html.Div(links, className="report-links")],
                "report-card", t("report.card.hint", lang))
