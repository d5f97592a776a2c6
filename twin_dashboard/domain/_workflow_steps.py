"""The changes each workflow action makes to an incident row (``workflow.py`` decides whether
it may be taken; these only compute). Times are epoch seconds, as the store keeps them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from twin_dashboard.catalog import LEVEL_SLA_HOURS, LEVELS

# Hours to resolve per incident kind, where a kind must go faster than its level (none yet):
# ``{"gas_leak": {"property": 2}}``. Otherwise ``catalog.LEVEL_SLA_HOURS``.
KIND_SLA_HOURS: dict[str, dict[str, float]] = {}
NOTE_MAX = 500  # characters of a reason or note kept in a step


def is_set(value: Any) -> bool:
    """Whether a column holds a value (``None``, NaN and NaT do not)."""
    return value is not None and not (not isinstance(value, str) and pd.isna(value))


def sla_hours(level: str, kind: str | None = None) -> float:
    """Hours a level has to resolve an incident (of ``kind``, where it has its own)."""
    return KIND_SLA_HOURS.get(kind or "", {}).get(level, LEVEL_SLA_HOURS[level])


Step = tuple[dict[str, Any], str, str | None]  # changes, level after, note


def _dispatch(inc: Mapping[str, Any], _actor: str, now_s: int, p: dict[str, Any]) -> Step:
    level = p.get("level") or inc["level"]
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}: one of {', '.join(LEVELS)}")
    assignee = p.get("assignee") or None
    return ({"status": "dispatched", "level": level, "dispatched_at": now_s,
             "assignee": assignee, "accepted_at": None, "started_at": None,
             "sla_due_at": _due(level, now_s, inc)},
            level, f"assignee {assignee}" if assignee else None)


def _accept(inc: Mapping[str, Any], actor: str, now_s: int, _p: dict[str, Any]) -> Step:
    assignee = inc.get("assignee") if is_set(inc.get("assignee")) else actor
    return {"accepted_at": now_s, "assignee": assignee}, inc["level"], None


def _start(inc: Mapping[str, Any], _actor: str, now_s: int, _p: dict[str, Any]) -> Step:
    return {"status": "in_progress", "started_at": now_s}, inc["level"], None


def _escalate(inc: Mapping[str, Any], _actor: str, now_s: int, p: dict[str, Any]) -> Step:
    level = LEVELS[LEVELS.index(inc["level"]) + 1]
    return ({"status": "dispatched", "level": level, "assignee": None, "accepted_at": None,
             "started_at": None, "sla_due_at": _due(level, now_s, inc)},
            level, _reason(p, "escalate"))


def _resolve(inc: Mapping[str, Any], _actor: str, now_s: int, p: dict[str, Any]) -> Step:
    return {"status": "resolved", "resolved_at": now_s}, inc["level"], _note(p.get("note"))


def _verify(inc: Mapping[str, Any], _actor: str, now_s: int, p: dict[str, Any]) -> Step:
    return {"verified_at": now_s}, inc["level"], _note(p.get("note"))


def _close(inc: Mapping[str, Any], _actor: str, now_s: int, p: dict[str, Any]) -> Step:
    return {"status": "closed", "closed_at": now_s}, inc["level"], _note(p.get("note"))


def _reopen(inc: Mapping[str, Any], _actor: str, now_s: int, p: dict[str, Any]) -> Step:
    times = int(inc["reopened"]) if is_set(inc.get("reopened")) else 0
    return ({"status": "dispatched", "resolved_at": None, "verified_at": None,
             "closed_at": None, "accepted_at": None, "started_at": None,
             "reopened": times + 1, "sla_due_at": _due(inc["level"], now_s, inc)},
            inc["level"], _reason(p, "reopen"))


STEPS: dict[str, Callable[[Mapping[str, Any], str, int, dict[str, Any]], Step]] = {
    "dispatch": _dispatch, "accept": _accept, "start": _start, "escalate": _escalate,
    "resolve": _resolve, "verify": _verify, "close": _close, "reopen": _reopen,
}


def _due(level: str, now_s: int, inc: Mapping[str, Any]) -> int:
    return now_s + int(sla_hours(level, inc.get("kind")) * 3600)


def _reason(params: dict[str, Any], action: str) -> str:
    reason = _note(params.get("reason"))
    if not reason:
        raise ValueError(f"{action} needs a reason")
    return reason


def _note(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text[:NOTE_MAX] or None


def epoch(value: Any) -> int:
    if isinstance(value, int | float):
        return int(value)
    return int(pd.Timestamp(value).timestamp())
