"""First paint (issue 11 part 5): nothing animates on a screen while its map is first drawn.

With software WebGL every animation frame composites the whole page on the CPU that compiles
deck.gl's shaders; the wall's spinner and skeletons made its first paint 2-3x slower
(assets/paint.css, bench/bench_paint.py). deck.gl's bundle is blocked here so the map stays
"not yet drawn" for as long as the test looks, whatever the machine's speed.
"""

from __future__ import annotations

import pytest
from conftest import DASH_IDLE, wait_for

from twin_dashboard.vendor import DECK_SCRIPT_URL

pytestmark = [pytest.mark.browser]

# CSS animations on the page by play state, and the spinner's among them.
ANIMATIONS = """
const all = document.getAnimations().filter(a => a.animationName);
return {
  states: all.map(a => a.playState),
  spinner: all.filter(a => a.effect.target.classList.contains('twin-map-spinner'))
              .map(a => a.playState)
};
"""


def test_no_animation_runs_until_the_map_has_drawn(live_server, browser):
    driver = browser(1920, 1080)
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": [f"*{DECK_SCRIPT_URL}"]})
    driver.get(f"{live_server}/wall")
    wait_for(driver, f"{DASH_IDLE} && document.querySelector('.twin-map-spinner') !== null")
    waiting = driver.execute_script(ANIMATIONS)
    assert waiting["spinner"] == ["paused"]  # there, but still
    assert set(waiting["states"]) == {"paused"}
    # The map drawn (as twin_map.js marks it): the page's animations go on.
    driver.execute_script("document.querySelector('.twin-map').classList.add('is-ready')")
    drawn = driver.execute_script(ANIMATIONS)
    assert drawn["spinner"] == ["running"]
    assert "paused" not in drawn["states"]
