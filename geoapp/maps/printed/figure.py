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

Every text is drawn with mathtext off: titles, names and sources are shown as typed.
"""

from __future__ import annotations

import json
import logging
import math
import textwrap
import threading
import weakref
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from typing import IO

import numpy as np
import pyproj
import shapely
from matplotlib import font_manager, patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.transforms import Bbox
from shapely.errors import GEOSException

from geoapp import styles
from geoapp.cache import BuildOnceCache
from geoapp.data.catalog import Catalog
from geoapp.data.query import BBox, Query
from geoapp.data.schema import LAYERS, SECTORS
from geoapp.maps.printed import png
from geoapp.maps.printed.page import Page

log = logging.getLogger(__name__)

IMAGE_FORMATS = ("png", "svg", "pdf")
DEFAULT_PAGE = Page()

#: CSS pixels (the web map's unit) to typographic points (matplotlib's).
PX_TO_PT = 0.75
#: Order in which point labels claim space: the places the articles are about first.
LABEL_PRIORITY = ("ports", "naval_bases", "borders", "corridors", "programmes", "events")
DEFAULT_TITLE = "Russia–Turkmenistan cooperation in the Caspian region"


class TilesError(RuntimeError):
    """An online tile background was asked for and cannot be drawn (one-line message)."""


@dataclass
class MapInfo:
    """What was drawn, in numbers the tests and the CLI can check."""

    crs: pyproj.CRS
    extent: tuple[float, float, float, float]  # xmin, xmax, ymin, ymax in the CRS
    feature_ids: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    label_boxes: list[Bbox] = field(default_factory=list)
    scale_km: float = 0.0
    scale_ends: tuple[tuple[float, float], tuple[float, float]] = ((0, 0), (0, 0))
    north: tuple[float, float] = (0.0, 1.0)  # unit vector of true north at the arrow
    attribution: str = ""
    north_at: tuple[float, float] = (0.0, 0.0)  # where the arrow starts, in the CRS
    #: lon/lat bounds of the frame as drawn (the view widened to the page's shape)
    frame_bbox: BBox = (-180.0, -90.0, 180.0, 90.0)
    #: where the legend went: a corner of the frame, "below" it, or None (nothing shown)
    legend_loc: str | None = None


# -- projection and cache ------------------------------------------------------------


#: Views wider or taller than this (degrees), or across the equator, get Equal Earth, not a cone.
CONIC_LIMIT = (100.0, 70.0)
#: Latitudes beyond this are left out of the view (a conic sends a pole to infinity).
MAX_LAT = 85.0


def map_crs(bbox: BBox) -> pyproj.CRS:
    """A projection fitted to the view.

    A Lambert conformal conic centred on the view with standard parallels at 1/6
    and 5/6 of its latitude span: conformal, so the scale bar holds in every
    direction. Very large views, or views across the equator, use Equal Earth.
    """
    return _transformers(map_proj4(bbox))[0]


def map_proj4(bbox: BBox) -> str:
    """The PROJ string of :func:`map_crs` (the key of the transformer cache)."""
    minx, miny, maxx, maxy = clamp(bbox)
    lon_0 = (minx + maxx) / 2
    if maxx - minx > CONIC_LIMIT[0] or maxy - miny > CONIC_LIMIT[1] or miny < 0 < maxy:
        return f"+proj=eqearth +lon_0={lon_0:g} +datum=WGS84 +units=m +no_defs"
    span = maxy - miny
    lat_1, lat_2 = miny + span / 6, maxy - span / 6
    return (
        f"+proj=lcc +lat_0={(miny + maxy) / 2:g} +lon_0={lon_0:g} +lat_1={lat_1:g} "
        f"+lat_2={lat_2:g} +datum=WGS84 +units=m +no_defs"
    )


def clamp(bbox: BBox) -> BBox:
    """The view without the polar caps (keeping at least a degree of latitude)."""
    minx, miny, maxx, maxy = bbox
    low, high = min(max(miny, -MAX_LAT), MAX_LAT - 1), min(maxy, MAX_LAT)
    return minx, low, maxx, high if high > low else low + 1


def projection_name(crs: pyproj.CRS) -> str:
    """``Lambert conformal conic`` or ``Equal Earth``, for the source line."""
    method = crs.coordinate_operation.method_name
    return "Lambert conformal conic" if method.startswith("Lambert") else method


@dataclass
class Projected:
    """A view's projection with the basemap and every layer already projected into it."""

    crs: pyproj.CRS
    forward: pyproj.Transformer
    inverse: pyproj.Transformer
    extent: tuple[float, float, float, float]
    countries: list[tuple[str, MplPath, tuple[float, float] | None]]  # name, path, label anchor
    layers: dict[str, dict[str, object]]  # layer id -> feature id -> projected geometry


_CACHE: weakref.WeakKeyDictionary[Catalog, BuildOnceCache[Projected]] = weakref.WeakKeyDictionary()
_CACHE_LOCK = threading.Lock()
CACHE_SIZE = 16


def projected(catalog: Catalog, bbox: BBox) -> Projected:
    """Return the cached projection of the catalog for a view, building it once on first use."""
    with _CACHE_LOCK:
        views = _CACHE.get(catalog)
        if views is None:
            views = _CACHE[catalog] = BuildOnceCache(CACHE_SIZE)
    return views.get((catalog.version, bbox), lambda: _project(catalog, bbox))


@lru_cache(maxsize=64)
def _transformers(proj4: str) -> tuple[pyproj.CRS, pyproj.Transformer, pyproj.Transformer]:
    """The CRS and both transformers of a projection (building them costs ~10 ms)."""
    crs = pyproj.CRS.from_proj4(proj4)
    forward = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    inverse = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    return crs, forward, inverse


def _project(catalog: Catalog, bbox: BBox) -> Projected:
    crs, forward, inverse = _transformers(map_proj4(bbox))

    def project(geoms: np.ndarray) -> np.ndarray:
        return shapely.transform(geoms, lambda xy: np.column_stack(forward.transform(*xy.T)))

    outline = project(np.array([shapely.segmentize(shapely.box(*clamp(bbox)), 0.25)]))[0]
    minx, miny, maxx, maxy = outline.bounds
    extent = (minx, maxx, miny, maxy)
    # The frame will be widened to the figure's shape: keep countries well past the view.
    w, h = bbox[2] - bbox[0], bbox[3] - bbox[1]
    margin = max(w, h)
    clip = shapely.box(
        max(-180, bbox[0] - margin),
        max(-MAX_LAT, bbox[1] - margin / 2),
        min(180, bbox[2] + margin),
        min(MAX_LAT, bbox[3] + margin / 2),
    )
    # Well under a pixel at any sane output size; in degrees of latitude, so finer than
    # needed along parallels. Clip, then simplify, then project: each step shrinks the
    # next one's work (the 10m basemap has ~50,000 vertices). clip_by_rect and simplify
    # without topology are fast and may leave slivers or self-touching rings: harmless
    # for drawing, and the basemap is only drawn.
    tolerance = (maxx - minx) / 4000 / 111_000
    base, base_geoms = layer_geometries(catalog, "basemap")
    countries = []
    geoms = shapely.clip_by_rect(base_geoms, *clip.bounds)
    geoms = shapely.simplify(geoms, tolerance, preserve_topology=False)
    geoms = project(shapely.segmentize(geoms, 0.5))
    for feature, geom in zip(base, geoms, strict=True):
        if geom is None or geom.is_empty:
            continue
        # Label a country inside the view (not at its far-away centre); leave units with no
        # ISO code (Baikonur, buffer zones) unlabelled.
        anchor = None
        if feature["properties"]["iso_a3"]:
            anchor = _label_anchor(geom, outline.bounds)
        countries.append((feature["properties"]["name"], polygon_path(geom), anchor))
    layers = {}
    for layer_id, info in catalog.layers().items():
        if not info.layer.thematic:
            continue
        features, geoms = layer_geometries(catalog, layer_id)
        ids = [f["properties"]["id"] for f in features]
        layers[layer_id] = dict(zip(ids, project(shapely.segmentize(geoms, 0.25)), strict=True))
    return Projected(crs, forward, inverse, extent, countries, layers)


def layer_geometries(catalog: Catalog, layer_id: str) -> tuple[list[dict], np.ndarray]:
    """A whole layer's features and their shapely geometries, built once per data version."""

    def build() -> tuple[list[dict], np.ndarray]:
        features = catalog.query(Query(layers=(layer_id,)))[layer_id]
        geoms = shapely.from_geojson([json.dumps(f["geometry"]) for f in features])
        return features, np.asarray(geoms)

    return catalog.memo(("geometries", layer_id), build)


def _label_anchor(geom, bounds) -> tuple[float, float] | None:
    """A point inside the part of a country within the view, or None if none is."""
    try:
        in_view = shapely.clip_by_rect(geom, *bounds)
        if in_view.is_empty:
            return None
        point = shapely.point_on_surface(in_view)
    except GEOSException:  # a ring simplification left self-touching
        return None
    return None if point.is_empty else (point.x, point.y)


def polygon_path(geom) -> MplPath:
    """A matplotlib path for a (multi)polygon, holes included."""
    parts = []
    for polygon in getattr(geom, "geoms", [geom]):
        if polygon.geom_type != "Polygon" or polygon.is_empty:
            continue
        for ring in (polygon.exterior, *polygon.interiors):
            coords = np.asarray(ring.coords)[:, :2]
            codes = np.full(len(coords), MplPath.LINETO, dtype=MplPath.code_type)
            codes[0], codes[-1] = MplPath.MOVETO, MplPath.CLOSEPOLY
            parts.append(MplPath(coords, codes))
    return MplPath.make_compound_path(*parts) if parts else MplPath(np.empty((0, 2)))


def line_parts(geom) -> list[np.ndarray]:
    """Coordinate arrays of every line in a (multi)line geometry."""
    return [np.asarray(g.coords)[:, :2] for g in getattr(geom, "geoms", [geom]) if not g.is_empty]


# -- drawing -------------------------------------------------------------------------


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

    With ``title_band`` (inches), no title is drawn and that band is left blank at
    the top: the PNG writer draws titles apart (:func:`render_png`).
    """
    proj = projected(catalog, selection.bbox)
    fig = Figure(figsize=(page.width, page.height), dpi=page.dpi)
    FigureCanvasAgg(fig)
    if title_band is None:
        label, band = _fit_title(fig, printable(title or default_title(selection), weight="bold"))
        label.set_y(1 - band / page.height / 2)
    else:
        band = title_band
    top = 1 - band / page.height
    bottom = ATTRIBUTION_BAND / page.height
    ax = fig.add_axes((0.015, bottom, 0.97, top - bottom))
    ax.set_facecolor(styles.BASEMAP_STYLE["water"])
    ax.set_xticks([])
    ax.set_yticks([])
    info, shown = _fit_frame(ax, catalog, selection, proj)
    handles = _legend_handles(shown, selection)
    legend_box = None
    if handles:
        info.legend_loc, legend_box = _legend_in_frame(ax, proj, info, shown, handles)
        if info.legend_loc is None:  # no corner is free: a band below the frame
            band, ncols = _legend_band(ax, handles)
            ax.set_position((0.015, bottom + band, 0.97, top - bottom - band))
            info, shown = _fit_frame(ax, catalog, selection, proj)
            handles = _legend_handles(shown, selection)
            legend = _make_legend(ax, handles, ncols, "upper center")
            legend.set_bbox_to_anchor((0.5, 0.0), transform=ax.transAxes)
            info.legend_loc = "below"

    if tiles:
        _draw_tiles(ax, proj.crs, tiles)
    _draw_countries(ax, proj, faint=bool(tiles))
    for props, geom in shown:
        _draw_feature(ax, props, geom, selection.shown_sectors)
        info.feature_ids.append(props["id"])
    scale_side, north_side = _decoration_sides(info.legend_loc)
    scale_box = _draw_scale_bar(ax, proj, info, scale_side)
    north_box = _draw_north_arrow(ax, proj, info, north_side)
    obstacles = [b for b in (legend_box, scale_box, north_box) if b is not None]
    _draw_labels(ax, proj, shown, info, obstacles)

    info.attribution = attribution(catalog, shown, tiles, proj.crs)
    # Wrapped here, not by matplotlib (which measures every word: slow): ~3.4 pt a character.
    lines = textwrap.wrap(info.attribution, width=int(page.width * 72 * 0.95 / 3.4))
    fig.text(
        0.015,
        0.2 / page.height,
        printable("\n".join(lines[:3])),
        ha="left",
        va="center",
        fontsize=6,
        color="#333333",
        parse_math=False,
    )
    return fig, info


#: Inches at the foot of the page for the source line.
ATTRIBUTION_BAND = 0.42
#: Title font size in points, and the smallest it shrinks to before wrapping onto two lines.
TITLE_SIZE, MIN_TITLE_SIZE = 13.0, 9.0


def _fit_title(fig: Figure, text: str):
    """Draw the title so that it fits the page's width; return it and its band in inches.

    The band depends on the page's width and dpi only, not its height.

    A long title shrinks to MIN_TITLE_SIZE, then wraps onto two lines; what still
    does not fit ends in an ellipsis. Measured once or twice: each measure is ~1 ms.
    """
    renderer = fig.canvas.get_renderer()
    room = 0.96 * fig.bbox.width
    label = fig.text(0.5, 1.0, text, ha="center", va="center", fontsize=TITLE_SIZE,
                     fontweight="bold", parse_math=False)  # fmt: skip
    width = label.get_window_extent(renderer).width
    if width > room:
        label.set_fontsize(max(MIN_TITLE_SIZE, TITLE_SIZE * room / width * 0.98))
        width = label.get_window_extent(renderer).width
        chars = len(text)
        while width > room and chars > 8:
            chars = int(chars * min(0.95, 2 * room / width))
            lines = textwrap.wrap(text, chars, max_lines=2, placeholder=" …")
            label.set_text("\n".join(lines))
            width = label.get_window_extent(renderer).width
    height = label.get_window_extent(renderer).height / fig.dpi
    return label, max(0.55, height + 0.25)


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
    return info, _shown_features(catalog, selection, proj, info)


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


# -- PNG: the map drawn once, titles added cheaply ------------------------------------


@dataclass(frozen=True)
class PngBody:
    """Everything of a PNG below its title, compressed, and what was drawn."""

    pixels: png.Deflated
    split: int  # the first row of the body; the rows above it are the title's
    info: MapInfo


_BODIES: weakref.WeakKeyDictionary[Catalog, BuildOnceCache[PngBody]] = weakref.WeakKeyDictionary()
#: Map bodies kept per catalog. One is a few MB at most (a 6000 x 4000 px map is ~1.5 MB).
BODY_CACHE_SIZE = 16


def png_bodies(catalog: Catalog) -> BuildOnceCache[PngBody]:
    """The cache of PNG map bodies of ``catalog`` (per catalog: a reload starts anew)."""
    with _CACHE_LOCK:
        bodies = _BODIES.get(catalog)
        if bodies is None:
            bodies = _BODIES[catalog] = BuildOnceCache(BODY_CACHE_SIZE)
    return bodies


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
    text = printable(title or default_title(selection), weight="bold")
    strip, band = _title_strip(page, text)
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


def _title_strip(page: Page, text: str) -> tuple[Figure, float]:
    """A figure of the page's width holding only the title; and the title band (inches)."""
    fig = Figure(figsize=(page.width, 1.0), dpi=page.dpi)
    FigureCanvasAgg(fig)
    label, band = _fit_title(fig, text)
    # A whole number of pixel rows, with the title as far from the top as on a full page.
    height = (math.ceil(band * page.dpi) + 1) / page.dpi
    fig.set_size_inches(page.width, height)
    label.set_y(1 - band / 2 / height)
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


def frame_bbox(proj: Projected, extent: tuple[float, float, float, float]) -> BBox:
    """The lon/lat bounds of a projected frame: its densified outline, inverse-projected.

    Includes a pole the frame contains; parts of the frame off the projection's
    domain (beyond Equal Earth's edge) give no coordinates and are skipped, and a
    frame with none left is the whole world.
    """
    xmin, xmax, ymin, ymax = extent
    outline = shapely.segmentize(
        shapely.box(xmin, ymin, xmax, ymax), max(xmax - xmin, ymax - ymin) / 64
    )
    xy = shapely.get_coordinates(outline)
    with np.errstate(invalid="ignore"):
        lon, lat = proj.inverse.transform(xy[:, 0], xy[:, 1])
    ok = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
    if not ok.all():
        return (-180.0, -90.0, 180.0, 90.0)
    box = [float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())]
    for pole in (-90.0, 90.0):
        px, py = proj.forward.transform(0.0, pole)
        if math.isfinite(px) and xmin <= px <= xmax and ymin <= py <= ymax:
            box = [-180.0, min(box[1], pole), 180.0, max(box[3], pole)]
    return box[0], box[1], box[2], box[3]


def fit_extent(extent: tuple[float, float, float, float], ratio: float):
    """Widen the view's extent (never crop it) to the frame's width/height ratio."""
    xmin, xmax, ymin, ymax = extent
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    width, height = xmax - xmin, ymax - ymin
    if width / height < ratio:
        width = height * ratio
    else:
        height = width / ratio
    return cx - width / 2, cx + width / 2, cy - height / 2, cy + height / 2


def default_title(selection: Query) -> str:
    if set(selection.shown_sectors) == set(SECTORS):
        return DEFAULT_TITLE
    return f"{DEFAULT_TITLE}: {', '.join(SECTORS[s] for s in selection.shown_sectors)}"


def _draw_tiles(ax, crs: pyproj.CRS, tiles: str) -> None:
    if tiles not in styles.TILE_PROVIDERS:
        raise TilesError(f"unknown tiles {tiles!r}; valid: {', '.join(styles.TILE_PROVIDERS)}")
    try:
        import contextily
        import xyzservices
    except ImportError:
        raise TilesError("online tiles need contextily: pip install 'geoapp[tiles]'") from None
    provider = xyzservices.providers.query_name(styles.TILE_PROVIDERS[tiles])
    try:
        contextily.add_basemap(ax, crs=crs.to_wkt(), source=provider, attribution=False)
    except Exception as exc:  # network, HTTP or decoding: one line, never a traceback
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise TilesError(f"could not fetch {tiles} tiles (offline?): {reason[:160]}") from None


def _draw_countries(ax, proj: Projected, *, faint: bool) -> None:
    paths = [path for _, path, _ in proj.countries]
    ax.add_collection(
        PathCollection(
            paths,
            facecolors="none" if faint else styles.BASEMAP_STYLE["fill"],
            edgecolors=styles.BASEMAP_STYLE["edge"],
            linewidths=0.5,
            zorder=1,
        ),
        autolim=False,
    )


def _shown_features(
    catalog: Catalog, selection: Query, proj: Projected, info: MapInfo
) -> list[tuple[dict, object]]:
    """The selected features the frame shows, as (properties, projected geometry) pairs.

    Features are picked by the frame as drawn (the view widened to the page's shape),
    not by the requested bbox: whatever shows on the map is drawn, labelled and in the
    legend. The catalog's index narrows by the frame's lon/lat bounds, then the
    projected geometries are tested against the frame itself.
    """
    xmin, xmax, ymin, ymax = info.extent
    frame = shapely.box(xmin, ymin, xmax, ymax)
    shown = []
    layers = tuple(layer for layer in selection.layers if LAYERS[layer].thematic)
    kept = catalog.query(selection.replace(layers=layers, bbox=info.frame_bbox))
    for layer_id, features in kept.items():
        geoms = proj.layers[layer_id]
        for feature in features:
            geom = geoms[feature["properties"]["id"]]
            if shapely.intersects(geom, frame):
                shown.append((feature["properties"], geom))
    return shown


def _draw_feature(ax, props: dict, geom, sectors: Iterable[str]) -> None:
    style = styles.feature_style(props, sectors)
    dashes = styles.mpl_dashes(props["status"])
    width = style.width * PX_TO_PT
    kind = geom.geom_type
    if kind.endswith("Polygon"):
        ax.add_collection(
            PathCollection(
                [polygon_path(geom)],
                facecolors=[(*_rgb(style.colour), style.fill_opacity)],
                edgecolors=[(*_rgb(style.colour), style.opacity)],
                linewidths=width * 0.6,
                linestyles=[dashes],
                zorder=2,
                gid=props["id"],
            ),
            autolim=False,
        )
    elif kind.endswith("LineString"):
        ax.add_collection(
            LineCollection(
                line_parts(geom),
                colors=[(*_rgb(style.colour), style.opacity)],
                linewidths=width,
                linestyles=[dashes],
                capstyle="round",
                zorder=3,
                gid=props["id"],
            ),
            autolim=False,
        )
    elif kind.endswith("Point"):
        # As the web map's icons: the sector colour, outlined in SYMBOL_EDGE and dashed by
        # status (a scatter, since a plotted marker's edge cannot be dashed).
        points = np.array([(p.x, p.y) for p in getattr(geom, "geoms", [geom])])
        ax.scatter(
            points[:, 0],
            points[:, 1],
            s=(2 * styles.POINT_RADIUS * PX_TO_PT) ** 2,
            marker=styles.MPL_MARKERS[style.symbol or "circle"],
            facecolors=[(*_rgb(style.colour), style.opacity)],
            edgecolors=[(*_rgb(styles.SYMBOL_EDGE), style.opacity)],
            linewidths=styles.SYMBOL_EDGE_WIDTH * PX_TO_PT,
            linestyles=[dashes],
            zorder=4,
            gid=props["id"],
        )


#: Drawn instead of a character no font has: what matplotlib would draw, without its warning.
MISSING_GLYPH = "\N{WHITE SQUARE}"


@lru_cache(maxsize=4)
def _charmap(weight: str = "normal", style: str = "normal") -> frozenset[int]:
    """The code points the default font of a weight and style has glyphs for."""
    path = font_manager.findfont(font_manager.FontProperties(weight=weight, style=style))
    return frozenset(font_manager.get_font(path).get_charmap())


def printable(text: str, weight: str = "normal", style: str = "normal") -> str:
    """``text`` with characters the font lacks (and controls) shown as a white square.

    Any text a user or the data gives (a title in Chinese, an emoji) draws with no
    warning: matplotlib would warn once per missing glyph and draw a box anyway.
    """
    known = _charmap(weight, style)
    return "".join(c if c == "\n" or ord(c) in known else MISSING_GLYPH for c in text)


def _rgb(colour: str) -> tuple[float, float, float]:
    colour = colour.lstrip("#")
    return tuple(int(colour[i : i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def _legend_handles(shown, selection: Query) -> list:
    """Legend entries of what is shown: sectors, statuses and symbols, with counts."""
    features = [{"properties": p, "geometry": {"type": g.geom_type}} for p, g in shown]
    handles = []
    for entry in styles.legend(features, selection.shown_sectors):
        label = f"{entry.label} ({entry.count})"
        kind = entry.key.split(":")[0]
        if kind == "sector":
            handles.append(Patch(facecolor=entry.colour, edgecolor="none", label=label))
        elif kind == "status":
            status = entry.key.split(":")[1]
            handles.append(
                Line2D(
                    [],
                    [],
                    color="#444444",
                    linewidth=styles.BASE_WIDTH * PX_TO_PT,
                    linestyle=styles.mpl_dashes(status),
                    label=label,
                )
            )
        else:
            handles.append(
                Line2D(
                    [],
                    [],
                    linestyle="none",
                    marker=styles.MPL_MARKERS[entry.symbol or "circle"],
                    markersize=7,
                    markerfacecolor="#8a8a8a",  # as the web legend's swatches
                    markeredgecolor=styles.SYMBOL_EDGE,
                    markeredgewidth=styles.SYMBOL_EDGE_WIDTH * PX_TO_PT,
                    label=label,
                )
            )
    return handles


def _make_legend(ax, handles: list, ncols: int, loc: str):
    legend = ax.legend(
        handles=handles,
        loc=loc,
        fontsize=6.5,
        framealpha=0.9,
        title="Legend",
        title_fontsize=7,
        ncols=ncols,
    )
    legend.set_zorder(10)
    for text in (*legend.get_texts(), legend.get_title()):
        text.set_parse_math(False)
    return legend


#: Corners the legend may take, in order of preference when several are free.
LEGEND_CORNERS = ("lower left", "upper left", "lower right", "upper right")
#: Most of the frame (by area) a legend inside it may cover; a bigger one goes below the map.
MAX_LEGEND_SHARE = 0.3


def _decoration_sides(legend_loc: str | None) -> tuple[str, str]:
    """Sides of the scale bar (bottom) and the north arrow (top): away from the legend."""
    return (
        "left" if legend_loc == "lower right" else "right",
        "left" if legend_loc == "upper right" else "right",
    )


def _legend_in_frame(ax, proj: Projected, info: MapInfo, shown, handles):
    """Put the legend in the corner of the frame that covers no point symbol.

    Point symbols (with their radius), the scale bar and the north arrow are
    obstacles; among the free corners the one over the fewest line and outline
    vertices wins (dense places stay visible). Returns (corner, legend extent), or
    (None, None) with no legend drawn when no corner is free or the legend would
    cover more than MAX_LEGEND_SHARE of the frame.
    """
    renderer = ax.figure.canvas.get_renderer()
    frame = ax.bbox
    radius = styles.POINT_RADIUS * PX_TO_PT * ax.figure.dpi / 72
    coords = {True: [np.empty((0, 2))], False: [np.empty((0, 2))]}
    for _, geom in shown:
        coords[geom.geom_type.endswith("Point")].append(shapely.get_coordinates(geom))
    points = ax.transData.transform(np.concatenate(coords[True]))
    vertices = ax.transData.transform(np.concatenate(coords[False]))

    def inside(xy: np.ndarray, box: Bbox) -> int:
        x, y = xy[:, 0], xy[:, 1]
        return int(((x >= box.x0) & (x <= box.x1) & (y >= box.y0) & (y <= box.y1)).sum())

    reserved: dict[str, list[Bbox]] = {}
    for ncols in (1, 2) if len(handles) <= 12 else (2, 3):
        legend = _make_legend(ax, handles, ncols, LEGEND_CORNERS[0])
        best: tuple[int, str, Bbox] | None = None
        for loc in LEGEND_CORNERS:
            legend.set_loc(loc)
            box = legend.get_window_extent(renderer)
            if box.width * box.height > MAX_LEGEND_SHARE * frame.width * frame.height:
                break  # the same size in every corner
            sides = _decoration_sides(loc)
            if sides not in reserved:
                reserved[sides] = _decoration_boxes(ax, proj, info, *sides)
            if any(box.overlaps(r) for r in reserved[sides]):
                continue
            if inside(points, box.padded(radius)):
                continue
            crowd = inside(vertices, box)
            if best is None or crowd < best[0]:
                best = (crowd, loc, box)
        if best is not None:
            legend.set_loc(best[1])
            return best[1], best[2]
        legend.remove()
    return None, None


def _legend_band(ax, handles: list) -> tuple[float, int]:
    """The height (page fraction) and columns of a legend laid out in a band below the frame."""
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    room = 0.97 * fig.bbox.width
    legend = _make_legend(ax, handles, 1, "upper center")
    ncols = max(1, min(len(handles), int(room / legend.get_window_extent(renderer).width)))
    while True:
        legend.remove()
        legend = _make_legend(ax, handles, ncols, "upper center")
        box = legend.get_window_extent(renderer)
        if box.width <= room or ncols == 1:
            break
        ncols -= 1
    legend.remove()
    return (box.height + 6) / fig.bbox.height, ncols


GEOD = pyproj.Geod(ellps="WGS84")


def _lonlat(proj: Projected, x: float, y: float) -> tuple[float, float] | None:
    """The lon/lat of a projected point, or None off the projection's domain.

    Beyond Equal Earth's edge the inverse gives infinities or coordinates that do
    not come back to the point: both are refused.
    """
    with np.errstate(all="ignore"):
        lon, lat = proj.inverse.transform(x, y)
        if not (math.isfinite(lon) and math.isfinite(lat) and abs(lon) <= 180 and abs(lat) <= 90):
            return None
        fx, fy = proj.forward.transform(lon, lat)
    if not (math.isfinite(fx) and math.isfinite(fy)):
        return None
    if math.hypot(fx - x, fy - y) > 1.0 + 1e-9 * math.hypot(x, y):
        return None
    return float(lon), float(lat)


def _inward(extent, fx: float, fy: float, fits) -> tuple[float, float]:
    """The frame point at fractions (fx, fy), or the first towards the centre where ``fits``."""
    xmin, xmax, ymin, ymax = extent
    for t in np.linspace(0, 1, 41):
        x = xmin + (fx + t * (0.5 - fx)) * (xmax - xmin)
        y = ymin + (fy + t * (0.5 - fy)) * (ymax - ymin)
        if fits(x, y):
            return x, y
    return (xmin + xmax) / 2, (ymin + ymax) / 2


def _ground_m(proj: Projected, x0: float, x1: float, y: float) -> float:
    """Metres on the ground between two projected points on a row (NaN off the domain)."""
    a, b = _lonlat(proj, x0, y), _lonlat(proj, x1, y)
    if a is None or b is None:
        return math.nan
    return GEOD.inv(a[0], a[1], b[0], b[1])[2]


def _scale_bar_geometry(proj: Projected, extent, side: str) -> tuple[float, float, float, float]:
    """x0, x1, y and km of a bar whose ends are its length in km apart on the ground.

    Its outer end sits near the frame's lower corner on ``side``, moved towards the
    centre where the corner is off the projection's domain (a world map's corners).
    The length is the geodesic between the ends, solved by a few secant steps: true
    on a conformal conic, and on Equal Earth, whose scale varies along a parallel.
    """
    xmin, xmax = extent[0], extent[1]
    width = xmax - xmin
    step = -1 if side == "right" else 1
    fx = 0.96 if side == "right" else 0.04

    def fits(x: float, y: float) -> bool:
        return math.isfinite(_ground_m(proj, x, x + step * 0.2 * width, y))

    x_out, y = _inward(extent, fx, 0.05, fits)
    metres = _ground_m(proj, x_out, x_out + step * 0.2 * width, y)
    km = nice_number(max(metres, 1e-3) / 1000)
    length = 0.2 * width * km * 1000 / metres
    for _ in range(6):
        got = _ground_m(proj, x_out, x_out + step * length, y)
        if not math.isfinite(got) or got <= 0 or abs(got / (km * 1000) - 1) < 1e-5:
            break
        length *= km * 1000 / got
    x0, x1 = sorted((x_out, x_out + step * length))
    return x0, x1, y, km


def _north_geometry(proj: Projected, extent, side: str) -> tuple[float, float, float, float]:
    """x, y and the unit vector to true north of an arrow near the upper corner on ``side``."""

    def direction(x: float, y: float) -> tuple[float, float] | None:
        here = _lonlat(proj, x, y)
        if here is None:
            return None
        lon, lat = here
        with np.errstate(all="ignore"):
            sx, sy = proj.forward.transform(lon, max(-90.0, lat - 0.25))
            nx, ny = proj.forward.transform(lon, min(90.0, lat + 0.25))
        norm = math.hypot(nx - sx, ny - sy)
        if not (math.isfinite(norm) and norm > 0):
            return None
        return (nx - sx) / norm, (ny - sy) / norm

    x, y = _inward(extent, 0.95 if side == "right" else 0.05, 0.84,
                   lambda x, y: direction(x, y) is not None)  # fmt: skip
    ux, uy = direction(x, y) or (0.0, 1.0)
    return x, y, ux, uy


def _decoration_boxes(ax, proj: Projected, info: MapInfo, scale_side: str, north_side: str):
    """Display extents the scale bar and north arrow will take (with their texts)."""
    xmin, xmax, ymin, ymax = info.extent
    height = ymax - ymin
    pt = ax.figure.dpi / 72
    x0, x1, y, _ = _scale_bar_geometry(proj, info.extent, scale_side)
    (bx0, by0), (bx1, by1) = ax.transData.transform([(x0, y), (x1, y + 0.021 * height)])
    scale = Bbox([[bx0 - 16 * pt, by0 - 4], [bx1 + 16 * pt, by1 + 10 * pt + 4]])
    x, y, ux, uy = _north_geometry(proj, info.extent, north_side)
    tip = (x + ux * 0.1 * height, y + uy * 0.1 * height)
    (ax0, ay0), (ax1, ay1) = ax.transData.transform([(x, y), tip])
    north = Bbox([[min(ax0, ax1) - 8 * pt, min(ay0, ay1) - 6], [max(ax0, ax1) + 8 * pt,
                  max(ay0, ay1) + 12 * pt]])  # fmt: skip
    return [scale, north]


def nice_number(value: float) -> float:
    """The largest 1, 2 or 5 times a power of ten not above ``value``."""
    exponent = math.floor(math.log10(value))
    for step in (5, 2, 1):
        if step * 10**exponent <= value:
            return step * 10**exponent
    return 10**exponent


def _draw_scale_bar(ax, proj: Projected, info: MapInfo, side: str = "right") -> Bbox:
    """A bar whose ends are its length in km apart on the ground (see _scale_bar_geometry)."""
    height = info.extent[3] - info.extent[2]
    x0, x1, y, km = _scale_bar_geometry(proj, info.extent, side)
    length = x1 - x0
    bar_h = 0.008 * height
    for i in range(4):
        ax.add_patch(
            Rectangle(
                (x0 + i * length / 4, y),
                length / 4,
                bar_h,
                facecolor="#222222" if i % 2 == 0 else "white",
                edgecolor="#222222",
                linewidth=0.6,
                zorder=11,
            )
        )
    halo = [patheffects.withStroke(linewidth=2, foreground="white")]
    texts = [
        ax.text(x, y + bar_h * 1.6, s, ha="center", va="bottom", fontsize=6.5, zorder=11,
                path_effects=halo, parse_math=False)
        for x, s in ((x0, "0"), (x0 + length / 2, f"{km / 2:g}"), (x1, f"{km:g} km"))
    ]  # fmt: skip
    info.scale_km = km
    info.scale_ends = ((x0, y), (x1, y))
    renderer = ax.figure.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in texts]
    bar = ax.transData.transform([(x0, y), (x1, y + bar_h)])
    return Bbox.union([*boxes, Bbox(bar)]).padded(4)


def _draw_north_arrow(ax, proj: Projected, info: MapInfo, side: str = "right") -> Bbox:
    """An arrow to true north at its own place (meridians converge in a conic)."""
    height = info.extent[3] - info.extent[2]
    x, y, ux, uy = _north_geometry(proj, info.extent, side)
    info.north = (ux, uy)
    info.north_at = (x, y)
    length = 0.08 * height
    tip = (x + ux * length, y + uy * length)
    ax.annotate(
        "",
        xy=tip,
        xytext=(x, y),
        arrowprops={"arrowstyle": "-|>,head_width=0.35,head_length=0.7", "color": "#222222",
                    "linewidth": 1.4},
        zorder=11,
    )  # fmt: skip
    label = ax.text(
        tip[0] + ux * 0.02 * height,
        tip[1] + uy * 0.02 * height,
        "N",
        ha="center",
        va="bottom",
        fontsize=9,
        fontweight="bold",
        zorder=11,
        path_effects=[patheffects.withStroke(linewidth=2, foreground="white")],
        parse_math=False,
    )
    renderer = ax.figure.canvas.get_renderer()
    arrow = Bbox(ax.transData.transform([(x, y), tip]))
    return Bbox.union([arrow, label.get_window_extent(renderer)]).padded(6)


#: Label anchors tried in order: offset in points, then horizontal and vertical alignment.
_CANDIDATES = (
    ((6, 3), "left", "bottom"),
    ((-6, 3), "right", "bottom"),
    ((6, -3), "left", "top"),
    ((-6, -3), "right", "top"),
    ((0, 8), "center", "bottom"),
    ((0, -8), "center", "top"),
    ((8, 0), "left", "center"),
    ((-8, 0), "right", "center"),
)


def _draw_labels(ax, proj: Projected, shown, info: MapInfo, obstacles: list[Bbox]) -> None:
    """Label named points greedily: each takes the first anchor that overlaps nothing."""
    fig = ax.figure
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    radius = styles.POINT_RADIUS * PX_TO_PT * fig.dpi / 72
    points, markers = [], []
    for props, geom in shown:
        if geom.geom_type.endswith("Point"):
            xy = ax.transData.transform(shapely.get_coordinates(geom))
            markers += [
                Bbox.from_bounds(x - radius, y - radius, 2 * radius, 2 * radius) for x, y in xy
            ]
            points.append((props, xy[0]))  # one label per feature, at its first point
    taken = [*obstacles, *markers]
    order = {layer: i for i, layer in enumerate(LABEL_PRIORITY)}
    points.sort(key=lambda t: (order.get(t[0]["layer"], 99), t[0]["name"]))
    halo = [patheffects.withStroke(linewidth=2.2, foreground="white")]
    scale = fig.dpi / 72
    for props, (x, y) in points:
        text = ax.text(0, 0, printable(props["name"]), fontsize=7, zorder=9, color="#1a1a1a",
                       path_effects=halo, transform=None, parse_math=False)  # fmt: skip
        if not _place(text, x, y, scale, renderer, frame, taken):
            text.remove()
            continue
        info.labels.append(props["name"])
        info.label_boxes.append(taken[-1])
    for name, _, anchor in proj.countries:  # country names last, where there is room
        if anchor is None:
            continue
        x, y = ax.transData.transform(anchor)
        text = ax.text(x, y, printable(name.upper(), style="italic"), fontsize=7, color=styles.BASEMAP_STYLE["label"],
                       style="italic", ha="center", va="center", zorder=1.5, transform=None,
                       alpha=0.8, parse_math=False)  # fmt: skip
        box = text.get_window_extent(renderer)
        if (
            frame.contains(box.x0, box.y0)
            and frame.contains(box.x1, box.y1)
            and not any(box.overlaps(t) for t in taken)
        ):
            taken.append(box)
        else:
            text.remove()


def _place(text, x, y, scale, renderer, frame: Bbox, taken: list[Bbox]) -> bool:
    for (dx, dy), ha, va in _CANDIDATES:
        text.set_position((x + dx * scale, y + dy * scale))
        text.set_ha(ha)
        text.set_va(va)
        box = text.get_window_extent(renderer).padded(1.5)
        inside = frame.contains(box.x0, box.y0) and frame.contains(box.x1, box.y1)
        if inside and not any(box.overlaps(t) for t in taken):
            taken.append(box)
            return True
    return False


# -- attribution ---------------------------------------------------------------------


def data_date(catalog: Catalog) -> date | None:
    """The date of the data: the newest dated source, else the build's date, else None.

    Only the catalog reads data files: its sources table, then ``build_info``
    (``geodata/build.json``). File times are no date of the data (a checkout or a
    copy resets them), so they are never used.
    """
    dates = []
    for source in catalog.sources.values():
        for key in ("date", "published", "accessed"):
            dates += _iso_date(source.get(key))
    if not dates:
        for key in ("date", "built", "data_date"):
            dates += _iso_date(catalog.build_info.get(key))
    return max(dates) if dates else None


def _iso_date(value: object) -> list[date]:
    try:
        return [date.fromisoformat(str(value or "")[:10])]
    except ValueError:
        return []


def attribution(
    catalog: Catalog, shown, tiles: str | None = None, crs: pyproj.CRS | None = None
) -> str:
    """Basemap, the articles behind what is shown, the data date and the projection."""
    cited = dict.fromkeys(
        s["article"] for props, _ in shown for s in props.get("sources") or () if "article" in s
    )
    articles = []
    for source_id in cited:
        source = catalog.sources.get(source_id, {})
        if source.get("kind") != "article":
            continue
        publisher = source.get("publisher")
        title = source.get("title", source_id)
        articles.append(f"{publisher}, “{title}”" if publisher else f"“{title}”")
    parts = ["Basemap: Natural Earth (public domain)"]
    if tiles:
        parts.append(f"Tiles: {styles.TILE_PROVIDERS[tiles]}")
    if articles:
        parts.append("Sources: " + "; ".join(articles))
    when = data_date(catalog)
    if when is not None:
        parts.append(f"Data as of {when.isoformat()}")
    if crs is not None:
        parts.append(f"{projection_name(crs)} projection; scale true at the bar")
    return ". ".join(parts) + "."
