"""The screens under the served Content-Security-Policy (api/hardening.py): every screen draws
its map and runs its callbacks with no CSP violation and a clean console, and the policy is
really enforced (an injected inline script does not run)."""

from __future__ import annotations

import json

import pytest
from conftest import console_errors, element_colors, wait_for

pytestmark = pytest.mark.browser

DRAW_TIMEOUT_S = 120  # the first frame of the whole district in software WebGL
KPIS_READY = ("document.querySelectorAll('[data-kpi]').length === 5 && "
              "[...document.querySelectorAll('[data-kpi]')].every(e => e.dataset.value !== '')")
# Installed before any script of the page runs: every violation the page reports, kept.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push({directive: e.violatedDirective, blocked: e.blockedURI,
                               source: e.sourceFile, line: e.lineNumber});
});
"""
# The district's name comes from the data (geodata/district.geojson's name_en).
EN_TITLES = {"wall": "Hongkou District Command Center · Digital Twin · Wall",
             "desk": "Hongkou District Command Center · Digital Twin · Desk",
             "tablet": "Hongkou District Command Center · Digital Twin · Tablet"}


def _open(browser, width: int, height: int, url: str):
    driver = browser(width, height)
    driver.set_script_timeout(DRAW_TIMEOUT_S)
    driver.set_page_load_timeout(DRAW_TIMEOUT_S)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument",
                           {"source": RECORD_VIOLATIONS})
    driver.get(url)
    return driver


def _document_policy(driver) -> str:
    """The Content-Security-Policy header of the page's document, as the browser received it."""
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if (message.get("method") == "Network.responseReceived"
                and params.get("type") == "Document"
                and params["response"]["url"].startswith("http")):  # not the first data:,
            headers = {k.lower(): v for k, v in params["response"]["headers"].items()}
            return headers.get("content-security-policy", "")
    return ""


def _violations(driver) -> list[dict]:
    return driver.execute_script("return window.__cspViolations;")


@pytest.mark.parametrize(("screen", "width", "height"), [
    ("wall", 1920, 1080), ("desk", 1920, 1080), ("tablet", 1024, 768),
])
def test_csp001_each_screen_draws_under_the_policy_with_a_clean_console(
        live_server, browser, screen, width, height):
    driver = _open(browser, width, height, f"{live_server}/{screen}?lang=en")
    policy = _document_policy(driver)
    script_src = next(p for p in policy.split(";") if p.strip().startswith("script-src"))
    assert "'sha256-" in script_src and "unsafe-inline" not in script_src
    wait_for(driver, "window.twinMap && window.twinMap.status().drawn === 'district'",
             DRAW_TIMEOUT_S)
    assert element_colors(driver, "#twin-map") > 40  # a drawn map, not a blank canvas
    wait_for(driver, KPIS_READY, timeout=90)  # server callbacks answered
    # The clientside callbacks Dash writes inline (allowed by hash) ran: title and clock.
    wait_for(driver, f"document.title === {json.dumps(EN_TITLES[screen])}", timeout=30)
    wait_for(driver, "/^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d$/.test("
                     "(document.getElementById('clock-text') || {}).textContent || '')",
             timeout=30)
    assert _violations(driver) == []
    errors = console_errors(driver)
    assert errors == [], "\n".join(errors)


def test_csp002_the_picker_redirects_under_the_policy(live_server, browser):
    driver = _open(browser, 1920, 1080, f"{live_server}/")
    wait_for(driver, "location.pathname === '/desk'", timeout=60)  # an inline callback ran
    wait_for(driver, KPIS_READY, timeout=90)
    assert _violations(driver) == []
    assert console_errors(driver) == []


def test_csp003_an_injected_inline_script_does_not_run(live_server, browser):
    driver = _open(browser, 1920, 1080, f"{live_server}/desk")
    wait_for(driver, KPIS_READY, timeout=90)
    ran = driver.execute_script("""
        var s = document.createElement('script');
        s.textContent = 'window.__injected = true;';
        document.body.appendChild(s);
        return window.__injected === true;""")
    assert ran is False
    wait_for(driver, "window.__cspViolations.length > 0", timeout=10)
    assert [v["directive"] for v in _violations(driver)] == ["script-src-elem"]
