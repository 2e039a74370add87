"""``/export.<fmt>``: files of exactly the selection, 400s naming the valid values."""

from __future__ import annotations

import html
import io
import json
import re
import threading
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PIL import Image

from geoapp import styles
from geoapp.config import DEFAULTS
from geoapp.data.query import CASPIAN_BBOX, Query, parse_query
from geoapp.data.schema import SECTORS, THEMATIC_LAYERS
from geoapp.deploy import GUNICORN_CONFIG
from geoapp.errors import QueryError
from geoapp.export.formats import FORMATS, export_query
from geoapp.maps.printed.page import MAX_TITLE, PAGE_HINT, parse_size
from tests.servers import gunicorn

SMALL = "size=640x448"
IMAGES = {"/export.png", "/export.svg", "/export.pdf"}


def parse_selection(**args: str) -> Query:
    """What ``/export.<fmt>?args`` shows (the Caspian region unless a bbox is given)."""
    return export_query(parse_query(args, "export"))


@pytest.mark.parametrize(
    ("fmt", "magic"),
    [
        ("png", b"\x89PNG\r\n\x1a\n"),
        ("pdf", b"%PDF-"),
        ("svg", b"<?xml"),
        ("gpkg", b"SQLite format 3\x00"),
        ("kml", b"<?xml"),
        ("geojson", b"{"),
        ("csv", b"WKT,id,name"),
    ],
)
def test_each_format_downloads_with_its_type_and_filename(client, fmt, magic):
    size = f"&{SMALL}" if FORMATS[fmt].family == "image" else ""
    response = client.get(f"/export.{fmt}?sectors=energy,trade{size}")
    assert response.status_code == 200
    assert response.mimetype == FORMATS[fmt].mimetype
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="geoapp-caspian-energy-trade.{fmt}"'
    )
    assert response.data.startswith(magic)


CONTENT_TYPES = {
    "png": "image/png",
    "svg": "image/svg+xml; charset=utf-8",
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
    "geojson": "application/geo+json",
    "gpkg": "application/geopackage+sqlite3",
    "kml": "application/vnd.google-earth.kml+xml; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
}


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_content_type_header_is_exactly_the_formats(client, fmt):
    response = client.get(f"/export.{fmt}?sectors=trade&layers=ports&{SMALL}"
                          if FORMATS[fmt].family == "image" else f"/export.{fmt}?sectors=trade")  # fmt: skip
    assert response.status_code == 200
    assert response.headers["Content-Type"] == CONTENT_TYPES[fmt]


@pytest.mark.parametrize("title", ["$x^$", "Price $10 and $20", "$", "\\frac{1}{2}$"])
def test_titles_with_dollar_signs_are_drawn_as_typed(client, title):
    response = client.get("/export.svg", query_string={"title": title, "size": "600x400"})
    assert response.status_code == 200
    assert html.escape(title, quote=False) in response.get_data(as_text=True)
    assert client.get("/export.png", query_string={"title": title}).status_code == 200


@pytest.mark.parametrize(
    ("fmt", "query", "formats"),
    [
        ("csv", "title=x", "png, svg, pdf, html"),
        ("geojson", "size=600x400", "png, svg, pdf"),
        ("html", "size=600x400", "png, svg, pdf"),
        ("kml", "title=x&size=600x400", "png, svg, pdf, html"),
    ],
)
def test_options_for_other_formats_are_a_400_naming_those_formats(client, fmt, query, formats):
    """The CLI's rule (exit 2 there): --title and --size only where they mean something."""
    response = client.get(f"/export.{fmt}?{query}", headers={"Accept": "application/json"})
    assert response.status_code == 400
    doc = response.get_json()
    assert doc["valid"] == formats.split(", ")
    assert f"not {fmt}" in doc["description"]


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_an_unexpected_rendering_error_is_a_clean_500(app, monkeypatch, accept):
    from geoapp.maps.printed import figure as render

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(render, "draw_map", broken)
    response = app.test_client().get("/export.png?size=633x422", headers={"Accept": accept})
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "Traceback" not in text and "secret internals" not in text
    assert response.mimetype == accept


def test_export_default_view_is_the_maps_opening_view(client):
    """One definition of "the Caspian region": the page opens on it and exports it."""
    page = client.get("/").get_data(as_text=True)
    links = [html.unescape(h) for h in re.findall(r'href="(/export\.[^"]+)"', page)]
    assert links
    # What each menu link exports before the script adds the view's bbox to it.
    boxes = {parse_selection(**dict(parse_qsl(urlsplit(link).query))).bbox for link in links}
    assert boxes == {CASPIAN_BBOX}
    (south, west), (north, east) = json.loads(
        re.search(r"fitBounds\(\s*(\[\[.*?\]\])", page, re.S).group(1)
    )
    assert (west, south, east, north) == pytest.approx(CASPIAN_BBOX)


def test_png_has_the_requested_size(client):
    response = client.get("/export.png?size=700x500")
    with Image.open(io.BytesIO(response.data)) as image:
        assert image.size == (700, 500)


def test_svg_follows_the_sector_toggles(client):
    energy = styles.SECTOR_COLOURS["energy"].lower()
    on = client.get(f"/export.svg?sectors=energy&{SMALL}").data.decode()
    off = client.get(f"/export.svg?sectors=security,trade&{SMALL}").data.decode()
    ET.fromstring(on)
    assert energy in on.lower() and energy not in off.lower()


def test_geojson_is_exactly_the_selection(client, catalog):
    query = "sectors=security&layers=naval_bases,ports&bbox=46,40,52,47"
    doc = json.loads(client.get(f"/export.geojson?{query}").data)
    selection = parse_selection(sectors="security", layers="naval_bases,ports", bbox="46,40,52,47")
    expected = [f for fs in catalog.query(selection).values() for f in fs]
    # The features first, then the box's towns (tests/test_export_places.py).
    assert expected and doc["features"][: len(expected)] == expected
    assert {f["properties"]["layer"] for f in doc["features"][len(expected) :]} <= {"places"}


def test_title_reaches_the_svg(client):
    svg = client.get(f"/export.svg?title=Ports%20of%20the%20Caspian&{SMALL}").data.decode()
    assert "Ports of the Caspian" in svg


@pytest.mark.parametrize(
    ("url", "valid"),
    [
        ("/export.jpeg", "png"),
        ("/export.png?sectors=oil", "energy"),
        ("/export.png?layers=roads", "pipelines"),
        ("/export.png?bbox=1,2,3", "minlon,minlat,maxlon,maxlat"),
        ("/export.png?bbox=10,10,10,10", "minlon,minlat,maxlon,maxlat"),
        ("/export.png?size=9x9", "WIDTHxHEIGHT"),
        ("/export.png?size=²00x300", "WIDTHxHEIGHT"),
        ("/export.png?size=200x３00", "WIDTHxHEIGHT"),
        ("/export.png?size=%2B200x300", "WIDTHxHEIGHT"),
        # Unknown here (the map's own parameters): a 400 naming the export's parameters.
        # (lat, lon and zoom are the export face's since issue 9, and ignored.)
        ("/export.png?feature=port-aktau", "sectors"),
        ("/export.png?datetime=2020-01-01", "sectors"),
        ("/export.png?title=" + "x" * 300, "200 characters"),
        ("/export.png?title=" + "x" * (MAX_TITLE + 1), f"at most {MAX_TITLE} characters"),
        ("/export.png?size=200x200", PAGE_HINT),
        ("/export.png?size=599x400", PAGE_HINT),
        ("/export.svg?size=600x399", PAGE_HINT),
        ("/export.pdf?size=6001x4000", PAGE_HINT),
    ],
)
def test_bad_input_is_a_400_naming_the_valid_values(client, url, valid):
    response = client.get(url)
    assert response.status_code == 400
    assert valid in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_the_smallest_size_is_a_6_by_4_inch_page(client):
    response = client.get("/export.png?size=600x400")
    assert response.status_code == 200
    with Image.open(io.BytesIO(response.data)) as image:
        assert image.size == (600, 400)
    svg = client.get("/export.svg?size=600x400").get_data(as_text=True)
    root = ET.fromstring(svg)
    assert (root.get("width"), root.get("height")) == ("432pt", "288pt")  # 6 x 4 in


@pytest.mark.parametrize("fmt", ["png", "csv"])
def test_an_empty_title_is_the_default_as_on_the_command_line(client, fmt):
    size = "&size=600x400" if fmt == "png" else ""
    assert client.get(f"/export.{fmt}?title={size}").status_code == 200
    assert client.get(f"/export.{fmt}?title=%20{size}").status_code == 200
    longest = client.get("/export.svg", query_string={"title": "T" * MAX_TITLE, "size": "600x400"})
    assert longest.status_code == 200


def test_concurrent_exports_all_succeed_and_do_not_block_the_data(live_server):
    """Three different exports at once under gunicorn, and the layer API answers meanwhile.

    The worker draws them within its export budget (geoapp.export.budget): one told 503 comes
    back after its Retry-After, as a client should, and gets its file.
    """
    urls = [
        f"{live_server}/export.png?sectors=energy&{SMALL}",
        f"{live_server}/export.pdf?sectors=trade&{SMALL}",
        f"{live_server}/export.svg?sectors=security&{SMALL}",
    ]
    results: dict[str, tuple[int, bytes, float]] = {}

    def fetch(url: str) -> None:
        for _ in range(10):
            try:
                with urllib.request.urlopen(url, timeout=120) as response:
                    results[url] = (response.status, response.read(), time.monotonic())
                    return
            except urllib.error.HTTPError as exc:
                if exc.code != 503:
                    raise
                time.sleep(int(exc.headers["Retry-After"]))

    threads = [threading.Thread(target=fetch, args=(u,)) for u in urls]
    for t in threads:
        t.start()
    time.sleep(0.05)
    fetch(f"{live_server}/api/layers")
    for t in threads:
        t.join()
    assert [results[u][0] for u in urls] == [200, 200, 200]
    assert results[urls[0]][1].startswith(b"\x89PNG")
    assert results[urls[1]][1].startswith(b"%PDF-")
    ET.fromstring(results[urls[2]][1])
    api_done = results[f"{live_server}/api/layers"][2]
    assert api_done < max(results[u][2] for u in urls)


@pytest.mark.timed
def test_the_map_keeps_answering_during_large_exports_under_the_production_command(tmp_path):
    """Two large PNGs under production's gunicorn settings (``geoapp.deploy.gunicorn``, what
    ``make serve-prod`` runs behind nginx): / and /api/layers stay fast."""
    bound = 0.3
    env = {"GEOAPP_DATA_DIR": DEFAULTS["DATA_DIR"], "GEOAPP_RUN_DIR": str(tmp_path / "run")}
    with gunicorn("-c", GUNICORN_CONFIG, env=env) as url:

        def timed_get(path: str) -> float:
            start = time.perf_counter()
            with urllib.request.urlopen(url + path, timeout=120) as response:
                response.read()
            return time.perf_counter() - start

        for _ in range(12):  # both workers build and cache the page before the timing
            timed_get("/")
            timed_get("/api/layers")
        exports = [
            threading.Thread(target=timed_get, args=(f"/export.png?size=4000x2800&title=big{i}",))
            for i in range(2)
        ]
        for t in exports:
            t.start()
        time.sleep(0.1)
        latencies = []
        while any(t.is_alive() for t in exports):
            latencies += [("/", timed_get("/")), ("/api/layers", timed_get("/api/layers"))]
        for t in exports:
            t.join()
    assert len(latencies) >= 6, "the exports ended before the map was asked: make them larger"
    # A shared machine can stall any one request; blocking workers stall many (measured:
    # sync workers queue most answers behind an export, worst 0.6 s; gthread: median 2 ms,
    # worst 0.12 s). So: at most one answer in twenty over the bound, none over a second.
    slow = [(path, round(s, 3)) for path, s in latencies if s >= bound]
    assert len(slow) <= len(latencies) // 20, (
        f"{len(slow)} of {len(latencies)} answers took {bound} s or more: {slow}"
    )
    assert max(s for _, s in latencies) < 1.0, latencies


def test_every_export_menu_link_on_the_map_page_downloads(client):
    """The map page's Export menu (issue 3) points at these routes; each link answers a file."""
    page = client.get("/").get_data(as_text=True)
    links = {html.unescape(h) for h in re.findall(r'href="(/export\.[^"]+)"', page)}
    assert {link.split("?")[0] for link in links} == {f"/export.{fmt}" for fmt in FORMATS}
    for link in sorted(links):
        size = SMALL if link.split("?")[0] in IMAGES else ""
        response = client.get(link + ("&" if "?" in link else "?") + size if size else link)
        assert response.status_code == 200, link
        assert response.headers["Content-Disposition"].startswith("attachment; filename=")


# -- fuzz: no query string makes an export or the map page fail -----------------------

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=24)
SIZES = st.one_of(
    TEXT,
    st.sampled_from(["200x200", "200X200", "²00x300", "0x0", "99999x1", "200x", "x", "", " "]),
)
NUMBERS = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(str), TEXT)


def comma_lists(vocabulary) -> st.SearchStrategy[str]:
    """Mostly valid lists (so that many exports draw), sometimes any text."""
    valid = st.lists(st.sampled_from(list(vocabulary)), max_size=4).map(",".join)
    return st.one_of(valid, valid, TEXT, st.sampled_from(["oil", " , ", ",,", "ENERGY"]))


SECTOR_LISTS = comma_lists(SECTORS)
LAYER_LISTS = comma_lists(THEMATIC_LAYERS)
LONS, LATS = st.floats(-180, 180), st.floats(-90, 90)
BBOXES = st.one_of(
    st.tuples(LONS, LATS, LONS, LATS).map(lambda b: ",".join(map(str, b))),
    st.lists(NUMBERS, max_size=5).map(",".join),
    TEXT,
)
TITLES = st.one_of(TEXT, st.sampled_from(["$x^$", "Price $10 and $20", "100%", "%s", "\\"]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    fmt=st.sampled_from(["geojson", "csv", "svg", "svg", "png"]),
    query=st.fixed_dictionaries(
        {},
        optional={
            "sectors": SECTOR_LISTS,
            "layers": LAYER_LISTS,
            "bbox": BBOXES,
            "title": TITLES,
            "size": SIZES,
        },
    ),
)
def test_no_export_query_gets_a_5xx(app, fmt, query):
    if fmt in ("svg", "png"):  # images stay small and quick: any size that parses is the least
        try:
            parse_size(query.get("size"))
        except QueryError:
            pass
        else:
            query = {**query, "size": "600x400"}
    response = app.test_client().get(f"/export.{fmt}", query_string=query)
    event(f"{fmt} {response.status_code}")
    assert response.status_code in (200, 400), (fmt, query, response.data[:300])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    query=st.fixed_dictionaries(
        {},
        optional={
            "sectors": SECTOR_LISTS,
            "layers": LAYER_LISTS,
            "lat": NUMBERS,
            "lon": NUMBERS,
            "zoom": NUMBERS,
        },
    )  # fmt: skip
)
def test_no_map_page_query_gets_a_5xx(app, query):
    response = app.test_client().get("/", query_string=query)
    assert response.status_code in (200, 400), (query, response.data[:300])
