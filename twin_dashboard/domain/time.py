"""Times in the domain: everything is compared as timezone-aware UTC timestamps.

The store hands back UTC timestamps; callers may pass ``now`` as a naive timestamp, a string or
a local time. Normalising here once keeps every figure comparable (a naive/aware comparison
raises in pandas) and makes replay possible: every function takes ``now`` instead of reading
the clock.
"""

from __future__ import annotations

import pandas as pd

HOUR = pd.Timedelta(hours=1)
LOCAL_TZ = "Asia/Shanghai"  # the district's clock, for calendar days in charts


def as_utc(moment: pd.Timestamp | str) -> pd.Timestamp:
    """``moment`` as an aware UTC timestamp; a naive one is taken to be UTC already."""
    stamp = pd.Timestamp(moment)
    if pd.isna(stamp):
        raise ValueError(f"not a time: {moment!r}")
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def utc_now() -> pd.Timestamp:
    """The current time, to whole seconds (the store keeps seconds)."""
    return pd.Timestamp.now(tz="UTC").floor("s")


def as_utc_series(values: pd.Series) -> pd.Series:
    """A column of times as aware UTC timestamps (strings, naive or aware values)."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert("UTC")
    return pd.to_datetime(values, utc=True, format="ISO8601")


def hours_since(times: pd.Series, now: pd.Timestamp) -> pd.Series:
    """Hours from each time to ``now`` as floats (NaN where the time is missing)."""
    return (as_utc(now) - as_utc_series(times)) / HOUR
