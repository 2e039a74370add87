"""Draw the map as a printable figure (PNG, SVG, PDF) on the server, with no browser.

matplotlib's object API (``Figure`` + an Agg canvas), never ``pyplot``: pyplot keeps
global state that concurrent web exports would share. Every colour, dash, width and
symbol comes from :mod:`geoapp.styles`, as on the web map.

The map is drawn in a Lambert conformal conic projection fitted to the view, so
shapes read right and the scale bar is true (at the bar) in km; whole-world views
fall back to Equal Earth. Projecting the basemap is the slow part, so the projected
countries and layer geometries are cached per catalog and view (and the transformers
per projection): a warm export only draws. A new view clips the 10m basemap to a
rectangle, simplifies it in degrees and only then projects it, which keeps the
first export of a view close to a warm one.

Every text is drawn with mathtext off: titles, names and sources are shown as typed."""

from __future__ import annotations

import logging
import math
import textwrap
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from typing import IO

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from geoapp import styles
from geoapp.cache import BuildOnceCache, PerOwner
from geoapp.data.catalog import Catalog
from geoapp.data.query import Query
from geoapp.maps.names import place_labels, town_labels, web_zoom
from geoapp.maps.printed import png
from geoapp.maps.printed.attribution import attribution
from geoapp.maps.printed.decorations import draw_north_arrow, draw_scale_bar
from geoapp.maps.printed.draw import (
    draw_countries,
    draw_feature,
    draw_tiles,
    draw_uncertainty,
    shown_features,
)
from geoapp.maps.printed.labels import draw_labels
from geoapp.maps.printed.legend import (
    decoration_sides,
    legend_band,
    legend_handles,
    legend_in_frame,
    make_legend,
)
from geoapp.maps.printed.page import Page
from geoapp.maps.printed.projection import (
    MapInfo,
    Projected,
    fit_extent,
    frame_bbox,
    projected,
)
from geoapp.maps.printed.text import printable, snap_to_pixels

log = logging.getLogger(__name__)

IMAGE_FORMATS = ("png", "svg", "pdf")

DEFAULT_PAGE = Page()

DEFAULT_TITLE = "Russia–Turkmenistan cooperation in the Caspian region"


def draw_map(
    catalog: Catalog,
    selection: Query,
    *,
    page: Page = DEFAULT_PAGE,
    title: str | None = None,
    tiles: str | None = None,
    title_band: float | None = None,
) -> tuple[Figure, MapInfo]:
    """Draw the selection into a new Figure (with an Agg canvas) and say what was drawn.

    The layout comes first, the drawing after: the title is fitted to the page's
    width, then the legend takes a corner of the frame that hides no point symbol
    (the scale bar and north arrow take the other side), or else a band below the
    frame, which is then made shorter and refitted to the view.

    Everything is placed in coordinates that do not depend on the output's dpi (the
    map's CRS, offsets in points, fractions of the page or frame), measured once on
    this figure's Agg canvas: a PDF or SVG saved from it (at 72 dpi) has every label
    where the PNG has it.

    With ``title_band`` (inches), no title is drawn and that band is left blank at
    the top: the PNG writer draws titles apart (:func:`render_png`).

    Measured and drawn with :data:`geoapp.maps.printed.text.PRINT_RC`, set on import.
    """
    proj = projected(catalog, selection.bbox)
    scale = page.type_scale
    fig = Figure(figsize=(page.width, page.height), dpi=page.dpi)
    FigureCanvasAgg(fig)
    if title_band is None:
        heading, band = _fit_title(fig, heading_of(selection, title), scale)
        _place_heading(heading, band, page.height)
    else:
        band = title_band
    top = 1 - band / page.height
    bottom = ATTRIBUTION_BAND * scale / page.height
    ax = fig.add_axes(_on_pixel_grid(fig, (0.015, bottom, 0.97, top - bottom)))
    ax.set_facecolor(styles.BASEMAP_STYLE["water"])
    ax.set_xticks([])
    ax.set_yticks([])
    info, shown = _fit_frame(ax, catalog, selection, proj)
    handles = legend_handles(shown, selection)
    legend_box = None
    if handles:
        info.legend_loc, legend_box = legend_in_frame(ax, proj, info, shown, handles, scale)
        if info.legend_loc is None:  # no corner is free: a band below the frame
            legend_h, ncols = legend_band(ax, handles, scale)
            ax.set_position(
                _on_pixel_grid(fig, (0.015, bottom + legend_h, 0.97, top - bottom - legend_h))
            )
            info, shown = _fit_frame(ax, catalog, selection, proj)
            handles = legend_handles(shown, selection)
            legend = make_legend(ax, handles, ncols, "upper center", scale)
            legend.set_bbox_to_anchor((0.5, 0.0), transform=ax.transAxes)
            info.legend_loc = "below"

    if tiles:
        draw_tiles(ax, proj.crs, tiles)
    draw_countries(ax, proj, faint=bool(tiles))
    for props, geom in shown:
        draw_feature(ax, props, geom, selection.shown_sectors)
        draw_uncertainty(ax, proj, props, geom, selection.shown_sectors)
        info.feature_ids.append(props["id"])
    scale_side, north_side = decoration_sides(info.legend_loc)
    scale_box = draw_scale_bar(ax, proj, info, scale_side, scale)
    north_box = draw_north_arrow(ax, proj, info, north_side, scale)
    obstacles = [b for b in (legend_box, scale_box, north_box) if b is not None]
    # The towns the summaries name first, then the places layer's as the web map shows
    # them at this scale (most populous first), as on screen; none with ``towns=off``.
    towns: list[dict] = []
    if selection.towns:
        towns = place_labels(catalog.build_info, (props["id"] for props, _ in shown))
        named = {t["geonameid"] for t in towns}
        zoom = towns_zoom(info.frame_bbox, page)
        towns += [
            t for t in town_labels(catalog, info.frame_bbox, zoom) if t["geonameid"] not in named
        ]
    draw_labels(ax, proj, shown, info, obstacles, scale, towns)
    _draw_frame(fig, ax)

    info.attribution = attribution(catalog, shown, tiles, proj.crs, towns=bool(towns))
    # Wrapped here, not by matplotlib (which measures every word: slow): ~3.4 pt a character.
    width = int(page.width * 72 * 0.95 / (3.4 * scale))
    lines = textwrap.wrap(info.attribution, width=width)
    if len(lines) > 3:  # three lines fit the band: shorter titles, never a lost licence
        info.attribution = attribution(
            catalog, shown, tiles, proj.crs, short=True, towns=bool(towns)
        )
        lines = textwrap.wrap(info.attribution, width=width)
    renderer = fig.canvas.get_renderer()
    step = 7.2 * scale / 72 / page.height  # one line of 6 pt type, as a page fraction
    for i, line in enumerate(lines[:3]):  # one text a line, so that each is snapped
        text = fig.text(0.015, (0.2 * scale / page.height) + (1 - i) * step, printable(line),
                        ha="left", va="center", fontsize=6 * scale, color="#333333",
                        parse_math=False)  # fmt: skip
        snap_to_pixels(text, renderer)
    return fig, info


def towns_zoom(bbox: tuple[float, float, float, float], page: Page = DEFAULT_PAGE) -> int:
    """The web zoom whose towns (:func:`geoapp.data.places.rule`) a map of ``bbox`` on
    ``page`` shows: the screen's scale for the map's width, one zoom out, since on paper
    the towns are context, not the subject. A data export of the box writes these towns.
    """
    return max(0, web_zoom(bbox, page.width * page.dpi * 0.97 / page.type_scale) - 1)


def _on_pixel_grid(fig: Figure, rect: tuple[float, float, float, float]):
    """``rect`` (figure fractions) with its edges moved onto whole pixels of the page."""
    w, h = fig.bbox.width, fig.bbox.height
    x0, y0 = round(rect[0] * w), round(rect[1] * h)
    x1, y1 = round((rect[0] + rect[2]) * w), round((rect[1] + rect[3]) * h)
    return (x0 / w, y0 / h, (x1 - x0) / w, (y1 - y0) / h)


#: Width of the frame's edge in points (at least one pixel).
FRAME_WIDTH = 0.8


def _draw_frame(fig: Figure, ax) -> None:
    """The frame's edge as four filled bands on whole pixels, not a stroke.

    A thin stroke is put on the pixel grid one way by Agg and another by each PDF or
    SVG viewer, so the PNG's frame and a viewer's would be a row of pixels apart; a
    band whose edges are whole pixels fills the same pixels everywhere.
    """
    ax.apply_aspect()
    w, h = fig.bbox.width, fig.bbox.height
    x0, y0, x1, y1 = (round(v) for v in ax.get_window_extent().extents)
    t = max(1, round(FRAME_WIDTH * fig.dpi / 72))
    a = t // 2  # the band straddles the axes' edge
    bands = [
        (x0 - a, y0 - a, x1 - x0 + t, t),  # bottom
        (x0 - a, y1 - a, x1 - x0 + t, t),  # top
        (x0 - a, y0 - a, t, y1 - y0 + t),  # left
        (x1 - a, y0 - a, t, y1 - y0 + t),  # right
    ]
    for x, y, bw, bh in bands:
        fig.add_artist(Rectangle((x / w, y / h), bw / w, bh / h, transform=fig.transFigure,
                                 facecolor="black", edgecolor="none", linewidth=0,
                                 zorder=20))  # fmt: skip
    for spine in ax.spines.values():
        spine.set_visible(False)


#: Inches at the foot of the page for the source line (times the page's type scale).
ATTRIBUTION_BAND = 0.42

#: Title font size in points, and the smallest it shrinks to before wrapping onto two lines.
TITLE_SIZE, MIN_TITLE_SIZE = 13.0, 9.0
#: The subtitle (the filters in words) under the title.
SUBTITLE_SIZE = 8.5


@dataclass(frozen=True)
class Heading:
    """The title and, when the map is filtered, a subtitle naming the filters."""

    title: str
    subtitle: str = ""


def heading_of(selection: Query, title: str | None = None) -> Heading:
    """The heading of a map: the given (or default) title, and the filters in words."""
    return Heading(
        printable(title or default_title(selection), weight="bold"),
        printable(" · ".join(selection.describe())),
    )


def _fit_title(fig: Figure, heading: Heading, scale: float = 1.0):
    """Draw the heading so that it fits the page's width; return its texts and band in inches.

    The band depends on the page's width, dpi and type scale only, not its height.

    A long title shrinks to MIN_TITLE_SIZE, then wraps onto two lines; what still
    does not fit ends in an ellipsis. The subtitle goes on one line under it (shrunk,
    then cut with an ellipsis). Measured once or twice: each measure is ~1 ms.
    """
    renderer = fig.canvas.get_renderer()
    room = 0.96 * fig.bbox.width
    label = fig.text(0.5, 1.0, heading.title, ha="center", va="center",
                     fontsize=TITLE_SIZE * scale, fontweight="bold", parse_math=False)  # fmt: skip
    width = label.get_window_extent(renderer).width
    if width > room:
        label.set_fontsize(max(MIN_TITLE_SIZE, TITLE_SIZE * room / width * 0.98) * scale)
        width = label.get_window_extent(renderer).width
        chars = len(heading.title)
        while width > room and chars > 8:
            chars = int(chars * min(0.95, 2 * room / width))
            lines = textwrap.wrap(heading.title, chars, max_lines=2, placeholder=" …")
            label.set_text("\n".join(lines))
            width = label.get_window_extent(renderer).width
    height = label.get_window_extent(renderer).height / fig.dpi
    texts = [label]
    if heading.subtitle:
        sub = fig.text(0.5, 1.0, heading.subtitle, ha="center", va="center",
                       fontsize=SUBTITLE_SIZE * scale, color="#333333", parse_math=False)  # fmt: skip
        shown = heading.subtitle
        while sub.get_window_extent(renderer).width > room and len(shown) > 8:
            shown = shown[: int(len(shown) * 0.9)].rstrip()
            sub.set_text(shown + "…")
        height += sub.get_window_extent(renderer).height / fig.dpi + 0.04 * scale
        texts.append(sub)
    return texts, max(0.55 * scale, height + 0.25 * scale)


def _place_heading(texts, band: float, height: float) -> None:
    """Centre the title (and the subtitle under it) in the band at the top of a page ``height`` in."""
    fig = texts[0].figure
    renderer = fig.canvas.get_renderer()
    heights = [t.get_window_extent(renderer).height / fig.dpi for t in texts]
    gap = 0.04 * (len(texts) - 1)
    y = 1 - (band - sum(heights) - gap) / 2 / height  # the heading's top, as a page fraction
    for text, h in zip(texts, heights, strict=True):
        text.set_y(y - h / 2 / height)
        y -= (h + 0.04) / height


def _fit_frame(
    ax, catalog: Catalog, selection: Query, proj: Projected
) -> tuple[MapInfo, list[tuple[dict, object]]]:
    """Fit the view to the axes' shape; return the frame's info and the features it shows."""
    pos = ax.get_position()
    fig = ax.figure
    ratio = pos.width * fig.get_figwidth() / (pos.height * fig.get_figheight())
    xmin, xmax, ymin, ymax = fit_extent(proj.extent, ratio)
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal", adjustable="box")
    info = MapInfo(crs=proj.crs, extent=(xmin, xmax, ymin, ymax))
    info.frame_bbox = frame_bbox(proj, info.extent)
    return info, shown_features(catalog, selection, proj, info)


def render_map(
    catalog: Catalog,
    selection: Query,
    out: str | IO[bytes],
    fmt: str,
    *,
    page: Page = DEFAULT_PAGE,
    title: str | None = None,
    tiles: str | None = None,
    guard: Callable[[], AbstractContextManager] = nullcontext,
) -> MapInfo:
    """Draw and save the map as ``fmt`` (png, svg or pdf) to a path or binary file.

    ``guard`` (a context manager factory, e.g. the web's export budget slot) is
    entered around the expensive drawing only: a PNG whose map is cached needs none.
    """
    if fmt not in IMAGE_FORMATS:
        raise ValueError(f"not an image format: {fmt!r}")
    if fmt == "png" and not tiles:
        data, info = render_png(catalog, selection, page=page, title=title, guard=guard)
        if isinstance(out, str):
            with open(out, "wb") as f:
                f.write(data)
        else:
            out.write(data)
        return info
    with guard():
        return _save(catalog, selection, out, fmt, page=page, title=title, tiles=tiles)


def _save(catalog, selection, out, fmt, *, page, title, tiles) -> MapInfo:
    fig, info = draw_map(catalog, selection, page=page, title=title, tiles=tiles)
    # No dates or versions in the files: the same map gives the same bytes.
    metadata = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}
    try:
        fig.savefig(out, format=fmt, dpi=page.dpi, metadata=metadata[fmt])
    finally:
        close(fig)
    return info


def close(fig: Figure) -> None:
    """Free a figure's raster and artists now, not when the garbage collector next runs.

    A figure is a web of reference cycles (figure, canvas, axes, artists), so it
    outlives its last use until a full collection; its Agg raster (4 bytes a pixel:
    96 MB at 6000 x 4000) would live as long. Dropping the renderer frees the raster
    at once (texts hold it too, from their last measure), and clearing the figure
    breaks most cycles.
    """
    canvas = fig.canvas
    for artist in fig.findobj():
        if getattr(artist, "_renderer", None) is not None:
            artist._renderer = None  # texts keep the renderer that last measured them
    fig.clear()
    if isinstance(canvas, FigureCanvasAgg):
        canvas.renderer = None
        canvas._lastKey = None  # so that a later get_renderer() makes a new one


@dataclass(frozen=True)
class PngBody:
    """Everything of a PNG below its title, compressed, and what was drawn."""

    pixels: png.Deflated
    split: int  # the first row of the body; the rows above it are the title's
    info: MapInfo


#: Map bodies kept per catalog. One is a few MB at most (a 6000 x 4000 px map is ~1.5 MB).
BODY_CACHE_SIZE = 16
_BODIES: PerOwner[PngBody] = PerOwner(BODY_CACHE_SIZE)


def png_bodies(catalog: Catalog) -> BuildOnceCache[PngBody]:
    """The cache of PNG map bodies of ``catalog`` (per catalog: a reload starts anew)."""
    return _BODIES.of(catalog)


def render_png(
    catalog: Catalog,
    selection: Query,
    *,
    page: Page = DEFAULT_PAGE,
    title: str | None = None,
    guard: Callable[[], AbstractContextManager] = nullcontext,
) -> tuple[bytes, MapInfo]:
    """The map as PNG bytes: the title drawn now, everything else drawn once per view.

    What costs is the map (layout, rasterising, compressing: seconds at 6000 x 4000 px)
    and it does not depend on the title, only on the title band's height, which is
    the same for nearly every title (one line, or two at a smaller size). So the body
    is cached by (selection, page, band) and a new title costs its strip alone: a
    title cannot defeat the cache. ``guard`` is entered to draw a body, only.
    """
    strip, band = _title_strip(page, heading_of(selection, title))
    key = (catalog.version, selection, page, round(band, 6))
    body = png_bodies(catalog).get(
        key, lambda: _guarded_body(guard, catalog, selection, page, band)
    )
    try:
        strip.canvas.draw()
        rows = np.asarray(strip.canvas.buffer_rgba())[: body.split]
        head = png.deflate_rows(rows, final=False)
    finally:
        close(strip)
    info = replace(body.info, feature_ids=list(body.info.feature_ids),
                   labels=list(body.info.labels), label_boxes=list(body.info.label_boxes))  # fmt: skip
    return png.join(head, body.pixels, page.dpi), info


def _title_strip(page: Page, heading: Heading) -> tuple[Figure, float]:
    """A figure of the page's width holding only the heading; and the title band (inches)."""
    fig = Figure(figsize=(page.width, 1.0), dpi=page.dpi)
    FigureCanvasAgg(fig)
    texts, band = _fit_title(fig, heading, page.type_scale)
    # A whole number of pixel rows, with the title as far from the top as on a full page.
    height = (math.ceil(band * page.dpi) + 1) / page.dpi
    fig.set_size_inches(page.width, height)
    _place_heading(texts, band, height)
    return fig, band


def _guarded_body(guard, catalog: Catalog, selection: Query, page: Page, band: float):
    with guard():
        return _png_body(catalog, selection, page, band)


def _png_body(catalog: Catalog, selection: Query, page: Page, band: float) -> PngBody:
    """Draw the map below a blank title band and compress its rows.

    The split between title and body lies a little above the frame's top edge (whose
    line is half its width, 0.4 pt, above it) and well below the title, which is
    centred in its band with at least 0.125 in below it.
    """
    fig, info = draw_map(catalog, selection, page=page, title_band=band)
    try:
        fig.canvas.draw()
        raster = np.asarray(fig.canvas.buffer_rgba())
        split = int(band * page.dpi - math.ceil(2 * page.dpi / 72) - 1)
        pixels = png.deflate_rows(raster[split:], final=True)
        del raster
    finally:
        close(fig)
    return PngBody(pixels, split, info)


def default_title(selection: Query) -> str:
    """The title of a map with none given: the filters go in the subtitle, not here."""
    return DEFAULT_TITLE
