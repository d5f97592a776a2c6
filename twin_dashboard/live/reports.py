"""Reports made to order and on a schedule: the one path from (scope, kind, day) to a file.

``GET /api/v1/reports/…``, ``twin-dashboard report`` and ``serve --schedule HH:MM`` all call
:func:`make_report`. The schedule writes, once a day at HH:MM on the district's clock, the
district's daily report of the day before and, on Mondays, the weekly report of the week
before, as PDF and XLSX into ``Settings.reports_dir`` (default ``<data folder>/reports``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from pathlib import Path

import pandas as pd

from twin_dashboard.domain.reports import FORMATS, build_report, report_period
from twin_dashboard.domain.time import LOCAL_TZ, as_utc
from twin_dashboard.services import Services
from twin_dashboard.store.base import Scope, Store
from twin_dashboard.views.reports import file_name, render_report

log = logging.getLogger(__name__)
CHECK_S = 30.0  # how often the schedule looks at the clock


def make_report(store: Store, scope: Scope, kind: str, day: date, now: pd.Timestamp,
                fmt: str, lang: str = "zh", charts: bool = True) -> tuple[str, bytes]:
    """(file name, bytes) of the ``kind`` report of ``day`` over ``scope`` (already checked
    against the caller), judged at ``now``."""
    report = build_report(store, scope, report_period(kind, day, now), now)
    return file_name(report, fmt), render_report(report, fmt, lang, charts)


def parse_at(text: str) -> time:
    """``HH:MM`` (24 h) → a time; ``ValueError`` naming the option otherwise."""
    try:
        at = time.fromisoformat(text)
    except ValueError:
        at = None
    if at is None or len(text) != 5:
        raise ValueError(f"--schedule: {text!r} is not a time HH:MM")
    return at


@dataclass
class ReportSchedule:
    """The daily report run: :meth:`tick` writes what is due at ``services.now()``."""

    services: Services
    at: time
    out_dir: Path
    lang: str = "zh"
    done: date | None = field(default=None)  # the last local day the run was made

    def due(self, now: pd.Timestamp) -> date | None:
        """The local day whose run is due at ``now`` (HH:MM passed, not yet made), else None."""
        local = as_utc(now).tz_convert(LOCAL_TZ)
        today = local.date()
        if local.time() < self.at or self.done == today:
            return None
        return today

    def tick(self) -> list[Path]:
        """Write the reports due now (none most of the time); returns the files written."""
        now = self.services.now()
        today = self.due(now)
        if today is None:
            return []
        self.done = today
        kinds = ("daily", "weekly") if today.weekday() == 0 else ("daily",)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for kind in kinds:
            for fmt in FORMATS:
                name, body = make_report(self.services.store, Scope(), kind,
                                         today - timedelta(days=1), now, fmt, self.lang)
                path = self.out_dir / name
                path.write_bytes(body)
                written.append(path)
        log.info("reports written: %s", ", ".join(p.name for p in written))
        return written

    def start(self, every_s: float = CHECK_S) -> Callable[[], None]:
        """Tick every ``every_s`` seconds in a daemon thread; returns stop() (joins it)."""
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(every_s):
                try:
                    self.tick()
                except Exception:  # a failed run is logged; the next day's still runs
                    log.exception("scheduled reports failed")

        thread = threading.Thread(target=loop, name="report-schedule", daemon=True)
        thread.start()

        def halt() -> None:
            stop.set()
            thread.join(timeout=every_s + 5)

        return halt
