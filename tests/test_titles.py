"""Incident titles in the page's language: written once in Chinese, named in English by kind and
place (views/titles.py)."""

from __future__ import annotations

import pandas as pd

from twin_dashboard.layouts.details import incident_details
from twin_dashboard.views.tables import feed_items, incident_rows
from twin_dashboard.views.titles import incident_title, incident_titles, kind_name

NAMES_EN = {"yunfang": "Yunfang"}
NOW = pd.Timestamp("2026-03-02T02:00:00Z")


def test_tit001_kinds_are_named_from_the_districts_vocabulary_categories_and_rules():
    assert kind_name("leak", "en") == "Leak" and kind_name("leak", "zh") == "漏水"
    assert kind_name("smoke", "en") not in (None, kind_name("smoke", "zh"))
    assert kind_name("no_activity_12h", "en") == "Elder inactive for 12 h"
    assert kind_name("made_up", "en") is None and kind_name(None, "en") is None


def test_tit002_english_names_kind_and_place_chinese_keeps_what_was_written():
    assert incident_title("漏水：江湾新苑5号楼", "leak", "Yunfang", "en") == "Leak · Yunfang"
    assert incident_title("漏水：江湾新苑5号楼", "leak", "云舫小区", "zh") == "漏水：江湾新苑5号楼"
    assert incident_title("怪事", "made_up", "Yunfang", "en") == "怪事"  # no English: as written
    assert incident_title("漏水", "leak", "", "en") == "Leak"


INCIDENTS = pd.DataFrame([{
    "id": "inc-1", "title": "漏水：云舫小区5号楼", "kind": "leak", "source": "hotline",
    "level": "property", "status": "dispatched", "neighborhood_id": "yunfang",
    "reported_at": NOW - pd.Timedelta(hours=1), "sla_due_at": NOW + pd.Timedelta(hours=23)}])


def test_tit003_table_feed_and_details_agree_in_english():
    assert incident_titles(INCIDENTS, NAMES_EN, "en") == ["Leak · Yunfang"]
    assert incident_rows(INCIDENTS, NAMES_EN, NOW, "en")[0]["title"] == "Leak · Yunfang"
    (item,) = [i for i in feed_items(INCIDENTS.iloc[:0].assign(rule=[], severity=[],
                                                                raised_at=[]),
                                     INCIDENTS, NAMES_EN, NOW, "en") if i.kind == "incident"]
    assert item.label == "Leak · Yunfang" and item.place == ""  # the title names the place
    details = str(incident_details({**INCIDENTS.iloc[0].to_dict(), "history": []}, "en"))
    assert "Leak" in details and "漏水：云舫小区5号楼" in details and "Original title" in details
    assert "Original title" not in str(incident_details(
        {**INCIDENTS.iloc[0].to_dict(), "history": []}, "zh"))
