"""A store that cannot take writes (read-only file, full disk) is reported, never a bare 500.

Tests run as root, where ``chmod 0444`` stops no write; ``?mode=ro`` makes SQLite itself refuse
writes exactly as it does for a read-only file (``attempt to write a readonly database``), and
``PRAGMA max_page_count`` makes it answer ``database or disk is full`` for real.
"""

from __future__ import annotations

import logging

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from tests._live_fixtures import add_other_neighborhood, load_district, reading
from twin_dashboard.app import create_app, services_of_app, warn_if_unwritable
from twin_dashboard.config import Settings
from twin_dashboard.domain.accounts import issue_api_token
from twin_dashboard.domain.ingest import Ingestor
from twin_dashboard.domain.tokens import create_token
from twin_dashboard.store.base import StoreUnavailable, open_store
from twin_dashboard.testing import add_user

T0 = pd.Timestamp.now(tz="UTC").floor("s")


@pytest.fixture
def read_only(tmp_path):
    """An app on a store holding a district, a gateway token and one alarm, opened mode=ro."""
    url = f"sqlite:///{tmp_path}/t.db"
    store = open_store(url)
    load_district(store)
    add_other_neighborhood(store)  # the places a cadre's account names
    token = create_token(store, "gw")
    add_user(store, "cadre", "cadre", neighborhoods=("yunfang",), person="p-cadre")
    personal = issue_api_token(store, "cadre", T0)  # sessions are writes: a token reads only
    alarm_id = Ingestor(store).ingest([{"reading_id": "s1", "device_id": "h1-smoke",
                                        "ts": T0, "event": "smoke"}]).alarms[0]
    store.touch_source("sensors", pd.Timestamp.now(tz="UTC"))
    store.close()
    app = create_app(Settings(db_url=f"{url}?mode=ro", simulate=False), seed=False)
    with TestClient(app.server, base_url="http://localhost") as client:
        client.headers["Authorization"] = f"Bearer {personal}"
        yield client, token, alarm_id, services_of_app(app)


def test_fail002_healthz_reports_a_read_only_store(read_only):
    client, *_ = read_only
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert "readonly database" in body["error"]


def test_fail002_writes_answer_503_naming_the_reason(read_only):
    client, token, alarm_id, _ = read_only
    posted = client.post("/api/v1/readings", json=[reading(1, event="heartbeat")],
                         headers={"Authorization": f"Bearer {token}"})
    assert posted.status_code == 503, posted.text
    assert "attempt to write a readonly database" in posted.json()["detail"]
    assert posted.headers["Retry-After"]
    for action in ("ack", "close", "escalate", "incident"):
        acted = client.post(f"/api/v1/alarms/{alarm_id}/{action}")
        assert acted.status_code == 503, (action, acted.text)
        assert "readonly database" in acted.json()["detail"]
    # Reads still answer.
    assert client.get(f"/api/v1/alarms/{alarm_id}").status_code == 200
    assert client.get("/api/v1/layers/devices").status_code == 200


def test_fail002_serve_warns_at_start(read_only, caplog):
    *_, services = read_only
    with caplog.at_level(logging.WARNING, logger="twin_dashboard.app"):
        assert warn_if_unwritable(services) is True
    assert "the store cannot take writes" in caplog.text
    assert "readonly database" in caplog.text


def test_fail002_a_writable_store_is_healthy_and_not_warned(tmp_path, caplog):
    app = create_app(Settings(db_url=f"sqlite:///{tmp_path}/w.db", simulate=False), seed=False)
    services = services_of_app(app)
    services.store.touch_source("sensors", pd.Timestamp.now(tz="UTC"))
    with caplog.at_level(logging.WARNING):
        assert warn_if_unwritable(services) is False
    with TestClient(app.server, base_url="http://localhost") as client:
        assert client.get("/healthz").json()["status"] == "ok"
    assert caplog.text == ""


def test_fail002_a_full_disk_is_store_unavailable(tmp_path):
    store = open_store(f"sqlite:///{tmp_path}/full.db")
    try:
        load_district(store)
        conn = store._conn()  # this thread's connection: the one the writes below use
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")
        with pytest.raises(StoreUnavailable, match="database or disk is full"):
            load_district(store, extra_devices=5000)
        assert store.count("devices") == 8  # nothing was changed
    finally:
        store.close()


def test_fail002_the_write_probe_passes_while_another_writer_holds_the_lock(tmp_path):
    store = open_store(f"sqlite:///{tmp_path}/busy.db")
    try:
        with store.live_tx():
            store.check_writable()  # busy is not unavailable
    finally:
        store.close()
