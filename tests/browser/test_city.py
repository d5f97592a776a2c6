"""A city of two districts in a real browser: the desk without ``district=`` shows both with
their KPIs, a click on one drills into it and the back button returns (issue 11 part 3)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from conftest import CHROMEDRIVER, chrome_options, console_errors, wait_for
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from test_map import DRAW_TIMEOUT_S, click_at, status, wait_still

from tests.test_districts import A, B, make_district_b
from twin_dashboard.cli import main
from twin_dashboard.store.base import open_store
from twin_dashboard.testing import add_user, free_port, serve_command, sign_in_driver, wait_healthy

pytestmark = [pytest.mark.browser, pytest.mark.slow]
USER = "city-commander"
# A pixel of the district ``arguments[0]`` that picks it (from its label's anchor, outwards).
FIND_DISTRICT = """
var rows = window.twinMap.rows('city_labels') || [], want = arguments[0];
var row = rows.filter(function (r) { return r.id === want; })[0];
if (!row) return null;
var c = window.twinMap.project(row.lon, row.lat);
for (var r = 40; r <= 160; r += 20) {
  for (var a = 0; a < 8; a++) {
    var x = Math.round(c[0] + r * Math.cos(a * Math.PI / 4));
    var y = Math.round(c[1] + r * Math.sin(a * Math.PI / 4));
    var hit = window.twinMap.pickAt(x, y);
    if (hit && hit.layer === 'districts' && hit.id === want) return [x, y];
  }
}
return null;
"""


@pytest.fixture(scope="module")
def city_server(tmp_path_factory) -> Iterator[str]:
    """``serve`` over the demo district A plus district B onboarded by imports only."""
    folder = tmp_path_factory.mktemp("city-browser")
    db = f"sqlite:///{folder}/city.db"
    runner = CliRunner()

    def run(*args: str) -> None:
        result = runner.invoke(main, [*args, "--db", db], catch_exceptions=False)
        assert result.exit_code == 0, result.output

    run("seed")
    paths = make_district_b(folder / "b")
    run("import", "district", str(paths["district"]), "--crs", "gcj02", "--district", B)
    run("import", "subdistricts", str(paths["subdistricts"]), "--crs", "gcj02", "--district", B)
    run("import", "neighborhoods", str(paths["neighborhoods"]), "--district", B)
    run("import", "devices", str(paths["devices"]), "--district", B)
    store = open_store(db)
    try:
        add_user(store, USER, "commander")
    finally:
        store.close()
    port = free_port()
    proc = subprocess.Popen(serve_command(db, port, test_hooks=True),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, 120)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_city001_the_city_lists_both_districts_and_a_click_drills_in(city_server):
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=chrome_options(1920, 1080))
    try:
        driver.set_window_size(1920, 1080)
        sign_in_driver(driver, city_server, USER)
        driver.set_script_timeout(DRAW_TIMEOUT_S)
        driver.get(f"{city_server}/desk")
        wait_for(driver, "window.twinMap && window.twinMap.status().drawn === 'district' && "
                 "window.twinMap.status().layers.indexOf('city') >= 0", DRAW_TIMEOUT_S)
        names = {label["text"] for label in driver.execute_script(
            "return window.twinMap.labels();") if label["layer"] == "city_labels"}
        assert names == {"虹口区", "新桥区"}, names
        # overlays off, so the district's own polygon is what lies under the pointer
        renders = status(driver)["renders"]
        driver.execute_script("window.dash_clientside.set_props('map-layers', {value: []});")
        wait_for(driver, "window.twinMap.status().layers.indexOf('devices') < 0 && "
                 f"window.twinMap.status().renders > {renders}", 60)
        wait_still(driver)
        target = driver.execute_script(FIND_DISTRICT, B)
        assert target, f"district {B} is not visible on the map: {status(driver)}"
        click_at(driver, *target)
        wait_for(driver, f"window.twinMap.status().drawn === {json.dumps('dst:' + B)}", 60)
        wait_for(driver, "document.querySelector('.brand h1').textContent"
                 ".indexOf('新桥区') === 0", 30)
        assert f"district={B}" in driver.current_url
        wait_for(driver, "document.title.indexOf('新桥区一网统管') === 0", 30)
        assert "city" not in status(driver)["layers"]  # one district: no city labels
        assert A not in driver.find_element("css selector", ".scope").text
        # The browser's back button returns to the city.
        driver.back()
        wait_for(driver, "window.twinMap && window.twinMap.status().drawn === 'district' && "
                 "window.twinMap.status().layers.indexOf('city') >= 0", DRAW_TIMEOUT_S)
        assert "district=" not in driver.current_url
        wait_for(driver, "document.querySelector('.brand h1').textContent"
                 ".indexOf('新桥区') < 0", 30)
        assert console_errors(driver) == []
    finally:
        driver.quit()
