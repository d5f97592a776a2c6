"""Bench what a screen costs the browser: bytes on the wire, time to a painted map, JS heap,
and the server's resident memory with the district loaded.

    python bench/bench_page.py [--runs 3] [--db sqlite:////path.db]

Serves ``twin-dashboard serve --no-simulate --test-hooks`` (its pages expose ``window.twinMap``)
over a store seeded from geodata/ (25k devices) and opens each screen in a fresh headless
Chromium (cold cache, SwiftShader WebGL, every host but ours unresolvable). Time to painted
map = from navigation start to the first frame deck.gl drew with data
(``window.twinMap.status().drawnAt``). Bytes = the sum of encoded (compressed) response sizes
Chromium received, from its network log.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.request import urlopen

from twin_dashboard.testing import bench_account, free_port, sign_in_driver

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from conftest import CHROMEDRIVER, chrome_options  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

SCREENS: dict[str, tuple[int, int, str]] = {
    "wall": (1920, 1080, "/wall"),
    "wall-3840": (3840, 1080, "/wall"),
    "desk": (1920, 1080, "/desk"),
    "tablet": (1024, 768, "/tablet?neighborhood=yunfang"),
}
PAINT_TIMEOUT_S = 180


def rss_mb(pid: int) -> float:
    """Resident memory of a process from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def serve(db_url: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "twin_dashboard", "serve", "--no-simulate", "--test-hooks",
         "--port", str(port), "--db", db_url], stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urlopen(f"{base}/healthz", timeout=2):
                return proc, base
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("server did not start")


def wire_bytes(driver: webdriver.Chrome) -> int:
    """Encoded bytes of every response, from the performance log."""
    total = 0
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.loadingFinished":
            total += int(message["params"].get("encodedDataLength", 0))
    return total


def measure(base: str, screen: str, user: str) -> dict[str, float]:
    width, height, path = SCREENS[screen]
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=chrome_options(width, height))
    try:
        driver.set_page_load_timeout(PAINT_TIMEOUT_S)
        sign_in_driver(driver, base, user)
        driver.get_log("performance")  # count the screen's bytes, not the login page's
        driver.get(base + path)
        WebDriverWait(driver, PAINT_TIMEOUT_S, poll_frequency=0.1).until(
            lambda d: d.execute_script(
                "return window.twinMap && window.twinMap.status().drawnAt"))
        painted = driver.execute_script(
            "return window.twinMap.status().drawnAt")  # performance.now() of the frame
        time.sleep(1.0)  # let the page's remaining callbacks land before counting bytes
        heap = driver.execute_cdp_cmd("Runtime.getHeapUsage", {})["usedSize"]
        return {"painted_ms": float(painted), "wire_kb": wire_bytes(driver) / 1024,
                "heap_mb": heap / 2**20}
    finally:
        driver.quit()


def seeded(tmp: Path) -> str:
    db_url = f"sqlite:///{tmp / 'bench.db'}"
    subprocess.run([sys.executable, "-m", "twin_dashboard", "seed", "--db", db_url],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return db_url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", help="a seeded store (default: seed a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db_url = args.db or seeded(Path(tmp))
        user = bench_account(db_url)
        proc, base = serve(db_url)
        try:
            print(f"server resident memory after start: {rss_mb(proc.pid):.0f} MB")
            print(f"{'screen':10s} {'painted ms p50':>15s} {'max':>8s} {'wire KB':>9s} "
                  f"{'JS heap MB':>11s}")
            for screen in SCREENS:
                runs = [measure(base, screen, user) for _ in range(args.runs)]
                paint = [r["painted_ms"] for r in runs]
                print(f"{screen:10s} {statistics.median(paint):15.0f} {max(paint):8.0f} "
                      f"{statistics.median(r['wire_kb'] for r in runs):9.0f} "
                      f"{statistics.median(r['heap_mb'] for r in runs):11.1f}")
            print(f"server resident memory after all pages: {rss_mb(proc.pid):.0f} MB")
        finally:
            proc.terminate()
            proc.wait(timeout=15)


if __name__ == "__main__":
    main()
