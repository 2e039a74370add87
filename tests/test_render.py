"""The static map: projection, styles from styles.py, scale bar, north arrow, labels."""

from __future__ import annotations

import io
import math
import sys
import threading
import xml.etree.ElementTree as ET

import pyproj
import pytest
from PIL import Image

from geoapp import render, styles
from geoapp.selection import CASPIAN_BBOX, Selection, parse_selection
from tests.factories import make_feature

SMALL = render.Page.from_pixels(900, 630, dpi=100)


def svg_of(catalog, selection: Selection) -> str:
    out = io.BytesIO()
    render.render_map(catalog, selection, out, "svg", page=SMALL)
    return out.getvalue().decode()


def shown_colours(catalog, selection: Selection) -> set[str]:
    """The colours the selection's features are drawn in (the rule the SVG must follow)."""
    return {
        styles.feature_style(f["properties"], selection.sectors).colour.lower()
        for fs in selection.features(catalog).values()
        for f in fs
    }


def test_png_has_the_requested_pixel_size(catalog):
    out = io.BytesIO()
    render.render_map(catalog, parse_selection(), out, "png", page=SMALL)
    data = out.getvalue()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (900, 630)


def test_pdf_is_a_complete_pdf(catalog):
    out = io.BytesIO()
    render.render_map(catalog, parse_selection(), out, "pdf", page=SMALL)
    data = out.getvalue()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert len(data) > 10_000


def test_svg_draws_energy_colour_only_when_energy_is_selected(catalog):
    energy = styles.SECTOR_COLOURS["energy"].lower()
    everything = parse_selection()
    assert energy in shown_colours(catalog, everything), "the data has no energy feature"
    with_energy = svg_of(catalog, everything)
    without = svg_of(catalog, parse_selection("security,trade"))
    ET.fromstring(with_energy)
    ET.fromstring(without)
    assert energy in with_energy.lower()
    assert energy not in without.lower()
    assert styles.SECTOR_COLOURS["security"].lower() in without.lower()


def test_a_feature_is_never_coloured_by_a_sector_switched_off():
    props = make_feature("pipelines", sector="energy", sectors=["energy", "security"])["properties"]
    assert styles.shown_sector(props, ["energy", "trade"]) == "energy"
    assert styles.shown_sector(props, ["security"]) == "security"
    assert styles.shown_sector(props) == "energy"
    assert styles.feature_style(props, ["security"]).colour == styles.SECTOR_COLOURS["security"]


def test_projection_is_a_conic_centred_on_the_view():
    conversion = render.map_crs(CASPIAN_BBOX).coordinate_operation
    params = {p.name: p.value for p in conversion.params}
    assert conversion.method_name == "Lambert Conic Conformal (2SP)"
    centre = (CASPIAN_BBOX[0] + CASPIAN_BBOX[2]) / 2
    assert params["Longitude of false origin"] == pytest.approx(centre)
    lat_1 = params["Latitude of 1st standard parallel"]
    lat_2 = params["Latitude of 2nd standard parallel"]
    assert CASPIAN_BBOX[1] < lat_1 < lat_2 < CASPIAN_BBOX[3]


@pytest.mark.parametrize("bbox", [CASPIAN_BBOX, (50.0, 36.0, 56.0, 42.0)])
def test_scale_bar_length_is_true_on_the_ground(catalog, bbox):
    fig, info = render.draw_map(catalog, Selection(bbox=bbox), page=SMALL)
    inverse = pyproj.Transformer.from_crs(info.crs, "EPSG:4326", always_xy=True)
    (x0, y0), (x1, y1) = info.scale_ends
    lon0, lat0 = inverse.transform(x0, y0)
    lon1, lat1 = inverse.transform(x1, y1)
    _, _, metres = pyproj.Geod(ellps="WGS84").inv(lon0, lat0, lon1, lat1)
    assert metres / 1000 == pytest.approx(info.scale_km, rel=0.005)
    assert info.scale_km == render.nice_number(info.scale_km)


def test_north_arrow_follows_the_converging_meridians(catalog):
    _, info = render.draw_map(catalog, parse_selection(), page=SMALL)
    ux, uy = info.north
    # The arrow sits east of the central meridian: north leans west, towards the cone's apex.
    assert ux < 0 < uy
    assert uy > 0.9


def test_point_labels_do_not_overlap(catalog):
    _, info = render.draw_map(catalog, parse_selection(), page=SMALL)
    assert info.labels
    boxes = info.label_boxes
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b)


def test_attribution_names_natural_earth_the_articles_and_the_data_date(catalog):
    _, info = render.draw_map(catalog, parse_selection(), page=SMALL)
    articles = [s["title"] for s in catalog.sources.values() if s.get("kind") == "article"]
    assert "Natural Earth" in info.attribution
    assert any(title in info.attribution for title in articles)
    assert render.data_date(catalog).isoformat() in info.attribution


def test_only_selected_features_are_drawn(catalog):
    selection = parse_selection("energy", "pipelines")
    _, info = render.draw_map(catalog, selection, page=SMALL)
    expected = [f["properties"]["id"] for f in selection.features(catalog)["pipelines"]]
    assert expected and info.feature_ids == expected


def test_warm_exports_reuse_the_projected_basemap(catalog):
    assert render.projected(catalog, CASPIAN_BBOX) is render.projected(catalog, CASPIAN_BBOX)


def test_concurrent_renders_give_the_same_image_as_one_alone(catalog):
    def png() -> bytes:
        out = io.BytesIO()
        render.render_map(catalog, parse_selection(), out, "png", page=SMALL)
        return out.getvalue()

    alone = png()
    results: list[bytes] = []
    threads = [threading.Thread(target=lambda: results.append(png())) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [alone] * 3


def test_tiles_without_contextily_fail_with_one_line(catalog, monkeypatch):
    monkeypatch.setitem(sys.modules, "contextily", None)  # as when the extra is not installed
    with pytest.raises(render.TilesError) as exc:
        render.draw_map(catalog, parse_selection(), page=SMALL, tiles="osm")
    assert "\n" not in str(exc.value) and "geoapp[tiles]" in str(exc.value)


@pytest.mark.parametrize(
    ("bbox", "method"),
    [
        ((-180.0, -90.0, 180.0, 90.0), "Equal Earth"),
        ((0.0, -10.0, 100.0, 10.0), "Equal Earth"),
        ((52.0, 40.0, 52.01, 40.01), "Lambert Conic Conformal (2SP)"),
        ((0.0, 86.0, 10.0, 89.0), "Lambert Conic Conformal (2SP)"),
    ],
)
def test_any_valid_view_renders_in_a_fitting_projection(catalog, bbox, method):
    fig, info = render.draw_map(catalog, Selection(bbox=bbox), page=SMALL)
    assert info.crs.coordinate_operation.method_name == method
    assert all(math.isfinite(v) for v in info.extent)
    width_km = (info.extent[1] - info.extent[0]) / 1000
    assert 0 < info.scale_km < width_km
