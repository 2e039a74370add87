"""What a map page fetches, in Chromium: the countries for its zoom, the towns for its grid.

The first view fetches the level of its zoom only (never the 1 MB layer) and draws every
country; zoomed in past the last level it fetches the stored layer and draws it in
place of the level, the same countries. The towns are asked for a box snapped outward
to the half-tile grid of the zoom (checked with the Mercator formula written here), so
that screens of other sizes on one shared link ask the same URLs of the cache. Which
URLs were fetched is Chromium's record. The page's scripts are what is checked here: on
the files provider only (the levels' answers are checked on both, tests/test_generalise.py).
"""

from __future__ import annotations

import math
from urllib.parse import parse_qs, urlsplit

import pytest

from geoapp.data.generalise import FULL_FROM
from geoapp.data.query import Query
from tests.browser.test_map_page import open_map

pytestmark = pytest.mark.parametrize("backend", ["files"], indirect=True)

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


def mercator_px(lon: float, lat: float, zoom: int) -> tuple[float, float]:
    """Web Mercator pixel of a point at a zoom (256-px tiles, y down): the textbook formula."""
    size = 256 * 2**zoom
    y = (1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2
    return (lon + 180) / 360 * size, y * size


def test_the_towns_are_asked_for_a_box_snapped_to_half_tiles_around_the_view(
    watched_page, live_server
):
    page, _ = watched_page
    asked: list[str] = []
    page.on(
        "request", lambda r: asked.append(r.url) if urlsplit(r.url).path == "/api/places" else None
    )
    open_map(page, live_server + "/?lat=41&lon=51&zoom=6")
    page.wait_for_function("() => document.querySelectorAll('.map-name-town').length > 0")
    args = parse_qs(urlsplit(asked[-1]).query)
    zoom = int(args["zoom"][0])
    west, south, east, north = map(float, args["bbox"][0].split(","))
    assert zoom == 6
    # Each edge on the grid of 128-pixel cells of its zoom (to the 4 decimals sent).
    for lon, lat in ((west, north), (east, south)):
        for px in mercator_px(lon, lat, zoom):
            assert abs(px - round(px / 128) * 128) < 0.05, (lon, lat, px)
    # ... and around the view, by less than a cell on each side.
    view = page.evaluate(
        "() => { const b = geoapp.map.getBounds();"
        " return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; }"
    )
    assert west <= view[0] and south <= view[1] and east >= view[2] and north >= view[3]
    (vx0, vy0), (vx1, vy1) = (
        mercator_px(view[0], view[3], zoom),
        mercator_px(view[2], view[1], zoom),
    )
    (bx0, by0), (bx1, by1) = mercator_px(west, north, zoom), mercator_px(east, south, zoom)
    assert max(vx0 - bx0, vy0 - by0, bx1 - vx1, by1 - vy1) < 128
