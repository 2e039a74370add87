"""Take the README's screenshot: the map in headless Chromium, with a chooser open.

Usage: .venv/bin/python tools/screenshot.py [OUT]   (default docs/screenshot.png)
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.browser.conftest import CHROMIUM_ARGS  # noqa: E402
from tests.servers import gunicorn  # noqa: E402


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshot.png"
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("screenshot: chromium is not installed (apt-get install chromium)")
    with gunicorn("--workers", "1") as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(url + "/")
        page.wait_for_selector("body[data-ready=true]", timeout=30_000)
        # The opening view with its names and towns, and the chooser a click opens where
        # several features share a spot (Aktau: two ports and a naval base).
        page.wait_for_function("() => document.querySelectorAll('.map-name-town').length > 0")
        spot = page.evaluate(
            """() => {
              const p = geoapp.map.latLngToContainerPoint(
                geoapp.byId.get('port-aktau').target.getLatLng());
              const r = geoapp.map.getContainer().getBoundingClientRect();
              return {x: p.x + r.left, y: p.y + r.top};
            }"""
        )
        page.mouse.click(spot["x"], spot["y"])
        page.wait_for_selector(".pick-popup", timeout=10_000)
        page.wait_for_timeout(800)  # let the popup's pan settle
        page.screenshot(path=str(out))
        browser.close()
    print(out)


if __name__ == "__main__":
    main()
