"""Background threads of a running server: the notice outbox and the rules ticker."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from twin_dashboard.domain import routing
from twin_dashboard.domain.ingest import Ingestor
from twin_dashboard.store.base import Store, StoreUnavailable

log = logging.getLogger(__name__)


class NoticeOutbox:
    """Delivers alarm notices from a thread of its own: a slow webhook must not hold up ingest."""

    def __init__(self, store: Store, notifier: routing.Notifier) -> None:
        self.store, self.notifier = store, notifier
        self._queue: queue.SimpleQueue[list[routing.Notice] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="notify", daemon=True)

    def start(self) -> NoticeOutbox:
        self._thread.start()
        return self

    def put(self, notices: list[routing.Notice]) -> None:
        self._queue.put(notices)

    def stop(self) -> None:
        self._queue.put(None)

    def _run(self) -> None:
        while (notices := self._queue.get()) is not None:
            try:
                routing.deliver(self.store, self.notifier, notices)
            except Exception:  # e.g. the store is closing; the next batch tries again
                log.exception("delivering %d notices failed", len(notices))


def start_ticker(ingestor: Ingestor, every_s: float = 30.0) -> Callable[[], None]:
    """Run :meth:`Ingestor.tick` every ``every_s`` seconds in a daemon thread; returns stop()."""
    return start_every(ingestor.tick, every_s, "rules tick")


def start_every(work: Callable[[], object], every_s: float, name: str) -> Callable[[], None]:
    """Run ``work`` every ``every_s`` seconds in a daemon thread; returns stop(). A failing
    run is logged and the next one tries again."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(every_s):
            try:
                work()
            except StoreUnavailable as err:  # a read-only or full store: no traceback
                log.warning("%s: the store cannot take writes: %s", name, err)
            except Exception:  # keep going on the next tick
                log.exception("%s failed", name)

    threading.Thread(target=loop, name=name.replace(" ", "-"), daemon=True).start()
    return stop.set
