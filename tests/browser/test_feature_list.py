"""The feature list and the links to one feature in real Chromium against the real server.

Expected features come from the catalog (through a Query, or read from its properties),
never from the page.
"""

from __future__ import annotations

from datetime import date

from geoapp.data.query import Query
from tests.browser.test_filters import drawn, kept, settled
from tests.browser.test_map_page import open_map, toggle

POPUP = ".leaflet-popup-content .popup-name"


def listed(page) -> list[str]:
    return page.eval_on_selector_all(
        "#feature-list tbody tr", "rows => rows.map(r => r.dataset.featureId)"
    )


def names(page) -> list[str]:
    return page.eval_on_selector_all(
        "#feature-list tbody tr .col-name", "cells => cells.map(c => c.textContent)"
    )


def test_a_link_to_tapi_opens_its_popup_with_a_link_to_this(watched_page, live_server, catalog):
    """``/?feature=pipeline-tapi`` opens TAPI's popup, even from a link that hid it."""
    page, _ = watched_page
    open_map(page, live_server + "/?feature=pipeline-tapi&layers=ports&sectors=trade")
    popup = page.locator(POPUP)
    popup.wait_for(timeout=10_000)
    assert popup.inner_text() == catalog.get("pipeline-tapi")["properties"]["name"]
    assert page.is_checked('input[name="layer"][value="pipelines"]')
    link = page.locator(".leaflet-popup-content .popup-link a")
    assert link.inner_text() == "Link to this"
    assert link.get_attribute("href") == "/?feature=pipeline-tapi"


def test_the_list_is_what_is_drawn_resorts_and_enter_on_a_row_opens_it(
    watched_page, live_server, catalog
):
    page, _ = watched_page
    open_map(page, live_server + "/")
    page.click("#feature-list-box summary")
    assert set(listed(page)) == drawn(page) == kept(catalog)
    assert len(listed(page)) == len(kept(catalog))
    assert page.inner_text("#feature-count") == str(len(kept(catalog)))
    by_name = sorted(names(page), key=str.casefold)
    assert names(page) == by_name

    name = page.locator('#feature-list th[data-column="name"]')
    name.locator("button").click()
    assert name.get_attribute("aria-sort") == "descending"
    assert names(page) == by_name[::-1]
    when = page.locator('#feature-list th[data-column="when"]')
    when.locator("button").click()
    assert (
        when.get_attribute("aria-sort") == "ascending" and name.get_attribute("aria-sort") == "none"
    )

    toggle(page, "layer", "ports", False)  # every change updates the list
    assert set(listed(page)) == drawn(page) == kept(catalog, layers=_without("ports"))

    # A line Leaflet cannot focus is reached from its row's button with the keyboard.
    page.focus('#feature-list tr[data-feature-id="pipeline-tapi"] button')
    page.keyboard.press("Enter")
    popup = page.locator(POPUP)
    popup.wait_for(timeout=10_000)
    assert popup.inner_text() == catalog.get("pipeline-tapi")["properties"]["name"]


def test_the_projects_due_by_the_end_of_2026_are_listed(watched_page, live_server, catalog):
    """``/?to=2026-12-31`` with the projects filter "due by" (``completed_by``) over the rows
    of the article's tables lists the projects due by then, and no later one: a project
    due in 2027 overlaps the window (it runs from 2025) but is not due by then."""
    page, _ = watched_page
    tables = [v for v in catalog.source_values() if ":" in v]
    projects = [
        f["properties"]
        for fs in catalog.query(Query()).values()
        for f in fs
        if f["properties"].get("table_row") and f["properties"].get("completion_date")
    ]
    end = date(2026, 12, 31)
    due = {p["id"] for p in projects if date.fromisoformat(p["completion_date"]) <= end}
    later = {p["id"] for p in projects} - due
    assert due and later, "the data should have projects due before and after 2026"
    query = f"to=2026-12-31&completed_by=2026-12-31&source={','.join(tables)}"
    open_map(page, f"{live_server}/?{query}")
    settled(page)
    page.click("#feature-list-box summary")
    assert set(listed(page)) == due == drawn(page)
    row = page.locator('#feature-list tr[data-feature-id="pipeline-turkmengas-upgrade"]')
    upgrade = catalog.get("pipeline-turkmengas-upgrade")["properties"]
    assert row.locator(".col-when").inner_text() == f"due {upgrade['expected_completion']}"


def _without(layer: str) -> tuple[str, ...]:
    return tuple(k for k in Query().layers if k != layer)
