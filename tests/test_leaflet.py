"""The Leaflet page and the view answer: folium builds the frame, JSON carries the data."""

from __future__ import annotations

import json
import re

import folium
import pytest

from geoapp import styles
from geoapp.data.catalog import Catalog
from geoapp.data.providers.files import FilesProvider
from geoapp.data.query import Query, parse_query
from geoapp.data.schema import SECTORS, THEMATIC_LAYERS
from geoapp.maps import leaflet
from geoapp.maps.view import leaflet_options, view_answer
from tests.data import features, shown
from tests.factories import make_feature, write_data_dir


def blob(html: str, name: str) -> dict:
    return json.loads(re.search(rf'id="geoapp-{name}">(.*?)</script>', html, re.S).group(1))


def served(catalog, query: Query | None = None) -> str:
    return leaflet.render_page(
        catalog, query or Query(), layer_url=lambda i: f"/api/layers/{i}", view_url="/api/view"
    )


# -- the folium frame -----------------------------------------------------------------


def test_assets_are_set_on_the_instance_and_folium_class_lists_stay_untouched():
    class_js = list(folium.Map.default_js)
    m = leaflet.build_map(Query(), local_assets=True)
    assert all(url.startswith("/vendor/") for _, url in m.default_js + m.default_css)
    assert [name for name, _ in m.default_js] == ["leaflet"]
    assert folium.Map.default_js == class_js
    assert any("cdn" in url for _, url in folium.Map.default_js)


def test_folium_never_sees_the_data(catalog):
    """branca renders folium's output a second time as a template: no data may be in it."""
    page = served(catalog)
    script = "".join(re.findall(r"<script>(.*?)</script>", page, re.S))
    for layer in catalog.layers():
        for feature in features(catalog, layer):
            assert json.dumps(feature["properties"]["id"]) not in script
    assert "geoapp.start(" in script


def test_online_tiles_are_offered_off_unless_default():
    def script(**kwargs):
        m = leaflet.build_map(Query(), local_assets=True, **kwargs)
        return leaflet.components(m)["script"]

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


# -- the served page ------------------------------------------------------------------


def test_served_page_fetches_layer_data_instead_of_inlining_it(catalog):
    page = served(catalog)
    settings = blob(page, "settings")
    assert settings["urls"] == {
        **{layer: f"/api/layers/{layer}" for layer in THEMATIC_LAYERS},
        "basemap": "/api/layers/basemap",
    }
    assert settings["viewUrl"] == "/api/view"
    assert 'id="geoapp-data"' not in page
    summaries = [f["properties"]["summary"] for f in features(catalog, "pipelines")]
    assert summaries and not any(json.dumps(s)[1:-1] in page for s in summaries)


def test_the_page_carries_no_style_per_feature(catalog):
    settings = blob(served(catalog), "settings")
    text = json.dumps(settings)
    ids = [f["properties"]["id"] for layer in THEMATIC_LAYERS for f in features(catalog, layer)]
    # The basemap names the one feature it draws as water; no feature carries a style.
    water = {i for part in settings["basemap"] for i in part["ids"] or ()}
    assert not [i for i in ids if f'"{i}"' in text and i not in water]
    assert settings["styles"] == json.loads(json.dumps(styles.style_table()))


def test_equal_queries_render_identical_pages(catalog):
    assert served(catalog) == served(catalog)


# -- the view answer: every rule in Python ---------------------------------------------


def test_the_view_answer_lists_exactly_what_the_query_shows(catalog):
    query = parse_query({"sectors": "security", "layers": "pipelines,naval_bases"}, "map")
    answer = view_answer(catalog, query, {"png": "/export.png"})
    expected = shown(catalog, ["security"], ["pipelines", "naval_bases"])
    assert expected and set(answer["features"]) == {f["properties"]["id"] for f in expected}
    assert answer["count"] == len(expected)
    legend = {row["key"]: row["count"] for row in answer["legend"]}
    assert legend == {e.key: e.count for e in styles.legend(expected, ["security"])}
    assert answer["exports"] == {"png": f"/export.png?{query.canonical()}"}


def test_every_feature_gets_its_css_classes_and_a_shared_style(catalog):
    answer = view_answer(catalog, Query())
    for layer in THEMATIC_LAYERS:
        for feature in features(catalog, layer):
            props = feature["properties"]
            look = answer["features"][props["id"]]
            assert look["className"] == f"{styles.css_classes(props)} id-{props['id']}"
            assert answer["styles"][look["style"]] == leaflet_options(feature, SECTORS)
    assert len(answer["styles"]) < len(answer["features"])  # looks are shared, not per feature


def test_a_multi_sector_feature_wears_a_sector_that_is_on():
    point = make_feature("ports", sector="energy", sectors=["energy", "trade"])
    on_energy = leaflet_options(point, ["energy", "trade"])["html"]
    only_trade = leaflet_options(point, ["trade"])["html"]
    assert styles.SECTOR_COLOURS["energy"] in on_energy
    assert styles.SECTOR_COLOURS["trade"] in only_trade
    assert styles.SECTOR_COLOURS["energy"] not in only_trade
    line = make_feature("pipelines", status="proposed", capacity_bcm=30)
    options = leaflet_options(line, SECTORS)
    assert options["dashArray"] and options["weight"] > styles.BASE_WIDTH


def test_legend_swatches_are_svg_documents_from_the_style_table(catalog):
    for row in view_answer(catalog, Query())["legend"]:
        assert row["swatch"].startswith('<svg xmlns="http://www.w3.org/2000/svg"')


# -- standalone ------------------------------------------------------------------------


def test_standalone_html_inlines_assets_and_only_the_selected_data(catalog):
    query = Query(sectors=("security",), layers=("naval_bases",))
    html = leaflet.standalone_html(catalog, query)
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"(https?:)?//", html)
    assert "L.map(" in html and "geoapp.start(" in html
    data = blob(html, "data")
    inside = features(catalog, "naval_bases", sectors=["security"])
    assert inside and data["thematic"] == {
        "naval_bases": {"type": "FeatureCollection", "features": inside}
    }
    assert set(data["view"]["features"]) == {f["properties"]["id"] for f in inside}
    outside = features(catalog, "pipelines")
    assert not any(f'"{f["properties"]["id"]}"' in html for f in outside)
    assert blob(html, "settings")["standalone"] is True


def test_standalone_html_keeps_every_kept_feature_and_counts_the_view(tmp_path):
    """The file is a map to pan: what lies beyond the exported box is in it, drawn; the
    legend counts what the box shows, as the screen's did; filters still leave out."""
    data = write_data_dir(
        tmp_path / "data",
        {
            "ports": [
                make_feature("ports", "port-in"),
                make_feature(
                    "ports", "port-out", geometry={"type": "Point", "coordinates": [70.0, 30.0]}
                ),
                make_feature("ports", "port-security", sector="security", sectors=["security"]),
            ]
        },
    )
    catalog = Catalog(FilesProvider(data))
    query = Query(sectors=("energy",), layers=("ports",), bbox=(50, 38, 55, 42))
    html = leaflet.standalone_html(catalog, query, title="Test export")
    data = blob(html, "data")
    carried = [f["properties"]["id"] for f in data["thematic"]["ports"]["features"]]
    assert carried == ["port-in", "port-out"]
    assert set(data["view"]["features"]) == {"port-in", "port-out"}
    assert '"port-security"' not in html
    assert {row["key"]: row["count"] for row in data["view"]["legend"]} == {
        "sector:energy": 1,
        "status:operating": 1,
        "layer:ports": 1,
    }
    assert "<title>Test export</title>" in html
