"""callbacks/kpis.py: the tiles' summary is the API's, for the selection as resolved."""

from __future__ import annotations

import pytest
from dash.exceptions import PreventUpdate

from twin_dashboard.callbacks.kpis import show_kpis, summary_of
from twin_dashboard.domain.access import Viewer
from twin_dashboard.domain.summary import summarize
from twin_dashboard.layouts.components import KPI_KEYS
from twin_dashboard.store.base import Scope

BOSS = Viewer("boss", "commander")  # the whole district


def test_cbkpi001_summary_equals_the_domain_figures_for_the_scope(demo):
    got = summary_of(demo, BOSS, {"subdistrict": None, "neighborhood": "yunfang"})
    want = summarize(demo.store, Scope.of(neighborhood="yunfang"), demo.now())
    assert got["devices"] == want["devices"] and got["incidents"] == want["incidents"]
    assert got["scope"]["neighborhood_ids"] == ["yunfang"]


def test_cbkpi002_a_forged_selection_falls_back_to_the_district(demo):
    got = summary_of(demo, BOSS, {"subdistrict": "nowhere", "neighborhood": "x' OR 1=1"})
    assert got["scope"] == {"subdistrict_ids": None, "neighborhood_ids": None}


def test_cbkpi003_tiles_wait_for_a_summary_then_show_every_kpi(demo):
    with pytest.raises(PreventUpdate):
        show_kpis(None, {"screen": "desk", "lang": "zh"})
    tiles = show_kpis(summary_of(demo, BOSS, None), {"screen": "wall", "lang": "en"})
    assert len(tiles) == len(KPI_KEYS)
