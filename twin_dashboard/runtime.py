"""What a running app shares with its callbacks and API: the store and the clock.

``create_app`` binds one :class:`Runtime`; callbacks and API handlers ask for it with
:func:`runtime` instead of importing globals, so tests can build apps on their own stores.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from twin_dashboard.config import Settings
    from twin_dashboard.store.base import Store


def utc_now() -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC")


@dataclass
class Runtime:
    settings: Settings
    store: Store
    clock: object = field(default=utc_now)  # a callable returning a UTC pd.Timestamp

    def now(self) -> pd.Timestamp:
        return self.clock()  # type: ignore[operator]


_current: Runtime | None = None


def bind(rt: Runtime) -> Runtime:
    global _current
    _current = rt
    return rt


def runtime() -> Runtime:
    if _current is None:
        raise RuntimeError("no app is running: call create_app(settings) first")
    return _current
