"""The closed loop run by people on their screens (issue 9): a reading raises an alarm; the desk's
officer turns it into an incident and dispatches it to the property company; the property
manager's tablet accepts, starts and escalates it; the residents' committee cadre's tablet
accepts, starts and resolves it; the officer verifies and closes it. Every step is a click on a
screen; each screen shows it; the wall's funnel and KPIs move and equal /api/v1/summary."""

from __future__ import annotations

import json
import sqlite3
import time
from contextlib import suppress
from datetime import datetime

import httpx
import pytest
from conftest import (
    console_errors,
    make_token,
    post_reading,
    screenshot_dir,
    wait_for,
)
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By

from twin_dashboard.domain.routing import Directory
from twin_dashboard.store.base import open_store

pytestmark = [pytest.mark.browser, pytest.mark.slow]
STEP_S = 60  # a step reaches another screen by the live push (or the 15 s clock at worst)
TILES = ("document.querySelectorAll('[data-kpi]').length === 5 && "
         "[...document.querySelectorAll('[data-kpi]')].every(e => e.dataset.value !== '')")
FUNNEL = ("(() => { const p = document.querySelector('#funnel-chart .js-plotly-plot');"
          " return p && p.data && p.data[0] ? p.data[0].x : null; })()")


def _db(db_url: str) -> str:
    return db_url.removeprefix("sqlite:///")


def _the_home(db_url: str) -> dict[str, str]:
    """A smoke detector in a home whose cadre is its neighborhood's, and who works there."""
    directory = Directory.from_store(open_store(db_url))
    with sqlite3.connect(_db(db_url)) as db:
        rows = db.execute(
            "SELECT d.id, d.neighborhood_id, d.subdistrict_id, h.cadre_id FROM devices d "
            "JOIN households h ON h.id = d.household_id "
            "LEFT JOIN device_status s ON s.device_id = d.id "
            "WHERE d.category = 'smoke' AND COALESCE(s.state, 'normal') = 'normal' "
            "ORDER BY d.id").fetchall()
    for device, hood, sub, cadre in rows:
        if directory.cadres.get(hood) == cadre and directory.duty.get(sub):
            return {"device": device, "hood": hood, "sub": sub, "cadre": cadre,
                    "duty": directory.duty[sub]}
    raise AssertionError("no smoke detector in a home of its neighborhood's cadre")


def _api(live_server, path: str) -> dict:
    response = httpx.get(f"{live_server}{path}", headers=live_server.headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def _click(driver, css: str, timeout: float = STEP_S) -> None:
    """Click the element of ``css`` once it is there; again if a refresh replaced it."""
    for attempt in range(3):
        element = wait_for(driver, f"document.querySelector({json.dumps(css)})", timeout)
        try:
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
            element.click()
            return
        except StaleElementReferenceException:
            if attempt == 2:
                raise


def _done(driver) -> None:
    """Wait for the panel's next "done" message (and no refusal)."""
    wait_for(driver, "document.querySelectorAll('.act-done').length > 0 && "
                     "document.querySelector('.act-done') !== window.__lastDone", STEP_S)
    assert not driver.find_elements(By.CSS_SELECTOR, ".act-refused"), \
        driver.find_element(By.CSS_SELECTOR, ".act-refused").text
    driver.execute_script("window.__lastDone = document.querySelector('.act-done');")


def _step(driver, action: str, note: str | None = None) -> None:
    if note:
        box = wait_for(driver, "document.querySelector('.details-actions .act-note input')",
                       STEP_S)
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", box)
        box.click()
        box.send_keys(note)
    _click(driver, f".details-actions .act-{action}")
    _done(driver)


def _open_from_feed(driver, incident: str) -> None:
    """Tap the incident in the tablet's to-do (it arrives by the live push)."""
    _click(driver, f"#alarm-feed [data-id={json.dumps(incident)}]")
    wait_for(driver, "document.querySelector('#details-panel').innerText.length > 0 && "
                     "!!document.querySelector('.details-actions')", STEP_S)


def _open_in_table(driver, incident: str) -> None:
    _click(driver, f"#incident-table .ag-row[row-id={json.dumps(incident)}] .ag-cell")
    wait_for(driver, "!!document.querySelector('#details-panel .details-actions')", STEP_S)


def test_loop001_people_run_the_closed_loop_on_their_screens(browser, live_server):
    home = _the_home(live_server.db_url)
    sub, hood = home["sub"], home["hood"]
    officer = live_server.account("brw-loop-officer", "officer", subdistrict=sub,
                                  person=home["duty"])
    cadre = live_server.account("brw-loop-cadre", "cadre", neighborhoods=(hood,),
                                person=home["cadre"])
    manager = live_server.account("brw-loop-pm", "property", neighborhoods=(hood,))
    before = _api(live_server, f"/api/v1/summary?subdistrict={sub}")

    wall = browser(1920, 1080, user=None)
    wall.get(live_server.kiosk_link("brw-loop-wall", f"subdistrict:{sub}"))
    wait_for(wall, TILES, 90)
    desk = browser(1920, 1080, user=officer)
    desk.get(f"{live_server}/desk")
    pm = browser(1024, 768, user=manager)
    pm.get(f"{live_server}/tablet")
    tablet = browser(1024, 768, user=cadre)
    tablet.get(f"{live_server}/tablet")
    for driver in (desk, pm, tablet):
        wait_for(driver, TILES, 90)

    # A reading raises an alarm; the desk picks it (as a map click does) and opens an incident.
    alarm = post_reading(live_server, make_token(live_server.db_url, "browser-loop"),
                         home["device"], event="smoke")
    desk.execute_script("window.dash_clientside.set_props('map-pick', {data: "
                        f"{{layer: 'alarms', id: {json.dumps(alarm)}, t: Date.now()}}}});")
    _step(desk, "incident")
    incident = _api(live_server, f"/api/v1/alarms/{alarm}")["incident_id"]
    assert incident

    # The desk dispatches it to the property company from its table.
    _open_in_table(desk, incident)
    level = wait_for(desk, "[...document.querySelectorAll('.act-levels input')]"
                           ".find(i => i.value === 'property')", STEP_S)
    desk.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();",
                        level)
    _step(desk, "dispatch")

    # The property manager's tablet: it arrives in the to-do; accept, start, escalate.
    _open_from_feed(pm, incident)
    _step(pm, "accept")
    _step(pm, "start")
    _step(pm, "escalate", "needs the committee: a shared pipe")
    wait_for(pm, f"!document.querySelector('#alarm-feed [data-id={json.dumps(incident)}]')",
             STEP_S)  # no longer at the property company's level

    # The cadre's tablet: accept, start, resolve.
    _open_from_feed(tablet, incident)
    _step(tablet, "accept")
    _step(tablet, "start")
    _step(tablet, "resolve", "pipe replaced with the residents")
    tablet.save_screenshot(str(screenshot_dir() / "loop-tablet-cadre.png"))

    # The officer verifies and closes.
    _open_in_table(desk, incident)
    _step(desk, "verify")
    _step(desk, "close")
    desk.save_screenshot(str(screenshot_dir() / "loop-desk-officer.png"))

    steps = _api(live_server, f"/api/v1/incidents/{incident}")["steps"]
    assert [(s["action"], s["level"]) for s in steps] == [
        ("report", "committee"), ("dispatch", "property"), ("accept", "property"),
        ("start", "property"), ("escalate", "committee"), ("accept", "committee"),
        ("start", "committee"), ("resolve", "committee"), ("verify", "committee"),
        ("close", "committee")]
    actors = [s["actor"] for s in steps]
    assert actors[1] == home["duty"] and actors[2:5] == [manager] * 3
    assert actors[5:8] == [home["cadre"]] * 3 and actors[8:] == [home["duty"]] * 2

    # The wall: the funnel counts one more at the committee, and equals the summary.
    after = _api(live_server, f"/api/v1/summary?subdistrict={sub}")
    committee = after["incidents"]["funnel"]["committee"]["count"]
    assert committee == before["incidents"]["funnel"]["committee"]["count"] + 1
    funnel = [after["incidents"]["funnel"][lv]["count"]
              for lv in ("property", "committee", "subdistrict")]
    expected = json.dumps(funnel, separators=(",", ":"))
    wait_for(wall, f"JSON.stringify({FUNNEL}) === {json.dumps(expected)}", 90)
    open_now = _api(live_server, f"/api/v1/summary?subdistrict={sub}")["alarms"]["open"]
    wait_for(wall, "[...document.querySelectorAll('[data-kpi=\"incidents\"]')].every("
                   f"e => +e.dataset.value === {after['incidents']['open']})", 90)
    tiles = wall.execute_script("return document.querySelector('[data-kpi=\"alarms\"]')"
                                ".dataset.value")
    assert abs(int(tiles) - open_now) <= 1  # the rules ticker may raise one meanwhile
    with suppress(TimeoutException):  # the wall's renderer may be busy drawing
        wall.save_screenshot(str(screenshot_dir() / "loop-wall.png"))
    for driver in (wall, desk, pm, tablet):
        assert console_errors(driver) == []


def _a_road_of_a_zone(live_server) -> tuple[dict, list[list[float]]]:
    """A patrol zone of beiwaitan with its government chief, and one of its roads' points."""
    zones = _api(live_server, "/api/v1/layers/patrol-zones?subdistrict=beiwaitan")["features"]
    roads = _api(live_server, "/api/v1/layers/roads?subdistrict=beiwaitan")["features"]
    for zone in zones:
        props = zone["properties"]
        mine = [r for r in roads if r["properties"].get("zone_id") == props["id"]
                and r["geometry"]["type"] == "LineString"
                and len(r["geometry"]["coordinates"]) >= 2]
        if props.get("gov_chief_id") and mine:
            road = max(mine, key=lambda r: len(r["geometry"]["coordinates"]))
            return {**props, "road": road["properties"]["id"]}, road["geometry"]["coordinates"]
    raise AssertionError("no patrol zone with a road")


def test_loop002_a_road_chief_records_a_patrol_on_the_tablet_and_the_desk_draws_it(
        browser, live_server):
    zone, line = _a_road_of_a_zone(live_server)
    chief = live_server.account("brw-chief", "road_chief", zones=(zone["id"],),
                                person=zone["gov_chief_id"])
    tablet = browser(1024, 768, user=chief)
    tablet.get(f"{live_server}/tablet")
    wait_for(tablet, TILES, 90)
    # The tablet's position (a GPS fix, emulated) at the road's start; then taps on the map.
    (x0, y0), (x1, y1) = line[0], line[-1]
    tablet.execute_cdp_cmd("Browser.grantPermissions", {"origin": str(live_server),
                                                       "permissions": ["geolocation"]})
    tablet.execute_cdp_cmd("Emulation.setGeolocationOverride",
                           {"latitude": y0, "longitude": x0, "accuracy": 5})
    _click(tablet, ".patrol-btn")  # 开始巡查
    for k in range(11):
        lon, lat = x0 + (x1 - x0) * k / 10, y0 + (y1 - y0) * k / 10
        tablet.execute_script("document.dispatchEvent(new CustomEvent('twin-map-click', "
                              f"{{detail: {{lon: {lon}, lat: {lat}}}}}));")
    points = "+((document.querySelector('.patrol-status').innerText.match(/\\d+/) || [0])[0])"
    wait_for(tablet, f"{points} >= 10", 10)
    _click(tablet, ".patrol-btn")  # 结束巡查
    wait_for(tablet, "/已记录：经过/.test(document.querySelector('.patrol-status').innerText)",
             STEP_S)
    tracks = _api(live_server, f"/api/v1/patrols?zone={zone['id']}")["features"]
    ours = [f["properties"] for f in tracks if f["properties"]["chief_id"] == zone[
        "gov_chief_id"]]  # the demo's own patrols are walked by the zone's chiefs too
    newest = max(ours, key=lambda p: p["started_at"])
    assert zone["road"] in newest["road_ids"]
    age = time.time() - datetime.fromisoformat(newest["ended_at"]).timestamp()
    assert 0 <= age < 120  # the one just recorded

    desk = browser(1920, 1080)  # the commander
    desk.get(f"{live_server}/desk?subdistrict=beiwaitan")
    wait_for(desk, f"(window.twinMap && window.twinMap.rows('patrol_tracks') || []).some("
                   f"r => r.patrol_id === {json.dumps(newest['id'])})", 90)
    assert console_errors(tablet) == []  # no network location lookup: the fix was the device's
