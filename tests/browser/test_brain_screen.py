"""社区大脑 on the desk (issue 10): a commander opens the brain, clicks a policy gap, and the map
draws the choropleth with the counts of /api/v1/brain/counts; the chart shows the same."""

from __future__ import annotations

import httpx
import pytest
from conftest import console_errors, screenshot_dir, wait_for, wait_settled
from selenium.webdriver.common.by import By

from twin_dashboard.domain.brain import POLICY_GAPS

pytestmark = pytest.mark.browser
ROWS = "window.twinMap.rows('brain')"
LABELS = "window.twinMap.rows('brain_labels')"
BARS = ("(() => { const p = document.querySelector('#brain-chart .js-plotly-plot');"
        " return p && p.data && p.data[0] ? [p.data[0].customdata, p.data[0].x] : null; })()")


@pytest.mark.parametrize("lang", ["zh"])
def test_brn001_a_policy_gap_draws_the_api_counts_on_the_map_and_chart(live_server, browser,
                                                                        lang):
    driver = browser(1920, 1080)
    driver.get(f"{live_server}/desk?lang={lang}")
    wait_settled(driver)
    assert driver.execute_script(f"return {ROWS}") is None  # no choropleth before a query
    driver.find_element(By.ID, "brain-open").click()
    wait_for(driver, "!document.getElementById('brain-panel').hidden", 30)
    gap = POLICY_GAPS[0]
    driver.find_element(By.CSS_SELECTOR, f"[id*='{gap.key}']").click()
    wait_for(driver, f"{ROWS} && {ROWS}.length > 0 && {BARS}", 60)

    query = gap.query.as_dict()
    api = httpx.get(f"{live_server}/api/v1/brain/counts", headers=live_server.headers,
                    params={"all": ",".join(query["all"]), "any": ",".join(query["any"]),
                            "not": ",".join(query["not"]), "by": "neighborhood"},
                    timeout=30).json()
    expected = {a["id"]: a["count"] for a in api["areas"]}
    assert sum(expected.values()) > 0, api  # the demo has people in this gap
    on_map = {r["id"]: r["count"] for r in driver.execute_script(f"return {ROWS}")}
    assert on_map == expected
    labels = {r["id"]: r["text"] for r in driver.execute_script(f"return {LABELS}")}
    assert labels == {k: str(v) for k, v in expected.items()}  # the count as the label
    ids, counts = driver.execute_script(f"return {BARS}")
    assert ids and {i: c for i, c in zip(ids, counts, strict=True)} == {
        i: expected[i] for i in ids}
    assert max(counts) == max(expected.values())
    total = driver.find_element(By.ID, "brain-total").text
    assert str(api["total"]) in total
    driver.save_screenshot(str(screenshot_dir() / f"brain-{lang}.png"))

    driver.find_element(By.ID, "brain-clear").click()  # clearing the query clears the map
    wait_for(driver, f"{ROWS} === null", 30)
    assert not [e for e in console_errors(driver) if "favicon" not in e]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (1366, 768)])
def test_brn002_the_open_brain_cuts_no_text_off(live_server, browser, width, height, lang):
    from test_fit import OVERFLOWING

    driver = browser(width, height)
    driver.set_script_timeout(60)
    driver.get(f"{live_server}/desk?lang={lang}")
    wait_settled(driver)
    driver.find_element(By.ID, "brain-open").click()
    wait_for(driver, "!document.getElementById('brain-panel').hidden", 30)
    driver.find_element(By.CSS_SELECTOR, f"[id*='{POLICY_GAPS[1].key}']").click()
    wait_for(driver, f"{ROWS} && {BARS} && document.querySelector('.brain-table')", 60)
    assert driver.execute_script(OVERFLOWING) == []
    panel = driver.find_element(By.ID, "brain-panel").rect
    assert panel["x"] >= 0 and panel["x"] + panel["width"] <= width
    assert panel["y"] + panel["height"] <= height
    driver.save_screenshot(str(screenshot_dir() / f"brain-{width}-{lang}.png"))
