"""How fresh each data source is: one rule for /healthz and the screens' badges."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

# A source that has not delivered for this long is stale (seconds).
STALE_AFTER_S: dict[str, float] = {"sensors": 300, "incidents": 6 * 3600,
                                   "patrols": 48 * 3600, "geodata": float("inf")}
DEFAULT_STALE_AFTER_S = 3600.0


@dataclass(frozen=True)
class Freshness:
    name: str
    updated_at: pd.Timestamp
    age_seconds: float
    stale: bool


def source_freshness(sources: pd.DataFrame, now: pd.Timestamp) -> list[Freshness]:
    """Per source (rows of ``store.sources()``): its age at ``now`` and whether it is stale."""
    out = []
    for row in sources.itertuples(index=False):
        updated = pd.Timestamp(row.updated_at)
        age = (now - updated).total_seconds()
        limit = STALE_AFTER_S.get(row.name, DEFAULT_STALE_AFTER_S)
        out.append(Freshness(row.name, updated, age, age > limit))
    return out
