"""MQTT ingest through a real mosquitto on loopback: same validation, same idempotency."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess

import paho.mqtt.client as mqtt
import pytest

from tests._live_fixtures import load_district, reading
from twin_dashboard.domain.ingest import Ingestor
from twin_dashboard.live.mqtt import MqttIngest, parse_mqtt_url
from twin_dashboard.store.base import open_store
from twin_dashboard.testing import free_port, wait_until

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
pytestmark = pytest.mark.skipif(not shutil.which(MOSQUITTO),
                                reason="Debian's mosquitto is not installed")


@pytest.fixture
def broker(tmp_path):
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    proc = subprocess.Popen([MOSQUITTO, "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: listening(port), timeout=10, message="mosquitto did not listen")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return False
    return True


def publisher(port: int) -> mqtt.Client:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="test-gateway")
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def test_parse_mqtt_url():
    url = parse_mqtt_url("mqtt://u:p%40ss@127.0.0.1:1884/twin/readings/#")
    assert (url.host, url.port, url.topic, url.username, url.password) == (
        "127.0.0.1", 1884, "twin/readings/#", "u", "p@ss")
    assert parse_mqtt_url("mqtt://broker/t").port == 1883
    with pytest.raises(ValueError, match="not an MQTT URL"):
        parse_mqtt_url("http://broker/t")


def subscribed(broker: int, tmp_path, topic: str):
    """A store with the tiny district, a subscriber on ``topic`` feeding it, and a publisher."""
    store = open_store(f"sqlite:///{tmp_path / 'm.db'}")
    load_district(store)
    sub = MqttIngest(f"mqtt://127.0.0.1:{broker}/{topic}", Ingestor(store)).start()
    assert sub.subscribed.wait(10)
    return store, sub, publisher(broker)


@pytest.mark.slow  # a real mosquitto
def test_round_trip_validation_and_idempotency(broker, tmp_path):
    store, sub, pub = subscribed(broker, tmp_path, "twin/readings")
    array = json.dumps([reading(i, event="heartbeat") for i in range(3)])
    ndjson = "\n".join(json.dumps(reading(f"n{i}", "h1-door", event="open")) for i in range(2))
    single = json.dumps(reading("one", "h1-smoke", event="smoke"))
    bad = json.dumps([reading("ok-but-refused"), reading("x", ts="2026-01-01T00:00:00")])
    unknown = json.dumps([reading("u1", device="nope")])
    for payload in (array, ndjson, single, array, bad, unknown):  # array twice: duplicates
        pub.publish("twin/readings", payload, qos=1).wait_for_publish(5)
    wait_until(lambda: sub.stats.messages == 6)
    pub.disconnect()
    sub.stop()
    assert store.count("readings") == 6
    assert (sub.stats.accepted, sub.stats.duplicates, sub.stats.refused) == (6, 3, 2)
    assert store.read_records("alarms")["rule"].tolist() == ["smoke"]
    store.close()


@pytest.mark.slow  # a real mosquitto
def test_serve_settings_start_the_subscriber(broker, tmp_path):
    """What ``serve --mqtt URL`` runs: the background subscribes when settings.mqtt_url is set."""
    from twin_dashboard.app import create_app, services_of_app
    from twin_dashboard.config import Settings
    from twin_dashboard.live.background import start_background

    app = create_app(Settings(db_url=f"sqlite:///{tmp_path / 's.db'}", simulate=False,
                              mqtt_url=f"mqtt://127.0.0.1:{broker}/gw/+/readings"), seed=False)
    rt = services_of_app(app)
    load_district(rt.store)
    stop = start_background(rt)
    try:
        pub = publisher(broker)

        def stored() -> bool:  # publish again until the subscriber is up and has stored it
            if rt.store.count("readings"):
                return True
            pub.publish("gw/7/readings", json.dumps([reading("live")]), qos=1)
            return False

        wait_until(stored, timeout=10, interval=0.2)
        pub.disconnect()
    finally:
        stop()
    assert rt.store.count("readings") == 1


@pytest.mark.slow  # a real mosquitto
def test_fail001_each_topic_is_its_own_gateway_stream(broker, tmp_path):
    """Under a wildcard, two gateways' topics may reuse reading ids; a resend is a duplicate."""
    store, sub, pub = subscribed(broker, tmp_path, "gw/+/readings")
    array = json.dumps([reading(i, event="heartbeat") for i in range(2)])
    for topic in ("gw/a/readings", "gw/b/readings", "gw/a/readings"):
        pub.publish(topic, array, qos=1).wait_for_publish(5)
    wait_until(lambda: sub.stats.messages == 3, timeout=10)
    pub.disconnect()
    sub.stop()
    assert (sub.stats.accepted, sub.stats.duplicates) == (4, 2)
    assert sorted(set(store.read_records("readings")["gateway"])) == [
        "mqtt:gw/a/readings", "mqtt:gw/b/readings"]
    store.close()
