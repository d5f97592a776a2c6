"""Helpers for tests and benchmarks of a running twin-dashboard (geopandas ships its testing.py)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any
from urllib.request import urlopen

import pandas as pd


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FixedClock:
    """A clock for ``Runtime``/``Ingestor`` that says what the test sets."""

    def __init__(self, at: pd.Timestamp) -> None:
        self.at = at

    def __call__(self) -> pd.Timestamp:
        return self.at


def wait_until(predicate: Callable[[], Any], timeout: float = 10, interval: float = 0.05,
               message: str = "") -> Any:
    """Poll ``predicate`` until it returns something truthy, and return that.

    TimeoutError if it is still falsy after ``timeout`` seconds; the last poll comes at or after
    the deadline, so a condition met while the test slept is not missed.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    raise TimeoutError(message or f"condition not met within {timeout:g} s")


def timed(fn: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    """Milliseconds of ``runs`` calls of ``fn`` (after one warm-up) and the last result."""
    result = fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return times, result


def serve_command(db_url: str, port: int, *, test_hooks: bool = False) -> list[str]:
    """The real ``twin-dashboard serve`` on loopback, without the simulator; ``test_hooks``:
    its pages expose ``window.twinMap`` / ``window.twinLive`` to a browser test."""
    return [sys.executable, "-m", "twin_dashboard", "serve", "--no-simulate",
            "--port", str(port), "--db", db_url, *(["--test-hooks"] if test_hooks else [])]


def wait_healthy(url: str, proc: subprocess.Popen | None = None, timeout_s: float = 60) -> None:
    """Return once ``url``/healthz answers; RuntimeError if it does not or ``proc`` exits."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status < 500:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server at {url} did not become healthy in {timeout_s:.0f} s")


TEST_PASSWORD = "correct horse battery"  # tests only: real accounts get their own


def add_user(store: Any, name: str, role: str, *, subdistrict: str | None = None,
             neighborhoods: tuple[str, ...] = (), zones: tuple[str, ...] = (),
             person: str | None = None, password: str = TEST_PASSWORD,
             district: str | None = None) -> str:
    """Create an account for a test or benchmark; returns its password."""
    from twin_dashboard.domain.accounts import Area, create_user

    create_user(store, name, role, Area(subdistrict, tuple(neighborhoods), tuple(zones),
                                        district),
                person_id=person, password=password, now=pd.Timestamp.now(tz="UTC"))
    return password


def sign_in(client: Any, name: str, password: str = TEST_PASSWORD) -> Any:
    """Sign a Starlette ``TestClient`` (or httpx client) in through the login form; its later
    requests carry the session cookie and the CSRF header. Returns the login response."""
    page = client.get("/login")
    assert page.status_code == 200, page.text
    response = client.post("/login", data={
        "username": name, "password": password, "csrf": client.cookies.get("twin_login_csrf"),
        "lang": "zh", "next": ""}, follow_redirects=False)
    assert response.status_code == 303, response.text
    client.headers["X-CSRFToken"] = client.cookies.get("_csrf_token")
    return response


def bench_account(db_url: str, name: str = "bench-commander", role: str = "commander") -> str:
    """An account on the store at ``db_url`` (created once) that benchmarks sign in as."""
    from twin_dashboard.store.base import open_store

    store = open_store(db_url)
    try:
        if store.accounts.user(name) is None:
            add_user(store, name, role)
    finally:
        store.close()
    return name


def bench_token(db_url: str, name: str = "bench-commander") -> str:
    """A personal API token of ``bench_account(db_url, name)`` (Authorization: Bearer)."""
    from twin_dashboard.domain.accounts import issue_api_token
    from twin_dashboard.store.base import open_store

    bench_account(db_url, name)
    store = open_store(db_url)
    try:
        return issue_api_token(store, name, pd.Timestamp.now(tz="UTC"))
    finally:
        store.close()


def sign_in_driver(driver: Any, base: str, name: str, password: str = TEST_PASSWORD,
                   next_path: str = "/healthz", timeout_s: float = 30) -> None:
    """Sign a Selenium browser in through the login page, landing on a light page."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(f"{base}/login?next={next_path.replace('/', '%2F')}")
    driver.find_element(By.ID, "username").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login-submit").click()
    WebDriverWait(driver, timeout_s, poll_frequency=0.2).until(
        lambda d: "/login" not in d.current_url)


def refusal(response: Any) -> str:
    """An API refusal's reason as one string: a route's ``detail`` sentence, or FastAPI's field
    errors (a request the schema refuses) as ``field.path: message`` joined by ``; ``."""
    detail = response.json()["detail"]
    if isinstance(detail, str):
        return detail
    return "; ".join(".".join(str(p) for p in e["loc"][1:]) + ": " + e["msg"] for e in detail)
