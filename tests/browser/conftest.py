"""Fixtures for real-browser tests: the served app in a subprocess and headless Chromium."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from twin_dashboard.testing import (
    add_user,
    free_port,
    serve_command,
    sign_in_driver,
    wait_healthy,
)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
START_TIMEOUT_S = 120  # seeding the district once, then uvicorn start-up
# No Dash callback in flight: the renderer's own store, as dash.testing reads it.
DASH_IDLE = "window.store !== undefined && window.store.getState().isLoading === false"
# Every chart card holds a drawn plotly figure.
CHARTS_DRAWN = ("[...document.querySelectorAll('.chart-card')]"
                ".every(e => e.querySelector('.main-svg') !== null)")
MAP_DRAWN = "window.twinMap !== undefined && Boolean(window.twinMap.status().drawn)"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def server_db(tmp_path_factory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('browser-db') / 'twin.db'}"


BROWSER_USER = "brw-commander"  # what a browser signs in as unless a test says otherwise


class LiveServer(str):
    """The base URL of the served app (a ``str``), with the accounts tests sign in with."""

    db_url: str
    headers: dict[str, str]  # Authorization of BROWSER_USER, for the tests' own API calls

    def account(self, name: str, role: str, **area) -> str:
        """Create (once) account ``name``; it signs in with ``TEST_PASSWORD``."""
        from twin_dashboard.store.base import open_store

        store = open_store(self.db_url)
        try:
            if store.accounts.user(name) is None:
                add_user(store, name, role, **area)
        finally:
            store.close()
        return name

    def kiosk_link(self, name: str, scope: str) -> str:
        """A new kiosk's one-time enrolment URL."""
        from twin_dashboard.domain.accounts import create_kiosk
        from twin_dashboard.domain.time import utc_now
        from twin_dashboard.store.base import open_store

        store = open_store(self.db_url)
        try:
            return f"{self}/kiosk/enrol/{create_kiosk(store, name, scope, utc_now())}"
        finally:
            store.close()


def _served(url: str, db_url: str) -> LiveServer:
    from twin_dashboard.domain.accounts import issue_api_token
    from twin_dashboard.domain.time import utc_now
    from twin_dashboard.store.base import open_store

    server = LiveServer(url)
    server.db_url = db_url
    server.account(BROWSER_USER, "commander")
    store = open_store(db_url)
    try:
        server.headers = {"Authorization":
                          f"Bearer {issue_api_token(store, BROWSER_USER, utc_now())}"}
    finally:
        store.close()
    return server


@pytest.fixture(scope="session")
def live_server(server_db, tmp_path_factory) -> Iterator[LiveServer]:
    """Base URL of ``twin-dashboard serve`` on a free loopback port, with a commander account
    (``BROWSER_USER``) the browsers sign in as."""
    port = free_port()
    log = tmp_path_factory.mktemp("server-log") / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(serve_command(server_db, port, test_hooks=True), stdout=out,
                                stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_healthy(url, proc, START_TIMEOUT_S)
        except RuntimeError as err:
            raise RuntimeError(f"{err}:\n{log.read_text()[-3000:]}") from err
        yield _served(url, server_db)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def chrome_options(width: int, height: int, touch: bool = False) -> webdriver.ChromeOptions:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
        "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--ignore-gpu-blocklist",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--disable-quic", "--hide-scrollbars", "--force-device-scale-factor=1",
        f"--window-size={width},{height}",
        # Prove the page works offline: every host but ours is unresolvable.
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
    ):
        options.add_argument(arg)
    if touch:
        options.add_argument("--touch-events=enabled")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    return options


@pytest.fixture
def browser(live_server: LiveServer) -> Iterator[Callable[..., webdriver.Chrome]]:
    """A factory of headless Chromium windows of a given size, signed in as ``user`` (the
    commander by default; ``None``: anonymous); all are closed afterwards."""
    drivers: list[webdriver.Chrome] = []

    def make(width: int = 1920, height: int = 1080, touch: bool = False,
             user: str | None = BROWSER_USER) -> webdriver.Chrome:
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER),
                                  options=chrome_options(width, height, touch))
        driver.set_window_size(width, height)
        drivers.append(driver)
        if user:
            sign_in_driver(driver, live_server, user)
        return driver

    yield make
    for driver in drivers:
        driver.quit()


def requested_hosts(driver: webdriver.Chrome) -> set[str]:
    """Every host the page sent a request to, from Chromium's performance log."""
    hosts: set[str] = set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            if url.startswith(("http:", "https:", "ws:", "wss:")):
                hosts.add(urlparse(url).hostname or "")
    return hosts


def console_errors(driver: webdriver.Chrome) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def wait_for(driver: webdriver.Chrome, js_condition: str, timeout: float = 60) -> object:
    """Wait until a JS expression is truthy; returns its value."""
    return WebDriverWait(driver, timeout, poll_frequency=0.2).until(
        lambda d: d.execute_script(f"return ({js_condition});"))


def wait_settled(driver: webdriver.Chrome, timeout: float = 180, drawn: bool = True) -> None:
    """Wait until no callback is in flight and, if ``drawn``, the map and the charts are drawn.

    Software WebGL can hold the page's main thread for seconds (the wall is 3840 px wide): a
    script that times out meanwhile counts as "not yet".
    """
    parts = {"dash idle": DASH_IDLE}
    if drawn:
        parts |= {"map drawn": MAP_DRAWN, "charts drawn": CHARTS_DRAWN}
    fields = ", ".join(f"{json.dumps(k)}: Boolean({v})" for k, v in parts.items())
    check = f"return {{{fields}}};"
    try:
        WebDriverWait(driver, timeout, poll_frequency=0.2,
                      ignored_exceptions=[TimeoutException]).until(
            lambda d: all(d.execute_script(check).values()))
    except TimeoutException as error:
        try:
            state = driver.execute_script(check)
        except TimeoutException:  # selenium raises it for a script timeout too
            state = "its main thread is busy"
        raise AssertionError(f"page not settled in {timeout:g} s: {state}; "
                             f"console errors: {console_errors(driver)}") from error


def element_colors(driver: webdriver.Chrome, css: str) -> int:
    """How many distinct colours an element shows on screen (a drawn map shows many)."""
    from PIL import Image

    png = driver.find_element(By.CSS_SELECTOR, css).screenshot_as_png
    image = Image.open(io.BytesIO(png)).convert("RGB").resize((200, 120))
    return len(image.getcolors(maxcolors=200 * 120) or [])


def screenshot_dir() -> Path:
    path = Path(os.environ.get("TWIN_SCREENSHOTS", "screenshots-tmp"))
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- sensor gateways (the live and loop tests raise alarms as a gateway does) ---

def make_token(db_url: str, name: str) -> str:
    """A gateway token through the real command (the server reads tokens from the store)."""
    out = subprocess.run([sys.executable, "-m", "twin_dashboard", "token", "create", name,
                          "--db", db_url], capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


def post_reading(url: str, token: str, device: str, event: str = "alarm") -> str:
    """Post one reading; returns the id of the alarm it raised."""
    reading = {"reading_id": f"live-{device}-{time.time_ns()}", "device_id": device,
               "ts": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()), "event": event}
    response = httpx.post(f"{url}/api/v1/readings", json=[reading], timeout=30,
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()["alarms"][0]
