"""What ``serve`` runs beside the app: notice outbox, live hub, rules ticker, SLA watch,
simulator, MQTT, report schedule.

Started by :func:`start_background` after ``create_app`` and stopped when the server exits; tests
that build an app with ``create_app`` alone get none of them, so they stay deterministic.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from twin_dashboard.domain.routing import LogNotifier, Notifier, WebhookNotifier
from twin_dashboard.live.sla import SLA_WATCH_S, SlaWatch
from twin_dashboard.live.workers import NoticeOutbox, start_every, start_ticker
from twin_dashboard.services import Services

log = logging.getLogger(__name__)
WEBHOOK_ENV = "TWIN_ALARM_WEBHOOK"  # a URL: each alarm notice is POSTed there as JSON
TICK_S = 30.0  # how often absence rules and the ack window are judged
SIMULATED_RATE = 50.0  # readings per second of the demo's in-process gateway


def notifier_from_env() -> Notifier:
    url = os.environ.get(WEBHOOK_ENV)
    return WebhookNotifier(url) if url else LogNotifier()


def start_background(services: Services) -> Callable[[], None]:
    """Start what ``services.settings`` asks for; returns a function stopping all of it.

    Every worker sends its own notices and publishes its own live events; the rest runs in the
    one worker the bus chooses (with ``--bus``: whoever holds Redis's leader key)."""
    ingestor = services.ingestor
    outbox = NoticeOutbox(services.store, notifier_from_env()).start()
    ingestor.notifier, ingestor.deliver = outbox.notifier, outbox.put
    services.hub.start(ingestor)  # buffer live events from start-up, not from the first screen
    # Jobs that must run once however many workers serve: in one of them (the bus decides).
    stops = [outbox.stop, services.hub.bus.lead(lambda: _once_only(services))]
    return lambda: _stop_all(stops)


def _once_only(services: Services) -> Callable[[], None]:
    """The rules ticker, SLA watch, simulator, report schedule and MQTT subscriber; returns a
    function stopping them."""
    ingestor = services.ingestor
    stops = [start_ticker(ingestor, TICK_S),
             start_every(SlaWatch(services).tick, SLA_WATCH_S, "SLA watch")]
    if services.settings.simulate:
        from twin_dashboard.live.simulate import start_simulator

        stops.append(start_simulator(ingestor, rate=SIMULATED_RATE))
        log.info("simulated gateway: %s readings/s", SIMULATED_RATE)
    if services.settings.report_at:
        stops.append(_report_schedule(services))
    if services.settings.mqtt_url:
        from twin_dashboard.live.mqtt import MqttIngest

        stops.append(MqttIngest(services.settings.mqtt_url, ingestor,
                                max_bytes=services.settings.max_batch_bytes).start().stop)
    return lambda: _stop_all(stops)


def _stop_all(stops: list[Callable[[], None]]) -> None:
    for stop in reversed(stops):
        stop()


def _report_schedule(services: Services) -> Callable[[], None]:
    from twin_dashboard.config import default_data_dir
    from twin_dashboard.live.reports import ReportSchedule, parse_at

    settings = services.settings
    out = settings.reports_dir or default_data_dir() / "reports"
    log.info("reports: daily at %s into %s", settings.report_at, out)
    return ReportSchedule(services, parse_at(settings.report_at or ""), out).start()
