"""Incidents: open ones, counts by level and status, the resolution funnel, SLA breaches."""

from __future__ import annotations

import pandas as pd
import pytest

from twin_dashboard.catalog import INCIDENT_SOURCES, INCIDENT_STATUSES, LEVELS
from twin_dashboard.domain.incidents import (
    incident_counts,
    incidents_over_time,
    open_incidents,
    resolution_funnel,
    sla_breaches,
)

T0 = pd.Timestamp("2026-11-01T00:00:00Z")  # 08:00 in Shanghai


def incidents(*rows: tuple) -> pd.DataFrame:
    """Rows of (id, source, level, status, hours reported after T0, hours SLA due or None)."""
    frame = pd.DataFrame(rows, columns=["id", "source", "level", "status", "h", "due"])
    frame["reported_at"] = T0 + pd.to_timedelta(frame.pop("h"), unit="h")
    frame["sla_due_at"] = T0 + pd.to_timedelta(frame.pop("due").astype(float), unit="h")
    return frame


SAMPLE = incidents(
    ("i1", "visit", "property", "reported", 0, 24),
    ("i2", "sensor", "property", "in_progress", 5, 29),
    ("i3", "hotline", "committee", "dispatched", 10, 82),
    ("i4", "patrol", "property", "resolved", 1, 25),
    ("i5", "patrol", "property", "closed", 2, 26),
    ("i6", "resident", "committee", "closed", 3, 75),
    ("i7", "inspection", "subdistrict", "resolved", 4, 172),
    ("i8", "visit", "property", "closed", 6, None),
)


def test_open_incidents_newest_first():
    got = open_incidents(SAMPLE)
    assert list(got["id"]) == ["i3", "i2", "i1"]


def test_incident_counts_levels_by_statuses_with_zeros():
    counts = incident_counts(SAMPLE)
    assert list(counts.index) == list(LEVELS)
    assert list(counts.columns) == list(INCIDENT_STATUSES)
    assert counts.loc["property"].tolist() == [1, 0, 1, 1, 2]
    assert counts.loc["committee"].tolist() == [0, 1, 0, 0, 1]
    assert counts.loc["subdistrict"].tolist() == [0, 0, 0, 1, 0]
    assert int(counts.to_numpy().sum()) == len(SAMPLE)


def test_incident_counts_of_none_are_zeros():
    counts = incident_counts(SAMPLE.iloc[:0])
    assert counts.shape == (3, 5) and int(counts.to_numpy().sum()) == 0


def test_resolution_funnel_counts_and_shares_of_finished_incidents():
    funnel = resolution_funnel(SAMPLE)
    # finished: i4 i5 i8 (property), i6 (committee), i7 (subdistrict) -> 3/5, 1/5, 1/5
    assert funnel["count"].tolist() == [3, 1, 1]
    assert funnel["share"].tolist() == pytest.approx([0.6, 0.2, 0.2])
    assert list(funnel.index) == list(LEVELS)


def test_resolution_funnel_of_nothing_finished_is_zero_not_nan():
    funnel = resolution_funnel(open_incidents(SAMPLE))
    assert funnel["count"].tolist() == [0, 0, 0]
    assert funnel["share"].tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize(("hours", "late"), [
    (23, []),
    (24.5, ["i1"]),
    (30, ["i1", "i2"]),  # most overdue first
    (100, ["i1", "i2", "i3"]),  # finished incidents never breach, whatever their deadline
])
def test_sla_breaches(hours, late):
    got = sla_breaches(SAMPLE, T0 + pd.Timedelta(hours=hours))
    assert list(got["id"]) == late
    if late:
        assert got.loc[0, "overdue_hours"] == pytest.approx(hours - 24)


def test_sla_breaches_skip_incidents_without_deadline():
    rows = incidents(("x", "visit", "property", "reported", 0, None))
    assert sla_breaches(rows, T0 + pd.Timedelta(days=30)).empty


def test_incidents_over_time_counts_per_local_day_and_source():
    rows = incidents(
        ("a", "visit", "property", "reported", 15, None),  # 23:00 local, 1 Nov
        ("b", "sensor", "property", "reported", 17, None),  # 01:00 local, 2 Nov
        ("c", "sensor", "property", "reported", 65, None),  # 4 Nov
    )
    got = incidents_over_time(rows)
    assert list(got.columns) == list(INCIDENT_SOURCES)
    days = [d.strftime("%m-%d") for d in got.index]
    assert days == ["11-01", "11-02", "11-03", "11-04"]  # the empty day is there, as zeros
    assert got["visit"].tolist() == [1, 0, 0, 0]
    assert got["sensor"].tolist() == [0, 1, 0, 1]
    assert str(got.index.tz) == "Asia/Shanghai"


def test_incidents_over_time_weekly():
    got = incidents_over_time(SAMPLE, freq="W")
    assert int(got.to_numpy().sum()) == len(SAMPLE)


def test_incidents_over_time_refuses_bad_frequency():
    with pytest.raises(ValueError, match="freq|frequency"):
        incidents_over_time(SAMPLE, freq="fortnightly")


def test_unknown_level_or_source_is_refused():
    bad = incidents(("x", "visit", "mayor", "reported", 0, None))
    with pytest.raises(ValueError, match="unknown incident level: mayor"):
        incident_counts(bad)
    bad = incidents(("x", "rumour", "property", "reported", 0, None))
    with pytest.raises(ValueError, match="unknown incident source: rumour"):
        incidents_over_time(bad)
