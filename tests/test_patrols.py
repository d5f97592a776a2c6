"""Patrol coverage: per zone and per road segment, against each zone's target interval."""

from __future__ import annotations

import pandas as pd
import pytest

from twin_dashboard.domain.patrols import coverage_share, segment_coverage, zone_coverage

T0 = pd.Timestamp("2026-11-01T00:00:00Z")
NOW = T0 + pd.Timedelta(hours=48)

ZONES = pd.DataFrame({"id": ["z1", "z2", "z3"], "name": ["一区", "二区", "三区"],
                      "subdistrict_id": ["s1", "s1", "s2"], "target_hours": [24.0, 12.0, 24.0]})
ROADS = pd.DataFrame({"id": ["r1", "r2", "r3", "r4", "r5"],
                      "zone_id": ["z1", "z1", "z2", "z3", None],
                      "subdistrict_id": ["s1", "s1", "s1", "s2", "s2"]})


def patrols(*rows: tuple) -> pd.DataFrame:
    """Rows of (zone_id, road_ids, hours started after T0, hours ended or None)."""
    frame = pd.DataFrame(rows, columns=["zone_id", "road_ids", "start", "end"])
    frame["started_at"] = T0 + pd.to_timedelta(frame.pop("start"), unit="h")
    frame["ended_at"] = T0 + pd.to_timedelta(frame.pop("end").astype(float), unit="h")
    frame.insert(0, "id", [f"p{i}" for i in range(len(frame))])
    return frame


SAMPLE = patrols(
    ("z1", "r1;r2", 10, 11),  # 37 h ago: too old for z1's 24 h
    ("z1", "r1", 30, 31),  # 17 h ago: r1 covered
    ("z2", "r3", 40, 41),  # 7 h ago: within z2's 12 h
    ("z3", "r4", 47, None),  # under way: patrolling now
    ("z3", "r4;r5", 50, 51),  # starts after now: not yet
)


def test_zone_coverage():
    got = zone_coverage(ZONES, SAMPLE, NOW).set_index("zone_id")
    assert got["patrols"].tolist() == [2, 1, 1]
    assert got["hours_since"].tolist() == pytest.approx([17, 7, 0])
    assert got["covered"].tolist() == [True, True, True]
    assert got.loc["z1", "last_patrol_end"] == T0 + pd.Timedelta(hours=31)
    assert got.loc["z1", "name"] == "一区"


@pytest.mark.parametrize(("hours_later", "covered"), [
    (0, [True, True, True]),
    (5, [True, True, True]),  # z2: exactly 12 h since 41 h -> still covered
    (5.1, [True, False, True]),
    (7.1, [False, False, True]),
])
def test_zone_coverage_expires_after_target(hours_later, covered):
    got = zone_coverage(ZONES, SAMPLE.iloc[:3], NOW + pd.Timedelta(hours=hours_later))
    assert got["covered"].tolist()[:2] == covered[:2]


def test_zone_never_patrolled_is_not_covered():
    got = zone_coverage(ZONES, SAMPLE.iloc[:0], NOW)
    assert got["covered"].tolist() == [False, False, False]
    assert got["patrols"].tolist() == [0, 0, 0]
    assert got["hours_since"].isna().all()


def test_replay_ignores_patrols_after_now():
    got = zone_coverage(ZONES, SAMPLE, T0 + pd.Timedelta(hours=20)).set_index("zone_id")
    assert got.loc["z1", "patrols"] == 1
    assert got.loc["z1", "hours_since"] == pytest.approx(9)
    assert not got.loc["z2", "covered"]


def test_segment_coverage():
    got = segment_coverage(ROADS, SAMPLE, NOW, ZONES).set_index("road_id")
    assert got["target_hours"].tolist()[:4] == [24, 24, 12, 24]
    assert pd.isna(got.loc["r5", "target_hours"])  # outside every zone: no target
    assert got["hours_since"].tolist()[:4] == pytest.approx([17, 37, 7, 0])
    assert got["covered"].tolist() == [True, False, True, True, False]


def test_coverage_share_is_over_segments_with_a_target():
    segments = segment_coverage(ROADS, SAMPLE, NOW, ZONES)
    assert coverage_share(segments) == pytest.approx(3 / 4)
    assert coverage_share(zone_coverage(ZONES, SAMPLE, NOW)) == pytest.approx(1.0)


def test_segment_target_of_the_road_itself_wins():
    roads = ROADS.assign(target_hours=[None, 40.0, None, None, 1.0])
    got = segment_coverage(roads, SAMPLE, NOW, ZONES).set_index("road_id")
    assert got.loc["r2", "covered"]  # 37 h <= its own 40 h
    assert got.loc["r5", "target_hours"] == 1.0


def test_segment_coverage_without_zones_has_no_targets():
    got = segment_coverage(ROADS, SAMPLE, NOW)
    assert got["target_hours"].isna().all()
    assert coverage_share(got) == 0.0


def test_road_ids_tolerate_blanks_and_spaces():
    rows = patrols(("z1", " r1 ; ;r2", 40, 41), ("z1", None, 40, 41))
    got = segment_coverage(ROADS, rows, NOW, ZONES).set_index("road_id")
    assert got.loc["r1", "covered"] and got.loc["r2", "covered"]


def test_missing_columns_are_refused():
    with pytest.raises(ValueError, match="patrols: missing column.*ended_at"):
        zone_coverage(ZONES, SAMPLE.drop(columns="ended_at"), NOW)
    with pytest.raises(ValueError, match="roads: missing column.*zone_id"):
        segment_coverage(ROADS.drop(columns="zone_id"), SAMPLE, NOW)


def test_zone_board_marks_overdue_zones_and_counts_their_segments():
    from twin_dashboard.domain.patrols import zone_board

    zones = ZONES.assign(gov_chief_id=["g1", "g2", None], community_chief_id=["c1", "c2", "c3"])
    board = zone_board(zones, ROADS, SAMPLE, NOW).set_index("zone_id")
    assert board["overdue"].tolist() == [False, False, False]
    assert board.loc["z1", ["segments", "segments_covered"]].tolist() == [2, 1]
    assert board.loc["z1", "coverage_share"] == 0.5 and pd.isna(board.loc["z3", "gov_chief_id"])
    later = zone_board(zones, ROADS, SAMPLE, NOW + pd.Timedelta(hours=20)).set_index("zone_id")
    assert later["overdue"].tolist() == [True, True, False]  # z3's patrol ran on


def test_chief_board_counts_each_chiefs_week():
    from twin_dashboard.domain.patrols import chief_board

    zones = ZONES.assign(gov_chief_id=["g1", "g1", "g3"], community_chief_id=["c1", "c2", "c3"])
    walked = SAMPLE.assign(chief_id=["g1", "c1", "g1", "c3", "c3"])
    lengths = pd.Series([1000.0, 500.0, 250.0, 2000.0, 9.0], index=walked["id"])
    board = chief_board(zones, walked, NOW, lengths, days=1).set_index("chief_id")
    assert list(board.index) == ["g1", "c1", "c2", "g3", "c3"]
    assert board.loc["g1", "zone_ids"] == ["z1", "z2"] and board.loc["c1", "chief_role"] == \
        "community"
    assert board["patrols"].tolist() == [1, 1, 0, 0, 1]  # g1's first is 38 h old
    assert board.loc["g1", "km"] == 0.25 and board.loc["c3", "km"] == 2.0  # not yet started: no
    assert board.loc["g1", "last_patrol_end"] == T0 + pd.Timedelta(hours=41)
    assert pd.isna(board.loc["c2", "last_patrol_end"])
