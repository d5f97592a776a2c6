"""The search box in a real browser (desk at 1366×768): a neighborhood found by name flies the
map there and becomes the scope; a device id with Enter opens the device; Esc clears."""

from __future__ import annotations

import pytest
from conftest import wait_for, wait_settled
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TIMEOUT_S = 120
DEVICE = "dev-000123"


def test_sea001_pick_a_neighborhood_then_enter_a_device_id(browser, live_server):
    driver = browser(1366, 768)
    driver.set_script_timeout(TIMEOUT_S)
    driver.get(f"{live_server}/desk?lang=zh")
    wait_settled(driver, TIMEOUT_S)
    before = driver.execute_script("return window.twinMap.status().view;")
    box = driver.find_element(By.ID, "search-input")

    box.send_keys("云舫")
    wait_for(driver, "[...document.querySelectorAll('.search-hit')]"
                     ".some(b => b.innerText.includes('云舫小区'))", 30)
    hit = next(b for b in driver.find_elements(By.CSS_SELECTOR, ".search-hit")
               if "云舫小区" in b.text and "居委" in b.text)
    hit.click()
    wait_for(driver, "document.getElementById('scope-title').innerText.includes('云舫小区')",
             TIMEOUT_S)
    wait_for(driver, "window.twinMap.status().drawn === 'nbh:yunfang'", TIMEOUT_S)
    wait_for(driver, f"""(function () {{
        var v = window.twinMap.status().view, b = {before};
        return v && v.zoom > b.zoom + 0.5; }})()""", 30)
    assert driver.find_elements(By.CSS_SELECTOR, ".search-hit") == []  # the list closed

    box.send_keys(Keys.ESCAPE)  # Esc clears the box (a React input: selenium's clear() does not)
    wait_for(driver, "document.getElementById('search-input').value === ''", 10)
    box.send_keys(DEVICE)
    wait_for(driver, f"[...document.querySelectorAll('.search-hit')]"
                     f".some(b => b.innerText.includes('{DEVICE}'))", 30)
    # the panel heads a device with its name: the row's secondary line begins with it
    name = driver.find_element(By.CSS_SELECTOR, ".search-hit .search-secondary").text
    name = name.split(" · ")[0]
    assert name
    box.send_keys(Keys.ENTER)
    wait_for(driver, f"document.getElementById('details-panel').innerText.includes('{name}')",
             TIMEOUT_S)
    focus = driver.execute_script("return window.twinMap.status().focus;")
    assert focus and focus["lon"] and focus["lat"]

    box.send_keys("7")  # the results of dev-0001237, then Esc: an empty box, no list
    wait_for(driver, "document.querySelectorAll('.search-none').length === 1", 30)
    box.send_keys(Keys.ESCAPE)
    wait_for(driver, "document.getElementById('search-input').value === ''", 10)
    wait_for(driver, "document.querySelector('#search-results').children.length === 0", 30)
