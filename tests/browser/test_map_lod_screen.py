"""Level of detail in a real browser: the district as columns, device by device zoomed in.

At district scope the neighborhoods' columns stand for their devices; zoomed in past
``DETAIL_ZOOM`` the script asks for the devices in view (MAP_DETAIL) and draws them from typed
arrays; a pick on one still names the device (index → id) and a delta recolours it in place,
and has the columns asked for anew.
"""

from __future__ import annotations

import json

import pytest
from conftest import wait_for
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from test_map import assert_clean, click_at, open_map, status, wait_drawn, wait_still

from twin_dashboard.views.map_layers import DETAIL_ZOOM

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIND_DETAIL_DEVICE = """
var rows = window.twinMap.rows('devices_detail') || [];
var rect = document.getElementById('twin-map').getBoundingClientRect();
for (var i = 0; i < rows.length; i += 5) {
  var p = window.twinMap.project(rows[i].lon, rows[i].lat);
  if (!p || p[0] < rect.left + 150 || p[0] > rect.right - 150 ||
      p[1] < rect.top + 120 || p[1] > rect.bottom - 150) continue;
  var x = Math.round(p[0]), y = Math.round(p[1]), hit = window.twinMap.pickAt(x, y);
  if (!hit || hit.layer !== 'devices') continue;
  var clear = [[-3, 0], [3, 0], [0, -3], [0, 3]].every(function (d) {
    var near = window.twinMap.pickAt(x + d[0], y + d[1]);
    return near && near.layer === 'devices' && near.id === hit.id;
  });
  if (clear) return [hit.id, x, y, rows[i].state];
}
return null;
"""


def test_lod001_columns_at_district_zoom_devices_zoomed_in(live_server, browser):
    driver = open_map(browser, 1920, 1080, f"{live_server}/desk")
    drawn = wait_drawn(driver, "district")
    assert drawn["view"]["zoom"] < DETAIL_ZOOM
    assert "device_columns" in drawn["shown"] and "devices_detail" not in drawn["layers"]
    # the sparse layer of notable devices only, far fewer than the district's 25k
    assert drawn["counts"]["devices"] < 5000 and drawn["counts"]["device_columns"] == 25

    hood = driver.execute_script(
        "return window.twinMap.rows('device_columns').find(r => r.id === 'yunfang');")
    driver.execute_script("window.twinMap.setView(arguments[0]);",
                          {"longitude": hood["lon"], "latitude": hood["lat"],
                           "zoom": DETAIL_ZOOM + 1.5, "pitch": 0, "bearing": 0})
    wait_for(driver, "(window.twinMap.status().counts.devices_detail || 0) > 300", 60)
    zoomed = wait_still(driver)
    assert "devices_detail" in zoomed["shown"] and "device_columns" not in zoomed["shown"]
    detail = zoomed["detail"]  # the bounds asked for hold the camera's centre
    assert detail[0] < hood["lon"] < detail[2] and detail[1] < hood["lat"] < detail[3]

    found = driver.execute_script(FIND_DETAIL_DEVICE)
    assert found, "no device of the detail layer is visible and pickable"
    device_id, x, y, _ = found
    element = driver.find_element(By.ID, "twin-map")
    centre = driver.execute_script(
        "var r = arguments[0].getBoundingClientRect();"
        "return [r.left + r.width / 2, r.top + r.height / 2];", element)
    ActionChains(driver).move_to_element_with_offset(
        element, int(round(x - centre[0])), int(round(y - centre[1]))).perform()
    wait_for(driver, "(function () { var t = document.querySelector('.twin-map-tooltip');"
                     " return t && t.innerText.indexOf('状态') >= 0; })()", 30)
    click_at(driver, x, y)
    wait_for(driver, f"(window.twinMap.status().lastPick || {{}}).id === {json.dumps(device_id)}",
             30)
    assert status(driver)["lastPick"]["layer"] == "devices"

    # A delta recolours the detail layer's dot in place (a typed array rewritten, no resend).
    before = status(driver)["counts"]["devices_detail"]
    driver.execute_script("window.twinMap.applyDelta(arguments[0]);", {device_id: "fault"})
    row = driver.execute_script(
        "return window.twinMap.rows('devices_detail').find(r => r.id === arguments[0]);",
        device_id)
    assert row["state"] == "fault" and row["color"][:3] == [255, 149, 0]
    assert status(driver)["counts"]["devices_detail"] == before

    # Back out to the district: the columns again, asked for anew after the live change.
    driver.execute_script("window.twinMap.setView({zoom: arguments[0]});", DETAIL_ZOOM - 2)
    wait_for(driver, "window.twinMap.status().shown.indexOf('device_columns') >= 0", 30)
    assert "devices_detail" not in status(driver)["shown"]
    wait_for(driver, "window.twinMap.status().columnsRefreshed > 0", 40)
    assert status(driver)["counts"]["device_columns"] == 25
    assert_clean(driver)
