"""Names on the map and what a click picks, in real Chromium against the real server.

Names: every placed name is one of the server's labels for the zoom on screen, no
two names overlap and none covers a symbol; more show as the map zooms in; the
countries in view are named. Picks: a click where several features are lists them
all, lines on one route are both reachable, and the sea zones never answer a click
on a line that lies on them. The address bar names the feature whose popup is open.
Expected names and ids come from the catalog (its ``place`` and ``name`` fields).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.test_map_page import open_map

NAMES = """() => {
  const origin = geoapp.map.getContainer().getBoundingClientRect();
  return Array.from(document.querySelectorAll('.map-name')).map((e) => {
    const r = e.getBoundingClientRect();
    return {text: e.textContent, kind: e.className, x0: r.left - origin.left,
            y0: r.top - origin.top, x1: r.right - origin.left, y1: r.bottom - origin.top};
  });
}"""

SYMBOLS = """() => {
  const origin = geoapp.map.getContainer().getBoundingClientRect();
  return Array.from(document.querySelectorAll('.leaflet-marker-icon.feature')).map((e) => {
    const r = e.getBoundingClientRect();
    return {x0: r.left - origin.left, y0: r.top - origin.top,
            x1: r.right - origin.left, y1: r.bottom - origin.top};
  });
}"""


def overlap(a: dict, b: dict) -> bool:
    return (
        a["x0"] < b["x1"] - 1
        and b["x0"] < a["x1"] - 1
        and a["y0"] < b["y1"] - 1
        and b["y0"] < a["y1"] - 1
    )


def screen_point(page, js_latlng: str) -> dict:
    """Page coordinates of a LatLng given as a JS expression."""
    return page.evaluate(
        f"""() => {{
          const p = geoapp.map.latLngToContainerPoint({js_latlng});
          const r = geoapp.map.getContainer().getBoundingClientRect();
          return {{x: p.x + r.left, y: p.y + r.top}};
        }}"""
    )


def names_at(page, url: str) -> list[dict]:
    open_map(page, url)
    page.wait_for_function("document.querySelector('.leaflet-names-pane')?.dataset.names > 0")
    return page.evaluate(NAMES)


def test_names_do_not_collide_cover_no_symbol_and_name_the_countries(watched_page, live_server):
    page, _ = watched_page
    names = names_at(page, live_server + "/")
    texts = [n["text"] for n in names]
    assert "TURKMENISTAN" in texts and "RUSSIA" in texts and "KAZAKHSTAN" in texts
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not overlap(a, b), f"{a['text']!r} overlaps {b['text']!r}"
    for symbol in page.evaluate(SYMBOLS):
        for name in names:
            assert not overlap(name, symbol), f"{name['text']!r} covers a symbol"
    # Each feature name is one of the server's labels for this zoom, set as text.
    labels = page.evaluate(
        "() => geoapp.answer.labels.filter(l => l.zooms.includes(geoapp.map.getZoom())).map(l => l.text)"
    )
    features = [n["text"] for n in names if "map-name-feature" in n["kind"]]
    assert features and set(features) <= set(labels)


def test_points_that_share_a_spot_share_one_name_that_splits_as_you_zoom_in(
    watched_page, live_server, catalog
):
    page, _ = watched_page
    port = catalog.get("port-turkmenbashi")["properties"]
    base = catalog.get("naval-turkmenbashi")["properties"]
    assert port["place"] == base["place"]
    lon, lat = catalog.get("port-turkmenbashi")["geometry"]["coordinates"]
    far = names_at(page, f"{live_server}/?lat={lat}&lon={lon}&zoom=7")
    shared = [n["text"] for n in far if n["text"].startswith(port["place"] + ":")]
    assert shared, [n["text"] for n in far]
    assert "port" in shared[0] and "naval base" in shared[0]
    near = names_at(page, f"{live_server}/?lat={lat}&lon={lon}&zoom=15")
    texts = {n["text"] for n in near}
    # (a customs point sits on the port itself: it stays with it, as "+ customs point")
    for member in (port, base):
        assert any(t == member["name"] or t.startswith(member["name"] + " + ") for t in texts)
    feature_names = lambda found: [n for n in found if "map-name-feature" in n["kind"]]  # noqa: E731
    # Zoomed in on the spot, names of its members replace the stack's one name.
    assert not any(t.startswith(port["place"] + ":") for t in texts)
    assert len(feature_names(near)) >= 2


def test_a_click_on_a_shared_spot_lists_every_feature_there_and_picks_one(
    watched_page, live_server, catalog
):
    page, _ = watched_page
    lon, lat = catalog.get("port-turkmenbashi")["geometry"]["coordinates"]
    open_map(page, f"{live_server}/?lat={lat}&lon={lon}&zoom=9")
    point = screen_point(page, "geoapp.byId.get('port-turkmenbashi').target.getLatLng()")
    page.mouse.click(point["x"], point["y"])
    chooser = page.locator(".pick-popup")
    chooser.wait_for(timeout=5_000)
    ids = chooser.locator("button[data-feature-id]").evaluate_all(
        "els => els.map(e => e.dataset.featureId)"
    )
    assert {"port-turkmenbashi", "naval-turkmenbashi"} <= set(ids)
    assert chooser.locator("h3").inner_text() == f"{len(ids)} features here"
    chooser.locator('button[data-feature-id="naval-turkmenbashi"]').click()
    name = page.locator(".feature-popup .popup-name")
    name.wait_for(timeout=5_000)
    assert name.inner_text() == catalog.get("naval-turkmenbashi")["properties"]["name"]
    # The address bar names the open feature, so that the link reopens it.
    assert parse_qs(urlsplit(page.url).query)["feature"] == ["naval-turkmenbashi"]
    page.keyboard.press("Escape")
    page.wait_for_function("!location.search.includes('feature=')")


def test_a_proposed_line_on_an_operating_ones_route_can_be_picked(
    watched_page, live_server, catalog
):
    page, _ = watched_page
    upgrade = catalog.get("pipeline-turkmengas-upgrade")
    coords = upgrade["geometry"]["coordinates"]
    while isinstance(coords[0][0], list):  # a MultiLineString: its first line
        coords = coords[0]
    lon, lat = coords[len(coords) // 2]
    open_map(page, f"{live_server}/?lat={lat}&lon={lon}&zoom=7")
    point = screen_point(page, f"L.latLng({lat}, {lon})")
    page.mouse.click(point["x"], point["y"])
    chooser = page.locator(".pick-popup")
    chooser.wait_for(timeout=5_000)
    ids = chooser.locator("button[data-feature-id]").evaluate_all(
        "els => els.map(e => e.dataset.featureId)"
    )
    assert "pipeline-turkmengas-upgrade" in ids and len(ids) >= 2
    chooser.locator('button[data-feature-id="pipeline-turkmengas-upgrade"]').click()
    name = page.locator(".feature-popup .popup-name")
    name.wait_for(timeout=5_000)
    assert name.inner_text() == upgrade["properties"]["name"]


@pytest.mark.parametrize("line", ["corridor-shipping-turkmenbashi-makhachkala"])
def test_the_sea_zones_never_answer_a_click_on_a_line_over_them(
    watched_page, live_server, catalog, line
):
    page, _ = watched_page
    coords = catalog.get(line)["geometry"]["coordinates"]
    lon, lat = coords[len(coords) // 2]
    open_map(page, f"{live_server}/?lat={lat}&lon={lon}&zoom=7")
    # A vertex of the line in mid-sea, and one pixel off it: both open the line.
    for dx in (0, 2):
        point = screen_point(page, f"L.latLng({lat}, {lon})")
        page.mouse.click(point["x"] + dx, point["y"])
        name = page.locator(".feature-popup .popup-name, .pick-popup h3").first
        name.wait_for(timeout=5_000)
        text = page.locator(".leaflet-popup-content").inner_text()
        assert catalog.get(line)["properties"]["name"] in text
        assert catalog.get("area-maritime-safety")["properties"]["name"] not in text
        page.evaluate("() => { geoapp.map.closePopup(); }")
        # (A closed popup fades out for 200 ms and takes clicks meanwhile.)
        page.wait_for_selector(".leaflet-popup", state="detached")
    # Open water far from every line lists the zones; it does not open one of them alone.
    # (Nearest the centre, once the map has settled: a popup may have panned it.)
    page.evaluate("async () => { await geoapp.applying; }")
    empty = page.evaluate(
        """() => {
          const size = geoapp.map.getSize();
          const box = geoapp.map.getContainer().getBoundingClientRect();
          const spots = [];
          for (let y = 60; y < size.y - 60; y += 15) for (let x = 60; x < size.x - 60; x += 15) {
            const hits = geoapp.featuresAt(L.point(x, y));
            if (hits.length > 1 && hits.every(h => h.rank === 2)) spots.push({x, y});
          }
          spots.sort((a, b) => Math.hypot(a.x - size.x / 2, a.y - size.y / 2)
                             - Math.hypot(b.x - size.x / 2, b.y - size.y / 2));
          return spots.length ? {x: spots[0].x + box.left, y: spots[0].y + box.top} : null;
        }"""
    )
    assert empty, "no open water with the sea zones on this view"
    page.mouse.click(empty["x"], empty["y"])
    chooser = page.locator(".pick-popup")
    chooser.wait_for(timeout=5_000)
    ids = chooser.locator("button[data-feature-id]").evaluate_all(
        "els => els.map(e => e.dataset.featureId)"
    )
    assert "area-maritime-safety" in ids and "caspian-sea" in ids


def test_the_towns_a_shown_features_summary_names_are_on_the_map(watched_page, live_server):
    page, _ = watched_page
    # TAPI's summary names Kandahar, Quetta and Multan; they show with it, not without it.
    names = names_at(page, f"{live_server}/?lat=31.5&lon=68&zoom=6")
    towns = {n["text"] for n in names if "map-name-place" in n["kind"]}
    assert {"Kandahar", "Quetta", "Multan"} <= towns
    dotted = [n for n in names if "map-name-place" in n["kind"] or "map-name-town" in n["kind"]]
    assert page.locator(".leaflet-places-pane .map-dot").count() == len(dotted)
    # Without TAPI they are no longer named for it (the towns layer may still show them,
    # as towns, by population).
    hidden = names_at(page, f"{live_server}/?lat=31.5&lon=68&zoom=6&layers=ports,naval_bases")
    assert not {"Kandahar", "Quetta", "Multan"} & {
        n["text"] for n in hidden if "map-name-place" in n["kind"]
    }


def test_the_towns_layer_names_the_big_towns_of_the_view_and_none_collide(
    watched_page, live_server
):
    page, _ = watched_page
    # Around Tehran at zoom 7: the places rule shows towns of 50,000 people or more.
    open_map(page, f"{live_server}/?lat=35.7&lon=51.4&zoom=7")
    page.wait_for_function("document.querySelectorAll('.map-name-town').length > 0")
    names = page.evaluate(NAMES)
    towns = {n["text"] for n in names if "map-name-town" in n["kind"]}
    assert "Tehran" in towns and "Qom" in towns
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert not overlap(a, b), f"{a['text']!r} overlaps {b['text']!r}"
    dots = page.locator(".leaflet-places-pane .map-dot").count()
    assert dots == len(
        [n for n in names if n["kind"].split()[-1] in ("map-name-town", "map-name-place")]
    )
    # A town's dot lies under the thematic layers: a feature's symbol stays on top.
    z = page.evaluate(
        "[getComputedStyle(geoapp.map.getPane('places')).zIndex,"
        " getComputedStyle(geoapp.map.getPane('overlayPane')).zIndex]"
    )
    assert int(z[0]) < int(z[1])


# The page's script is the same on both providers (their answers are: test_export_places.py).
@pytest.mark.parametrize("backend", ["files"], indirect=True)
def test_the_towns_switch_takes_the_towns_off_and_a_link_keeps_them_off(watched_page, live_server):
    page, _ = watched_page
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/places" in r.url else None)
    open_map(page, f"{live_server}/?lat=35.7&lon=51.4&zoom=7")
    page.wait_for_function("document.querySelectorAll('.map-name-town').length > 0")
    switch = page.get_by_role("checkbox", name="Towns")
    assert switch.is_checked() and asked
    credits = page.locator(".leaflet-control-attribution")
    assert "GeoNames" in credits.inner_text()
    switch.focus()
    page.keyboard.press("Space")  # a native checkbox: the keyboard works it
    page.wait_for_function(
        "() => !document.querySelector('.map-name-town, .map-name-place, .leaflet-places-pane"
        " .map-dot') && new URLSearchParams(location.search).get('towns') === 'off'"
    )
    # No more towns are asked for when the map moves.
    asked.clear()
    page.evaluate(
        "async () => { geoapp.map.panBy([300, 0], {animate: false}); await geoapp.applySoon(); }"
    )
    assert asked == [] and page.locator(".map-name-town").count() == 0
    # GeoNames' credit goes with its towns; the basemap's stays.
    assert "GeoNames" not in credits.inner_text() and "Natural Earth" in credits.inner_text()
    assert all(
        "towns=off" in a.get_attribute("href")
        for a in page.locator("#export-menu a[data-format]").all()
    )
    # The address reproduces it: reloaded, the switch is off and no town is asked for.
    open_map(page, page.url)
    page.evaluate("async () => { await geoapp.applying; }")
    assert not page.get_by_role("checkbox", name="Towns").is_checked()
    assert asked == [] and page.locator(".map-name-town, .map-name-place").count() == 0
    assert "towns=off" in page.url
    assert "GeoNames" not in page.locator(".leaflet-control-attribution").inner_text()
    page.get_by_role("checkbox", name="Towns").check()
    page.wait_for_function("() => document.querySelectorAll('.map-name-town').length > 0")
    assert "GeoNames" in page.locator(".leaflet-control-attribution").inner_text()


def test_search_finds_a_town_and_flies_to_it(watched_page, live_server):
    page, _ = watched_page
    open_map(page, live_server + "/")
    page.fill("#search-input", "Nebit-Dag")  # Balkanabat's former name, in GeoNames
    page.press("#search-input", "Enter")
    popup = page.locator(".place-popup .popup-name")
    popup.wait_for(timeout=10_000)
    assert popup.inner_text() == "Balkanabat"
    centre = page.evaluate("geoapp.map.getCenter()")
    assert abs(centre["lat"] - 39.51) < 0.2 and abs(centre["lng"] - 54.37) < 0.2
