"""One locked read-through of a bounded cache, for the objects that own caches (Atlas, the
search index): concurrent callers compute a missing entry once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

from cachetools import Cache

T = TypeVar("T")


def cached(lock: threading.Lock | threading.RLock, cache: Cache, key: Hashable,
           compute: Callable[[], T]) -> T:
    """``cache[key]``, computed once under ``lock`` when missing or expired."""
    with lock:
        try:
            return cache[key]
        except KeyError:
            value = cache[key] = compute()
            return value
