"""Small checks shared by the domain functions: fail early with a message naming the input."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise ``ValueError`` naming ``what`` and the missing columns, if any are missing."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {', '.join(missing)}")


def require_known(values: pd.Series, known: Iterable[str], what: str) -> None:
    """Raise ``ValueError`` when ``values`` holds anything outside the vocabulary ``known``."""
    unknown = sorted(set(values.dropna().unique()) - set(known))
    if unknown:
        raise ValueError(f"unknown {what}: {', '.join(map(str, unknown[:5]))}")


def share(part: int | float, whole: int | float) -> float:
    """``part / whole`` as a float, 0.0 for an empty whole (a JSON-safe figure, never NaN)."""
    return float(part) / float(whole) if whole else 0.0
