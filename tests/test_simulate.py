"""The simulated gateway: valid, rhythmic readings; posts to a real server; feeds a store."""

from __future__ import annotations

import threading
from datetime import datetime

import pandas as pd
import pytest
import uvicorn

from tests._live_fixtures import devices_frame, load_district
from twin_dashboard.app import create_app, services_of_app
from twin_dashboard.config import Settings
from twin_dashboard.domain.accounts import issue_api_token
from twin_dashboard.domain.ingest import READINGS, Ingestor
from twin_dashboard.domain.time import LOCAL_TZ
from twin_dashboard.domain.tokens import create_token
from twin_dashboard.live.background import start_background
from twin_dashboard.live.simulate import Simulator, run_gateway, start_simulator
from twin_dashboard.store.base import open_store
from twin_dashboard.testing import add_user, free_port, wait_until


def devices() -> list[dict]:
    return devices_frame(500).drop(columns="geometry").to_dict("records")


def at(hour: int) -> float:
    import zoneinfo

    return datetime(2026, 3, 2, hour, tzinfo=zoneinfo.ZoneInfo(LOCAL_TZ)).timestamp()


def test_readings_validate_and_follow_the_daily_rhythm():
    def home_share(hour: int) -> float:
        sim = Simulator(devices(), seed=3)
        batch = sim.readings(at(hour), 4000)
        READINGS.validate_python(batch)
        return sum(r["device_id"].startswith("h1-") and r.get("event") != "heartbeat"
                   for r in batch) / len(batch)

    assert home_share(8) > 2 * home_share(3)


def test_every_device_heartbeats_within_its_window():
    sim = Simulator(devices(), seed=1)
    seen: set[str] = set()
    start = at(10)
    for minute in range(0, 24 * 60, 10):
        batch = sim.readings(start + minute * 60, 0)
        seen |= {r["device_id"] for r in batch if r.get("event") == "heartbeat"}
    assert len(seen) >= 0.95 * len(devices())  # a few gateways may be silent


def test_start_simulator_feeds_the_store(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    load_district(store, extra_devices=200)
    stop = start_simulator(Ingestor(store), rate=200, tick_s=0.2, seed=2)
    try:
        wait_until(lambda: store.count("readings") >= 100, timeout=10, interval=0.1)
    finally:
        stop()
    assert store.count("readings") >= 100
    assert store.count("device_status") > 0
    assert set(store.read_records("readings")["gateway"]) == {"simulator"}


@pytest.fixture
def server(tmp_path):
    app = create_app(Settings(db_url=f"sqlite:///{tmp_path}/g.db", simulate=False), seed=False)
    store = services_of_app(app).store
    load_district(store, extra_devices=300)
    port = free_port()
    uv = uvicorn.Server(uvicorn.Config(app.server, host="127.0.0.1", port=port,
                                       log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    wait_until(lambda: uv.started, timeout=30, message="uvicorn did not start")
    yield f"http://127.0.0.1:{port}", store
    uv.should_exit = True
    thread.join(timeout=10)


@pytest.mark.slow  # a real uvicorn server on a loopback port
def test_run_gateway_posts_to_a_server(server):
    url, store = server
    token = create_token(store, "sim")
    add_user(store, "provisioner", "admin")
    reader = issue_api_token(store, "provisioner", pd.Timestamp.now(tz="UTC"))
    lines: list[str] = []
    run_gateway(url, rate=300, token=token, tick_s=0.25, duration_s=1.5, seed=5,
                echo=lines.append, read_token=reader)
    assert "308 devices" in lines[0]  # 8 fixed + 300 parking sensors
    assert store.count("readings") >= 200


def test_start_background_runs_the_simulator_when_asked(tmp_path):
    app = create_app(Settings(db_url=f"sqlite:///{tmp_path}/l.db", simulate=True), seed=False)
    services = services_of_app(app)
    load_district(services.store, extra_devices=50)
    stop = start_background(services)
    try:
        wait_until(lambda: services.store.count("readings") > 0, timeout=10, interval=0.1)
    finally:
        stop()
    assert services.store.count("readings") > 0
