"""The time, status, country and source filters in real Chromium: the analyst's questions.

Expected features and counts come from the catalog through a Query, never from the page.
"""

from __future__ import annotations

from datetime import date

from geoapp.data.query import Query
from tests.browser.test_map_page import classes_of, open_map, query_of

SECURITY_TABLE = "rt-2025:security"


def drawn(page) -> set[str]:
    return {
        next(c[3:] for c in classes if c.startswith("id-"))
        for classes in classes_of(page, ".feature")
    }


def kept(catalog, **filters) -> set[str]:
    return {f["properties"]["id"] for fs in catalog.query(Query(**filters)).values() for f in fs}


def settled(page) -> None:
    page.evaluate("geoapp.applying.then(() => true)")


def export_link(page, fmt: str = "csv") -> str:
    return page.get_attribute(f'#export-menu a[data-format="{fmt}"]', "href")


def year_window(first: int, last: int) -> tuple[date, date]:
    return date(first, 1, 1), date(last, 12, 31)


def test_what_happened_in_2012_and_moving_the_time_control(watched_page, live_server, catalog):
    """``/?from=2012&to=2012`` shows Hazar-2012 and no 2017 event; the keyboard moves the
    window, and what is drawn, the address and the Export links follow."""
    page, _ = watched_page
    open_map(page, live_server + "/?from=2012&to=2012")
    in_2012 = kept(catalog, time=year_window(2012, 2012))
    in_2017 = kept(catalog, time=year_window(2017, 2017), layers=("events",))
    assert "event-2012-turkmen-naval-drill" in in_2012 and in_2017
    assert drawn(page) == in_2012 and not drawn(page) & in_2017
    assert page.input_value("#time-from") == page.input_value("#time-to") == "2012"

    page.focus("#time-to")
    page.keyboard.press("End")  # a native range: the keyboard moves it
    settled(page)
    last = int(page.get_attribute("#time-to", "max"))
    assert page.inner_text("#time-to-year") == str(last)
    assert drawn(page) == kept(catalog, time=year_window(2012, last)) and drawn(page) & in_2017
    # The server writes the window canonically: whole years as their first and last days.
    assert query_of(page)["from"] == ["2012-01-01"] and query_of(page)["to"] == [f"{last}-12-31"]
    assert "from=2012-01-01" in export_link(page)

    page.click("#time-step")  # a one-year window at the start of the current one
    settled(page)
    page.click("#time-step")  # ... then the next year
    settled(page)
    assert (query_of(page)["from"], query_of(page)["to"]) == (["2013-01-01"], ["2013-12-31"])
    assert drawn(page) == kept(catalog, time=year_window(2013, 2013))

    page.click("#time-all")  # the whole span: no time filter, undated features again
    settled(page)
    assert "from" not in query_of(page) and drawn(page) == kept(catalog)


def test_the_security_table_and_the_status_control(watched_page, live_server, catalog):
    """``/?source=rt-2025:security`` shows the three rows of the 2025 article's security
    table; ticking boxes narrows and widens the map, the address and the Export links,
    and each box counts what it would keep beside the other filters."""
    page, _ = watched_page
    open_map(page, f"{live_server}/?source={SECURITY_TABLE}")
    security = kept(catalog, sources=(SECURITY_TABLE,))
    assert len(security) == 3 and drawn(page) == security
    assert page.is_checked(f'input[name="source"][value="{SECURITY_TABLE}"]')
    proposed = len(kept(catalog, sources=(SECURITY_TABLE,), statuses=("proposed",)))
    count = page.locator('.count[data-facet="status"][data-value="proposed"]')
    assert count.inner_text() == str(proposed)

    page.check('input[name="source"][value="rt-2025:trade"]')
    settled(page)
    both = kept(catalog, sources=(SECURITY_TABLE, "rt-2025:trade"))
    assert drawn(page) == both and both > security
    assert query_of(page)["source"] == [f"{SECURITY_TABLE},rt-2025:trade"]
    assert f"source={SECURITY_TABLE},rt-2025:trade" in export_link(page)

    page.check('input[name="status"][value="operating"]')
    settled(page)
    operating = kept(catalog, sources=(SECURITY_TABLE, "rt-2025:trade"), statuses=("operating",))
    assert drawn(page) == operating and query_of(page)["status"] == ["operating"]
    # Counts follow: the source boxes now count operating features only.
    trade = page.locator('.count[data-facet="source"][data-value="rt-2025:trade"]')
    assert trade.inner_text() == str(
        len(kept(catalog, sources=("rt-2025:trade",), statuses=("operating",)))
    )
    page.uncheck('input[name="status"][value="operating"]')
    settled(page)
    assert "status" not in query_of(page) and drawn(page) == both
