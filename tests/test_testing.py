"""twin_dashboard.testing: the helpers the tests and benchmarks wait and time with."""

from __future__ import annotations

import time

import pytest

from twin_dashboard.testing import wait_until


def test_wait_until_returns_the_first_truthy_value():
    calls = iter([None, 0, "", "ready"])
    assert wait_until(lambda: next(calls), timeout=5, interval=0) == "ready"


def test_wait_until_raises_after_the_timeout_having_asked_at_the_deadline():
    asked: list[float] = []
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="nothing came"):
        wait_until(lambda: asked.append(time.monotonic()), timeout=0.2, interval=0.05,
                   message="nothing came")
    assert len(asked) >= 2 and asked[-1] - started >= 0.2
