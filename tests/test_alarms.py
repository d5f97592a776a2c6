"""Alarms: what counts as open, newest first, and the breakdowns the screens show."""

from __future__ import annotations

import pandas as pd
import pytest

from twin_dashboard.domain.alarms import OPEN_ALARM_STATUSES, alarm_counts, open_alarms

T0 = pd.Timestamp("2026-11-01T00:00:00Z")


def alarms(*rows: tuple[str, str, str, str, float]) -> pd.DataFrame:
    """Rows of (id, rule, severity, status, hours after T0 raised)."""
    frame = pd.DataFrame(rows, columns=["id", "rule", "severity", "status", "h"])
    frame["raised_at"] = T0 + pd.to_timedelta(frame.pop("h"), unit="h")
    return frame


SAMPLE = alarms(
    ("a1", "smoke", "critical", "open", 1),
    ("a2", "no_activity_12h", "major", "acknowledged", 2),
    ("a3", "no_activity_12h", "major", "escalated", 3),
    ("a4", "gas", "critical", "closed", 4),
    ("a5", "water_running_2h", "minor", "open", 5),
    ("a6", "no_activity_12h", "major", "open", 0),
)


def test_open_means_not_acknowledged_and_not_closed():
    assert OPEN_ALARM_STATUSES == ("open", "escalated")
    got = open_alarms(SAMPLE)
    assert list(got["id"]) == ["a5", "a3", "a1", "a6"]  # newest first
    assert list(got.index) == [0, 1, 2, 3]


def test_open_alarms_of_none_is_empty_with_columns():
    got = open_alarms(SAMPLE.iloc[:0])
    assert got.empty and list(got.columns) == list(SAMPLE.columns)


def test_open_alarms_refuses_unknown_status():
    bad = alarms(("x", "smoke", "critical", "pending", 0))
    with pytest.raises(ValueError, match="unknown alarm status: pending"):
        open_alarms(bad)


def test_open_alarms_needs_raised_at():
    with pytest.raises(ValueError, match="alarms: missing column.*raised_at"):
        open_alarms(SAMPLE.drop(columns="raised_at"))


def test_alarm_counts_of_open_alarms():
    counts = alarm_counts(open_alarms(SAMPLE))
    assert counts["total"] == 4
    assert counts["by_severity"] == {"critical": 1, "major": 2, "minor": 1}
    assert list(counts["by_severity"]) == ["critical", "major", "minor"]
    assert counts["by_status"] == {"open": 3, "acknowledged": 0, "escalated": 1, "closed": 0}
    # most frequent rule first, ties by name
    assert list(counts["by_rule"].items()) == [
        ("no_activity_12h", 2), ("smoke", 1), ("water_running_2h", 1)]


def test_alarm_counts_are_plain_ints():
    counts = alarm_counts(SAMPLE)
    assert all(type(v) is int for v in counts["by_severity"].values())
    assert all(type(v) is int for v in counts["by_rule"].values())
    assert counts["total"] == 6


def test_alarm_counts_refuse_unknown_severity():
    with pytest.raises(ValueError, match="unknown alarm severity: urgent"):
        alarm_counts(alarms(("x", "smoke", "urgent", "open", 0)))
