"""Helpers for tests and benchmarks of a running twin-dashboard (geopandas ships its testing.py)."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

import pandas as pd


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FixedClock:
    """A clock for ``Runtime``/``Ingestor`` that says what the test sets."""

    def __init__(self, at: pd.Timestamp) -> None:
        self.at = at

    def __call__(self) -> pd.Timestamp:
        return self.at


def timed(fn: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    """Milliseconds of ``runs`` calls of ``fn`` (after one warm-up) and the last result."""
    result = fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return times, result
