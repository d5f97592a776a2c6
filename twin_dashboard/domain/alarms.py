"""Alarms 告警: which are still waiting for someone, and how they break down.

"Open" means nobody has dealt with it yet: not acknowledged and not closed, so ``open`` and
``escalated`` (an unacknowledged alarm whose window passed is escalated, and still waits).
"""

from __future__ import annotations

import pandas as pd

from twin_dashboard.catalog import ALARM_SEVERITIES, ALARM_STATUSES
from twin_dashboard.domain._frames import require_columns, require_known

OPEN_ALARM_STATUSES: tuple[str, ...] = ("open", "escalated")


def open_alarms(alarms: pd.DataFrame) -> pd.DataFrame:
    """Alarms still waiting for acknowledgement, newest first.

    Parameters
    ----------
    alarms : DataFrame
        Alarm records with at least ``status`` and ``raised_at``.

    Returns
    -------
    DataFrame
        The rows whose ``status`` is in ``OPEN_ALARM_STATUSES``, sorted by ``raised_at``
        descending (ties keep their order), with a fresh index.

    Raises
    ------
    ValueError
        When a column is missing or a status is not in ``catalog.ALARM_STATUSES``.
    """
    require_columns(alarms, ("status", "raised_at"), "alarms")
    require_known(alarms["status"], ALARM_STATUSES, "alarm status")
    waiting = alarms[alarms["status"].isin(OPEN_ALARM_STATUSES)]
    return waiting.sort_values("raised_at", ascending=False, kind="stable").reset_index(drop=True)


def alarm_counts(alarms: pd.DataFrame) -> dict[str, object]:
    """Counts of the given alarms (pass ``open_alarms(...)`` to count the open ones).

    Parameters
    ----------
    alarms : DataFrame
        Alarm records with ``severity``, ``rule`` and ``status``.

    Returns
    -------
    dict
        ``{"total": n, "by_severity": {severity: n}, "by_status": {status: n},
        "by_rule": {rule: n}}`` — severities and statuses in catalog order with zeros,
        rules present in the data, most frequent first (ties by name). Plain ints (JSON-ready).
    """
    require_columns(alarms, ("severity", "rule", "status"), "alarms")
    require_known(alarms["severity"], ALARM_SEVERITIES, "alarm severity")
    by_rule = alarms["rule"].value_counts()
    by_rule = by_rule.sort_index().sort_values(ascending=False, kind="stable")
    return {
        "total": len(alarms),
        "by_severity": _counts(alarms["severity"], ALARM_SEVERITIES),
        "by_status": _counts(alarms["status"], ALARM_STATUSES),
        "by_rule": {str(k): int(v) for k, v in by_rule.items()},
    }


def _counts(values: pd.Series, order: tuple[str, ...]) -> dict[str, int]:
    counts = values.value_counts()
    return {key: int(counts.get(key, 0)) for key in order}
