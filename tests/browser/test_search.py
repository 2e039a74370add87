"""The search box in real Chromium against the real server: the list, the keyboard, no script."""

from __future__ import annotations

from tests.browser.test_map_page import open_map


def listed(page) -> list[str]:
    return page.eval_on_selector_all(
        "#search-results button[data-feature-id]", "els => els.map(e => e.dataset.featureId)"
    )


def test_krasnovodsk_lists_turkmenbashis_port_first_and_enter_opens_it(
    watched_page, live_server, catalog
):
    page, _ = watched_page
    open_map(page, live_server + "/")
    page.fill("#search-input", "Krasnovodsk")
    page.press("#search-input", "Enter")
    popup = page.locator(".leaflet-popup-content .popup-name")
    popup.wait_for(timeout=10_000)
    port = catalog.get("port-turkmenbashi")["properties"]["name"]
    assert popup.inner_text() == port
    assert listed(page)[0] == "port-turkmenbashi"
    first = page.locator("#search-results button").first
    assert port in first.inner_text() and "Ports" in first.inner_text()
    # The keyboard walks the list: down from the box to the first, down again to the next.
    page.focus("#search-input")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    focused = page.evaluate("document.activeElement.dataset.featureId")
    assert focused == listed(page)[1]


def test_the_form_works_before_any_script_runs(browser, live_server):
    """With scripts off (as before they load) Enter goes to /?q=..., which lists matches."""
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_server + "/")
        page.fill("#search-input", "Turkmenbashy")
        with page.expect_navigation():
            page.press("#search-input", "Enter")
        assert "q=Turkmenbashy" in page.url
        assert listed(page)[0] == "port-turkmenbashi"
        assert "matches" in page.inner_text("#search-status")
    finally:
        context.close()
