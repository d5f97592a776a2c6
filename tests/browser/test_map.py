"""The twin map in a real browser: drawn on every screen, follows the scope, reports clicks.

SwiftShader draws the district's first frame in several seconds and picks in about half a
second, so every wait is generous and every click is a real pointer event at a pixel found by
projecting a known place through the deck's own viewport.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess

import pytest
from conftest import BROWSER_USER, console_errors, element_colors, requested_hosts, wait_for
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from twin_dashboard.testing import free_port, serve_command, sign_in_driver, wait_healthy

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DRAW_TIMEOUT_S = 120  # the first frame of the whole district in software WebGL
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def open_map(browser, width: int, height: int, url: str, signed_in_at: str | None = None):
    """A window on ``url``; scripts may wait out a main thread busy with the first frame.
    ``signed_in_at``: the base of another server to sign in at (a session belongs to its
    server's store, and a cookie to the host, whatever the port)."""
    driver = browser(width, height, **({"user": None} if signed_in_at else {}))
    if signed_in_at:
        sign_in_driver(driver, signed_in_at, BROWSER_USER)
    driver.set_script_timeout(DRAW_TIMEOUT_S)
    driver.set_page_load_timeout(DRAW_TIMEOUT_S)
    driver.get(url)
    return driver


def status(driver) -> dict:
    return driver.execute_script("return window.twinMap.status();")


def wait_drawn(driver, scope: str, timeout: float = DRAW_TIMEOUT_S) -> dict:
    """Wait until the deck has drawn ``scope`` with its data (the script's onAfterRender flag)."""
    wait_for(driver, f"window.twinMap && window.twinMap.status().drawn === {json.dumps(scope)}",
             timeout)
    return status(driver)


def wait_still(driver, timeout: float = 30) -> dict:
    """Wait until a camera flight has ended (two polls see the same view)."""
    wait_for(driver, """(function () {
        var v = JSON.stringify(window.twinMap.status().view);
        var same = window.__lastView === v; window.__lastView = v; return same; })()""",
             timeout)
    return status(driver)


def click_at(driver, x: float, y: float) -> None:
    """A real pointer click at page pixel (x, y), relative to the map container's centre."""
    element = driver.find_element(By.ID, "twin-map")
    rect = driver.execute_script(
        "var r = arguments[0].getBoundingClientRect();"
        "return [r.left + r.width / 2, r.top + r.height / 2];", element)
    ActionChains(driver).move_to_element_with_offset(
        element, int(round(x - rect[0])), int(round(y - rect[1]))).click().perform()


def assert_clean(driver) -> None:
    assert console_errors(driver) == []
    assert requested_hosts(driver) <= LOCAL_HOSTS


@pytest.mark.parametrize(("screen", "width", "height"), [
    ("wall", 1920, 1080), ("desk", 1920, 1080), ("tablet", 1024, 768),
])
def test_map001_each_screen_draws_the_district(live_server, browser, screen, width, height):
    driver = open_map(browser, width, height, f"{live_server}/{screen}")
    drawn = wait_drawn(driver, "district")
    assert {"buildings", "neighborhoods", "devices", "device_columns", "incidents"} <= set(
        drawn["layers"])
    assert drawn["counts"]["neighborhoods"] == 25 and drawn["error"] is None
    assert driver.find_elements(By.CSS_SELECTOR, "#twin-map canvas")
    assert element_colors(driver, "#twin-map") > 40  # a drawn map, not a blank canvas
    assert driver.find_element(By.ID, "map-legend").is_displayed() or screen == "tablet"
    assert "is-ready" in driver.find_element(By.ID, "twin-map").get_attribute("class")
    assert_clean(driver)


def test_map002_neighborhood_from_the_url(live_server, browser):
    driver = open_map(browser, 1920, 1080, f"{live_server}/desk?neighborhood=yunfang")
    drawn = wait_drawn(driver, "nbh:yunfang")
    assert 500 < drawn["counts"]["devices"] < 2000  # every device of one neighborhood
    assert "device_columns" not in drawn["layers"] and "scope" in drawn["layers"]
    assert drawn["view"]["zoom"] > 15
    assert_clean(driver)


def test_map003_selector_moves_the_map(live_server, browser):
    driver = open_map(browser, 1920, 1080, f"{live_server}/desk")
    before = wait_drawn(driver, "district")
    # The screens' neighborhood selector, set as a user's choice would set it.
    driver.execute_script(
        "window.dash_clientside.set_props('neighborhood-select', {value: 'yunfang'});")
    wait_drawn(driver, "nbh:yunfang", 60)
    # The camera comes in its own response, then flies: wait for it to arrive and land.
    wait_for(driver, f"window.twinMap.status().view.zoom > {before['view']['zoom'] + 1.5}", 60)
    after = wait_still(driver)
    assert abs(after["view"]["longitude"] - 121.50) < 0.01  # 云舫小区 is in 北外滩
    assert_clean(driver)


FIND_DEVICE = """
var rows = window.twinMap.rows('devices') || [];
var rect = document.getElementById('twin-map').getBoundingClientRect();
for (var i = 0; i < rows.length && i < 400; i += 7) {
  var p = window.twinMap.project(rows[i].lon, rows[i].lat);
  if (!p || p[0] < rect.left + 150 || p[0] > rect.right - 150 ||
      p[1] < rect.top + 120 || p[1] > rect.bottom - 150) continue;
  var x = Math.round(p[0]), y = Math.round(p[1]), hit = window.twinMap.pickAt(x, y);
  if (!hit || hit.layer !== 'devices') continue;
  // the same device 3 px around: clear of an alarm's ring (which picks over its whole disc)
  var clear = [[-3, 0], [3, 0], [0, -3], [0, 3]].every(function (d) {
    var near = window.twinMap.pickAt(x + d[0], y + d[1]);
    return near && near.layer === 'devices' && near.id === hit.id;
  });
  if (clear) return [hit.id, x, y];
}
return null;
"""

FIND_NEIGHBORHOOD = """
var rows = window.twinMap.rows('neighborhoods') || [];
var want = arguments[0];
var rect = document.getElementById('twin-map').getBoundingClientRect();
for (var i = 0; i < rows.length; i++) {
  if (rows[i].id !== want) continue;
  var ring = rows[i].polygon[0], lon = 0, lat = 0;
  ring.forEach(function (c) { lon += c[0]; lat += c[1]; });
  var c = window.twinMap.project(lon / ring.length, lat / ring.length);
  // A point whose neighbours 4 px around pick the same polygon: clear of any building's edge,
  // so the real click (rounded to whole pixels) lands on the neighborhood too.
  var ours = function (x, y) {
    var hit = window.twinMap.pickAt(x, y);
    return hit && hit.layer === 'neighborhoods' && hit.id === want;
  };
  for (var r = 0; r <= 40; r += 8) {
    for (var a = 0; a < 8; a++) {
      var x = Math.round(c[0] + r * Math.cos(a * Math.PI / 4));
      var y = Math.round(c[1] + r * Math.sin(a * Math.PI / 4));
      var inside = x > rect.left + 5 && x < rect.right - 5 && y > rect.top + 5 &&
        y < rect.bottom - 5;
      if (!inside) continue;
      if (ours(x, y) && ours(x + 4, y) && ours(x - 4, y) && ours(x, y + 4) && ours(x, y - 4)) {
        return [x, y];
      }
      if (r === 0) break;
    }
  }
}
return null;
"""


DETAILS_SHOWN = "document.querySelector('#details-panel .details-head') !== null"


def test_map004_click_on_a_device_sets_map_pick(live_server, browser):
    driver = open_map(browser, 1920, 1080, f"{live_server}/desk?neighborhood=yunfang")
    wait_drawn(driver, "nbh:yunfang")
    wait_still(driver)
    found = driver.execute_script(FIND_DEVICE)
    assert found, "no device visible on the map"
    device_id, x, y = found
    click_at(driver, x, y)
    wait_for(driver, f"(window.twinMap.status().lastPick || {{}}).id === {json.dumps(device_id)}",
             30)
    pick = status(driver)["lastPick"]  # what the click set map-pick to
    assert pick["layer"] == "devices" and pick["neighborhood"] == "yunfang"
    wait_for(driver, DETAILS_SHOWN, 30)  # and Dash took it: the device's details
    assert_clean(driver)


def test_map005_click_on_a_neighborhood_sets_map_pick(live_server, browser):
    driver = open_map(browser, 1920, 1080, f"{live_server}/desk")
    renders = wait_drawn(driver, "district")["renders"]
    # Overlays off: the neighborhood's own polygon is what lies under the pointer.
    driver.execute_script("window.dash_clientside.set_props('map-layers', {value: []});")
    wait_for(driver, "window.twinMap.status().layers.indexOf('devices') < 0 && "
             f"window.twinMap.status().renders > {renders}", 60)
    wait_still(driver)
    try:  # looked for again while a frame still settles (a pick reads the last drawn frame)
        target = WebDriverWait(driver, 20, 0.5).until(
            lambda d: d.execute_script(FIND_NEIGHBORHOOD, "duolun"))
    except TimeoutException as error:
        raise AssertionError(f"the neighborhood is not visible: {status(driver)}") from error
    click_at(driver, *target)
    try:
        wait_for(driver, "(window.twinMap.status().lastPick || {}).id === 'duolun'", 30)
    except Exception as error:
        raise AssertionError(f"clicked {target}: {status(driver)}") from error
    assert status(driver)["lastPick"]["layer"] == "neighborhoods"
    wait_drawn(driver, "nbh:duolun", 60)  # Dash took the pick: the desk selects what was clicked
    assert_clean(driver)


def test_map006_delta_recolours_devices_in_place(live_server, browser):
    driver = open_map(browser, 1920, 1080, f"{live_server}/desk?neighborhood=yunfang")
    wait_drawn(driver, "nbh:yunfang")
    ids = driver.execute_script(
        "return window.twinMap.rows('devices').filter(function (r) {"
        " return r.state === 'normal'; }).slice(0, 2).map(function (r) { return r.id; });")
    assert driver.execute_script(
        "return window.twinMap.applyDelta(arguments[0]);", {ids[0]: "alarm"}) == 1
    driver.execute_script(
        "window.dash_clientside.set_props('map-delta', {data: arguments[0]});", {ids[1]: "fault"})
    wait_for(driver, "window.twinMap.status().deltas === 2", 30)
    colors = driver.execute_script(
        "var want = arguments[0], out = {};"
        "window.twinMap.rows('devices').forEach(function (r) {"
        " if (want.indexOf(r.id) >= 0) out[r.id] = r.color; }); return out;", ids)
    assert colors[ids[0]][:3] == [255, 59, 48] and colors[ids[1]][:3] == [255, 149, 0]
    assert status(driver)["counts"]["devices"] > 500  # same layer, nothing re-sent
    assert_clean(driver)


def test_map007_survives_page_navigation(live_server, browser):
    driver = open_map(browser, 1920, 1080, f"{live_server}/desk")
    wait_drawn(driver, "district")
    driver.execute_script(
        "window.dash_clientside.set_props('_pages_location', {pathname: '/desk', "
        "search: '?neighborhood=duolun'});")
    wait_drawn(driver, "nbh:duolun")
    assert len(driver.find_elements(By.CSS_SELECTOR, "#twin-map canvas")) == 1
    assert element_colors(driver, "#twin-map") > 40
    assert_clean(driver)


def test_map008_data_strings_are_never_evaluated(live_server, browser):
    driver = open_map(browser, 800, 600, f"{live_server}/desk")
    wait_for(driver, "window.twinMap && typeof window.twinMap.rowsOf === 'function'", 60)
    rows = driver.execute_script(
        "return window.twinMap.rowsOf({length: 1, columns: {name: ['@@=1+1'], k: [0]},"
        " codes: {k: ['@@=constructor']}, derive: {t: ['k', {'@@=constructor': '@@#x'}]}});")
    assert rows == [{"name": "@@=1+1", "k": "@@=constructor", "t": "@@#x"}]


@pytest.fixture(scope="module")
def plain_server(server_db, live_server, tmp_path_factory):
    """A copy of the session's store (seeded by ``live_server``; one server per store file)
    served as a real screen is: no hooks."""
    folder = tmp_path_factory.mktemp("plain-server")
    copy = folder / "twin.db"
    with sqlite3.connect(server_db.removeprefix("sqlite:///")) as source, \
            sqlite3.connect(copy) as target:
        source.backup(target)
    port = free_port()
    with (folder / "serve.log").open("w") as out:
        proc = subprocess.Popen(serve_command(f"sqlite:///{copy}", port), stdout=out,
                                stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, 120)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_map009_without_test_hooks_the_page_draws_and_exposes_nothing(plain_server, browser):
    driver = open_map(browser, 1920, 1080, f"{plain_server}/desk", signed_in_at=plain_server)
    wait_for(driver, "document.querySelector('#twin-map.is-ready') !== null", DRAW_TIMEOUT_S)
    wait_for(driver, "document.getElementById('stale-banner').getAttribute('data-stream')", 30)
    assert driver.execute_script(
        "return [typeof window.twinMap, typeof window.twinLive]") == ["undefined", "undefined"]
    assert element_colors(driver, "#twin-map") > 40
    assert_clean(driver)
