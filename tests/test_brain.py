"""Community brain: AND / OR / NOT tag queries and tag counts per area."""

from __future__ import annotations

import pandas as pd
import pytest

from twin_dashboard.catalog import PERSON_TAGS, POLICY_TAGS
from twin_dashboard.domain.access import Viewer
from twin_dashboard.domain.brain import (
    GAPS_BY_KEY,
    KNOWN_TAGS,
    POLICY_GAPS,
    BrainQuery,
    area_counts,
    areas_in,
    brain_query,
    checked_tags,
    people_rows,
    query_people,
    split_tags,
    tag_counts,
)
from twin_dashboard.domain.places import Places
from twin_dashboard.store.base import Scope

PEOPLE = pd.DataFrame({
    "id": ["p1", "p2", "p3", "p4", "p5", "p6"],
    "neighborhood_id": ["yunfang", "yunfang", "yunfang", "liangcheng", "liangcheng", None],
    "tags": ["独居老人;高龄;助餐补贴", "独居老人;失能;长护险", "低保", "", None,
             "独居老人 ; 高龄"],
})


def ids(frame: pd.DataFrame) -> list[str]:
    return frame["id"].tolist()


@pytest.mark.parametrize(("all_", "any_", "none", "expected"), [
    ([], [], [], ["p1", "p2", "p3", "p4", "p5", "p6"]),  # no condition: everyone
    (["独居老人"], [], [], ["p1", "p2", "p6"]),
    (["独居老人", "高龄"], [], [], ["p1", "p6"]),  # AND
    ([], ["失能", "低保"], [], ["p2", "p3"]),  # OR
    (["独居老人"], [], ["助餐补贴"], ["p2", "p6"]),  # NOT
    (["独居老人"], ["长护险", "助餐补贴"], ["失能"], ["p1"]),
    (["孤老"], [], [], []),  # a tag nobody carries
    (["老人"], [], [], []),  # part of a tag is not the tag
])
def test_query_people(all_, any_, none, expected):
    assert ids(query_people(PEOPLE, all_, any_, none)) == expected


def test_query_keeps_rows_and_index():
    got = query_people(PEOPLE, include_any=["低保"])
    assert got.index.tolist() == [2]
    assert list(got.columns) == list(PEOPLE.columns)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"include_all": [""]}, "bad tag ''"),
    ({"include_any": ["独居老人;高龄"]}, "bad tag"),
    ({"include_all": ["高龄"], "exclude": ["高龄"]}, "both included and excluded: 高龄"),
])
def test_query_refuses_bad_tags(kwargs, message):
    with pytest.raises(ValueError, match=message):
        query_people(PEOPLE, **kwargs)


def test_tag_counts_per_neighborhood():
    counts = tag_counts(PEOPLE)
    assert counts.index.tolist() == ["liangcheng", "yunfang"]
    assert list(counts.columns[:len(PERSON_TAGS)]) == list(PERSON_TAGS)
    assert list(counts.columns) == [*PERSON_TAGS, *POLICY_TAGS]
    assert counts.loc["yunfang", "独居老人"] == 2
    assert counts.loc["yunfang", "长护险"] == 1
    assert counts.loc["liangcheng"].sum() == 0
    assert int(counts.to_numpy().sum()) == 7  # p6 has no neighborhood


def test_tag_counts_keeps_tags_outside_the_catalog_after_it():
    people = pd.DataFrame({"role": ["resident", "cadre"], "tags": ["新标签;低保", "低保"]})
    counts = tag_counts(people, by="role")
    assert counts.columns[-1] == "新标签"
    assert counts.loc["resident", "新标签"] == 1 and counts.loc["cadre", "低保"] == 1


def test_tag_counts_needs_the_group_column():
    with pytest.raises(ValueError, match="people: missing column.*subdistrict_id"):
        tag_counts(PEOPLE, by="subdistrict_id")


# --- counts per area, policy gaps, tags (issue 10) --------------------------------------------


PLACES = Places({"s1": "一街", "s2": "二街"}, {"yunfang": "云舫", "liangcheng": "凉城",
                                                 "far": "远处"},
                {"yunfang": "s1", "liangcheng": "s1", "far": "s2"})


def test_area_counts_give_every_area_in_scope_zeros_included():
    query = brain_query(["独居老人"])
    counts = area_counts(PEOPLE, query, areas_in(PLACES, Scope(), "neighborhood"),
                         "neighborhood")
    assert counts.to_dict("records") == [
        {"id": "yunfang", "name": "云舫", "count": 2},
        {"id": "liangcheng", "name": "凉城", "count": 0},
        {"id": "far", "name": "远处", "count": 0}]
    # the same as counting the rows by hand
    by_hand = sum(1 for t, n in zip(PEOPLE["tags"], PEOPLE["neighborhood_id"], strict=True)
                  if n == "yunfang" and "独居老人" in str(t).replace(" ", "").split(";"))
    assert counts.loc[counts["id"] == "yunfang", "count"].item() == by_hand


def test_areas_follow_the_scope():
    one = Scope(frozenset({"s1"}))
    assert list(areas_in(PLACES, one, "neighborhood")) == ["yunfang", "liangcheng"]
    assert list(areas_in(PLACES, one, "subdistrict")) == ["s1"]
    cadre = Scope(None, frozenset({"far"}))
    assert list(areas_in(PLACES, cadre, "subdistrict")) == ["s2"]
    assert list(areas_in(PLACES, cadre, "neighborhood")) == ["far"]


def test_subdistrict_counts_sum_their_neighborhoods():
    people = PEOPLE.assign(subdistrict_id=["s1", "s1", "s1", "s1", "s1", "s2"])
    counts = area_counts(people, BrainQuery(("独居老人",)),
                         areas_in(PLACES, Scope(), "subdistrict"), "subdistrict")
    assert dict(zip(counts["id"], counts["count"], strict=True)) == {"s1": 2, "s2": 1}


@pytest.mark.parametrize(("args", "message"), [
    ((["独居老人", "外星人"],), "unknown tag.*外星人"),
    ((["独居老人"], [], ["独居老人"]), "both included and excluded"),
])
def test_brain_query_refuses_naming_the_tag(args, message):
    with pytest.raises(ValueError, match=message):
        brain_query(*args)


def test_bad_by_is_refused_naming_it():
    with pytest.raises(ValueError, match="unknown by 'street'"):
        area_counts(PEOPLE, BrainQuery(), {}, "street")


def test_split_tags_takes_either_comma():
    assert split_tags("独居老人，高龄, 低保,") == ["独居老人", "高龄", " 低保"]
    assert brain_query(split_tags("独居老人，高龄, 低保")).all == ("独居老人", "高龄", "低保")


def test_policy_gaps_use_known_tags_and_find_the_unserved():
    assert len(POLICY_GAPS) >= 4 and len(GAPS_BY_KEY) == len(POLICY_GAPS)
    for gap in POLICY_GAPS:
        tags = {*gap.query.all, *gap.query.any, *gap.query.none}
        assert tags <= set(KNOWN_TAGS) and gap.query.none and gap.zh and gap.en
        assert gap.name("en") == gap.en and gap.name("zh") == gap.zh
    gap = GAPS_BY_KEY["alone_80_no_meals"].query
    found = query_people(PEOPLE, gap.all, gap.any, gap.none)
    assert ids(found) == ["p6"]  # p1 is alone and 80+ but already has 助餐补贴


def test_people_rows_mask_unless_the_viewer_may_see_them():
    people = PEOPLE.assign(name="王建国", phone="13900001234", role="resident",
                           subdistrict_id="s1")
    officer = Viewer("o", "officer", subdistricts=frozenset({"s1"}))
    rows, full = people_rows(people, officer, 2)
    assert not full and len(rows) == 2
    assert rows[0]["name"] == "王**" and rows[0]["phone"] == "139******34" and rows[0]["masked"]
    cadre = Viewer("c", "cadre", subdistricts=frozenset({"s1"}),
                   neighborhoods=frozenset({"yunfang"}))
    rows, full = people_rows(people.head(1), cadre, 5)
    assert full and rows[0]["name"] == "王建国" and rows[0]["tags"] == ["独居老人", "高龄",
                                                                      "助餐补贴"]
    boss = Viewer("b", "commander")
    assert people_rows(people.head(1), boss, 5)[0][0]["masked"]
    assert not people_rows(people.head(1), Viewer("b", "commander", reason="走访"), 5)[0][0][
        "masked"]


def test_checked_tags_keep_catalog_order_and_refuse_unknown():
    assert checked_tags(["助餐补贴", "高龄", "高龄"]) == ["高龄", "助餐补贴"]
    assert checked_tags([]) == []
    with pytest.raises(ValueError, match="unknown tag.*VIP"):
        checked_tags(["高龄", "VIP"])
