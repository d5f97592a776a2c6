"""The live services ``serve`` runs beside the app: rules ticker, simulator, MQTT subscriber.

Started by :func:`start_live` after ``create_app`` and stopped when the server exits; tests that
build an app with ``create_app`` alone get none of them, so they stay deterministic.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from twin_dashboard.domain.ingest import ingestor_for, start_ticker
from twin_dashboard.domain.routing import LogNotifier, Notifier, WebhookNotifier
from twin_dashboard.runtime import Runtime

log = logging.getLogger(__name__)
WEBHOOK_ENV = "TWIN_ALARM_WEBHOOK"  # a URL: each alarm notice is POSTed there as JSON
TICK_S = 30.0  # how often absence rules and the ack window are judged
SIMULATED_RATE = 50.0  # readings per second of the demo's in-process gateway


def notifier_from_env() -> Notifier:
    url = os.environ.get(WEBHOOK_ENV)
    return WebhookNotifier(url) if url else LogNotifier()


def start_live(rt: Runtime) -> Callable[[], None]:
    """Start what ``rt.settings`` asks for; returns a function stopping all of it."""
    ingestor = ingestor_for(rt.store, clock=rt.now, notifier=notifier_from_env(),
                            background_notify=True)
    from twin_dashboard.domain.live_feed import hub_for, stop_hubs

    hub_for(rt.store, rt.now)  # buffer live events from start-up, not from the first screen
    stops = [stop_hubs, start_ticker(ingestor, TICK_S)]
    if rt.settings.simulate:
        from twin_dashboard.simulate import start_simulator

        stops.append(start_simulator(rt.store, rate=SIMULATED_RATE))
        log.info("simulated gateway: %s readings/s", SIMULATED_RATE)
    if rt.settings.mqtt_url:
        from twin_dashboard.mqtt import MqttIngest

        stops.append(MqttIngest(rt.settings.mqtt_url, ingestor).start().stop)

    def stop_all() -> None:
        for stop in reversed(stops):
            stop()

    return stop_all
