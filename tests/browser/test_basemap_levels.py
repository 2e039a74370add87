"""The countries in Chromium: simplified for the zoom on screen, the stored layer close in.

The first view fetches the level of its zoom only (never the 1 MB layer) and draws every
country; zoomed in past the last level it fetches the stored layer and draws it in
place of the level, the same countries. Which URLs were fetched is Chromium's record.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from geoapp.data.generalise import FULL_FROM
from geoapp.data.query import Query
from tests.browser.test_map_page import open_map

#: The countries and the sea drawn: each is one SVG path in the basemap pane.
PATHS = "document.querySelectorAll('.leaflet-basemap-pane path').length"
#: The vertices Leaflet holds for the basemap pane's shapes.
VERTICES = """() => {
  let n = 0;
  geoapp.map.eachLayer((l) => {
    if (l.options.pane === "basemap" && l.getLatLngs) n += l.getLatLngs().flat(3).length;
  });
  return n;
}"""


def test_the_first_view_draws_the_level_of_its_zoom_and_zooming_in_the_stored_layer(
    watched_page, live_server, catalog
):
    page, _ = watched_page
    asked: list[str] = []
    page.on(
        "request",
        lambda r: asked.append(r.url) if urlsplit(r.url).path == "/api/layers/basemap" else None,
    )
    open_map(page, live_server + "/")
    zoom = page.evaluate("() => Math.round(geoapp.map.getZoom())")
    assert zoom < FULL_FROM
    assert [parse_qs(urlsplit(u).query) for u in asked] == [{"simplify": [str(zoom)]}]
    countries = len(catalog.query(Query(layers=("basemap",)))["basemap"])
    # Every country, and the sea (a part of its own), one path each.
    assert page.evaluate(f"() => {PATHS}") == countries + 1
    simplified = page.evaluate(VERTICES)

    page.evaluate(f"() => geoapp.map.setView([39.5, 54.4], {FULL_FROM}, {{animate: false}})")
    page.wait_for_function(
        "() => performance.getEntriesByType('resource')"
        ".some(e => e.name.endsWith('/api/layers/basemap'))"
    )
    assert urlsplit(asked[-1]).query == ""
    page.wait_for_function(f"() => ({VERTICES})() > {2 * simplified}")
    assert page.evaluate(f"() => {PATHS}") == countries + 1
