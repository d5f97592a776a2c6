"""A throwaway Redis server for the tests of the bus between workers (``serve --bus``).

Debian's ``redis-server`` (``scripts/setup --test``) on a free port of 127.0.0.1, in a temporary
folder, without persistence; one per test session, and each test gets a Redis database number of
its own (``redis_url``) flushed before use. A server that cannot start FAILS the tests that need
it, naming why: CI must never skip the bus tests.
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from twin_dashboard.testing import free_port

START_TIMEOUT_S = 15
DATABASES = 16  # redis-server's default; tests take them in turn


class RedisServer:
    """A running throwaway ``redis-server``; :meth:`stop` ends it and removes its folder."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(binary).exists():
            pytest.fail("redis-server is not installed: run scripts/setup --test (it installs "
                        "Debian's redis-server)", pytrace=False)
        self.binary = binary
        self.folder = Path(tempfile.mkdtemp(prefix="twin-redis-"))
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self._numbers = itertools.cycle(range(DATABASES))

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> RedisServer:
        log = self.folder / "redis.log"
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
             str(self.folder), "--save", "", "--appendonly", "no", "--logfile", str(log),
             "--databases", str(DATABASES)],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
        import redis

        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                redis.Redis.from_url(self.url(), socket_connect_timeout=1).ping()
                return self
            except redis.ConnectionError as err:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    text = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                    self.stop()
                    pytest.fail(f"redis-server did not start on port {self.port} ({err}); its "
                                f"log:\n{text}", pytrace=False)
            time.sleep(0.05)

    def fresh_url(self) -> str:
        """The URL of an emptied database of this server."""
        import redis

        url = self.url(next(self._numbers))
        with redis.Redis.from_url(url) as client:
            client.flushdb()
        return url

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """An empty Redis database for one test."""
    return redis_server.fresh_url()
