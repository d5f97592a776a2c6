"""callbacks/pages.py: a page resolves its URL against the serving app's store."""

from __future__ import annotations

import asyncio

import pytest

from twin_dashboard.callbacks.pages import screen_page
from twin_dashboard.domain.access import Viewer
from twin_dashboard.layouts import ids
from twin_dashboard.services import ServicesMiddleware, serving


def _component(page, component_id: str):
    stack = [page]
    while stack:
        node = stack.pop()
        if isinstance(node, list | tuple):
            stack.extend(node)
        elif hasattr(node, "to_plotly_json"):
            if getattr(node, "id", None) == component_id:
                return node
            stack.append(getattr(node, "children", None))
    raise AssertionError(f"no {component_id} in the page")


def _store_data(page, component_id: str):
    return _component(page, component_id).data


BOSS = Viewer("boss", "commander")
OFFICER = Viewer("o", "officer", "p-o", frozenset(["beiwaitan"]))


def test_cbpg001_unknown_ids_fall_back_and_a_neighborhood_brings_its_subdistrict(demo):
    page = screen_page(demo, BOSS, "desk", neighborhood="yunfang")
    assert _store_data(page, ids.SELECTION) == {"subdistrict": "beiwaitan",
                                                "neighborhood": "yunfang"}
    page = screen_page(demo, BOSS, "desk", subdistrict="<script>", neighborhood="nope")
    assert _store_data(page, ids.SELECTION) == {"subdistrict": None, "neighborhood": None}


def test_cbpg005_the_url_only_narrows_inside_the_viewers_scope(demo):
    mine = screen_page(demo, OFFICER, "desk", neighborhood="yunfang")
    assert _store_data(mine, ids.SELECTION)["neighborhood"] == "yunfang"
    for asked in ({"subdistrict": "ouyanglu"}, {}, {"neighborhood": "nope"}):
        page = screen_page(demo, OFFICER, "desk", **asked)
        assert _store_data(page, ids.SELECTION) == {"subdistrict": "beiwaitan",
                                                    "neighborhood": None}, asked
    rotation = _store_data(screen_page(demo, OFFICER, "wall"), ids.SCREEN)["subdistricts"]
    assert rotation == ["beiwaitan"]


def test_cbpg002_the_page_embeds_its_first_map_paint(demo):
    page = screen_page(demo, BOSS, "wall", subdistrict="beiwaitan", lang="en")
    view = _store_data(page, ids.MAP_VIEW)
    assert view["key"].startswith("sub:beiwaitan") and _store_data(page, ids.MAP_SPEC)["layers"]
    assert _store_data(page, ids.SCREEN)["lang"] == "en"


def test_cbpg003_the_tablets_inbox_is_the_signed_in_persons_on_their_own_area(demo):
    cadre = Viewer("c", "cadre", "p-me", frozenset(["beiwaitan"]), frozenset(["yunfang"]))
    tablet = screen_page(demo, cadre, "tablet", neighborhood="elsewhere")
    assert _store_data(tablet, ids.LIVE_CONFIG)["actor"] == "p-me"
    assert _store_data(tablet, ids.SELECTION)["neighborhood"] == "yunfang"
    wall = screen_page(demo, cadre, "wall", neighborhood="yunfang")
    assert _store_data(wall, ids.LIVE_CONFIG)["actor"] is None


def test_cbpg004_serving_names_the_app_of_the_current_request(demo):
    seen = []

    async def inner(scope, receive, send):
        seen.append(serving())

    asyncio.run(ServicesMiddleware(inner, demo)({"type": "http"}, None, None))
    assert seen == [demo]
    with pytest.raises(RuntimeError, match="no request"):
        serving()


def test_cbpg006_in_english_places_are_named_from_the_datas_name_en(demo):
    import json

    from twin_dashboard.callbacks.feed import feed_panel
    from twin_dashboard.domain.places import Places

    subs = demo.store.read_layer("subdistricts")
    english = subs.set_index("id")["name_en"].to_dict()
    assert english["beiwaitan"] and english["beiwaitan"] != subs.set_index("id")["name"][
        "beiwaitan"]
    page = screen_page(demo, BOSS, "desk", subdistrict="beiwaitan", lang="en")
    options = _component(page, ids.SUBDISTRICT_SELECT).options
    assert {o["value"]: o["label"] for o in options} == english
    title = json.dumps(_component(page, ids.SCOPE_TITLE).to_plotly_json(), default=str,
                       ensure_ascii=False)
    assert english["beiwaitan"] in title and "北外滩" not in title
    entries, _ = feed_panel(demo, BOSS, {"subdistrict": "beiwaitan"}, "wall", "en")
    text = json.dumps([e.to_plotly_json() for e in entries], default=str, ensure_ascii=False)
    hoods = demo.store.read_layer("neighborhoods")
    assert any(n in text for n in hoods["name_en"].dropna())
    # without an English name, the Chinese one stays
    bare = Places({"s": "甲"}, {"n": "乙"}, {"n": "s"}, {"s": "A"}).in_lang("en")
    assert (bare.subdistricts, bare.neighborhoods) == ({"s": "A"}, {"n": "乙"})


def test_cbpg007_a_kiosks_rotation_is_its_setting_the_url_still_overrides(demo):
    from twin_dashboard.domain.accounts import create_kiosk, viewer_of

    create_kiosk(demo.store, "wall-rotating", "district", demo.now(), rotate_s=30)
    wall = viewer_of(demo.store, demo.store.accounts.user("wall-rotating"))
    assert wall.rotate_s == 30
    assert _store_data(screen_page(demo, wall, "wall"), ids.SCREEN)["rotate"] == 30
    assert _store_data(screen_page(demo, wall, "wall", rotate="20"), ids.SCREEN)["rotate"] == 20
    with pytest.raises(ValueError, match="at least 5 s"):
        create_kiosk(demo.store, "wall-too-fast", "district", demo.now(), rotate_s=2)
    assert demo.store.accounts.user("wall-too-fast") is None  # refused whole
