"""Community brain: AND / OR / NOT tag queries and tag counts per area."""

from __future__ import annotations

import pandas as pd
import pytest

from twin_dashboard.catalog import PERSON_TAGS, POLICY_TAGS
from twin_dashboard.domain.brain import query_people, tag_counts

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
