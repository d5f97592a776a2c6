"""The three layouts: each builds, shares ids with the callbacks, and speaks one language."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import dash
import pytest
from dash import html

from twin_dashboard.callbacks import register_all
from twin_dashboard.domain.places import Places
from twin_dashboard.layouts import components, ids, screens
from twin_dashboard.layouts.context import UserBadge

SCREENS = ("wall", "desk", "tablet")
PLACES = Places({"beiwaitan": "北外滩街道", "jiaxinglu": "嘉兴路街道"},
                {"yunfang": "云舫小区", "ruikang": "瑞康小区"},
                {"yunfang": "beiwaitan", "ruikang": "jiaxinglu"})
CJK = re.compile(r"[\u3400-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")
TEXT_PROPS = ("children", "placeholder", "title", "label")
# Containers no callback writes: deck.gl draws into the map (assets/twin_map.js); the legend
# is static. Everything else must be read or written by a callback.
STATIC_IDS: frozenset[str] = frozenset({ids.TWIN_MAP, ids.MAP_LEGEND})
# Pattern-matching types appear in a layout only once a callback fills the list.
FILLED_LATER: frozenset[str] = frozenset({ids.FEED_ITEM, ids.REVEAL, ids.ALARM_ACTION,
                                          ids.ALARM_NOTE, ids.OPEN_HOUSEHOLD,
                                          ids.INCIDENT_ACTION, ids.INCIDENT_NOTE,
                                          ids.INCIDENT_LEVEL, ids.REPORT_TITLE, ids.REPORT_KIND,
                                          ids.REPORT_SOURCE, ids.REPORT_SUBMIT, ids.VISIT_OPEN,
                                          ids.VISIT_ITEM, ids.VISIT_NOTE, ids.VISIT_SUBMIT,
                                          # pattern ids; the people list (roles with residents)
                                          ids.BRAIN_GAP, ids.BRAIN_PEOPLE,
                                          ids.SEARCH_HIT})
# Pages are built as an admin: the header shows the user, the desk the audit drawer.
ADMIN = UserBadge("admin-1", "admin", admin=True, acts=True)


def _build(screen: str, lang: str = "zh", **query: str | None) -> html.Div:
    """The page as ``callbacks/pages.py`` builds it, without a map paint (no store here)."""
    selection = PLACES.clean(query.get("subdistrict"), query.get("neighborhood"))
    return screens.build(screen, lang=lang, places=PLACES, selection=selection,
                         rotate=query.get("rotate"), user=ADMIN)


def _walk(node, inside_datum: bool = False) -> Iterator[tuple[object, bool]]:
    """Every component with whether it sits inside a data element (``.datum``).

    Selector options are place names, data too: their ``options`` are not read.
    """
    if isinstance(node, list | tuple):
        for child in node:
            yield from _walk(child, inside_datum)
        return
    if not hasattr(node, "to_plotly_json"):
        return
    datum = inside_datum or "datum" in (getattr(node, "className", None) or "").split()
    yield node, datum
    for prop in ("children",):
        yield from _walk(getattr(node, prop, None), datum)


def _ids(layout) -> set[str]:
    return {n.id for n, _ in _walk(layout) if isinstance(getattr(n, "id", None), str)}


def _ui_strings(layout) -> list[str]:
    found: list[str] = []
    for node, datum in _walk(layout):
        if datum:
            continue
        for prop in TEXT_PROPS:
            value = getattr(node, prop, None)
            if isinstance(value, str):
                found.append(value)
        for column in getattr(node, "columnDefs", None) or []:
            found.append(column["headerName"])
        found += list(((getattr(node, "dashGridOptions", None) or {}).get("localeText")
                       or {}).values())
        labels = getattr(node, "labels", None)
        found += list(labels.values()) if isinstance(labels, dict) else []
    return [re.sub(r"\{[a-z_]+\}", "", s) for s in found]  # placeholders are not shown


def _callback_ids() -> set[str]:
    app = dash.Dash(__name__, suppress_callback_exceptions=True)
    register_all(app, None)  # type: ignore[arg-type]  # registering reads no services
    found: set[str] = set()
    for callback in app._callback_list:
        for dep in callback["inputs"] + callback["state"]:
            dep_id = dep["id"]  # a pattern-matching id arrives as JSON: keep its type
            found.add(json.loads(dep_id)["type"] if dep_id.startswith("{") else dep_id)
        for out in callback["output"].strip(".").split("..."):
            found.add(out.rsplit(".", 1)[0])
    return found


@pytest.mark.parametrize("screen", SCREENS)
def test_lay001_each_layout_builds_with_the_map_and_kpis(screen: str) -> None:
    found = _ids(_build(screen))
    assert {ids.TWIN_MAP, ids.KPI_TILES, ids.SELECTION, ids.SCREEN, ids.CLOCK} <= found
    assert all(ids.kpi_value(k) in found for k in components.KPI_KEYS)


def test_lay002_every_id_is_used_by_a_layout_and_a_callback() -> None:
    constants = {v for k, v in vars(ids).items() if k.isupper() and isinstance(v, str)}
    in_layouts = set().union(*(_ids(_build(s, rotate="30")) for s in SCREENS))
    in_callbacks = _callback_ids()
    assert constants - in_layouts - FILLED_LATER == set()
    assert constants - in_callbacks - STATIC_IDS == set()


@pytest.mark.parametrize("screen", SCREENS)
def test_lay003_english_layout_has_no_chinese_ui_strings(screen: str) -> None:
    strings = _ui_strings(_build(screen, "en", neighborhood="yunfang"))
    assert strings and not [s for s in strings if CJK.search(s)]


@pytest.mark.parametrize("screen", SCREENS)
def test_lay004_chinese_layout_has_no_english_ui_strings(screen: str) -> None:
    strings = _ui_strings(_build(screen, "zh", subdistrict="beiwaitan"))
    assert strings and not [s for s in strings if LATIN.search(s)]


def test_lay005_selection_comes_from_the_url_and_unknown_ids_are_dropped() -> None:
    def selection(**query: str) -> dict:
        layout = _build("tablet", **query)
        return next(n.data for n, _ in _walk(layout) if getattr(n, "id", None) == ids.SELECTION)

    assert selection(neighborhood="ruikang") == {"subdistrict": "jiaxinglu",
                                                 "neighborhood": "ruikang"}
    assert selection(subdistrict="nowhere") == {"subdistrict": None, "neighborhood": None}


def test_lay006_only_the_wall_rotates() -> None:
    assert ids.ROTATE_TIMER in _ids(_build("wall", rotate="20"))
    assert ids.ROTATE_TIMER not in _ids(_build("wall"))
    assert ids.ROTATE_TIMER not in _ids(_build("desk", rotate="20"))
    assert screens.rotate_seconds("wall", "1") == screens.MIN_ROTATE_S
    assert screens.rotate_seconds("wall", "abc") is None


def test_lay007_selectors_only_on_the_desk_and_details_off_the_wall() -> None:
    wall, desk, tablet = (_ids(_build(s)) for s in SCREENS)
    assert ids.SUBDISTRICT_SELECT in desk and ids.SUBDISTRICT_SELECT not in wall | tablet
    assert ids.DETAILS_PANEL not in wall and ids.DETAILS_PANEL in desk & tablet
    assert ids.INCIDENT_TABLE in desk and ids.ALARM_FEED in wall & tablet


def test_lay008_selection_follows_selectors_picks_and_rotation() -> None:
    from twin_dashboard.callbacks.selection import neighborhood_options, next_selection

    desk = {"screen": "desk", "subdistricts": ["beiwaitan", "jiaxinglu"]}
    none = {"subdistrict": None, "neighborhood": None}
    here = {"subdistrict": "beiwaitan", "neighborhood": "yunfang"}
    assert next_selection(ids.NEIGHBORHOOD_SELECT, None, "yunfang", None, none, desk,
                          PLACES) == here
    assert next_selection(ids.SUBDISTRICT_SELECT, "jiaxinglu", None, None, here, desk,
                          PLACES) == {"subdistrict": "jiaxinglu", "neighborhood": None}
    pick = {"layer": "neighborhoods", "id": "ruikang"}
    assert next_selection(ids.MAP_PICK, None, None, pick, none, desk, PLACES)["neighborhood"] \
        == "ruikang"
    assert next_selection(ids.MAP_PICK, None, None, pick, none, {"screen": "tablet"},
                          PLACES) is None  # the tablet keeps "my area"
    assert next_selection(ids.MAP_PICK, None, None, {"layer": "devices", "id": "x"}, none, desk,
                          PLACES) is None
    wall = {"screen": "wall", "subdistricts": ["beiwaitan", "jiaxinglu"]}
    assert next_selection(ids.ROTATE_TIMER, None, None, None, here, wall,
                          PLACES)["subdistrict"] == "jiaxinglu"
    assert next_selection(ids.ROTATE_TIMER, None, None, None,
                          {"subdistrict": "jiaxinglu", "neighborhood": None}, wall,
                          PLACES)["subdistrict"] == "beiwaitan"
    assert next_selection(ids.NEIGHBORHOOD_SELECT, "beiwaitan", "yunfang", None, here, desk,
                          PLACES) is None  # nothing changed
    options, kept = neighborhood_options("jiaxinglu", "yunfang", PLACES)
    assert options == [{"label": "瑞康小区", "value": "ruikang"}] and kept is None


def _buttons(tree) -> list:
    found = [tree] if isinstance(tree, html.Button) else []
    children = getattr(tree, "children", None)
    for child in children if isinstance(children, list) else [children] if children else []:
        found += _buttons(child)
    return found


@pytest.mark.parametrize("actions", [(), ("escalate", "incident"), ("ack", "close")])
def test_alarm_details_offer_the_actions_the_server_allowed(actions: tuple[str, ...]) -> None:
    """One ≥ 44 px button per action the server allowed (``actions``), the first primary; a
    note field goes with closing; no button when nothing is allowed."""
    from twin_dashboard.i18n import t
    from twin_dashboard.layouts.details import ACTION_LABELS, alarm_details
    alarm = {"id": "A1", "rule": "smoke", "severity": "critical", "status": "open",
             "raised_at": "2026-01-01 08:00", "place": "云舫小区", "device": None,
             "actions": actions}
    layout = html.Div(alarm_details(alarm, "zh"))
    buttons = _buttons(layout)
    assert [b.id for b in buttons] == [ids.alarm_action("A1", a) for a in actions]
    assert [b.children for b in buttons] == [t(ACTION_LABELS[a], "zh") for a in actions]
    assert all("act-btn" in b.className for b in buttons)  # ≥ 44 px in base.css
    assert all("act-primary" in b.className for b in buttons[:1])
    note = [n for n, _ in _walk(layout) if getattr(n, "id", None) == ids.alarm_note("A1")]
    assert bool(note) == ("close" in actions)


def test_lay009_the_desk_table_is_a_paged_grid_with_overdue_rows_marked() -> None:
    """dash-ag-grid, not the deprecated DataTable: rows written as ``rowData``, picked by their
    id, overdue rows marked by an expression (no JavaScript sent), 12 rows a page."""
    import dash_ag_grid as dag

    grid = next(n for n, _ in _walk(_build("desk", "en")) if getattr(n, "id", None)
                == ids.INCIDENT_TABLE)
    assert isinstance(grid, dag.AgGrid)
    assert grid.getRowId == "params.data.id"
    assert grid.rowClassRules == {"row-overdue": "params.data.overdue"}
    options = grid.dashGridOptions
    assert options["pagination"] and options["paginationPageSize"] == components.TABLE_PAGE_SIZE
    assert options["localeText"]["page"] == "Page"
    assert not getattr(grid, "dangerously_allow_code", False)
