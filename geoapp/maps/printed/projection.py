"""The printed map's projection: a conic fitted to the view, with the data projected once per view."""

from __future__ import annotations

import json
import math
import threading
import weakref
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pyproj
import shapely
from matplotlib.path import Path as MplPath
from matplotlib.transforms import Bbox

from geoapp.cache import BuildOnceCache
from geoapp.data.catalog import Catalog
from geoapp.data.query import BBox, Query
from geoapp.maps.names import label_anchor


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
            anchor = label_anchor(geom, outline.bounds)
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


GEOD = pyproj.Geod(ellps="WGS84")


def lonlat(proj: Projected, x: float, y: float) -> tuple[float, float] | None:
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


def ground_m(proj: Projected, x0: float, x1: float, y: float) -> float:
    """Metres on the ground between two projected points on a row (NaN off the domain)."""
    a, b = lonlat(proj, x0, y), lonlat(proj, x1, y)
    if a is None or b is None:
        return math.nan
    return GEOD.inv(a[0], a[1], b[0], b[1])[2]
