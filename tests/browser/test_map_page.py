"""The map page in real headless Chromium against the real server (gunicorn).

Every test runs on ``watched_page``: it fails on any console error and on any
request that leaves loopback. Expected counts come from the catalog, never
from numbers written here.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import shapely
from shapely.geometry import shape

from geoapp import styles
from geoapp.data.query import Query
from geoapp.data.schema import SECTORS, STATUSES, THEMATIC_LAYERS
from geoapp.export.formats import FORMATS
from geoapp.maps import leaflet
from tests.data import features, shown
from tests.factories import make_feature, write_data_dir
from tests.servers import gunicorn

READY = "body[data-ready=true]"


def open_map(page, url: str):
    page.goto(url)
    page.wait_for_selector(READY, timeout=20_000)
    return page


@pytest.fixture
def map_page(watched_page, live_server):
    page, _ = watched_page
    return open_map(page, live_server + "/")


def drawn_elements(feature: dict) -> int:
    """DOM elements Leaflet draws for a feature: one per point of a MultiPoint, else one."""
    geometry = feature["geometry"]
    return len(geometry["coordinates"]) if geometry["type"] == "MultiPoint" else 1


def expected_elements(catalog, sectors, layers) -> int:
    return sum(drawn_elements(f) for f in shown(catalog, sectors, layers))


def classes_of(page, selector: str) -> list[set[str]]:
    return [
        set(c.split())
        for c in page.eval_on_selector_all(selector, "els => els.map(e => e.getAttribute('class'))")
    ]


def query_of(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query, keep_blank_values=True)


def toggle(page, name: str, value: str, on: bool):
    """Switch a toggle and wait until the server's answer for it is drawn."""
    box = page.locator(f'input[name="{name}"][value="{value}"]')
    box.check() if on else box.uncheck()
    page.evaluate("geoapp.applying.then(() => true)")


def test_page_loads_leaflet_from_the_server_and_stays_on_loopback(watched_page, live_server):
    page, watch = watched_page
    requested = []
    page.on("request", lambda r: requested.append(urlsplit(r.url).path))
    open_map(page, live_server + "/")
    assert "/vendor/leaflet/1.9.3/leaflet.js" in requested
    assert {f"/api/layers/{layer}" for layer in THEMATIC_LAYERS} <= set(requested)
    assert page.evaluate("L.version") == "1.9.3"
    assert page.locator(".leaflet-control-scale").count() == 1
    assert page.locator(".geoapp-fullscreen a").count() == 1
    assert watch.errors == [] and watch.outside == []


def test_every_thematic_layer_is_drawn_with_its_classes(map_page, catalog):
    for layer in THEMATIC_LAYERS:
        expected = expected_elements(catalog, list(SECTORS), [layer])
        assert expected > 0, f"no {layer} features in the data"
        assert map_page.locator(f".feature.layer-{layer}").count() == expected, layer
    # Paths and point symbols both carry the classes.
    assert map_page.locator("path.feature").count() > 0
    assert map_page.locator("div.leaflet-marker-icon.feature svg").count() > 0


def test_unchecking_energy_hides_energy_only_features_and_checking_restores(map_page, catalog):
    def energy_only():
        return [
            c
            for c in classes_of(map_page, ".sector-energy")
            if not c & {"sector-security", "sector-trade"}
        ]

    before = map_page.locator(".feature").count()
    assert energy_only(), "the data should have energy-only features"
    toggle(map_page, "sector", "energy", False)
    assert energy_only() == []
    others = [s for s in SECTORS if s != "energy"]
    assert map_page.locator(".feature").count() == expected_elements(
        catalog, others, THEMATIC_LAYERS
    )
    toggle(map_page, "sector", "energy", True)
    assert map_page.locator(".feature").count() == before
    assert energy_only()


@pytest.mark.parametrize("layer", ["pipelines", "ports"])
def test_layer_toggle_hides_and_restores_its_features(map_page, layer):
    before = map_page.locator(f".layer-{layer}").count()
    assert before > 0
    total = map_page.locator(".feature").count()
    toggle(map_page, "layer", layer, False)
    assert map_page.locator(f".layer-{layer}").count() == 0
    assert map_page.locator(".feature").count() == total - before
    toggle(map_page, "layer", layer, True)
    assert map_page.locator(f".layer-{layer}").count() == before


def test_security_link_shows_only_security_features(watched_page, live_server, catalog):
    page, _ = watched_page
    open_map(page, live_server + "/?sectors=security")
    drawn = classes_of(page, ".feature")
    assert drawn and all("sector-security" in c for c in drawn)
    assert len(drawn) == expected_elements(catalog, ["security"], THEMATIC_LAYERS)
    assert page.locator('input[name="sector"]:checked').count() == 1


def test_legend_counts_what_is_visible_after_each_toggle(map_page, catalog):
    def on_screen():
        rows = map_page.eval_on_selector_all(
            "#legend li",
            "els => els.map(e => [e.dataset.key, e.querySelector('.count').textContent])",
        )
        return {key: int(count) for key, count in rows}

    # The legend counts what is in view (issue 10): the features that intersect the screen.
    def expected(sectors, layers):
        west, south, east, north = map_page.evaluate(
            "(() => { const b = geoapp.map.getBounds();"
            " return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; })()"
        )
        screen = shapely.box(west, south, east, north)
        visible = [
            f for f in shown(catalog, sectors, layers) if shape(f["geometry"]).intersects(screen)
        ]
        return {e.key: e.count for e in styles.legend(visible, sectors)}

    assert on_screen() == expected(list(SECTORS), THEMATIC_LAYERS)
    toggle(map_page, "sector", "trade", False)
    toggle(map_page, "layer", "ports", False)
    layers = [layer for layer in THEMATIC_LAYERS if layer != "ports"]
    before = on_screen()
    assert before == expected(["energy", "security"], layers)
    # A zoom asks again once the map rests, and the counts follow the new view.
    map_page.evaluate(
        "() => { geoapp.map.setView([40.2, 53.5], 8, {animate: false});"
        " return geoapp.applying.then(() => true); }"
    )
    assert on_screen() == expected(["energy", "security"], layers) != before


def click_a_pipeline(page) -> str:
    """Click on the middle of a pipeline's drawn line, where it is on top; return its id."""
    point = page.evaluate(
        """() => {
        for (const path of document.querySelectorAll('path.feature.layer-pipelines')) {
          const length = path.getTotalLength();
          for (const f of [0.5, 0.3, 0.7, 0.2, 0.8]) {
            const p = path.getPointAtLength(length * f);
            const s = new DOMPoint(p.x, p.y).matrixTransform(path.getScreenCTM());
            if (document.elementFromPoint(s.x, s.y) === path) {
              const id = [...path.classList].find(c => c.startsWith('id-')).slice(3);
              return {x: s.x, y: s.y, id};
            }
          }
        }
        return null;
      }"""
    )
    assert point, "no pipeline is clickable on the opening view"
    page.mouse.click(point["x"], point["y"])
    return point["id"]


def test_clicking_a_pipeline_opens_a_popup_with_status_and_source(map_page, catalog):
    feature_id = click_a_pipeline(map_page)
    popup = map_page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5_000)
    props = catalog.get(feature_id)["properties"]
    text = popup.inner_text()
    assert props["name"] in text
    assert STATUSES[props["status"]] in text
    for ref in props["sources"]:
        assert catalog.sources[ref["article"]]["title"] in text
        assert ref["section"] in text


def test_searching_aktau_flies_to_it_and_opens_it(map_page, catalog):
    names = [f["properties"]["name"] for f in features(catalog, "ports", text="Aktau")]
    assert names, "the data should have a port named Aktau"
    map_page.fill("#search-input", "Aktau")
    map_page.press("#search-input", "Enter")
    popup = map_page.locator(".leaflet-popup-content .popup-name")
    popup.wait_for(timeout=10_000)
    assert "Aktau" in popup.inner_text()
    assert map_page.evaluate("geoapp.map.getZoom()") >= 8


def test_the_url_follows_toggles_and_pans_and_reopens_the_same_view(map_page, live_server):
    toggle(map_page, "sector", "trade", False)
    toggle(map_page, "layer", "events", False)
    query = query_of(map_page)
    assert query["sectors"] == ["energy,security"]
    assert "events" not in query["layers"][0].split(",")
    lat = float(query["lat"][0])
    # The statement, not the expression: panBy returns the map, which Playwright would
    # serialize back (its whole object graph: some 15 s).
    map_page.evaluate("() => { geoapp.map.panBy([0, -200], {animate: false}); }")
    map_page.wait_for_function(f"!location.search.includes('lat={lat:.4f}')")
    moved = query_of(map_page)
    assert float(moved["lat"][0]) > lat
    link = map_page.url
    count = map_page.locator(".feature").count()
    map_page.goto(link)
    map_page.wait_for_selector(READY)
    assert map_page.locator('input[name="sector"][value="trade"]').is_checked() is False
    assert map_page.locator(".feature").count() == count
    assert query_of(map_page)["lat"] == moved["lat"]


def test_export_links_follow_the_view(map_page):
    toggle(map_page, "sector", "security", False)
    hrefs = map_page.eval_on_selector_all("#export-menu a", "els => els.map(e => e.href)")
    assert len(hrefs) == len(FORMATS)
    for href in hrefs:
        parts = urlsplit(href)
        assert parts.path.startswith("/export.")
        query = parse_qs(parts.query)
        assert query["sectors"] == ["energy,trade"]
        minx, miny, maxx, maxy = (float(v) for v in query["bbox"][0].split(","))
        assert minx < maxx and miny < maxy


def test_standalone_html_works_from_a_file_with_no_server(watched_page, catalog, tmp_path):
    page, watch = watched_page
    path = tmp_path / "map.html"
    path.write_text(
        leaflet.standalone_html(
            catalog, Query(sectors=("energy", "trade"), layers=("pipelines", "ports"))
        ),
        encoding="utf-8",
    )
    requested = []
    page.on("request", lambda r: requested.append(r.url))
    open_map(page, path.as_uri())
    assert all(url.startswith(("file:", "data:")) for url in requested), requested
    expected = expected_elements(catalog, ["energy", "trade"], ["pipelines", "ports"])
    assert page.locator(".feature").count() == expected
    # A snapshot of the exported view: its toggles show the view and cannot change it.
    assert page.locator('input[name="layer"][value="ports"]').is_disabled()
    assert page.locator("#export-menu").count() == 0


def test_hovering_a_feature_shows_its_name(map_page, catalog):
    marker = map_page.locator(".leaflet-marker-icon.feature.layer-ports").first
    feature_id = next(c[3:] for c in marker.get_attribute("class").split() if c.startswith("id-"))
    marker.dispatch_event("mouseover")
    tooltip = map_page.locator(".leaflet-tooltip")
    tooltip.wait_for(timeout=5_000)
    assert tooltip.inner_text() == catalog.get(feature_id)["properties"]["name"]


def test_a_feature_wears_the_colour_of_a_sector_that_is_on(map_page, catalog):
    """A multi-sector feature whose primary sector is switched off takes another's colour."""
    feature = next(f for f in features(catalog, "pipelines") if len(f["properties"]["sectors"]) > 1)
    props = feature["properties"]
    other = next(s for s in props["sectors"] if s != props["sector"])
    selector = f".id-{props['id']}"

    def stroke() -> str:
        return map_page.get_attribute(selector, "stroke").lower()

    assert stroke() == styles.SECTOR_COLOURS[props["sector"]].lower()
    toggle(map_page, "sector", props["sector"], False)
    assert stroke() == styles.SECTOR_COLOURS[other].lower()
    toggle(map_page, "sector", props["sector"], True)
    assert stroke() == styles.SECTOR_COLOURS[props["sector"]].lower()


# -- a small data set of our own: a two-sector MultiPoint whose name holds markup ---------

PAIR = "port-pair"
PAIR_NAME = "Port <b>Pair</b> & <i>co</i>"


@pytest.fixture(scope="module")
def pair_server(tmp_path_factory):
    """The real server on a data set whose one port is a MultiPoint of energy and trade."""
    pair = make_feature(
        "ports",
        PAIR,
        geometry={"type": "MultiPoint", "coordinates": [[52.97, 40.02], [51.2, 43.6]]},
        name=PAIR_NAME,
        sector="energy",
        sectors=["energy", "trade"],
    )
    data_dir = write_data_dir(tmp_path_factory.mktemp("geodata"), {"ports": [pair]})
    with gunicorn(
        "--workers", "1", "--threads", "2", env={"GEOAPP_DATA_DIR": str(data_dir)}
    ) as url:
        yield url


def test_every_marker_of_a_multipoint_takes_the_colour_of_a_sector_that_is_on(
    watched_page, pair_server
):
    page = open_map(watched_page[0], pair_server + "/")

    def fills() -> list[str]:
        return page.eval_on_selector_all(
            f".leaflet-marker-icon.id-{PAIR} path", "ps => ps.map(p => p.getAttribute('fill'))"
        )

    energy, trade = styles.SECTOR_COLOURS["energy"], styles.SECTOR_COLOURS["trade"]
    assert fills() == [energy, energy]
    toggle(page, "sector", "energy", False)
    assert fills() == [trade, trade]
    toggle(page, "sector", "energy", True)
    assert fills() == [energy, energy]


def test_a_tooltip_shows_a_name_as_text_never_as_markup(watched_page, pair_server):
    page = open_map(watched_page[0], pair_server + "/")
    page.locator(f".leaflet-marker-icon.id-{PAIR}").first.dispatch_event("mouseover")
    tooltip = page.locator(".leaflet-tooltip")
    tooltip.wait_for(timeout=5_000)
    assert tooltip.inner_text() == PAIR_NAME
    assert tooltip.locator("b, i").count() == 0


def test_a_link_with_filters_without_toggles_keeps_them(watched_page, live_server, catalog):
    """``/?status=proposed&layers=pipelines`` draws exactly the proposed pipelines, and the
    filter survives a toggle and stays in the address."""
    page, _ = watched_page
    open_map(page, live_server + "/?status=proposed&layers=pipelines")
    expected = {
        f["properties"]["id"]
        for f in features(catalog, "pipelines")
        if f["properties"]["status"] == "proposed"
    }
    assert expected, "the data should have proposed pipelines"

    def drawn() -> set[str]:
        return {
            next(c[3:] for c in classes if c.startswith("id-"))
            for classes in classes_of(page, ".feature")
        }

    assert drawn() == expected
    toggle(page, "sector", "trade", False)
    assert drawn() <= expected
    assert query_of(page)["status"] == ["proposed"]
