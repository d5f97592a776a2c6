"""One server per store: a second ``serve`` on the same SQLite file refuses to start."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests._live_fixtures import load_district
from twin_dashboard.store.base import open_store
from twin_dashboard.store.lock import StoreLocked, lock_path, server_lock
from twin_dashboard.testing import free_port, serve_command, wait_healthy

ROOT = Path(__file__).resolve().parent.parent


def test_lck001_a_second_holder_is_refused_by_name(tmp_path):
    url = f"sqlite:///{tmp_path}/t.db"
    with server_lock(url, "pid 1234, http://127.0.0.1:8050") as path:
        assert path == tmp_path / "t.db.lock"
        refused = pytest.raises(StoreLocked, match=r"another twin-dashboard server \(pid 1234, "
                                                   r"http://127.0.0.1:8050\) is serving")
        with refused, server_lock(url, "pid 99"):
            pass
    with server_lock(url, "pid 99"):  # released on exit
        pass


def test_lck002_the_lock_sits_beside_the_database(tmp_path):
    assert lock_path(f"sqlite:///{tmp_path}/d/x.db?mode=ro") == tmp_path / "d" / "x.db.lock"


@pytest.fixture
def store_url(tmp_path) -> str:
    """A store that is not empty, so that ``serve`` starts without seeding."""
    url = f"sqlite:///{tmp_path / 'twin.db'}"
    store = open_store(url)
    load_district(store)
    store.close()
    return url


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "twin_dashboard", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
def test_fail004_a_second_serve_on_the_same_file_exits_2_naming_the_first(store_url):
    port = free_port()
    first = subprocess.Popen(serve_command(store_url, port), cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", first, timeout_s=120)
        second = cli(*serve_command(store_url, free_port())[3:])
        assert second.returncode == 2, second.stderr
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in second.stderr, second.stderr
        assert f"pid {first.pid}, http://127.0.0.1:{port}" in lines[0]
        assert "twin.db" in lines[0]
        # Commands other than serve work while the server runs.
        token = cli("token", "create", "gw-beside", "--db", store_url)
        assert token.returncode == 0, token.stderr
        assert token.stdout.startswith("twg_")
    finally:
        first.terminate()
        first.wait(timeout=30)
    # Once the first has gone, a server starts on the file again.
    port = free_port()
    again = subprocess.Popen(serve_command(store_url, port), cwd=ROOT,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", again, timeout_s=120)
    finally:
        again.terminate()
        again.wait(timeout=30)
