"""The static map: projection, styles from styles.py, scale bar, north arrow, labels."""

from __future__ import annotations

import datetime
import io
import math
import os
import sys
import threading
import xml.etree.ElementTree as ET

import numpy as np
import pyproj
import pytest
import shapely
import shapely.geometry
from matplotlib.transforms import Bbox
from PIL import Image

from geoapp import load_catalog, styles
from geoapp.data.catalog import Catalog
from geoapp.data.query import CASPIAN_BBOX, Query, parse_query
from geoapp.export.formats import export_query
from geoapp.maps.printed import attribution, decorations, draw, projection
from geoapp.maps.printed import figure as render
from geoapp.maps.printed import page as page_module
from geoapp.maps.printed.page import Page
from geoapp.maps.printed.text import HALO_GID
from tests.data import features
from tests.factories import SOURCES, make_feature, write_data_dir

SMALL = Page.from_pixels(900, 630, dpi=100)


def parse_selection(sectors: str | None = None, layers: str | None = None) -> Query:
    """What an export with these ``sectors`` and ``layers`` shows (the Caspian region)."""
    given = {"sectors": sectors, "layers": layers}
    return export_query(parse_query({k: v for k, v in given.items() if v is not None}, "export"))


def view(**fields) -> Query:
    """An export's query with these fields (the Caspian region unless ``bbox`` is given)."""
    return export_query(Query(**fields))


def catalog_of(data_dir) -> Catalog:
    """The catalog the app would serve from ``data_dir``."""
    return load_catalog({"DATA_DIR": str(data_dir)})


def svg_of(catalog, selection: Query) -> str:
    out = io.BytesIO()
    render.render_map(catalog, selection, out, "svg", page=SMALL)
    return out.getvalue().decode()


def shown_colours(catalog, selection: Query) -> set[str]:
    """The colours the selection's features are drawn in (the rule the SVG must follow)."""
    return {
        styles.feature_style(f["properties"], selection.shown_sectors).colour.lower()
        for fs in catalog.query(selection).values()
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
    conversion = projection.map_crs(CASPIAN_BBOX).coordinate_operation
    params = {p.name: p.value for p in conversion.params}
    assert conversion.method_name == "Lambert Conic Conformal (2SP)"
    centre = (CASPIAN_BBOX[0] + CASPIAN_BBOX[2]) / 2
    assert params["Longitude of false origin"] == pytest.approx(centre)
    lat_1 = params["Latitude of 1st standard parallel"]
    lat_2 = params["Latitude of 2nd standard parallel"]
    assert CASPIAN_BBOX[1] < lat_1 < lat_2 < CASPIAN_BBOX[3]


#: Views whose scale bar and north arrow must be true: the region, a small one, the whole
#: world and one across the equator (both Equal Earth, whose frame corners are off the map).
TRUE_VIEWS = [
    CASPIAN_BBOX,
    (50.0, 36.0, 56.0, 42.0),
    (-180.0, -90.0, 180.0, 90.0),
    (0.0, -10.0, 100.0, 10.0),
    (-170.0, -45.0, 170.0, 45.0),
    (-150.0, -70.0, 150.0, 70.0),
]


@pytest.mark.parametrize("bbox", TRUE_VIEWS)
def test_scale_bar_length_is_true_on_the_ground(catalog, bbox):
    fig, info = render.draw_map(catalog, view(bbox=bbox), page=SMALL)
    inverse = pyproj.Transformer.from_crs(info.crs, "EPSG:4326", always_xy=True)
    (x0, y0), (x1, y1) = info.scale_ends
    lon0, lat0 = inverse.transform(x0, y0)
    lon1, lat1 = inverse.transform(x1, y1)
    assert all(math.isfinite(v) for v in (lon0, lat0, lon1, lat1))
    _, _, metres = pyproj.Geod(ellps="WGS84").inv(lon0, lat0, lon1, lat1)
    assert metres / 1000 == pytest.approx(info.scale_km, rel=0.01)
    assert info.scale_km == decorations.nice_number(info.scale_km)
    # A readable bar: between a twentieth and a third of the frame's width.
    assert 0.05 < (x1 - x0) / (info.extent[1] - info.extent[0]) < 0.34


@pytest.mark.parametrize("bbox", TRUE_VIEWS)
def test_north_arrow_points_to_true_north_where_it_stands(catalog, bbox):
    _, info = render.draw_map(catalog, view(bbox=bbox), page=SMALL)
    inverse = pyproj.Transformer.from_crs(info.crs, "EPSG:4326", always_xy=True)
    lon, lat = inverse.transform(*info.north_at)
    assert abs(lon) <= 180 and abs(lat) <= 90
    # PROJ's meridian convergence: the angle from grid north to true north, west positive.
    convergence = pyproj.Proj(info.crs).get_factors(lon, lat).meridian_convergence
    ux, uy = info.north
    assert math.degrees(math.atan2(-ux, uy)) == pytest.approx(convergence, abs=2)


def test_north_arrow_follows_the_converging_meridians(catalog):
    _, info = render.draw_map(catalog, parse_selection(), page=SMALL)
    ux, uy = info.north
    # Meridians converge on the cone's apex: north leans towards the central meridian.
    centre = (info.extent[0] + info.extent[1]) / 2
    assert (info.north_at[0] - centre) * ux < 0
    assert uy > 0.9


def point_symbol_positions(fig) -> list[tuple[str, float, float]]:
    """Where each drawn point symbol's centre landed on the canvas, by feature id."""
    (ax,) = fig.axes
    return [
        (c.get_gid(), x, y)
        for c in ax.collections
        if c.get_gid() and len(c.get_offsets())
        for x, y in c.get_offset_transform().transform(c.get_offsets())
    ]


@pytest.mark.parametrize(
    ("bbox", "page"),
    [
        (CASPIAN_BBOX, Page()),  # `geoapp export --out x.png`
        (CASPIAN_BBOX, SMALL),
        (CASPIAN_BBOX, Page.from_pixels(600, 400, dpi=100)),
        ((46.0, 36.0, 62.0, 46.0), Page()),
        ((48.0, 36.0, 56.0, 42.0), Page(6, 8)),
        ((50.0, 36.0, 52.0, 48.0), Page()),
    ],
)
def test_legend_covers_no_point_symbol(catalog, bbox, page):
    fig, info = render.draw_map(catalog, view(bbox=bbox), page=page)
    fig.canvas.draw()
    (ax,) = fig.axes
    legend = ax.get_legend().get_window_extent(fig.canvas.get_renderer())
    symbols = point_symbol_positions(fig)
    assert symbols, "no point symbol drawn: a useless test"
    hidden = [gid for gid, x, y in symbols if legend.contains(x, y)]
    assert hidden == [], f"legend ({info.legend_loc}) hides {hidden}"


def test_a_legend_with_no_free_corner_goes_below_the_map(tmp_path):
    """Points all over the frame: the legend takes a band under it, over nothing."""
    # Every degree over the frame the 10 x 7 in page widens the view to, and then some.
    grid = [(38.0 + i, 28.0 + j) for i in range(36) for j in range(28)]
    ports = [
        make_feature("ports", f"port-{i}", name=f"P{i}",
                     geometry={"type": "Point", "coordinates": list(xy)})
        for i, xy in enumerate(grid)
    ]  # fmt: skip
    catalog = catalog_of(write_data_dir(tmp_path / "data", {"ports": ports}))
    fig, info = render.draw_map(catalog, view(layers=("ports",)), page=Page())
    fig.canvas.draw()
    (ax,) = fig.axes
    renderer = fig.canvas.get_renderer()
    legend = ax.get_legend().get_window_extent(renderer)
    frame = ax.get_window_extent(renderer)
    assert info.legend_loc == "below"
    assert legend.y1 <= frame.y0 + 1 and legend.y0 >= 0
    assert not [gid for gid, x, y in point_symbol_positions(fig) if legend.contains(x, y)]


MINIMUM = Page.from_pixels(
    *page_module.MIN_PIXELS,
    dpi=page_module.MIN_PIXELS[0] / page_module.MIN_INCHES[0],
)


@pytest.mark.parametrize("title", [None, "Ports", "W" * page_module.MAX_TITLE,
                                   "Long words " * 18])  # fmt: skip
def test_the_smallest_page_is_a_readable_map(catalog, title):
    """At the page rule's minimum the title fits the page and the legend leaves the map."""
    assert page_module.parse_page("x".join(map(str, page_module.MIN_PIXELS))) == MINIMUM
    fig, info = render.draw_map(catalog, parse_selection(), page=MINIMUM, title=title)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    (ax,) = fig.axes
    page = fig.bbox
    frame = ax.get_window_extent(renderer)
    (heading,) = [t for t in fig.texts if t.get_fontweight() == "bold"]
    box = heading.get_window_extent(renderer)
    assert page.x0 <= box.x0 and box.x1 <= page.x1 and box.y1 <= page.y1
    assert box.y0 >= frame.y1, "the title runs into the map"
    assert heading.get_fontsize() >= render.MIN_TITLE_SIZE
    legend = ax.get_legend().get_window_extent(renderer)
    covered = Bbox.intersection(legend, frame)
    share = 0 if covered is None else covered.width * covered.height / (frame.width * frame.height)
    assert share <= 0.35
    assert frame.height >= 0.5 * page.height


@pytest.mark.parametrize(
    ("bbox", "page"),
    [
        (CASPIAN_BBOX, SMALL),
        (CASPIAN_BBOX, Page.from_pixels(600, 420, dpi=100)),
        ((50.0, 36.0, 52.0, 48.0), Page()),
    ],
)
def test_drawn_texts_overlap_neither_each_other_nor_the_legend(catalog, bbox, page):
    """Read back what was drawn: every text's extent on the canvas, labels and countries alike."""
    fig, info = render.draw_map(catalog, view(bbox=bbox), page=page)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    (ax,) = fig.axes
    texts = [t for t in ax.texts if t.get_visible() and t.get_text() and t.get_gid() != HALO_GID]
    drawn = {t.get_text() for t in texts}
    assert set(info.labels) <= drawn and info.labels
    assert any(t.get_text().isupper() for t in texts), "no country label drawn"
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts]
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1 :]:
            assert not box_a.overlaps(box_b), (a, b)
    legend = ax.get_legend().get_window_extent(renderer)
    assert not [name for name, box in boxes if box.overlaps(legend)]


def test_features_in_the_widened_frame_are_drawn(catalog):
    """The frame is widened to the page's shape; what shows in it is drawn, not just the bbox."""
    bbox = (50.0, 36.0, 52.0, 48.0)  # tall and narrow: a 10 x 7 in page widens it a lot
    selection = view(bbox=bbox)
    _, info = render.draw_map(catalog, selection, page=Page())
    forward = pyproj.Transformer.from_crs("EPSG:4326", info.crs, always_xy=True)
    xmin, xmax, ymin, ymax = info.extent
    frame = shapely.box(xmin, ymin, xmax, ymax)
    expected = []
    for layer in selection.layers:
        for f in features(catalog, layer, sectors=selection.sectors):
            geom = shapely.transform(
                shapely.geometry.shape(f["geometry"]),
                lambda xy: np.column_stack(forward.transform(*xy.T)),
            )
            if geom.intersects(frame):
                expected.append(f["properties"]["id"])
    in_bbox = {f["properties"]["id"] for fs in catalog.query(selection).values() for f in fs}
    assert set(expected) - in_bbox, "the widened frame shows nothing more: a useless test"
    assert sorted(info.feature_ids) == sorted(expected)


def test_point_symbols_have_the_web_maps_outline_dashed_by_status(tmp_path):
    ports = [
        make_feature("ports", "port-planned", status="proposed", name="Planned port"),
        make_feature("ports", "port-working", status="operating", name="Working port",
                     geometry={"type": "Point", "coordinates": [50.5, 42.0]}),
    ]  # fmt: skip
    catalog = catalog_of(write_data_dir(tmp_path / "data", {"ports": ports}))
    svg = svg_of(catalog, view(layers=("ports",)))
    root = ET.fromstring(svg)
    edge = styles.SYMBOL_EDGE.lower()

    def stroke_of(gid: str) -> str:
        (group,) = [g for g in root.iter() if g.get("id") == gid]
        paths = [p.get("style", "") for p in group.iter() if p.tag.endswith(("path", "use"))]
        return " ".join(paths).lower()

    planned, working = stroke_of("port-planned"), stroke_of("port-working")
    assert f"stroke: {edge}" in planned and f"stroke: {edge}" in working
    assert "stroke-dasharray" in planned
    assert "stroke-dasharray" not in working


def test_dollar_signs_are_text_not_mathtext(tmp_path):
    """Titles, names and source titles are shown as typed: ``$`` starts no formula."""
    sources = {**SOURCES, "rt-2025": {"kind": "article", "title": "Costs $5 and $6"}}
    catalog = catalog_of(
        write_data_dir(
            tmp_path / "data", {"ports": [make_feature("ports", name="Port $x^$")]}, sources
        )
    )
    for title in ("$x^$", "Price $10 and $20", "50% \\frac{a}{b} $"):
        for fmt in ("png", "svg"):
            out = io.BytesIO()
            info = render.render_map(catalog, view(), out, fmt, page=SMALL, title=title)
            assert out.getvalue()
        assert [label for label in info.labels if label.startswith("Port $x^$")]
        assert "Costs $5 and $6" in info.attribution
        assert title in out.getvalue().decode()


def test_characters_no_font_has_draw_as_a_box_without_warnings(catalog):
    """A title in any script never fails an export (warnings are errors in the tests)."""
    title = "Каспий 日本 \U0001f600 \x01 end"
    fig, _ = render.draw_map(catalog, view(), page=SMALL, title=title)
    fig.canvas.draw()
    (drawn,) = [t.get_text() for t in fig.texts if t.get_text().endswith(" end")]
    assert drawn.startswith("Каспий \N{WHITE SQUARE}\N{WHITE SQUARE} ")  # no CJK in DejaVu
    assert "\x01" not in drawn


def test_data_date_is_the_catalogs_never_file_times(tmp_path):
    # No source with a date: a reference without a URL needs no 'accessed' date either.
    sources = {
        "rt-2025": {"kind": "article", "title": "Undated"},
        "ref": {"kind": "reference", "title": "Undated reference"},
    }
    folder = write_data_dir(tmp_path / "data", sources=sources)
    for path in folder.iterdir():
        os.utime(path, (978_307_200, 978_307_200))  # 2001-01-01: must not be "the data date"
    catalog = catalog_of(folder)
    assert attribution.data_date(catalog) is None
    _, info = render.draw_map(catalog, view(), page=SMALL)
    assert "2001" not in info.attribution
    (folder / "build.json").write_text('{"date": "2024-03-05"}')
    assert attribution.data_date(catalog_of(folder)) == datetime.date(2024, 3, 5)


def test_attribution_names_natural_earth_the_articles_and_the_data_date(catalog):
    _, info = render.draw_map(catalog, parse_selection(), page=SMALL)
    articles = [s["title"] for s in catalog.sources.values() if s.get("kind") == "article"]
    assert "Natural Earth" in info.attribution
    assert any(title in info.attribution for title in articles)
    assert attribution.data_date(catalog).isoformat() in info.attribution


def test_only_selected_features_are_drawn(catalog):
    selection = parse_selection("energy", "pipelines")
    _, info = render.draw_map(catalog, selection, page=SMALL)
    expected = [f["properties"]["id"] for f in catalog.query(selection)["pipelines"]]
    assert expected and info.feature_ids == expected


def test_warm_exports_reuse_the_projected_basemap(catalog):
    assert projection.projected(catalog, CASPIAN_BBOX) is projection.projected(
        catalog, CASPIAN_BBOX
    )


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
    with pytest.raises(draw.TilesError) as exc:
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
    fig, info = render.draw_map(catalog, view(bbox=bbox), page=SMALL)
    assert info.crs.coordinate_operation.method_name == method
    assert all(math.isfinite(v) for v in info.extent)
    width_km = (info.extent[1] - info.extent[0]) / 1000
    assert 0 < info.scale_km < width_km


def test_schematic_lines_are_printed_fainter_as_on_the_web(tmp_path):
    """The printed map reads position through the same rule as the web map (styles)."""
    line = {"type": "LineString", "coordinates": [[50, 40], [54, 41]]}
    pipes = [
        make_feature("pipelines", "pipe-known", geometry=line, position="approximate",
                     error_km=5),
        make_feature("pipelines", "pipe-sketch", geometry=line, position="schematic",
                     error_km=50),
    ]  # fmt: skip
    catalog = catalog_of(write_data_dir(tmp_path / "data", {"pipelines": pipes}))
    root = ET.fromstring(svg_of(catalog, view(layers=("pipelines",))))

    def stroke_opacity(gid: str) -> float:
        (group,) = [g for g in root.iter() if g.get("id") == gid]
        styles_ = [p.get("style", "") for p in group.iter() if p.tag.endswith("path")]
        found = [
            s.split("stroke-opacity:")[1].split(";")[0] for s in styles_ if "stroke-opacity" in s
        ]
        return float(found[0]) if found else 1.0

    known = styles.feature_style(pipes[0]["properties"]).opacity
    sketch = styles.feature_style(pipes[1]["properties"]).opacity
    assert stroke_opacity("pipe-known") == pytest.approx(known, abs=0.01)
    assert stroke_opacity("pipe-sketch") == pytest.approx(sketch, abs=0.01) and sketch < known


def test_an_approximate_point_is_printed_with_its_circle_on_the_ground(catalog):
    """Hazar-2012 is placed within 120 km: a zone about 240 km across in the map's metres."""
    fig, info = render.draw_map(catalog, view(layers=("events",)), page=SMALL)
    try:
        (ax,) = fig.axes
        gid = "event-2012-turkmen-naval-drill-uncertainty"
        (zone,) = [p for p in ax.patches if p.get_gid() == gid]
        xy = zone.get_xy()  # data coordinates: metres of the conformal conic
        width, height = np.ptp(xy[:, 0]), np.ptp(xy[:, 1])
        assert width == pytest.approx(240_000, rel=0.02)
        assert height == pytest.approx(240_000, rel=0.02)
    finally:
        render.close(fig)
