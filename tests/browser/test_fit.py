"""Every screen at every size of the README, in both languages: no text overflows its box
(cut off without an ellipsis)."""

from __future__ import annotations

import pytest
from conftest import wait_settled

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SIZES = [("wall", 1920, 1080), ("desk", 1920, 1080), ("desk", 1366, 768),
         ("tablet", 1024, 768), ("tablet", 768, 1024)]

# Elements whose text is cut: wider content than their box, clipped, and no ellipsis to say
# so. Scrolling containers (lists, grids, the details panel) are meant to scroll.
OVERFLOWING = """
const out = [];
for (const el of document.querySelectorAll('body *')) {
  if (!el.offsetParent || el.closest('.js-plotly-plot, #twin-map, .ag-root-wrapper')) continue;
  const box = el.getBoundingClientRect();
  if (box.width <= 1 || box.height <= 1) continue;  // visually hidden (screen readers' text)
  const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
  if (!own) continue;
  const style = getComputedStyle(el);
  const clips = ['hidden', 'clip'].includes(style.overflowX);
  if (clips && style.textOverflow !== 'ellipsis' && el.scrollWidth > el.clientWidth + 1) {
    out.push(el.className + ': ' + el.textContent.trim().slice(0, 40));
  }
}
return out;
"""


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(("screen", "width", "height"), SIZES)
def test_fit001_no_text_is_cut_off(browser, live_server, screen, width, height, lang):
    driver = browser(width, height)
    driver.set_script_timeout(60)
    driver.get(f"{live_server}/{screen}?lang={lang}")
    wait_settled(driver)
    assert driver.execute_script(OVERFLOWING) == []
