"""MQTT ingest: ``serve --mqtt mqtt://host:port/topic`` subscribes to a real broker.

Each message is one batch — a JSON array, NDJSON, or a single JSON object — validated exactly as
``POST /api/v1/readings`` validates a body (an invalid item refuses its whole message). Messages
are taken at QoS 1 with a persistent session and acknowledged only after their readings are
committed, so a crash before the commit makes the broker deliver them again; the idempotency
key (the topic as gateway, ``reading_id``) makes that redelivery harmless. Valid messages that
arrive together are stored in one transaction (up to ``batch_messages`` messages), which is what
makes thousands per second possible.
Authentication is the broker's job (its ACLs decide who may publish to the topic).
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass, field
from urllib.parse import unquote

import paho.mqtt.client as mqtt
import pandas as pd

from twin_dashboard.config import Settings
from twin_dashboard.domain.ingest import BatchRefused, Ingestor, parse_batch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MqttUrl:
    host: str
    port: int
    topic: str
    username: str | None = None
    password: str | None = None


def parse_mqtt_url(url: str) -> MqttUrl:
    """``mqtt://[user[:pass]@]host[:port]/topic`` (the topic may hold ``/``, ``+`` and ``#``)."""
    scheme, sep, rest = url.partition("://")
    if scheme != "mqtt" or not sep:
        raise ValueError(f"not an MQTT URL: {url!r} (expected mqtt://host:port/topic)")
    netloc, _, topic = rest.partition("/")
    userinfo, _, hostport = netloc.rpartition("@")
    host, _, port = hostport.partition(":")
    if not host or not topic:
        raise ValueError(f"MQTT URL needs a host and a topic: {url!r}")
    user, _, password = userinfo.partition(":")
    return MqttUrl(host, int(port or 1883), unquote(topic), unquote(user) or None,
                   unquote(password) or None)


def mqtt_gateway(topic: str) -> str:
    """The gateway stream of a message: its topic (reading ids are unique per gateway)."""
    return f"mqtt:{topic}"


@dataclass
class MqttStats:
    messages: int = 0
    accepted: int = 0
    duplicates: int = 0
    refused: int = 0  # messages refused whole
    errors: list[str] = field(default_factory=list)  # the last few refusals, for the log


class MqttIngest:
    """A subscriber feeding an :class:`Ingestor`; ``start()`` / ``stop()``."""

    def __init__(self, url: str, ingestor: Ingestor, client_id: str = "twin-dashboard-ingest",
                 batch_messages: int = 1000,
                 max_bytes: int = Settings.max_batch_bytes) -> None:
        self.url, self.ingestor = parse_mqtt_url(url), ingestor
        self.max_bytes = max_bytes
        self.batch_messages = batch_messages
        self.stats = MqttStats()
        self._queue: queue.Queue[mqtt.MQTTMessage | None] = queue.Queue()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                                  clean_session=False, manual_ack=True)
        if self.url.username:
            self.client.username_pw_set(self.url.username, self.url.password)
        self.client.on_connect = self._on_connect
        self.client.on_message = lambda _c, _u, msg: self._queue.put(msg)
        self._worker = threading.Thread(target=self._work, name="mqtt-ingest", daemon=True)
        self.subscribed = threading.Event()

    def start(self) -> MqttIngest:
        self._worker.start()
        self.client.on_subscribe = lambda *_: self.subscribed.set()
        self.client.connect_async(self.url.host, self.url.port, keepalive=30)
        self.client.loop_start()
        return self

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        self._queue.put(None)
        self._worker.join(timeout=10)

    def _on_connect(self, client: mqtt.Client, _u, _f, reason, _p) -> None:
        if reason.is_failure:
            log.warning("MQTT connect to %s failed: %s", self.url.host, reason)
            return
        client.subscribe(self.url.topic, qos=1)  # again after every reconnect
        log.info("MQTT: subscribed to %s on %s:%s", self.url.topic, self.url.host, self.url.port)

    def _work(self) -> None:
        while (batch := self._next_batch()) is not None:
            try:
                self._ingest(batch)
            except Exception:  # not acked: the broker redelivers after a reconnect
                log.exception("MQTT batch of %d messages failed", len(batch))

    def _next_batch(self) -> list[mqtt.MQTTMessage] | None:
        """Block for one message, then take what else is queued (no waiting: the broker holds
        back further QoS 1 messages until these are acknowledged)."""
        first = self._queue.get()
        if first is None:
            return None
        batch = [first]
        while len(batch) < self.batch_messages:
            try:
                msg = self._queue.get_nowait()
            except queue.Empty:
                break
            if msg is None:
                self._queue.put(None)
                break
            batch.append(msg)
        return batch

    def _ingest(self, batch: list[mqtt.MQTTMessage]) -> None:
        """Validate each message alone; store the valid ones together; then ack them all."""
        readings, gateways, now = [], [], self.ingestor.clock()
        for msg in batch:
            try:
                valid = self._valid(msg.payload, now)
            except BatchRefused as err:
                self._refused(msg, err)
                continue
            readings += valid
            gateways += [mqtt_gateway(msg.topic)] * len(valid)
        if readings:
            result = self.ingestor.ingest(readings, checked=True, gateway=gateways)
            self.stats.accepted += result.accepted
            self.stats.duplicates += result.duplicates
        self.stats.messages += len(batch)
        for msg in batch:
            self.client.ack(msg.mid, msg.qos)

    def _valid(self, payload: bytes, now: pd.Timestamp) -> list:
        if len(payload) > self.max_bytes:
            raise BatchRefused([{"index": None, "field": None, "reason": "message too large"}])
        readings = parse_batch(payload, ndjson=not payload.lstrip().startswith(b"["))
        self.ingestor.check(readings, now)
        return readings

    def _refused(self, msg: mqtt.MQTTMessage, err: BatchRefused) -> None:
        self.stats.refused += 1
        note = f"{msg.topic}: {err.errors[:3]}"
        self.stats.errors = (self.stats.errors + [note])[-10:]
        log.warning("MQTT message refused: %s", note)
