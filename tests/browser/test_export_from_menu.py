"""An export from the Export menu shows what the screen shows (issue 10), in real Chromium.

A filtered, zoomed view with a sector off; the legend on screen is read, the menu's
PDF link (with a print preset and a title) and GeoJSON link are clicked, and the files
are compared with the screen: the PDF's legend rows and counts (pdftotext), the
GeoJSON's feature ids. The expected set is computed here with shapely from the
catalog and the screen's bounds, not taken from the server's answer.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from urllib.parse import parse_qs, urlsplit

import pytest
import shapely
from shapely.geometry import shape

from geoapp import styles
from geoapp.data.query import parse_query
from geoapp.export.formats import export_query
from geoapp.maps.printed.figure import close, draw_map
from geoapp.maps.printed.page import PRESETS

#: Operating features with trade switched off, at zoom 8 over Turkmenbashi.
VIEW = "/?status=operating&sectors=energy,security&lat=40.2000&lon=53.5000&zoom=8"
PRESET = "a4-landscape"
TITLE = "Operating near Turkmenbashi"
READY = "body[data-ready=true]"
BOUNDS = (
    "(() => { const b = geoapp.map.getBounds();"
    " return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()]; })()"
)
#: A legend row as pdftotext -layout writes it: "Energy (3)", alone on its line.
#: A legend row as pdftotext reads it, one a line: "Naval base (1)", "Schematic (±50 km) (1)".
PDF_ROW = re.compile(r"^(\S.*?) \((\d+)\)$")


def screen_legend(page) -> list[tuple[str, int]]:
    rows = page.eval_on_selector_all(
        "#legend li",
        "els => els.map(e => [e.querySelector('.label').textContent,"
        " e.querySelector('.count').textContent])",
    )
    return [(label, int(count)) for label, count in rows]


def drawn_ids(page) -> set[str]:
    """The features drawn on the page, from their elements' ``id-<id>`` classes."""
    classes = page.eval_on_selector_all(".feature", "els => els.map(e => e.getAttribute('class'))")
    return {c[3:] for names in classes for c in names.split() if c.startswith("id-")}


def download(page, selector: str, path):
    with page.expect_download() as info:
        page.locator(selector).click()
    info.value.save_as(path)
    return path


def pdf_legend(path) -> list[tuple[str, int]]:
    """The legend rows of a PDF, sorted (its columns are read in either order)."""
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    legend = text.split("Basemap:")[0]  # the credits below the map cite "Untitled text (2025)"
    rows = (PDF_ROW.match(line.strip()) for line in legend.splitlines())
    return sorted((m[1], int(m[2])) for m in rows if m)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")
def test_pdf_and_geojson_from_the_menu_show_the_screens_features_and_legend(
    watched_page, live_server, catalog, tmp_path
):
    page, _ = watched_page
    page.goto(live_server + VIEW)
    page.wait_for_selector(READY, timeout=20_000)
    page.evaluate("geoapp.applying.then(() => true)")

    # What the screen shows: the features drawn that intersect its bounds, and its legend.
    west, south, east, north = page.evaluate(BOUNDS)
    screen = shapely.box(west, south, east, north)
    features = {fid: catalog.get(fid) for fid in drawn_ids(page)}
    in_view = {fid for fid, f in features.items() if shape(f["geometry"]).intersects(screen)}
    assert in_view and in_view != set(features), "the view should leave some features out"
    sectors = ("energy", "security")
    legend = screen_legend(page)
    expected = styles.legend([features[fid] for fid in sorted(in_view)], sectors)
    assert legend == [(e.label, e.count) for e in expected]

    # The menu: a preset and a title; the links carry the whole state.
    page.locator("#export-menu summary").click()
    page.select_option("#export-page", PRESET)
    page.fill("#export-title", TITLE)
    pdf = '#export-menu a[data-format="pdf"]'
    args = {k: v[0] for k, v in parse_qs(urlsplit(page.get_attribute(pdf, "href")).query).items()}
    address = {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}
    assert {k: args[k] for k in address} == address  # filters, centre and zoom
    assert address.keys() >= {"status", "sectors", "lat", "lon", "zoom"}
    assert (args["preset"], args["title"]) == (PRESET, TITLE)
    box = [float(v) for v in args["bbox"].split(",")]
    assert box == pytest.approx([west, south, east, north], abs=1e-4)

    # Precondition: the page's shape widens the frame without bringing in a feature.
    selection = export_query(
        parse_query({k: v for k, v in args.items() if k not in ("preset", "title")}, "export"),
        "pdf",
    )
    fig, info = draw_map(catalog, selection, page=PRESETS[PRESET])
    close(fig)
    widened = catalog.query(selection.replace(bbox=info.frame_bbox))
    widened_ids = {f["properties"]["id"] for fs in widened.values() for f in fs}
    assert widened_ids == in_view, (
        f"the {PRESET} frame of this view holds other features than the screen "
        f"({sorted(widened_ids ^ in_view)}): choose a view where widening adds none"
    )

    # The PDF: the same legend rows and counts, and the title typed in the menu.
    path = download(page, pdf, tmp_path / "view.pdf")
    assert pdf_legend(path) == sorted(legend)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert TITLE in text

    # The GeoJSON: exactly the features the screen shows in view (then the view's towns).
    path = download(page, '#export-menu a[data-format="geojson"]', tmp_path / "view.geojson")
    doc = json.loads(path.read_text(encoding="utf-8"))
    thematic = [f for f in doc["features"] if f["properties"]["layer"] != "places"]
    assert {f["properties"]["id"] for f in thematic} == in_view
