"""The printed map is the same map in PNG, PDF and SVG, and its text is text.

Each case exports one view at one page in the three formats through
``render_map`` (what ``geoapp export`` and ``/export.<fmt>`` call), rasterises the
PDF with poppler (``pdftocairo``: the cairo renderer that poppler-based viewers such
as Evince and Okular's print preview use) and the SVG with ``rsvg-convert`` at the
PNG's pixel size, and compares pixels. poppler's other rasteriser, ``pdftoppm``
(Splash), places large glyphs a pixel row away from where Agg and cairo put them at
some resolutions, which is a rasteriser's choice, not the map's: docs/export.md
gives its figures. Text positions are read back from the files themselves:
``pdftotext -bbox`` on the PDF, and on the SVG converted to PDF by rsvg (which keeps
``<text>`` as text); an XML parse of the SVG must find every label as ``<text>``.

The printed map does not depend on the provider, so these tests use the bundled data
through the files provider only (the provider suite covers what the map is given).
"""

from __future__ import annotations

import html
import io
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from geoapp import load_catalog
from geoapp.config import DEFAULTS
from geoapp.data.query import CASPIAN_BBOX, Query, parse_query
from geoapp.export.formats import export_query
from geoapp.maps.printed import figure as render
from geoapp.maps.printed.page import PRESETS, Page, parse_page

TOOLS = ("pdftocairo", "pdftotext", "pdffonts", "rsvg-convert")
pytestmark = pytest.mark.skipif(
    any(shutil.which(t) is None for t in TOOLS),
    reason="needs poppler-utils and librsvg2-bin (apt-get install poppler-utils librsvg2-bin)",
)

#: A pixel "differs strongly" when a channel is off by more than half its range: an edge
#: anti-aliased a little differently by another rasteriser does not, a misplaced label does.
STRONG = 128
#: Most of the page (share of pixels) that may differ strongly.
MAX_STRONG_SHARE = 0.005


@dataclass(frozen=True)
class Case:
    name: str
    query: dict
    page: Page


CASES = [
    Case("caspian-1600x1200", {}, Page.from_pixels(1600, 1200)),
    Case("smallest-page", {}, parse_page("600x400")),
    Case(
        "turkmenbashi-a4-portrait",
        {"bbox": "51.5,38.5,55.5,42.5"},
        parse_page(preset="a4-portrait", dpi=100),
    ),
    Case(
        "security-trade-since-2012-slide",
        {"sectors": "security,trade", "status": "proposed,construction,event", "from": "2012"},
        PRESETS["slide-16x9"],
    ),
    Case("afghan-border-social", {"bbox": "58,34,67,39"}, PRESETS["social-1200x675"]),
]


@pytest.fixture(scope="module")
def bundled():
    return load_catalog({"DATA_DIR": DEFAULTS["DATA_DIR"]})


@dataclass
class Exported:
    case: Case
    info: render.MapInfo
    files: dict[str, Path]
    rasters: dict[str, np.ndarray]


@pytest.fixture(scope="module", params=CASES, ids=lambda c: c.name)
def exported(request, bundled, tmp_path_factory) -> Exported:
    case: Case = request.param
    folder = tmp_path_factory.mktemp(case.name)
    selection = export_query(parse_query(case.query, "export"))
    files, infos = {}, {}
    for fmt in ("png", "pdf", "svg"):
        files[fmt] = folder / f"map.{fmt}"
        infos[fmt] = render.render_map(bundled, selection, str(files[fmt]), fmt, page=case.page)
    assert infos["png"].labels == infos["pdf"].labels == infos["svg"].labels
    width, height = case.page.pixels
    size = ["-scale-to-x", str(width), "-scale-to-y", str(height)]
    subprocess.run(["pdftocairo", *size, "-png", "-singlefile", files["pdf"], folder / "pdf"],
                   check=True)  # fmt: skip
    subprocess.run(["rsvg-convert", "-w", str(width), "-h", str(height), "-b", "white",
                    "-o", folder / "svg.png", files["svg"]], check=True)  # fmt: skip
    rasters = {
        "png": _rgb(files["png"]),
        "pdf": _rgb(folder / "pdf.png"),
        "svg": _rgb(folder / "svg.png"),
    }
    return Exported(case, infos["png"], files, rasters)


def _rgb(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB")).astype(np.int16)


@pytest.mark.parametrize("fmt", ["pdf", "svg"])
def test_pdf_and_svg_rasterise_to_the_png(exported, fmt):
    png, other = exported.rasters["png"], exported.rasters[fmt]
    assert other.shape == png.shape, "rasterised at the PNG's size"
    strong = np.abs(png - other).max(axis=2) > STRONG
    share = strong.mean()
    assert share < MAX_STRONG_SHARE, f"{share:.3%} of the {fmt} differs strongly from the PNG"


def test_the_pngs_frame_is_where_the_pdf_has_it(exported):
    """The frame found in the PNG's own pixels is the PDF's frame: the text checks hold for both."""
    png, pdf = _frame(exported.rasters["png"]), _frame(exported.rasters["pdf"])
    assert png == pdf, (png, pdf)


@pytest.mark.parametrize("fmt", ["pdf", "svg"])
def test_every_label_is_text_inside_the_frame(exported, fmt, tmp_path):
    """Read the words back from the file: labels are text, inside the frame, below the title."""
    pdf = exported.files["pdf"]
    if fmt == "svg":
        pdf = tmp_path / "svg.pdf"
        subprocess.run(["rsvg-convert", "-f", "pdf", "-o", pdf, exported.files["svg"]],
                       check=True)  # fmt: skip
    words, (page_w, page_h) = _words(pdf)
    height_px = exported.rasters["png"].shape[0]
    top, bottom, left, right = (v * page_h / height_px for v in _frame(exported.rasters["png"]))
    assert exported.info.labels, "the case labels nothing: a useless case"
    for label in exported.info.labels:
        assert _in_sequence(label.split(), [w.text for w in words]), f"{label!r} is not text"
    inside = {
        w.text for w in words if left <= w.x0 and w.x1 <= right and top <= w.y0 and w.y1 <= bottom
    }
    for w in words:
        straddles = (w.x0 < left < w.x1 or w.x0 < right < w.x1) and w.y1 > top and w.y0 < bottom
        straddles |= (w.y0 < top < w.y1 or w.y0 < bottom < w.y1) and w.x1 > left and w.x0 < right
        assert not straddles, f"{w.text!r} crosses the frame's edge"
        assert w.x0 >= 0 and w.x1 <= page_w and w.y0 >= 0 and w.y1 <= page_h, w.text
    title_words = [w.text for w in words if w.y1 <= top]
    label_words = {t for label in exported.info.labels for t in label.split()}
    heading = render.heading_of(export_query(parse_query(exported.case.query, "export")))
    assert title_words == (heading.title + " " + heading.subtitle).split()
    assert label_words <= inside


def test_svg_keeps_every_label_as_text_elements(exported):
    root = ET.parse(exported.files["svg"]).getroot()
    texts = [" ".join("".join(e.itertext()).split()) for e in root.iter() if e.tag.endswith("text")]
    for label in exported.info.labels:
        assert " ".join(label.split()) in texts, label
    assert not [t for t in texts if not t], "empty text elements"


def test_pdf_embeds_truetype_fonts(exported):
    fonts = subprocess.run(["pdffonts", exported.files["pdf"]], capture_output=True, text=True,
                           check=True).stdout  # fmt: skip
    rows = fonts.splitlines()[2:]
    assert rows and all("TrueType" in row and " yes " in row for row in rows), fonts


@dataclass(frozen=True)
class Word:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float


def _words(pdf: Path) -> tuple[list[Word], tuple[float, float]]:
    """Words of a one-page PDF with their boxes in points from the top left (pdftotext -bbox)."""
    doc = subprocess.run(["pdftotext", "-bbox", pdf, "-"], capture_output=True, text=True,
                         check=True).stdout  # fmt: skip
    page = re.search(r'<page width="([\d.]+)" height="([\d.]+)"', doc)
    assert page is not None
    words = [
        Word(html.unescape(m[5]), *(float(m[i]) for i in range(1, 5)))
        for m in re.finditer(
            r'<word xMin="([\d.-]+)" yMin="([\d.-]+)" xMax="([\d.-]+)" yMax="([\d.-]+)">(.*?)</word>',
            doc,
        )
    ]
    return words, (float(page[1]), float(page[2]))


def _unescape(text: str) -> str:
    return (
        text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
    )


def _in_sequence(needle: list[str], hay: list[str]) -> bool:
    n = len(needle)
    return any(hay[i : i + n] == needle for i in range(len(hay) - n + 1))


def _frame(rgb: np.ndarray) -> tuple[int, int, int, int]:
    """Top, bottom, left and right pixel rows/columns of the frame: its long dark edges."""
    dark = rgb.max(axis=2) < 90
    rows = np.flatnonzero(dark.mean(axis=1) > 0.8)
    cols = np.flatnonzero(dark.mean(axis=0) > 0.5)
    assert rows.size and cols.size, "no frame found"
    return int(rows[0]), int(rows[-1]), int(cols[0]), int(cols[-1])


def test_a_query_in_words_names_only_what_narrows_the_map():
    assert Query().describe() == []
    assert Query(bbox=CASPIAN_BBOX, zoom=7).describe() == []
    query = parse_query(
        {"sectors": "energy", "status": "proposed", "from": "2024", "to": "2027"}, "export"
    )
    assert query.describe() == ["Energy", "proposed", "2024–2027"]
    assert parse_query({"from": "2012", "to": "2012"}, "export").describe() == ["2012"]
    assert parse_query({"to": "2026-12-31"}, "export").describe() == ["until 2026-12-31"]


def test_the_subtitle_names_the_filters_in_every_format(bundled, tmp_path):
    selection = export_query(parse_query({"sectors": "energy", "status": "proposed"}, "export"))
    out = tmp_path / "map.pdf"
    render.render_map(bundled, selection, str(out), "pdf", page=parse_page("900x600"))
    text = subprocess.run(
        ["pdftotext", out, "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Energy · proposed" in text
    assert "Made with geoapp" in " ".join(text.split())


def test_a_stack_of_points_shares_one_label(bundled):
    """Turkmenbashi's port, naval base and customs point sit on one spot: one label names them."""
    out = io.BytesIO()
    selection = export_query(parse_query({"bbox": "51.5,38.5,55.5,42.5"}, "export"))
    info = render.render_map(bundled, selection, out, "png", page=parse_page("900x600"))
    assert "Turkmenbashi: port, naval base, customs point" in info.labels
    assert not [label for label in info.labels if label.startswith("Turkmenbashi International")]


def test_the_pngs_label_boxes_lie_inside_the_frame_found_in_its_pixels(exported):
    """The PNG has no text to read back: its label extents, as laid out, against its pixels."""
    top, bottom, left, right = _frame(exported.rasters["png"])
    height = exported.rasters["png"].shape[0]
    assert len(exported.info.label_boxes) == len(exported.info.labels)
    for label, box in zip(exported.info.labels, exported.info.label_boxes, strict=True):
        rows = (height - box.y1, height - box.y0)  # display y grows upwards, rows downwards
        assert left <= box.x0 and box.x1 <= right, label
        assert top <= rows[0] and rows[1] <= bottom, label
