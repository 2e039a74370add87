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

import logging
import math
import textwrap
import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
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
from geoapp.catalog import BBox, Catalog
from geoapp.schema import LAYERS, SECTORS
from geoapp.selection import Selection

log = logging.getLogger(__name__)

IMAGE_FORMATS = ("png", "svg", "pdf")

#: CSS pixels (the web map's unit) to typographic points (matplotlib's).
PX_TO_PT = 0.75
#: Order in which point labels claim space: the places the articles are about first.
LABEL_PRIORITY = ("ports", "naval_bases", "borders", "corridors", "programmes", "events")
#: Corners the legend may take (the scale bar and north arrow hold the right-hand ones).
LEGEND_CORNERS = ("lower left", "upper left")
DEFAULT_TITLE = "Russia–Turkmenistan cooperation in the Caspian region"


class TilesError(RuntimeError):
    """An online tile background was asked for and cannot be drawn (one-line message)."""


@dataclass(frozen=True)
class Page:
    """Figure size in inches and resolution in dots per inch."""

    width: float = 10.0
    height: float = 7.0
    dpi: float = 150.0

    @classmethod
    def from_pixels(cls, width: int, height: int, dpi: float = 150.0) -> Page:
        return cls(width / dpi, height / dpi, dpi)

    @property
    def pixels(self) -> tuple[int, int]:
        return round(self.width * self.dpi), round(self.height * self.dpi)


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
    #: lon/lat bounds of the frame as drawn (the view widened to the page's shape)
    frame_bbox: BBox = (-180.0, -90.0, 180.0, 90.0)


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
    layers: dict[str, np.ndarray]  # layer id -> projected shapely geometries by row


_CACHE: weakref.WeakKeyDictionary[Catalog, BuildOnceCache[Projected]] = weakref.WeakKeyDictionary()
_CACHE_LOCK = threading.Lock()
CACHE_SIZE = 16


def projected(catalog: Catalog, bbox: BBox) -> Projected:
    """Return the cached projection of the catalog for a view, building it once on first use."""
    with _CACHE_LOCK:
        views = _CACHE.get(catalog)
        if views is None:
            views = _CACHE[catalog] = BuildOnceCache(CACHE_SIZE)
    return views.get(bbox, lambda: _project(catalog, bbox))


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
    base = catalog.layers["basemap"]
    countries = []
    geoms = shapely.clip_by_rect(np.asarray(base.frame.geometry.values), *clip.bounds)
    geoms = shapely.simplify(geoms, tolerance, preserve_topology=False)
    geoms = project(shapely.segmentize(geoms, 0.5))
    for feature, geom in zip(base.features, geoms, strict=True):
        if geom is None or geom.is_empty:
            continue
        # Label a country inside the view (not at its far-away centre); leave units with no
        # ISO code (Baikonur, buffer zones) unlabelled.
        anchor = None
        if feature["properties"]["iso_a3"]:
            anchor = _label_anchor(geom, outline.bounds)
        countries.append((feature["properties"]["name"], polygon_path(geom), anchor))
    layers = {}
    for layer_id, data in catalog.layers.items():
        if not data.layer.thematic:
            continue
        geoms = np.asarray(data.frame.geometry.values)
        layers[layer_id] = project(shapely.segmentize(geoms, 0.25))
    return Projected(crs, forward, inverse, extent, countries, layers)


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
    selection: Selection,
    *,
    page: Page = Page(),
    title: str | None = None,
    tiles: str | None = None,
) -> tuple[Figure, MapInfo]:
    """Draw the selection into a new Figure (with an Agg canvas) and say what was drawn."""
    proj = projected(catalog, selection.bbox)
    fig = Figure(figsize=(page.width, page.height), dpi=page.dpi)
    FigureCanvasAgg(fig)
    top = 1 - 0.55 / page.height  # room for the title
    bottom = 0.42 / page.height  # room for the attribution
    ax = fig.add_axes((0.015, bottom, 0.97, top - bottom))
    ax.set_facecolor(styles.BASEMAP_STYLE["water"])
    ax.set_xticks([])
    ax.set_yticks([])
    xmin, xmax, ymin, ymax = fit_extent(
        proj.extent, 0.97 * page.width / ((top - bottom) * page.height)
    )
    ax.set_xlim(xmin, xmax)
    ax.set_ylim(ymin, ymax)
    ax.set_aspect("equal", adjustable="box")
    info = MapInfo(crs=proj.crs, extent=(xmin, xmax, ymin, ymax))
    info.frame_bbox = frame_bbox(proj, info.extent)

    if tiles:
        _draw_tiles(ax, proj.crs, tiles)
    _draw_countries(ax, proj, faint=bool(tiles))
    shown = _draw_features(ax, catalog, selection, proj, info)
    legend = _draw_legend(ax, shown, selection)
    scale_box = _draw_scale_bar(ax, proj, info)
    north_box = _draw_north_arrow(ax, proj, info)
    obstacles = [b for b in (legend, scale_box, north_box) if b is not None]
    _draw_labels(ax, proj, shown, info, obstacles)

    fig.text(
        0.5,
        1 - 0.3 / page.height,
        printable(title or default_title(selection), weight="bold"),
        ha="center",
        va="center",
        fontsize=13,
        fontweight="bold",
        parse_math=False,  # user text: "$10 and $20" is money, not a formula
    )
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


def render_map(
    catalog: Catalog,
    selection: Selection,
    out: str | IO[bytes],
    fmt: str,
    *,
    page: Page = Page(),
    title: str | None = None,
    tiles: str | None = None,
) -> MapInfo:
    """Draw and save the map as ``fmt`` (png, svg or pdf) to a path or binary file."""
    if fmt not in IMAGE_FORMATS:
        raise ValueError(f"not an image format: {fmt!r}")
    fig, info = draw_map(catalog, selection, page=page, title=title, tiles=tiles)
    # No dates or versions in the files: the same map gives the same bytes.
    metadata = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}
    fig.savefig(out, format=fmt, dpi=page.dpi, metadata=metadata[fmt])
    return info


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


def default_title(selection: Selection) -> str:
    if set(selection.sectors) == set(SECTORS):
        return DEFAULT_TITLE
    return f"{DEFAULT_TITLE}: {', '.join(SECTORS[s] for s in selection.sectors)}"


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


def _draw_features(
    ax, catalog: Catalog, selection: Selection, proj: Projected, info: MapInfo
) -> list[tuple[dict, object]]:
    """Draw the selected features; return (shown properties, projected geometry) pairs.

    Features are picked by the frame as drawn (the view widened to the page's shape),
    not by the requested bbox: whatever shows on the map is drawn, labelled and in the
    legend. The catalog's index narrows by the frame's lon/lat bounds, then the
    projected geometries are tested against the frame itself.
    """
    xmin, xmax, ymin, ymax = info.extent
    frame = shapely.box(xmin, ymin, xmax, ymax)
    shown = []
    for layer_id in selection.layers:
        if not LAYERS[layer_id].thematic:
            continue  # the basemap is always drawn underneath
        data = catalog.layers[layer_id]
        geoms = proj.layers[layer_id]
        rows = catalog.select(layer_id, sectors=selection.sectors, bbox=info.frame_bbox)
        rows = [r for r in rows if shapely.intersects(geoms[r], frame)]
        for row in rows:
            props = data.features[row]["properties"]
            geom = geoms[row]
            _draw_feature(ax, props, geom, selection.sectors)
            shown.append((props, geom))
            info.feature_ids.append(props["id"])
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


def _draw_legend(ax, shown, selection: Selection):
    features = [{"properties": p, "geometry": {"type": g.geom_type}} for p, g in shown]
    entries = styles.legend(features, selection.sectors)
    if not entries:
        return None
    handles = []
    for entry in entries:
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
    renderer = ax.figure.canvas.get_renderer()
    points = ax.transData.transform(
        np.concatenate(
            [shapely.get_coordinates(g) for _, g in shown if g.geom_type.endswith("Point")]
            or [np.empty((0, 2))]
        )
    )

    legend = ax.legend(
        handles=handles,
        loc=LEGEND_CORNERS[0],
        fontsize=6.5,
        framealpha=0.9,
        title="Legend",
        title_fontsize=7,
        ncols=1 if len(handles) <= 12 else 2,
    )
    legend.set_zorder(10)
    for text in (*legend.get_texts(), legend.get_title()):
        text.set_parse_math(False)
    best: tuple[int, str, Bbox] | None = None
    for loc in LEGEND_CORNERS:  # the free corner that hides the fewest point symbols
        legend.set_loc(loc)
        box = legend.get_window_extent(renderer)
        x, y = points[:, 0], points[:, 1]
        hidden = int(((x >= box.x0) & (x <= box.x1) & (y >= box.y0) & (y <= box.y1)).sum())
        if best is None or hidden < best[0]:
            best = (hidden, loc, box)
        if hidden == 0:
            break
    legend.set_loc(best[1])
    return best[2]


def nice_number(value: float) -> float:
    """The largest 1, 2 or 5 times a power of ten not above ``value``."""
    exponent = math.floor(math.log10(value))
    for step in (5, 2, 1):
        if step * 10**exponent <= value:
            return step * 10**exponent
    return 10**exponent


def _draw_scale_bar(ax, proj: Projected, info: MapInfo) -> Bbox:
    """A bar whose length is true in km at its own place (conformal: same in every direction)."""
    xmin, xmax, ymin, ymax = info.extent
    width, height = xmax - xmin, ymax - ymin
    x1, y = xmax - 0.04 * width, ymin + 0.05 * height
    lon, lat = proj.inverse.transform(x1 - 0.1 * width, y)
    k = pyproj.Proj(proj.crs).get_factors(lon, lat).parallel_scale
    km = nice_number(0.2 * width / k / 1000)
    length = km * 1000 * k  # projected metres
    x0 = x1 - length
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


def _draw_north_arrow(ax, proj: Projected, info: MapInfo) -> Bbox:
    """An arrow to true north at its own place (meridians converge in a conic)."""
    xmin, xmax, ymin, ymax = info.extent
    width, height = xmax - xmin, ymax - ymin
    x, y = xmax - 0.05 * width, ymax - 0.16 * height
    lon, lat = proj.inverse.transform(x, y)
    nx, ny = proj.forward.transform(lon, min(89.9, lat + 0.5))
    norm = math.hypot(nx - x, ny - y)
    ux, uy = (nx - x) / norm, (ny - y) / norm
    info.north = (ux, uy)
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
