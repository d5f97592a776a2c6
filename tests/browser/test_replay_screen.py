"""Time replay on the desk: moved back to before an alarm was raised, the KPIs show the figures
of that moment (equal to /api/v1/summary?at=), live events wait, and Back to live restores the
live figures."""

from __future__ import annotations

import httpx
import pandas as pd
import pytest
from conftest import make_token, post_reading, wait_for, wait_settled

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SHOWN = "window.twinReplay.status()"
KPI = "document.querySelector('[data-kpi={key}]').dataset.value"


def kpi(driver, key: str) -> str:
    return driver.execute_script(f"return {KPI.format(key=key)}")


def summary(live_server, **params) -> dict:
    response = httpx.get(f"{live_server}/api/v1/summary", params=params,
                         headers=live_server.headers, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def a_public_device(live_server) -> str:
    response = httpx.get(f"{live_server}/api/v1/layers/devices", params={"limit": 2000},
                         headers=live_server.headers, timeout=60)
    for feature in response.json()["features"]:
        if feature["properties"]["category"] == "manhole":
            return feature["properties"]["id"]
    raise AssertionError("no manhole cover in the first 2,000 devices")


def test_rpl001_replay_before_an_alarm_shows_that_moments_figures_then_back_to_live(
        browser, live_server, server_db) -> None:
    token = make_token(server_db, "browser-replay001")
    driver = browser(1920, 1080)
    driver.set_script_timeout(60)
    driver.get(f"{live_server}/desk")
    wait_settled(driver)
    wait_for(driver, "window.twinReplay !== undefined")
    post_reading(live_server, token, a_public_device(live_server))  # a known alarm, now
    wait_for(driver, f"{KPI.format(key='alarms')} === "
                     f"'{summary(live_server)['alarms']['open']}'", timeout=60)
    live_alarms = kpi(driver, "alarms")

    # an hour back: before that alarm existed
    driver.execute_script("window.twinReplay.seekTo(new Date(Date.now() - 3600e3)"
                          ".toISOString())")
    wait_for(driver, f"{SHOWN}.shown !== null && !{SHOWN}.busy", timeout=120)
    shown = driver.execute_script(f"return {SHOWN}.shown")
    then = summary(live_server, at=shown)
    assert then["as_of"].startswith(shown[:19])
    wait_for(driver, f"{KPI.format(key='alarms')} === '{then['alarms']['open']}' && "
                     f"{KPI.format(key='incidents')} === '{then['incidents']['open']}'",
             timeout=60)
    assert int(then["alarms"]["open"]) < int(live_alarms)  # the new alarm is not there yet
    assert "is-replaying" in driver.find_element("id", "replay-bar").get_attribute("class")
    banner = driver.find_element("css selector", "#replay-bar .replay-banner").text
    local = pd.Timestamp(shown).tz_convert("Asia/Shanghai").strftime("%Y-%m-%d %H:%M")
    assert "回放中" in banner and local in banner, banner

    driver.find_element("id", "replay-live").click()
    wait_for(driver, f"{SHOWN}.shown === null && !{SHOWN}.busy", timeout=120)
    now = summary(live_server)
    wait_for(driver, f"{KPI.format(key='alarms')} === '{now['alarms']['open']}'", timeout=60)
    assert "is-live" in driver.find_element("id", "replay-bar").get_attribute("class")
