"""The map page at ``/`` through Flask's test client: toggles, settings, caching, errors."""

from __future__ import annotations

import gzip
import json
import re
from html.parser import HTMLParser

import pytest

from geoapp import create_app, styles
from geoapp.config import DEFAULTS
from geoapp.data.query import FACES
from geoapp.data.schema import LAYERS, SECTORS, THEMATIC_LAYERS
from geoapp.export.formats import FORMATS
from tests.data import shown


class Inputs(HTMLParser):
    """Collect the page's checkboxes and labels' text."""

    def __init__(self):
        super().__init__()
        self.boxes: dict[tuple[str, str], bool] = {}
        self.labels: list[str] = []
        self._label: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("type") == "checkbox":
            self.boxes[(a["name"], a["value"])] = "checked" in a
        if tag == "label" and "toggle" in (a.get("class") or ""):
            self._label = []

    def handle_data(self, data):
        if self._label is not None:
            self._label.append(data)

    def handle_endtag(self, tag):
        if tag == "label" and self._label is not None:
            self.labels.append("".join(self._label).strip())
            self._label = None


def parse(html: str) -> Inputs:
    p = Inputs()
    p.feed(html)
    return p


def settings_of(html: str) -> dict:
    blobs = re.findall(r'<script type="application/json" id="geoapp-settings">(.*?)</script>', html)
    assert len(blobs) == 1
    return json.loads(blobs[0])


def legend_of(html: str) -> dict[str, int]:
    return {
        key: int(count)
        for key, count in re.findall(
            r'<li data-key="([^"]+)">.*?<span class="count">(\d+)</span></li>', html
        )
    }


def test_page_has_a_toggle_per_sector_and_per_thematic_layer(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = parse(response.text)
    assert {v for (n, v) in page.boxes if n == "sector"} == set(SECTORS)
    assert [v for (n, v) in page.boxes if n == "layer"] == list(THEMATIC_LAYERS)
    assert all(on for (n, _), on in page.boxes.items() if n in ("sector", "layer"))
    # The filters' boxes narrow when ticked: none is ticked on a plain link (all shown).
    # Towns (a context layer, not a filter) are on unless a link says towns=off.
    assert page.boxes[("towns", "on")]
    filters = {n for (n, _), on in page.boxes.items() if n not in ("sector", "layer", "towns")}
    assert filters == {"status", "country", "source"}
    assert not any(on for (n, _), on in page.boxes.items() if n in filters)
    for label in [*SECTORS.values(), *(LAYERS[k].title for k in THEMATIC_LAYERS)]:
        assert label in page.labels
    assert LAYERS["basemap"].title not in page.labels


def test_page_embeds_folium_components_with_local_assets_only(client):
    html = client.get("/").text
    assert "<iframe" not in html
    assert re.search(r'<div class="folium-map" id="map_\w+"', html)
    assert "L.map(" in html and "L.control.scale()" in html
    sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert "/vendor/leaflet/1.9.3/leaflet.js" in sources
    assert all(s.startswith(("/vendor/", "/static/", "data:")) for s in sources), sources
    assert "jquery" not in html.lower() and "bootstrap" not in html.lower()


def test_settings_blob_carries_the_style_table_and_sources(client, catalog):
    settings = settings_of(client.get("/").text)
    assert settings["styles"] == json.loads(json.dumps(styles.style_table()))
    assert list(settings["sectors"]) == list(SECTORS)  # vocabulary order kept
    assert {k: v["title"] for k, v in settings["sources"].items()} == {
        k: v["title"] for k, v in catalog.sources.items()
    }


def test_query_sets_the_toggles_and_the_legend_counts_what_is_visible(client, catalog):
    html = client.get("/?sectors=security&layers=pipelines,naval_bases").text
    boxes = parse(html).boxes
    assert [v for (n, v), on in boxes.items() if on and n == "sector"] == ["security"]
    assert [v for (n, v), on in boxes.items() if on and n == "layer"] == [
        "pipelines",
        "naval_bases",
    ]
    visible = shown(catalog, ["security"], ["pipelines", "naval_bases"])
    assert visible
    assert legend_of(html) == {e.key: e.count for e in styles.legend(visible, ["security"])}


def test_export_menu_links_every_format_for_the_view(client):
    html = client.get("/?sectors=energy,trade&layers=ports").text
    links = dict(re.findall(r'<a data-format="(\w+)" href="([^"]+)"', html))
    assert set(links) == set(FORMATS)
    for fmt, href in links.items():
        # The filters of the view; the page's script adds the box on screen.
        assert href == f"/export.{fmt}?layers=ports&amp;sectors=energy,trade"


@pytest.mark.parametrize(
    ("query", "valid"),
    [
        ("sectors=energy,culture", ["energy", "security", "trade"]),
        ("layers=ports,airports", list(THEMATIC_LAYERS)),
        ("zoom=99", None),
        ("lat=1000&lon=50", None),
        ("lat=40", None),
        ("colour=red", list(FACES["map"])),
    ],
)
def test_bad_query_answers_400_listing_the_valid_values(client, query, valid):
    response = client.get(f"/?{query}")
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "Traceback" not in response.text
    if valid:
        listed = re.findall(r"<li><code>([^<]+)</code></li>", response.text)
        assert listed == valid


def test_page_is_cached_per_normalised_query():
    app = create_app({"TESTING": True, "PAGE_CACHE_SIZE": 2})
    client = app.test_client()
    first = client.get("/?sectors=trade,energy")
    again = client.get("/?sectors=energy,trade")
    assert first.data == again.data
    cache = app.extensions["geoapp.pages"]
    assert cache.builds == 1
    client.get("/?sectors=trade")
    client.get("/?sectors=energy")
    client.get("/?sectors=energy,trade")  # evicted by the two before: built again
    assert cache.builds == 4 and len(cache) == 2


def test_page_answers_etag_304_gzip_and_cache_control(client):
    response = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert b"L.map(" in gzip.decompress(response.data)
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    assert "Accept-Encoding" in response.headers["Vary"]
    assert '</api/layers>; rel="alternate"' in response.headers["Link"]
    etag = response.headers["ETag"]
    again = client.get("/", headers={"If-None-Match": etag, "Accept-Encoding": "gzip"})
    assert again.status_code == 304 and again.data == b""


def test_vendored_leaflet_is_served_immutable_and_nothing_else_is(client):
    response = client.get("/vendor/leaflet/1.9.3/leaflet.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert b"Leaflet" in response.data[:500]
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert client.get("/vendor/leaflet/1.9.3/images/layers.png").mimetype == "image/png"
    assert client.get("/vendor/leaflet/1.9.3/leaflet-src.esm.js").status_code == 404
    assert client.get("/vendor/leaflet/1.0.0/leaflet.js").status_code == 404
    assert client.get("/vendor/jquery/3.7.1/jquery.min.js").status_code == 404


@pytest.mark.parametrize(
    "name",
    [
        "geoapp-data.js",
        "geoapp-render.js",
        "geoapp-popup.js",
        "geoapp-search.js",
        "geoapp-ui.js",
        "geoapp.css",
    ],
)
def test_page_scripts_and_styles_are_served(client, name):
    assert f'/static/{name}"' in client.get("/").text
    response = client.get(f"/static/{name}")
    response.close()  # a file response: release the file
    assert response.status_code == 200


def test_debug_is_off_unless_asked_for(monkeypatch):
    monkeypatch.delenv("GEOAPP_DEBUG", raising=False)
    assert create_app().debug is False
    monkeypatch.setenv("GEOAPP_DEBUG", "1")
    assert create_app().debug is True


def test_a_server_error_shows_no_stack_trace():
    app = create_app({"DATA_DIR": DEFAULTS["DATA_DIR"]})

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    assert "secret internals" not in response.text
    assert response.status_code == 500
    assert "Traceback" not in response.text and 'File "' not in response.text
    assert "Internal server error" in response.text


def test_online_tiles_config_offers_the_providers(client):
    assert "tile.openstreetmap.org" not in client.get("/").text
    app = create_app({"ONLINE_TILES": True})
    html = app.test_client().get("/").text
    assert "tile.openstreetmap.org" in html and "World_Imagery" in html


def test_links_follow_a_mount_prefix(client):
    plain = client.get("/").text
    mounted = client.get("/", base_url="http://localhost/geo/").text
    assert '"/api/layers/pipelines"' in plain and 'href="/export.png"' in plain
    assert '"/geo/api/layers/pipelines"' in mounted and 'href="/geo/export.png"' in mounted
    assert '"/geo/api/view"' in mounted and 'href="/export.png"' not in mounted


def test_view_counts_each_filter_value_beside_the_other_filters(client, catalog):
    """A box's count is what ticking it alone would keep, the other filters as they are."""
    from geoapp.data.query import Query

    def count(**filters) -> int:
        return sum(len(fs) for fs in catalog.query(Query(**filters)).values())

    facets = client.get("/api/view?source=rt-2025&status=operating").get_json()["facets"]
    for status in ("proposed", "operating", "event"):
        assert facets["status"].get(status, 0) == count(sources=("rt-2025",), statuses=(status,))
    for source in ("rt-2025", "rt-2025:trade", "diplomat-2017"):
        assert facets["source"].get(source, 0) == count(sources=(source,), statuses=("operating",))
    for country in ("TKM", "RUS", "IND"):
        assert facets["country"].get(country, 0) == count(
            sources=("rt-2025",), statuses=("operating",), countries=(country,)
        )
    assert facets["status"]["proposed"] and facets["source"]["rt-2025"] and facets["country"]["TKM"]
    assert "rt-2025:trade" not in facets["source"]  # its rows are all proposed
    page = client.get("/?country=TKM").get_data(as_text=True)
    for control in ('id="time-from"', 'id="time-to"', 'id="time-play"', 'name="status"',
                    'value="rt-2025:security"', 'name="country" value="TKM" checked'):  # fmt: skip
        assert control in page
