"""``/export.<fmt>``: files of exactly the selection, 400s naming the valid values."""

from __future__ import annotations

import html
import io
import json
import re
import threading
import time
import urllib.request
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

from geoapp import styles
from geoapp.exporters import FORMATS
from geoapp.selection import parse_selection

SMALL = "size=640x448"
IMAGES = {"/export.png", "/export.svg", "/export.pdf"}


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
    response = client.get(f"/export.{fmt}?sectors=energy,trade&{SMALL}")
    assert response.status_code == 200
    assert response.mimetype == FORMATS[fmt].mimetype.split(";")[0]
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="geoapp-caspian-energy-trade.{fmt}"'
    )
    assert response.data.startswith(magic)


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
    selection = parse_selection("security", "naval_bases,ports", "46,40,52,47")
    expected = [f for fs in selection.features(catalog).values() for f in fs]
    assert expected and doc["features"] == expected


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
        ("/export.png?zoom=3", "sectors"),
        ("/export.png?title=" + "x" * 300, "200 characters"),
    ],
)
def test_bad_input_is_a_400_naming_the_valid_values(client, url, valid):
    response = client.get(url)
    assert response.status_code == 400
    assert valid in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_concurrent_exports_all_succeed_and_do_not_block_the_data(live_server):
    """Three different exports at once under gunicorn, and the layer API answers meanwhile."""
    urls = [
        f"{live_server}/export.png?sectors=energy&{SMALL}",
        f"{live_server}/export.pdf?sectors=trade&{SMALL}",
        f"{live_server}/export.svg?sectors=security&{SMALL}",
    ]
    results: dict[str, tuple[int, bytes, float]] = {}

    def fetch(url: str) -> None:
        with urllib.request.urlopen(url, timeout=120) as response:
            results[url] = (response.status, response.read(), time.monotonic())

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


def test_every_export_menu_link_on_the_map_page_downloads(client):
    """The map page's Export menu (issue 3) points at these routes; each link answers a file."""
    page = client.get("/").get_data(as_text=True)
    links = {html.unescape(h) for h in re.findall(r'href="(/export\.[^"]+)"', page)}
    assert {link.split("?")[0] for link in links} == {f"/export.{fmt}" for fmt in FORMATS}
    for link in sorted(links):
        response = client.get(link + ("&" + SMALL if link.split("?")[0] in IMAGES else ""))
        assert response.status_code == 200, link
        assert response.headers["Content-Disposition"].startswith("attachment; filename=")
