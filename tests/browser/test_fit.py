"""Every screen at every size of the README, in both languages: no text overflows its box
(cut off without an ellipsis), and no two names on the map overlap."""

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


# Map labels drawn now (twinMap.labels(): text, anchor in page pixels, font), measured here with
# the page's own fonts; two boxes that share any pixel overlap. Only labels inside the map count.
OVERLAPPING_LABELS = """
const map = document.querySelector('.twin-map-canvas').getBoundingClientRect();
const ctx = document.createElement('canvas').getContext('2d');
const boxes = window.twinMap.labels().map(l => {
  ctx.font = l.font;
  const w = ctx.measureText(l.text).width + 2 * l.outline, h = l.px + 2 * l.outline;
  return {text: l.text, x0: l.x - w / 2, x1: l.x + w / 2, y0: l.y - h / 2, y1: l.y + h / 2};
}).filter(b => b.x1 > map.left && b.x0 < map.right && b.y1 > map.top && b.y0 < map.bottom);
const clashes = [];
boxes.forEach((a, i) => boxes.slice(i + 1).forEach(b => {
  const overlap = a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
  if (overlap) clashes.push(a.text + ' / ' + b.text);
}));
return {shown: boxes.length, clashes: clashes};
"""


CAMERA_AT_REST = """
const done = arguments[arguments.length - 1];
let last = '', still = 0;
const tick = () => {
  const v = JSON.stringify(window.twinMap.status().view);
  still = v === last ? still + 1 : 0; last = v;
  if (still >= 5) done(); else setTimeout(tick, 200);
};
tick();
"""


# One page load per screen, size and language judges both (a browser page load is the cost).
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(("screen", "width", "height"), SIZES)
def test_fit001_no_text_is_cut_off_and_no_two_map_labels_overlap(browser, live_server, screen,
                                                                  width, height, lang):
    driver = browser(width, height)
    driver.set_script_timeout(60)
    driver.get(f"{live_server}/{screen}?lang={lang}")
    wait_settled(driver)
    assert driver.execute_script(OVERFLOWING) == []
    driver.execute_async_script(CAMERA_AT_REST)  # the first fly-in over, judge what is drawn
    found = driver.execute_script(OVERLAPPING_LABELS)
    assert found["clashes"] == []
    assert found["shown"] >= 3  # names are drawn, not all given way
