"""Keyboard, screen readers (axe-core, offline) and the phone layout, in real Chromium.

These check the page, not the data's provider: they run on the files provider only.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import LOCAL_HOSTS
from tests.browser.test_map_page import READY, open_map

pytestmark = pytest.mark.parametrize("backend", ["files"], indirect=True)

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
#: The smallest touch target (WCAG 2.5.5): a phone's controls are at least this tall and wide.
TARGET = 44
OPAQUE = "() => getComputedStyle(document.querySelector('.leaflet-popup')).opacity === '1'"
FOCUSED_IN_POPUP = "() => !!document.activeElement.closest('.leaflet-popup')"


def serious(page, where: str) -> None:
    """Fail on any serious or critical axe-core violation, listing each with its nodes."""
    found = [
        v for v in Axe().run(page).response["violations"] if v["impact"] in ("serious", "critical")
    ]
    lines = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes'][:5]]}"
        for v in found
    ]
    assert not found, f"axe on {where}:\n" + "\n".join(lines)


def test_axe_finds_nothing_serious_on_the_map_a_popup_and_the_error_pages(
    watched_page, live_server, browser
):
    page, _ = watched_page
    open_map(page, live_server + "/")
    serious(page, "the map page")
    page.locator(".leaflet-marker-icon.id-port-aktau").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(".leaflet-popup-content .popup")
    page.wait_for_function(OPAQUE)  # faded in: axe measures contrast as shown
    serious(page, "the map with a popup open")
    page.keyboard.press("Escape")
    page.wait_for_selector(".leaflet-popup", state="detached")  # not measured mid-fade
    # The chooser a click opens where several features share a spot.
    spot = page.evaluate(
        """() => {
          const p = geoapp.map.latLngToContainerPoint(geoapp.byId.get('port-aktau').target.getLatLng());
          const r = geoapp.map.getContainer().getBoundingClientRect();
          return {x: p.x + r.left, y: p.y + r.top};
        }"""
    )
    page.mouse.click(spot["x"], spot["y"])
    page.wait_for_selector(".pick-popup button[data-feature-id]")
    page.wait_for_function(OPAQUE)
    serious(page, "the map with the chooser of features open")
    page.keyboard.press("Escape")
    page.wait_for_selector(".leaflet-popup", state="detached")
    page.click("#feature-list-box summary")
    page.wait_for_selector("#feature-list tr[data-feature-id]")
    serious(page, "the map with the feature list open")
    # Error pages log their status as a console error: a context of their own, unwatched.
    context = browser.new_context()
    try:
        errors = context.new_page()
        for path, status in (
            ("/no-such-page", 404),
            ("/?sectors=nonsense", 400),
            ("/?feature=no-such-feature", 404),  # the unknown feature's page, with its search
        ):
            assert errors.goto(live_server + path).status == status
            serious(errors, f"the {status} page")
            assert errors.locator("main h1").count() == 1
    finally:
        context.close()


def test_keyboard_skip_link_controls_before_markers_popup_focus_and_escape(
    watched_page, live_server
):
    page, _ = watched_page
    open_map(page, live_server + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.classList.contains('leaflet-container')")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('leaflet-control-zoom-in')")
    # Every marker has a name, the feature's own.
    names = page.eval_on_selector_all(
        ".leaflet-marker-icon.feature", "els => els.map(e => e.getAttribute('aria-label'))"
    )
    assert names and all(names)
    marker = page.locator(".leaflet-marker-icon.id-port-aktau")
    marker.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(".leaflet-popup-content .popup")
    name = page.inner_text(".leaflet-popup-content .popup-name")
    assert marker.get_attribute("aria-label") == name
    assert page.evaluate(FOCUSED_IN_POPUP)
    page.keyboard.press("Escape")
    page.wait_for_selector(".leaflet-popup", state="detached", timeout=2_000)
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == name
    # From a search result: Esc closes the popup and gives the focus back to the result.
    page.fill("#search-input", "Aktau")
    page.wait_for_selector("#search-results button")
    page.press("#search-input", "ArrowDown")
    result = page.evaluate("document.activeElement.dataset.featureId")
    page.keyboard.press("Enter")
    page.wait_for_selector(".leaflet-popup-content .popup", timeout=10_000)
    page.wait_for_function(FOCUSED_IN_POPUP)
    page.keyboard.press("Escape")
    page.wait_for_selector(".leaflet-popup", state="detached", timeout=2_000)
    assert page.evaluate("document.activeElement.dataset.featureId") == result


def test_phone_map_fills_the_screen_drawer_popup_fits_targets_and_zoom(browser, live_server):
    context = browser.new_context(**PHONE)
    context.route(lambda url: _leaves(url), lambda route: route.abort())
    try:
        page = context.new_page()
        page.goto(live_server + "/")
        page.wait_for_selector(READY, timeout=20_000)
        viewport = page.get_attribute('meta[name="viewport"]', "content")
        assert "user-scalable" not in viewport and "maximum-scale" not in viewport
        box = page.locator("#map-box").bounding_box()
        assert min(box["y"] + box["height"], 844) - max(box["y"], 0) >= 0.6 * 844, box
        toggle = page.locator("#panel-toggle")
        assert toggle.get_attribute("aria-expanded") == "false"
        assert not page.locator("#panel").is_visible()
        small = _small_targets(page)
        assert not small, f"map controls under {TARGET} px: {small}"
        # The credits and the scale bar share the bottom edge without covering each other.
        scale = page.locator(".leaflet-control-scale").bounding_box()
        credit = page.locator(".leaflet-control-attribution").bounding_box()
        apart = (
            scale["x"] + scale["width"] <= credit["x"]
            or credit["y"] + credit["height"] <= scale["y"]
        )
        assert apart, (scale, credit)
        toggle.click()
        assert toggle.get_attribute("aria-expanded") == "true"
        assert page.locator("#panel").is_visible()
        page.click("#export-menu summary")
        small = _small_targets(page)
        assert not small, f"panel controls under {TARGET} px: {small}"
        # A search from the drawer closes it and opens the popup on screen, fitted.
        page.fill("#search-input", "Turkmenbashi")
        page.press("#search-input", "Enter")
        page.wait_for_selector(".leaflet-popup-content .popup", timeout=10_000)
        page.wait_for_timeout(400)  # the popup's pan into view
        assert toggle.get_attribute("aria-expanded") == "false"
        popup = page.locator(".leaflet-popup-content-wrapper").bounding_box()
        buttons = page.locator(".leaflet-top.leaflet-left").bounding_box()
        assert popup["x"] >= buttons["x"] + buttons["width"], (popup, buttons)
        assert popup["x"] + popup["width"] <= 390, popup
        assert popup["y"] >= 0 and popup["y"] + popup["height"] <= 844, popup
        content = page.locator(".leaflet-popup-content")
        scrolls = content.evaluate("e => e.scrollHeight > e.clientHeight")
        assert not scrolls or content.evaluate("e => getComputedStyle(e).overflowY") == "auto"
    finally:
        context.close()


def test_about_and_the_attribution_name_natural_earth(watched_page, live_server):
    page, _ = watched_page
    open_map(page, live_server + "/")
    assert "Natural Earth" in page.inner_text(".leaflet-control-attribution")
    page.click("#about > summary")
    about = page.locator("#about .about-body")
    assert about.is_visible() and "Data as of" in about.inner_text()
    assert page.locator("#about a[href^='http']").count() > 1


def _leaves(url: str) -> bool:
    return urlsplit(url).hostname not in LOCAL_HOSTS and not url.startswith(("data:", "about:"))


def _small_targets(page) -> list[str]:
    """Visible controls (buttons, fields, checkboxes by their label, menus, the map's
    buttons) smaller than TARGET px in either direction; links in running text are not
    targets of their own (WCAG 2.5.8's inline exception)."""
    return page.evaluate(
        """(target) => {
        const small = [];
        const sel = "button, input, select, summary, .leaflet-bar a, .leaflet-popup-close-button, #export-menu li a";
        for (const el of document.querySelectorAll(sel)) {
          const box = (el.type === "checkbox" && el.closest("label")) || el;
          const r = box.getBoundingClientRect();
          if (!r.width || !r.height || getComputedStyle(el).visibility === "hidden") continue;
          if (r.width < target - 0.5 || r.height < target - 0.5)
            small.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className} ${Math.round(r.width)}x${Math.round(r.height)}`);
        }
        return small;
        }""",
        TARGET,
    )
