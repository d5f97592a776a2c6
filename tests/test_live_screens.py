"""Live screens (issue 4), the Python side: what live.js is told, the tablet's inbox, the graph."""

from __future__ import annotations

import json
import math

import dash
import pandas as pd
import pytest
from dash import html

from tests._live_fixtures import add_other_neighborhood, load_district
from twin_dashboard.app import create_app, services_of_app
from twin_dashboard.callbacks import feed
from twin_dashboard.callbacks import live as live_callbacks
from twin_dashboard.callbacks.pages import screen_page
from twin_dashboard.config import Settings
from twin_dashboard.domain.access import Viewer
from twin_dashboard.domain.freshness import DEFAULT_STALE_AFTER_S, STALE_AFTER_S
from twin_dashboard.domain.ingest import Ingestor
from twin_dashboard.domain.places import Places
from twin_dashboard.i18n import t
from twin_dashboard.layouts import ids
from twin_dashboard.layouts import live as live_layout
from twin_dashboard.testing import FixedClock

PLACES = Places({"beiwaitan": "北外滩街道"}, {"yunfang": "云舫小区"}, {"yunfang": "beiwaitan"})
HERE = {"subdistrict": "beiwaitan", "neighborhood": "yunfang"}
T0 = pd.Timestamp("2026-03-02T02:00:00Z")
CADRE = Viewer("c", "cadre", "p-cadre", frozenset(["beiwaitan"]), frozenset(["yunfang"]))
DUTY = Viewer("d", "officer", "p-duty", frozenset(["beiwaitan"]))
WALL = Viewer("w", "kiosk", None, frozenset(["beiwaitan"]))


@pytest.fixture
def world(tmp_path):
    """An app on the tiny district with one smoke alarm in h1 (cadre p-cadre) raised at T0."""
    clock = FixedClock(T0)
    app = create_app(Settings(db_url=f"sqlite:///{tmp_path}/l.db", simulate=False), seed=False,
                     clock=clock)
    services = services_of_app(app)
    load_district(services.store)
    add_other_neighborhood(services.store)
    alarm = Ingestor(services.store, clock=clock).ingest(
        [{"reading_id": "s1", "device_id": "h1-smoke", "ts": T0, "event": "smoke"}]).alarms[0]
    return services, alarm


def test_liv001_stale_limits_come_from_freshness_and_survive_json() -> None:
    limits = live_layout.stale_limits()
    assert limits["sensors"] == STALE_AFTER_S["sensors"] == 300
    assert limits["*"] == DEFAULT_STALE_AFTER_S
    assert all(limits[k] is None for k, v in STALE_AFTER_S.items() if math.isinf(v))
    json.dumps(limits, allow_nan=False)  # no Infinity: the browser's JSON.parse would refuse


def test_liv002_config_speaks_the_page_language_and_names_rules_and_places() -> None:
    zh = live_layout.live_config("wall", "zh", PLACES)
    en = live_layout.live_config("wall", "en", PLACES)
    assert zh["text"]["stale.stream"] == t("live.stale.stream", "zh") != en["text"]["stale.stream"]
    assert zh["rules"]["smoke"] == "烟感" and en["rules"]["smoke"] == "Smoke detector"
    assert en["rules"]["no_activity_12h"] == t("rule.no_activity", "en")
    assert zh["places"]["yunfang"] == "云舫小区" and zh["sources"]["sensors"] == "感知"
    assert zh["actor"] is None  # only the tablet acts on alarms


def _live_config(page) -> dict:
    found = [n for n in _walk(page) if getattr(n, "id", None) == ids.LIVE_CONFIG]
    return found[0].data


def _walk(node):
    if isinstance(node, list | tuple):
        for child in node:
            yield from _walk(child)
    elif hasattr(node, "to_plotly_json"):
        yield node
        yield from _walk(getattr(node, "children", None))


def test_liv003_the_tablet_acts_as_the_signed_in_person_whatever_the_url(world) -> None:
    services, _ = world
    for asked in ({"neighborhood": "yunfang"}, {"subdistrict": "beiwaitan"},
                  {"neighborhood": "nowhere"}):
        assert _live_config(screen_page(services, CADRE, "tablet", **asked))["actor"] == \
            "p-cadre"
    assert _live_config(screen_page(services, CADRE, "desk", neighborhood="yunfang"))[
        "actor"] is None


def test_liv004_a_read_only_or_unlinked_viewer_has_no_inbox(world) -> None:
    services, _ = world
    assert _live_config(screen_page(services, WALL, "tablet"))["actor"] is None
    boss = Viewer("boss", "commander")
    assert _live_config(screen_page(services, boss, "tablet"))["actor"] is None


def _ack_buttons(entries: list) -> list[html.Button]:
    return [c for li in entries for c in (li.children if isinstance(li.children, list) else [])
            if isinstance(c, html.Button)]


def test_liv005_tablet_inbox_holds_the_cadres_alarms_with_acknowledge(world) -> None:
    rt, alarm = world
    entries, count = feed.feed_panel(rt, CADRE, HERE, "tablet", "en")
    assert count == "1"
    buttons = _ack_buttons(entries)
    assert [b.to_plotly_json()["props"]["data-alarm"] for b in buttons] == [alarm]
    assert buttons[0].children == "Acknowledge" and "ack-btn" in buttons[0].className
    assert feed.feed_panel(rt, DUTY, HERE, "tablet", "zh")[1] == "0"  # not the officer's
    from twin_dashboard.domain import routing

    routing.acknowledge(rt.store, alarm, "p-cadre", T0 + pd.Timedelta(minutes=1))
    entries, count = feed.feed_panel(rt, CADRE, HERE, "tablet", "zh")
    assert count == "0" and not _ack_buttons(entries)


def test_liv006_wall_feed_counts_open_alarms_without_buttons(world) -> None:
    rt, alarm = world
    entries, count = feed.feed_panel(rt, WALL, HERE, "wall", "zh")
    assert count == "1" and not _ack_buttons(entries)
    assert any(li.to_plotly_json()["props"].get("data-id") == alarm for li in entries)


def test_liv007_live_parts_only_the_wall_flashes() -> None:
    def found(screen: str) -> set[str]:
        parts = live_layout.live_parts(screen, "zh", PLACES)
        return {p.id for p in parts}

    common = {ids.LIVE_CONFIG, ids.LIVE_EVENT, ids.LIVE_FIGURES, ids.LIVE_STATUS,
              ids.STALE_BANNER}
    assert found("wall") == common | {ids.ALARM_FLASH}
    assert found("desk") == found("tablet") == common
    banner = live_layout.stale_banner("en")
    assert banner.hidden is True and "Data is not live" in json.dumps(banner.to_plotly_json(),
                                                                      default=str)
    assert [c.id for c in banner.children if getattr(c, "id", None)] == [ids.STALE_REASON]


def test_liv008_the_graph_wires_the_stream_banner_flash_and_refreshes() -> None:
    app = dash.Dash(__name__, suppress_callback_exceptions=True)
    live_callbacks.register(app, None)  # type: ignore[arg-type]  # registering reads none
    feed.register(app, None)  # type: ignore[arg-type]
    outputs = " ".join(c["output"] for c in app._callback_list)
    assert f"{ids.STALE_BANNER}.hidden" in outputs and f"{ids.ALARM_FLASH}.className" in outputs
    assert f"{ids.STALE_REASON}.children" in outputs  # JS fills the reason, builds no banner
    assert f"{ids.STALE_BANNER}.children" not in outputs
    feed_inputs = next(c["inputs"] for c in app._callback_list
                       if c["output"].startswith(f"..{ids.ALARM_FEED}.children"))
    assert {"id": ids.LIVE_EVENT, "property": "data"} in [
        {"id": i["id"], "property": i["property"]} for i in feed_inputs]
