"""Helpers for tests and benchmarks of a running twin-dashboard (geopandas ships its testing.py)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any
from urllib.request import urlopen

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


def wait_until(predicate: Callable[[], Any], timeout: float = 10, interval: float = 0.05,
               message: str = "") -> Any:
    """Poll ``predicate`` until it returns something truthy, and return that.

    TimeoutError if it is still falsy after ``timeout`` seconds; the last poll comes at or after
    the deadline, so a condition met while the test slept is not missed.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    raise TimeoutError(message or f"condition not met within {timeout:g} s")


def timed(fn: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    """Milliseconds of ``runs`` calls of ``fn`` (after one warm-up) and the last result."""
    result = fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return times, result


def serve_command(db_url: str, port: int, *, test_hooks: bool = False) -> list[str]:
    """The real ``twin-dashboard serve`` on loopback, without the simulator; ``test_hooks``:
    its pages expose ``window.twinMap`` / ``window.twinLive`` to a browser test."""
    return [sys.executable, "-m", "twin_dashboard", "serve", "--no-simulate",
            "--port", str(port), "--db", db_url, *(["--test-hooks"] if test_hooks else [])]


def wait_healthy(url: str, proc: subprocess.Popen | None = None, timeout_s: float = 60) -> None:
    """Return once ``url``/healthz answers; RuntimeError if it does not or ``proc`` exits."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status < 500:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not become healthy in {timeout_s:.0f} s")
