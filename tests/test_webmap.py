"""The map builder: URL parsing, folium assets, per-feature style, standalone HTML, page cache."""

from __future__ import annotations

import json
import re

import folium
import pytest

from geoapp import styles, webmap
from geoapp.catalog import Catalog, QueryError
from geoapp.data.schema import SECTORS, THEMATIC_LAYERS
from tests.factories import make_feature, write_data_dir

# -- parse_view ---------------------------------------------------------------------


def test_no_query_shows_every_sector_and_thematic_layer():
    view = webmap.parse_view({})
    assert view.sectors == tuple(SECTORS)
    assert view.layers == THEMATIC_LAYERS
    assert view.centre is None and view.zoom is None
    assert view.query() == ""


def test_lists_are_normalised_to_vocabulary_order_so_equal_views_share_a_key():
    a = webmap.parse_view({"sectors": "trade,energy", "layers": "ports,pipelines"})
    b = webmap.parse_view({"sectors": "energy,trade,trade", "layers": "pipelines,ports"})
    assert a == b
    assert a.sectors == ("energy", "trade")
    assert a.query() == "sectors=energy,trade&layers=pipelines,ports"


def test_an_empty_list_switches_everything_off():
    view = webmap.parse_view({"sectors": "", "layers": ""})
    assert view.sectors == () and view.layers == ()


def test_centre_and_zoom_are_parsed_and_rounded():
    view = webmap.parse_view({"lat": "41.123456", "lon": "52.5", "zoom": "7"})
    assert view.centre == (41.1235, 52.5)
    assert view.zoom == 7
    assert "lat=41.1235&lon=52.5000&zoom=7" in view.query()


@pytest.mark.parametrize(
    ("args", "parameter", "valid"),
    [
        ({"sectors": "energy,culture"}, "sectors", "energy, security, trade"),
        ({"layers": "ports,airports"}, "layers", ", ".join(THEMATIC_LAYERS)),
        ({"layers": "basemap"}, "layers", ", ".join(THEMATIC_LAYERS)),
        ({"lat": "41"}, "lon", "lat and lon together"),
        ({"lat": "95", "lon": "50"}, "lat", "from -90 to 90"),
        ({"lat": "x", "lon": "50"}, "lat", "a number"),
        ({"lat": "40", "lon": "nan"}, "lon", "a number"),
        ({"zoom": "7.5"}, "zoom", "whole number"),
        ({"zoom": "40"}, "zoom", "from 2 to 18"),
        ({"sector": "energy"}, "parameter", "sectors, layers, lat, lon, zoom"),
    ],
)
def test_bad_values_raise_query_error_naming_the_valid_ones(args, parameter, valid):
    with pytest.raises(QueryError) as info:
        webmap.parse_view(args)
    assert info.value.parameter == parameter
    assert valid in str(info.value)


# -- the folium map -------------------------------------------------------------------


def test_assets_are_set_on_the_instance_and_folium_class_lists_stay_untouched():
    class_js = list(folium.Map.default_js)
    m = webmap.build_map(webmap.View(), local_assets=True)
    assert all(url.startswith("/vendor/") for _, url in m.default_js + m.default_css)
    assert [name for name, _ in m.default_js] == ["leaflet"]
    assert folium.Map.default_js == class_js
    assert any("cdn" in url for _, url in folium.Map.default_js)


def test_folium_never_sees_the_data(catalog):
    """branca renders folium's output a second time as a template: no data may be in it."""
    page = webmap.render_page(catalog, webmap.View(), data_url=lambda i: f"/api/layers/{i}")
    script = "".join(re.findall(r"<script>(.*?)</script>", page, re.S))
    for layer in catalog.layers.values():
        for feature in layer.features:
            assert json.dumps(feature["properties"]["id"]) not in script
    assert "geoapp.start(" in script


def test_served_page_fetches_layer_data_instead_of_inlining_it(catalog):
    page = webmap.render_page(catalog, webmap.View(), data_url=lambda i: f"/api/layers/{i}")
    settings = json.loads(re.search(r'id="geoapp-settings">(.*?)</script>', page, re.S).group(1))
    assert settings["urls"] == {
        **{layer: f"/api/layers/{layer}" for layer in THEMATIC_LAYERS},
        "basemap": "/api/layers/basemap",
    }
    assert 'id="geoapp-data"' not in page
    summaries = [f["properties"]["summary"] for f in catalog.layers["pipelines"].features]
    assert summaries and not any(json.dumps(s)[1:-1] in page for s in summaries)


def test_every_feature_gets_its_css_classes_and_point_symbols_an_svg(catalog):
    features = [f for layer in THEMATIC_LAYERS for f in catalog.layers[layer].features]
    options = webmap.feature_styles(features)
    for feature in features:
        props = feature["properties"]
        assert options[props["id"]]["className"] == f"{styles.css_classes(props)} id-{props['id']}"
    point = make_feature("ports", sector="security", sectors=["security"])
    options = webmap._style(point)
    assert "<svg" in options["html"] and styles.SECTOR_COLOURS["security"] in options["html"]
    assert "sector-security" in options["className"].split()
    line = make_feature("pipelines", status="proposed", capacity_bcm=30)
    options = webmap._style(line)
    assert options["dashArray"] and options["weight"] > styles.BASE_WIDTH


def test_equal_views_render_identical_pages(catalog):
    def render():
        return webmap.render_page(catalog, webmap.View(), data_url=lambda i: f"/api/layers/{i}")

    assert render() == render()


def test_online_tiles_are_offered_off_unless_default():
    def script(**kwargs):
        m = webmap.build_map(webmap.View(), local_assets=True, **kwargs)
        return webmap.components(m)["script"]

    added = re.compile(r"tile_layer_\d+\.addTo\(")
    assert "tile.openstreetmap.org" not in script()
    offered = script(online_tiles=True)
    assert "tile.openstreetmap.org" in offered and "L.control.layers" in offered
    assert not added.search(offered)
    chosen = script(online_tiles=True, default_tiles="osm")
    assert len(added.findall(chosen)) == 1
    assert "tile.openstreetmap.org" not in script(default_tiles="osm")  # offline wins
    with pytest.raises(ValueError, match="DEFAULT_TILES"):
        script(online_tiles=True, default_tiles="bing")


# -- standalone -------------------------------------------------------------------------


def test_standalone_html_inlines_assets_and_only_the_selected_data(catalog):
    html = webmap.standalone_html(catalog, sectors=["security"], layers=["naval_bases"])
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"(https?:)?//", html)
    assert "L.map(" in html and "geoapp.start(" in html
    data = json.loads(re.search(r'id="geoapp-data">(.*?)</script>', html, re.S).group(1))
    inside = catalog.features("naval_bases", sectors=["security"])
    assert inside and data["thematic"] == {
        "naval_bases": {"type": "FeatureCollection", "features": inside}
    }
    outside = [f for f in catalog.layers["pipelines"].features]
    assert not any(f'"{f["properties"]["id"]}"' in html for f in outside)
    settings = json.loads(re.search(r'id="geoapp-settings">(.*?)</script>', html).group(1))
    assert settings["standalone"] is True


def test_standalone_html_filters_by_bbox_and_rejects_unknown_values(tmp_path):
    data = write_data_dir(
        tmp_path / "data",
        {
            "ports": [
                make_feature("ports", "port-in"),
                make_feature(
                    "ports", "port-out", geometry={"type": "Point", "coordinates": [70.0, 30.0]}
                ),
            ]
        },
    )
    catalog = Catalog(data)
    html = webmap.standalone_html(
        catalog, sectors=["energy"], layers=["ports"], bbox=(50, 38, 55, 42), title="Test export"
    )
    assert '"port-in"' in html and '"port-out"' not in html
    assert "<title>Test export</title>" in html
    with pytest.raises(QueryError, match="valid: energy, security, trade"):
        webmap.standalone_html(catalog, sectors=["culture"], layers=["ports"])


# -- page cache ---------------------------------------------------------------------


def test_page_cache_builds_each_key_once_and_evicts_the_least_recent():
    cache = webmap.PageCache(2)
    calls = []

    def build(key):
        return lambda: calls.append(key) or f"<p>{key}</p>"

    assert cache.get("a", build("a"))[0] == b"<p>a</p>"
    cache.get("a", build("a"))
    cache.get("b", build("b"))
    cache.get("a", build("a"))
    cache.get("c", build("c"))  # evicts b, the least recently used
    cache.get("b", build("b"))
    assert calls == ["a", "b", "c", "b"]
    assert len(cache) == 2


def test_concurrent_misses_build_a_page_once():
    import threading
    import time

    cache = webmap.PageCache(4)
    calls = []

    def build():
        calls.append(1)
        time.sleep(0.2)  # long enough for every thread to miss while it builds
        return "<p>page</p>"

    results = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get("k", build))) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [body for body, _ in results] == [b"<p>page</p>"] * 4
    assert len(calls) == 1 and cache.builds == 1


def test_a_failed_build_is_not_cached():
    cache = webmap.PageCache(4)

    def boom() -> str:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        cache.get("k", boom)
    assert len(cache) == 0
    assert cache.get("k", lambda: "ok")[0] == b"ok"
