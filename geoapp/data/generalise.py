"""Geometry for a screen's zoom: the basemap the map page draws when zoomed out.

The basemap is Natural Earth's 1:10m countries, about 52,000 vertices (1 MB of JSON).
Zoomed out, most of them fall within a pixel of their neighbours, yet the browser
parses, projects and draws every one, at the first view and again at each zoom. So the
page asks, below :data:`FULL_FROM`, for the layer simplified to half a pixel of its
zoom: ``/api/layers/basemap?simplify=Z``, a third of the vertices and a fifth of the
bytes at the first view's zoom (docs/places.md measures what it buys).

The countries are simplified as one coverage (``shapely.coverage_simplify``): a border
shared by two countries is simplified once, the same for both, so no gap or sliver
opens between neighbours. Coordinates are rounded to :data:`DECIMALS` places (11 m at
the equator, far below a pixel of the coarsest level), which keeps shared vertices
shared. Layers that are not a valid polygon coverage are simplified one geometry at a
time, preserving topology.
"""

from __future__ import annotations

from collections.abc import Callable

import shapely
from shapely.geometry import mapping, shape

#: From this web zoom on, the page draws the layer as it is stored.
FULL_FROM = 9
#: The coarsest level: below it a screen holds more than the whole region.
COARSEST = 3
#: Places kept on simplified coordinates.
DECIMALS = 4


def pixel_degrees(zoom: int) -> float:
    """The width of a Web Mercator pixel at the equator, in degrees, at a web zoom."""
    return 360.0 / (256 * 2**zoom)


def levels(url: Callable[[int], str]) -> list[dict]:
    """The simplified answers the page may ask, coarsest first: ``[{maxZoom, url}]``.

    The page draws, at web zoom ``z``, the first level whose ``maxZoom`` is at least
    ``z``, and the stored layer from :data:`FULL_FROM` on. ``url(z)`` is the
    level's address.
    """
    return [{"maxZoom": z, "url": url(z)} for z in range(COARSEST, FULL_FROM)]


def simplified(features: list[dict], zoom: int) -> list[dict]:
    """``features`` with their geometry simplified to half a pixel at ``zoom`` (copies)."""
    # Half a pixel: at a whole pixel, Visvalingam's areas let a thin spit (the Arabat
    # Spit, on Ukraine's coast) move ten pixels at zoom 5; at half, no border moves more
    # than about 1.5 pixels from zoom 5 on, and 3.5 at zoom 3 (tests/test_generalise.py).
    tolerance = pixel_degrees(zoom) / 2
    geoms = [shape(f["geometry"]) for f in features]
    polygonal = geoms and all(g.geom_type in ("Polygon", "MultiPolygon") for g in geoms)
    if polygonal and bool(shapely.coverage_is_valid(geoms)):
        out = list(shapely.coverage_simplify(geoms, tolerance))
    else:
        out = [g.simplify(tolerance, preserve_topology=True) for g in geoms]
    return [
        {**f, "geometry": _rounded(mapping(g)) if not g.is_empty else f["geometry"]}
        for f, g in zip(features, out, strict=True)
    ]


def _rounded(geometry: dict) -> dict:
    """A GeoJSON geometry with its coordinates rounded to :data:`DECIMALS` places."""

    def walk(value):
        if isinstance(value, float | int):
            return round(float(value), DECIMALS)
        return [walk(v) for v in value]

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}
