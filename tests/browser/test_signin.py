"""Signing in through the login page in a real browser: the wall's kiosk, a desk officer, a
tablet cadre each see their screen drawn; an anonymous browser lands on /login."""

from __future__ import annotations

import json
import time
from urllib.parse import unquote, urlparse

import pytest
from conftest import (
    console_errors,
    element_colors,
    requested_hosts,
    screenshot_dir,
    wait_for,
)
from selenium.webdriver.common.by import By

pytestmark = [pytest.mark.browser, pytest.mark.slow]
MAP_DRAWN = "window.twinMap && window.twinMap.status().drawn"
TILES = ("document.querySelectorAll('[data-kpi]').length === 5 && "
         "[...document.querySelectorAll('[data-kpi]')].every(e => e.dataset.value !== '')")


def _drawn(driver, name: str) -> None:
    wait_for(driver, MAP_DRAWN, timeout=90)
    wait_for(driver, TILES, timeout=90)
    time.sleep(3)  # let the map finish drawing before judging its pixels
    driver.save_screenshot(str(screenshot_dir() / f"signin-{name}.png"))
    assert element_colors(driver, "#twin-map") > 3, "the map is blank"
    assert requested_hosts(driver) <= {"127.0.0.1", "localhost"}
    assert console_errors(driver) == []


def test_brw101_an_anonymous_browser_lands_on_login_and_keeps_where_it_was_going(
        browser, live_server):
    driver = browser(1366, 768, user=None)
    driver.get(f"{live_server}/desk?lang=en")
    wait_for(driver, "document.getElementById('login-submit')", timeout=20)
    url = urlparse(driver.current_url)
    assert url.path == "/login" and unquote(url.query) == "next=/desk?lang=en"
    assert driver.find_element(By.ID, "login-submit").size["height"] >= 44
    assert driver.execute_script("return document.scripts.length") == 0  # no script at all
    assert requested_hosts(driver) <= {"127.0.0.1", "localhost"}


def test_brw102_a_wrong_password_says_so_and_stays(browser, live_server):
    driver = browser(1366, 768, user=None)
    live_server.account("brw-wrong", "officer", subdistrict="beiwaitan")
    driver.get(f"{live_server}/login?lang=en")
    driver.find_element(By.ID, "username").send_keys("brw-wrong")
    driver.find_element(By.ID, "password").send_keys("not the password")
    driver.find_element(By.ID, "login-submit").click()
    wait_for(driver, "document.querySelector('.login-error')", timeout=20)
    assert "Wrong user name or password" in driver.find_element(
        By.CSS_SELECTOR, ".login-error").text
    assert urlparse(driver.current_url).path == "/login"


def test_brw103_the_walls_kiosk_enrols_and_sees_its_subdistrict(browser, live_server):
    driver = browser(1920, 1080, user=None)
    driver.get(live_server.kiosk_link("brw-wall", "subdistrict:beiwaitan"))
    wait_for(driver, "location.pathname === '/wall'", timeout=30)
    assert "subdistrict=beiwaitan" in driver.current_url
    _drawn(driver, "wall-kiosk")
    me = driver.execute_script(
        "return fetch('/api/v1/me').then(r => r.json())")
    assert me["role"] == "kiosk" and me["subdistricts"] == ["beiwaitan"]
    assert not me["personal_data"] and me["read_only"]


def test_brw104_a_desk_officer_signs_in_through_the_form_and_sees_the_desk(browser,
                                                                            live_server):
    user = live_server.account("brw-officer", "officer", subdistrict="beiwaitan")
    driver = browser(1366, 768, user=None)
    driver.get(f"{live_server}/login")
    driver.find_element(By.ID, "username").send_keys(user)
    driver.find_element(By.ID, "password").send_keys("correct horse battery")
    driver.save_screenshot(str(screenshot_dir() / "signin-login-desk.png"))
    driver.find_element(By.ID, "login-submit").click()
    wait_for(driver, "location.pathname === '/desk'", timeout=30)
    _drawn(driver, "desk-officer")
    title = driver.find_element(By.ID, "scope-title").text
    assert "北外滩" in title, title
    options = driver.execute_script(
        "return fetch('/api/v1/summary?subdistrict=ouyanglu').then(r => r.status)")
    assert options == 403


def test_brw105_a_tablet_cadre_signs_in_and_sees_their_neighborhood(browser, live_server):
    from twin_dashboard.domain.routing import Directory
    from twin_dashboard.store.base import open_store

    cadre = Directory.from_store(open_store(live_server.db_url)).cadres["yunfang"]
    user = live_server.account("brw-cadre", "cadre", neighborhoods=("yunfang",), person=cadre)
    driver = browser(768, 1024, touch=True, user=None)
    driver.get(f"{live_server}/login?lang=en")
    assert driver.find_element(By.ID, "username").size["height"] >= 44
    driver.find_element(By.ID, "username").send_keys(user)
    driver.find_element(By.ID, "password").send_keys("correct horse battery")
    driver.find_element(By.ID, "login-submit").click()
    wait_for(driver, "location.pathname === '/tablet'", timeout=30)
    assert "lang=en" in driver.current_url
    _drawn(driver, "tablet-cadre")
    live = driver.execute_script(
        "return JSON.parse(JSON.stringify(window.twinLive ? window.twinLive.status() : {}))")
    assert "neighborhood=yunfang" in json.dumps(live.get("url", "")), live
