"""Real headless Chromium (Debian's) driven by Playwright; no ``playwright install``.

Every page records console errors and any request that leaves loopback; the
``page`` fixture fails the test on either. Without Chromium the tests skip,
except under CI=true, where they fail: CI must drive a real browser.
"""

from __future__ import annotations

import os
import shutil
from urllib.parse import urlsplit

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]  # fmt: skip


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if CHROMIUM is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but Debian chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageWatch:
    """What a page did that a test must check: console errors, off-machine requests."""

    def __init__(self, page):
        self.page = page
        self.errors: list[str] = []
        self.outside: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("request", self._request)

    def _console(self, msg):
        if msg.type == "error":
            self.errors.append(msg.text)

    def _request(self, request):
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOCAL_HOSTS:
            self.outside.append(request.url)


@pytest.fixture
def watched_page(browser):
    """A fresh page (1280x800) and its watch; fails the test on console errors or leaks."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    # Nothing may leave the machine: abort any such request (it is still recorded).
    context.route(
        lambda url: (
            urlsplit(url).hostname not in LOCAL_HOSTS
            and not url.startswith(("data:", "blob:", "file:", "about:"))
        ),
        lambda route: route.abort(),
    )
    # Record Content-Security-Policy violations (Chromium also logs them as console errors).
    context.add_init_script(
        "window.__cspViolations = [];"
        "document.addEventListener('securitypolicyviolation', (e) =>"
        " window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));"
    )
    page = context.new_page()
    watch = PageWatch(page)
    yield page, watch
    violations = page.evaluate("window.__cspViolations || []") if not page.is_closed() else []
    context.close()
    assert not violations, f"Content-Security-Policy violations: {violations}"
    assert not watch.errors, f"console errors: {watch.errors}"
    assert not watch.outside, f"requests left loopback: {watch.outside}"
