"""The standalone HTML export opens from disk in headless Chromium, offline, and draws."""

from __future__ import annotations

import re

from geoapp.data.query import Query, parse_query
from geoapp.export import formats as exporters


def parse_selection(sectors: str | None = None, layers: str | None = None) -> Query:
    """What an export with these ``sectors`` and ``layers`` shows (the Caspian region)."""
    given = {"sectors": sectors, "layers": layers}
    return exporters.export_query(
        parse_query({k: v for k, v in given.items() if v is not None}, "export")
    )


def test_standalone_html_from_file_url_draws_the_selected_features(watched_page, catalog, tmp_path):
    page, watch = watched_page
    selection = parse_selection("security", "ports,naval_bases,borders")
    path = exporters.write_export(catalog, selection, "html", tmp_path / "map.html")
    features = [f for fs in catalog.query(selection).values() for f in fs]
    assert features

    page.goto(path.as_uri())
    first = features[0]["properties"]["id"]
    page.wait_for_selector(f".id-{first}", state="attached", timeout=15_000)
    for feature in features:
        fid = feature["properties"]["id"]
        assert page.locator(f".id-{fid}").count() >= 1, fid
    # Nothing outside the selection: other layers and switched-off sectors are not drawn.
    drawn = page.eval_on_selector_all(".feature", "els => els.map(e => e.getAttribute('class'))")
    assert drawn and all("sector-security" in c for c in drawn)
    assert page.locator(".layer-pipelines").count() == 0
    # The page drew real pixels for them: a Leaflet map with a non-empty overlay.
    assert page.locator(".leaflet-container").count() == 1
    assert not watch.outside


def test_standalone_html_has_no_remote_references(catalog, tmp_path):
    path = exporters.write_export(catalog, parse_selection(), "html", tmp_path / "m.html")
    html = path.read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html")
    # Links may point out (Leaflet's attribution); nothing may be loaded from outside.
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)=[\"']?(https?:)?//", html)
    assert "@import" not in html


def test_standalone_search_offers_names_aliases_and_places_and_goes_to_the_one_picked(
    watched_page, catalog, tmp_path
):
    """No server, no second search rule: the names come from Python, the browser filters them."""
    page, watch = watched_page
    path = exporters.write_export(catalog, parse_selection(), "html", tmp_path / "map.html")
    page.goto(path.as_uri())
    page.wait_for_selector(".id-port-turkmenbashi", state="attached", timeout=15_000)
    offered = page.eval_on_selector_all("#search-names option", "os => os.map(o => o.value)")
    assert {"Krasnovodsk", "Turkmenbashi", "Turkmenbashi International Seaport"} <= set(offered)
    page.fill("#search-input", "Krasnovodsk")
    page.press("#search-input", "Enter")
    page.wait_for_selector(".leaflet-popup .popup-name", timeout=10_000)
    assert page.inner_text(".leaflet-popup .popup-name") == "Turkmenbashi International Seaport"
    page.fill("#search-input", "Atlantis")
    page.press("#search-input", "Enter")
    page.wait_for_function(
        "document.getElementById('search-status').textContent.includes('Atlantis')"
    )
    assert not watch.outside
