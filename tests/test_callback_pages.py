"""callbacks/pages.py: a page resolves its URL against the serving app's store."""

from __future__ import annotations

import asyncio

import pytest

from twin_dashboard.callbacks.pages import screen_page
from twin_dashboard.layouts import ids
from twin_dashboard.services import ServicesMiddleware, serving


def _store_data(page, component_id: str):
    stack = [page]
    while stack:
        node = stack.pop()
        if isinstance(node, list | tuple):
            stack.extend(node)
        elif hasattr(node, "to_plotly_json"):
            if getattr(node, "id", None) == component_id:
                return node.data
            stack.append(getattr(node, "children", None))
    raise AssertionError(f"no {component_id} in the page")


def test_cbpg001_unknown_ids_fall_back_and_a_neighborhood_brings_its_subdistrict(demo):
    page = screen_page(demo, "desk", neighborhood="yunfang")
    assert _store_data(page, ids.SELECTION) == {"subdistrict": "beiwaitan",
                                                "neighborhood": "yunfang"}
    page = screen_page(demo, "desk", subdistrict="<script>", neighborhood="nope")
    assert _store_data(page, ids.SELECTION) == {"subdistrict": None, "neighborhood": None}


def test_cbpg002_the_page_embeds_its_first_map_paint(demo):
    page = screen_page(demo, "wall", subdistrict="beiwaitan", lang="en")
    view = _store_data(page, ids.MAP_VIEW)
    assert view["key"].startswith("sub:beiwaitan") and _store_data(page, ids.MAP_SPEC)["layers"]
    assert _store_data(page, ids.SCREEN)["lang"] == "en"


def test_cbpg003_only_a_screen_with_an_inbox_acts_as_the_areas_cadre(demo):
    cadre = demo.ingestor.directory().cadres["yunfang"]
    tablet = screen_page(demo, "tablet", neighborhood="yunfang")
    assert _store_data(tablet, ids.LIVE_CONFIG)["actor"] == cadre
    wall = screen_page(demo, "wall", neighborhood="yunfang")
    assert _store_data(wall, ids.LIVE_CONFIG)["actor"] is None


def test_cbpg004_serving_names_the_app_of_the_current_request(demo):
    seen = []

    async def inner(scope, receive, send):
        seen.append(serving())

    asyncio.run(ServicesMiddleware(inner, demo)({"type": "http"}, None, None))
    assert seen == [demo]
    with pytest.raises(RuntimeError, match="no request"):
        serving()
