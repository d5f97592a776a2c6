"""Incidents 事件/工单 in their closed loop: what is open, where they are resolved, what is late.

The funnel is the pilot's headline figure: a healthy neighborhood resolves ~90 % of its
incidents at property level, ~8 % at the residents' committee and < 2 % at the subdistrict.
"""

from __future__ import annotations

import pandas as pd

from twin_dashboard.catalog import (
    INCIDENT_SOURCES,
    INCIDENT_STATUSES,
    LEVELS,
    OPEN_STATUSES,
)
from twin_dashboard.domain._frames import require_columns, require_known, share
from twin_dashboard.domain.time import HOUR, LOCAL_TZ, as_utc, as_utc_series

DONE_STATUSES: tuple[str, ...] = ("resolved", "closed")


def open_incidents(incidents: pd.DataFrame) -> pd.DataFrame:
    """Incidents not yet resolved (reported, dispatched, in progress), newest first.

    Parameters
    ----------
    incidents : DataFrame
        Incident records with at least ``status`` and ``reported_at``.

    Returns
    -------
    DataFrame
        The open rows sorted by ``reported_at`` descending, with a fresh index.
    """
    _check(incidents, ("status", "reported_at"))
    rows = incidents[incidents["status"].isin(OPEN_STATUSES)]
    return rows.sort_values("reported_at", ascending=False, kind="stable").reset_index(drop=True)


def incident_counts(incidents: pd.DataFrame) -> pd.DataFrame:
    """Incidents per level and status.

    Parameters
    ----------
    incidents : DataFrame
        Incident records with ``level`` and ``status``.

    Returns
    -------
    DataFrame
        Index ``catalog.LEVELS``, columns ``catalog.INCIDENT_STATUSES`` (both in catalog
        order), integer counts with zeros.
    """
    _check(incidents, ("level", "status"))
    counts = pd.crosstab(incidents["level"], incidents["status"]) if len(incidents) else None
    counts = (pd.DataFrame(0, index=list(LEVELS), columns=list(INCIDENT_STATUSES))
              if counts is None else
              counts.reindex(index=list(LEVELS), columns=list(INCIDENT_STATUSES), fill_value=0))
    counts.index.name, counts.columns.name = "level", "status"
    return counts.astype(int)


def resolution_funnel(incidents: pd.DataFrame) -> pd.DataFrame:
    """Where finished incidents were resolved: count and share per final level.

    Parameters
    ----------
    incidents : DataFrame
        Incident records with ``level`` (the level that handled it last) and ``status``.

    Returns
    -------
    DataFrame
        Index ``catalog.LEVELS``; ``count`` (int) of resolved or closed incidents at that level
        and ``share`` (float, of all resolved or closed; 0.0 when there are none).
    """
    _check(incidents, ("level", "status"))
    done = incidents.loc[incidents["status"].isin(DONE_STATUSES), "level"]
    counts = done.value_counts().reindex(list(LEVELS), fill_value=0).astype(int)
    total = int(counts.sum())
    funnel = pd.DataFrame({"count": counts, "share": [share(n, total) for n in counts]})
    funnel.index.name = "level"
    return funnel


def sla_breaches(incidents: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    """Open incidents past their SLA deadline at ``now``, most overdue first.

    Parameters
    ----------
    incidents : DataFrame
        Incident records with ``status``, ``sla_due_at`` and ``reported_at``.
    now : Timestamp
        The moment to judge at (naive means UTC).

    Returns
    -------
    DataFrame
        The open rows whose ``sla_due_at`` is before ``now`` (rows without a deadline never
        breach), with an added ``overdue_hours`` column, sorted by it descending.
    """
    _check(incidents, ("status", "sla_due_at", "reported_at"))
    rows = incidents[incidents["status"].isin(OPEN_STATUSES)].copy()
    rows["overdue_hours"] = (as_utc(now) - as_utc_series(rows["sla_due_at"])) / HOUR
    late = rows[rows["overdue_hours"] > 0]
    return late.sort_values("overdue_hours", ascending=False, kind="stable").reset_index(drop=True)


def incidents_over_time(incidents: pd.DataFrame, freq: str = "D",
                        tz: str = LOCAL_TZ) -> pd.DataFrame:
    """Incidents reported per period and source, on the district's clock.

    Parameters
    ----------
    incidents : DataFrame
        Incident records with ``reported_at`` and ``source``.
    freq : str, default "D"
        A pandas frequency (``"D"``, ``"h"``, ``"W"`` …); periods without incidents are zeros.
    tz : str, default "Asia/Shanghai"
        Whose calendar defines a day.

    Returns
    -------
    DataFrame
        Index: period starts (aware, in ``tz``), named ``period``; columns
        ``catalog.INCIDENT_SOURCES``; integer counts.

    Raises
    ------
    ValueError
        For an unknown frequency, a missing column or an unknown source.
    """
    _check(incidents, ("reported_at", "source"))
    require_known(incidents["source"], INCIDENT_SOURCES, "incident source")
    # Periods on the local wall clock (Shanghai has no DST, so naive local time is exact).
    local = as_utc_series(incidents["reported_at"]).dt.tz_convert(tz).dt.tz_localize(None)
    periods = pd.PeriodIndex(local, freq=freq)  # ValueError for an unknown freq
    span = (pd.period_range(periods.min(), periods.max(), freq=freq) if len(periods)
            else pd.PeriodIndex([], freq=freq))
    counts = pd.crosstab(periods, incidents["source"].to_numpy()) if len(periods) \
        else pd.DataFrame()
    counts = counts.reindex(index=span, columns=list(INCIDENT_SOURCES), fill_value=0)
    counts.index = span.start_time.tz_localize(tz)
    counts.index.name, counts.columns.name = "period", "source"
    return counts.astype(int)


def _check(incidents: pd.DataFrame, columns: tuple[str, ...]) -> None:
    require_columns(incidents, columns, "incidents")
    if "status" in columns:
        require_known(incidents["status"], INCIDENT_STATUSES, "incident status")
    if "level" in columns:
        require_known(incidents["level"], LEVELS, "incident level")
