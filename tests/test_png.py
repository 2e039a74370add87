"""PNG exports: the map drawn once per view, the title added per file, the same pixels."""

from __future__ import annotations

import io
import struct
import threading
import zlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from geoapp import create_app, load_catalog
from geoapp.config import DEFAULTS
from geoapp.data.query import Query, parse_query
from geoapp.export.formats import export_query
from geoapp.maps.printed import figure as render
from geoapp.maps.printed import png
from geoapp.maps.printed.page import parse_page
from geoapp.web import export


def parse_selection(sectors: str | None = None) -> Query:
    """What an export of these ``sectors`` (all when None) shows: the Caspian region."""
    return export_query(parse_query({} if sectors is None else {"sectors": sectors}, "export"))


def one_figure(catalog, selection, page, title) -> np.ndarray:
    """The page drawn the plain way, title and map in one figure: the reference."""
    fig, _ = render.draw_map(catalog, selection, page=page, title=title)
    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba())[:, :, :3].copy()
    render.close(fig)
    return pixels


def assert_same_pixels(got: np.ndarray, reference: np.ndarray) -> None:
    """Equal, but for at most one level of antialiasing on a handful of pixels (font
    rendering state differs by a hair between a page with its title and one without)."""
    assert got.shape == reference.shape
    diff = np.abs(got.astype(int) - reference.astype(int))
    assert diff.max() <= 1 and (diff > 0).sum() <= got.size // 10_000, (
        diff.max(),
        (diff > 0).sum(),
    )


def decoded(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGB"))


def idat(data: bytes) -> bytes:
    """The concatenated IDAT data of a PNG, every chunk's CRC checked on the way."""
    assert data[:8] == png.SIGNATURE
    pos, out = 8, b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, kind
        if kind == b"IDAT":
            out += body
        pos += 12 + length
    return out


@pytest.mark.parametrize(
    ("size", "title"),
    [("900x630", "Ports of the Caspian"), ("1600x1000", "A long title " * 12), ("600x400", None)],
)
def test_a_png_has_the_pixels_of_the_page_drawn_in_one_figure(catalog, size, title):
    selection, page = parse_selection(), parse_page(size)
    data, info = render.render_png(catalog, selection, page=page, title=title)
    assert_same_pixels(decoded(data), one_figure(catalog, selection, page, title))
    # zlib checks the combined Adler-32 itself; each scanline has its filter byte.
    raw = zlib.decompress(idat(data))
    width, height = page.pixels
    assert len(raw) == height * (1 + 3 * width)
    assert info.feature_ids


def test_a_new_title_reuses_the_drawn_map(catalog):
    selection, page = parse_selection("energy"), parse_page("1200x800")
    bodies = render.png_bodies(catalog)
    first, _ = render.render_png(catalog, selection, page=page, title="First title")
    builds = bodies.builds
    second, _ = render.render_png(catalog, selection, page=page, title="Second title")
    assert bodies.builds == builds  # no map drawn for the second title
    a, b = decoded(first), decoded(second)
    differing = np.nonzero((a != b).any(axis=(1, 2)))[0]
    assert differing.size and differing.max() < 0.55 * page.dpi  # only the title band
    assert_same_pixels(b, one_figure(catalog, selection, page, "Second title"))


def test_a_reloaded_catalog_draws_its_own_map(tmp_path, catalog):
    from tests.factories import write_data_dir

    other = load_catalog({"DATA_DIR": str(write_data_dir(tmp_path / "data"))})
    page = parse_page("600x400")
    render.render_png(catalog, parse_selection(), page=page, title="t")
    before = render.png_bodies(other).builds
    render.render_png(other, parse_selection(), page=page, title="t")
    assert render.png_bodies(other).builds == before + 1


@given(st.binary(max_size=3000), st.binary(max_size=3000))
def test_adler32_of_a_join_comes_from_the_parts(a, b):
    joined = png.adler32_combine(zlib.adler32(a), zlib.adler32(b), len(b))
    assert joined == zlib.adler32(a + b)


def test_a_new_title_needs_no_export_slot_and_a_new_map_does():
    app = create_app(
        {"TESTING": True, "DATA_DIR": DEFAULTS["DATA_DIR"], "EXPORT_CONCURRENCY": 1,
         "EXPORT_QUEUE": 0}
    )  # fmt: skip
    client = app.test_client()
    assert client.get("/export.png?size=700x500&title=one").status_code == 200
    with app.app_context():
        budget = export.budget()
    entered, release = threading.Event(), threading.Event()

    def hold() -> None:
        with budget.slot():
            entered.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert entered.wait(10)
        retitled = client.get("/export.png?size=700x500&title=two")
        assert retitled.status_code == 200 and retitled.data.startswith(png.SIGNATURE)
        assert client.get("/export.png?size=701x500&title=two").status_code == 503
        assert client.get("/export.svg?size=700x500&title=two").status_code == 503
    finally:
        release.set()
        holder.join()
