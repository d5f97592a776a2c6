"""Readings ingested per second over HTTP batches and over MQTT, checking nothing was lost.

    python bench/bench_ingest.py                       # both, 25,000 devices
    python bench/bench_ingest.py --http-readings 400000 --batch 5000 --mqtt-per-message 50

HTTP: a real ``twin-dashboard serve --no-simulate`` subprocess, a client posting pre-serialized
JSON batches over two keep-alive connections. MQTT: Debian's mosquitto on loopback, the
``MqttIngest`` subscriber in this process, a publisher in a child process (its own core).
Both end by counting the stored readings: the figure only counts if every reading is there.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import orjson
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests._live_fixtures import load_district  # noqa: E402
from twin_dashboard.domain.ingest import Ingestor  # noqa: E402
from twin_dashboard.domain.tokens import create_token  # noqa: E402
from twin_dashboard.store.base import open_store  # noqa: E402
from twin_dashboard.testing import free_port

EVENTS = ("heartbeat", "open", "close", "motion", None)


def make_readings(n: int, devices: int, prefix: str) -> list[dict]:
    now = pd.Timestamp.now(tz="Asia/Shanghai").floor("s")
    out = []
    for i in range(n):
        r = {"reading_id": f"{prefix}{i}", "device_id": f"p{i * 7919 % devices:05d}",
             "ts": (now - pd.Timedelta(seconds=(n - i) % 3600)).isoformat(), "battery": 0.8}
        if EVENTS[i % 5]:
            r["event"] = EVENTS[i % 5]
        else:
            r["value"] = float(i % 100)
        out.append(r)
    return out


def setup_db(folder: Path, devices: int, db_url: str | None = None) -> tuple[str, str]:
    db_url = db_url or f"sqlite:///{folder / 'bench.db'}"
    store = open_store(db_url)
    load_district(store, extra_devices=devices)
    token = create_token(store, "bench")
    store.close()
    return db_url, token


def wait_http(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/healthz", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def bench_http(folder: Path, args: argparse.Namespace, db_url: str | None = None) -> float:
    """``db_url``: another store than a SQLite file in ``folder`` (bench_ingest_postgis.py)."""
    db_url, token = setup_db(folder / "http", args.devices, db_url)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "twin_dashboard", "serve", "--no-simulate",
                               "--port", str(port), "--db", db_url], start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url)
        readings = make_readings(args.http_readings, args.devices, "h")
        bodies = [orjson.dumps(readings[i:i + args.batch])
                  for i in range(0, len(readings), args.batch)]
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        clients = [httpx.Client(headers=headers, timeout=120) for _ in range(2)]

        def post(i: int) -> int:
            response = clients[i % 2].post(f"{url}/api/v1/readings", content=bodies[i])
            response.raise_for_status()
            return response.json()["accepted"]

        started = time.perf_counter()
        with ThreadPoolExecutor(2) as pool:
            accepted = sum(pool.map(post, range(len(bodies))))
        elapsed = time.perf_counter() - started
    finally:
        os.kill(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    stored = open_store(db_url).count("readings")
    assert accepted == stored == len(readings), (accepted, stored, len(readings))
    rate = len(readings) / elapsed
    engine = db_url.split(":", 1)[0]
    print(f"HTTP  {engine:<10} {len(readings):>8,} readings in batches of {args.batch:,}: "
          f"{elapsed:6.2f} s  {rate:>9,.0f} readings/s  stored {stored:,} (nothing lost)")
    return rate


PUBLISHER = """
import sys, orjson, paho.mqtt.client as mqtt
port, topic, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
payloads = orjson.loads(open(path, 'rb').read())
c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id='bench-pub', clean_session=True)
c.max_inflight_messages_set(1000)
c.max_queued_messages_set(0)
c.connect('127.0.0.1', port)
c.loop_start()
infos = [c.publish(topic, p.encode(), qos=1) for p in payloads]
for i in infos: i.wait_for_publish(120)
c.disconnect(); c.loop_stop()
"""


def start_broker(folder: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    conf = folder / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                    "max_queued_messages 1000000\nmax_inflight_messages 1000\n")
    broker = subprocess.Popen([shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c",
                               str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    return broker, port


def bench_mqtt(folder: Path, args: argparse.Namespace) -> float:
    from twin_dashboard.live.mqtt import MqttIngest

    (folder / "mqtt").mkdir()
    db_url, _ = setup_db(folder / "mqtt", args.devices)
    broker, port = start_broker(folder)
    store = open_store(db_url)
    sub = MqttIngest(f"mqtt://127.0.0.1:{port}/bench/readings", Ingestor(store)).start()
    try:
        assert sub.subscribed.wait(10)
        readings = make_readings(args.mqtt_readings, args.devices, "m")
        k = args.mqtt_per_message
        payloads = ["\n".join(json.dumps(r) for r in readings[i:i + k])
                    for i in range(0, len(readings), k)]
        path = folder / "payloads.json"
        path.write_bytes(orjson.dumps(payloads))
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", PUBLISHER, str(port), "bench/readings", str(path)],
                       check=True)
        while sub.stats.messages < len(payloads):
            time.sleep(0.01)
        elapsed = time.perf_counter() - started
    finally:
        sub.stop()
        broker.terminate()
        broker.wait(timeout=10)
    stored = store.count("readings")
    assert stored == len(readings) and sub.stats.refused == 0, (stored, sub.stats)
    rate = len(readings) / elapsed
    print(f"MQTT  {len(readings):>8,} readings, {k} per message ({len(payloads):,} messages, "
          f"QoS 1): {elapsed:6.2f} s  {rate:>9,.0f} readings/s  stored {stored:,} "
          "(nothing lost)")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=25_000)
    parser.add_argument("--http-readings", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--mqtt-readings", type=int, default=50_000)
    parser.add_argument("--mqtt-per-message", type=int, default=10)
    parser.add_argument("--only", choices=("http", "mqtt"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "http").mkdir()
        if args.only != "mqtt":
            bench_http(folder, args)
        if args.only != "http":
            bench_mqtt(folder, args)


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    main()
