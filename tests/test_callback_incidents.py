"""callbacks/incidents.py: the desk's table holds the selection's incidents, open first."""

from __future__ import annotations

from twin_dashboard.callbacks.incidents import rows
from twin_dashboard.domain.access import Viewer

BOSS = Viewer("boss", "commander")  # the whole district


def test_cbinc001_rows_are_the_neighborhoods_incidents_open_first(demo):
    found = rows(demo, BOSS, {"subdistrict": "beiwaitan", "neighborhood": "yunfang"}, "zh")
    assert found and {r["neighborhood"] for r in found} == {"云舫小区"}
    open_flags = [r["status"] not in ("已办结", "已关闭") for r in found]
    assert open_flags == sorted(open_flags, reverse=True)  # open ones first


def test_cbinc002_labels_follow_the_language(demo):
    en = rows(demo, BOSS, {"neighborhood": "yunfang"}, "en")
    assert en and all(r["level"] in ("Property", "Committee", "Subdistrict") for r in en)
