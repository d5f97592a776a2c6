"""A gateway posting with retries while the server is SIGKILLed ends with exactly N stored."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
import time

import httpx
import pytest

from tests._live_fixtures import load_district, reading
from twin_dashboard.domain.tokens import create_token
from twin_dashboard.store.base import open_store
from twin_dashboard.testing import free_port, serve_command, wait_healthy

pytestmark = pytest.mark.slow
N, BATCH, KILLS = 3000, 50, 3


class Server:
    """``twin-dashboard serve`` in a subprocess that can be killed and started again."""

    def __init__(self, db_url: str, port: int) -> None:
        self.cmd = serve_command(db_url, port)
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        wait_healthy(self.url, self.proc)

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


def post_with_retries(client: httpx.Client, url: str, batch: list[dict]) -> int:
    """POST until the server answers 200; returns how many attempts failed."""
    failures = 0
    while True:
        try:
            response = client.post(f"{url}/api/v1/readings", json=batch, timeout=10)
            if response.status_code == 200:
                return failures
            assert response.status_code >= 500, response.text
        except httpx.TransportError:
            pass
        failures += 1
        time.sleep(0.05)  # the gateway's back-off between retries, not a wait before an assert


def killer(server: Server, done: threading.Event, kills: list[float]) -> None:
    """SIGKILL the server at random moments while the client posts, then restart it."""
    rnd = random.Random(4)
    while len(kills) < KILLS and not done.wait(rnd.uniform(0.2, 0.8)):
        server.kill()
        kills.append(time.monotonic())
        server.start()


def test_exactly_n_stored_across_sigkills(store_url):
    db_url = store_url
    store = open_store(db_url)
    load_district(store)
    token = create_token(store, "gw")
    store.close()
    server = Server(db_url, free_port())
    server.start()
    done, kills = threading.Event(), []
    thread = threading.Thread(target=killer, args=(server, done, kills))
    thread.start()
    failures = 0
    try:
        with httpx.Client(headers={"Authorization": f"Bearer {token}"}) as client:
            b = 0
            while b < N // BATCH or len(kills) < KILLS:  # keep posting until every kill is done
                batch = [reading(f"k{b % (N // BATCH)}-{i}", event="heartbeat")
                         for i in range(BATCH)]  # past N: resends, all duplicates
                failures += post_with_retries(client, server.url, batch)
                b += 1
    finally:
        done.set()
        thread.join()
        server.kill()
    assert len(kills) == KILLS and failures >= KILLS
    assert open_store(db_url).count("readings") == N
