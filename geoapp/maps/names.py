"""Names on the web map: which labels exist at each zoom, and country names in view.

The server decides what a label says and the order labels claim room in, with the
printed map's rules (:mod:`geoapp.maps.stacks`, :data:`styles.LABEL_PRIORITY`):
points whose symbols touch at a zoom share one label (``Turkmenbashi: port, naval
base, customs point``), and split into their own labels as the reader zooms in.
Towns the features' summaries name come next (:func:`place_labels`), then countries.
The page's script only places them: it tries :data:`styles.LABEL_DIRECTIONS` around
each anchor in the order given and skips a label that would cover another label or
a symbol. So more names show as the map zooms in, and none collide.

Every text here comes from the data: the script sets it as text, never as markup.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping

import numpy as np
import shapely
from shapely.errors import GEOSException
from shapely.ops import polylabel

from geoapp import styles
from geoapp.data.catalog import Catalog
from geoapp.data.places import place_class, shown_places
from geoapp.data.query import MAX_ZOOM, MIN_ZOOM, Query
from geoapp.errors import ProviderError
from geoapp.maps.stacks import stacks_of

#: Web Mercator's tile size: a zoom's world is 256 × 2**zoom pixels wide.
TILE_PX = 256
#: A point symbol's radius on the web map (its icon is 2 × POINT_RADIUS + 6 pixels wide).
SYMBOL_RADIUS_PX = styles.POINT_RADIUS + 3
#: Country outlines are simplified this much (degrees) before an anchor is sought: far
#: under a pixel at the zooms where a country's name shows.
_COUNTRY_TOLERANCE = 0.02


def mercator_pixels(lonlat: np.ndarray, zoom: int) -> np.ndarray:
    """Longitude/latitude pairs (n×2) to Web Mercator pixels at ``zoom`` (y down)."""
    lonlat = np.asarray(lonlat, dtype=float).reshape(-1, 2)
    size = TILE_PX * 2**zoom
    lat = np.radians(np.clip(lonlat[:, 1], -85.0511, 85.0511))
    x = (lonlat[:, 0] + 180.0) / 360.0 * size
    y = (1.0 - np.log(np.tan(lat) + 1.0 / np.cos(lat)) / math.pi) / 2.0 * size
    return np.column_stack([x, y])


def feature_labels(
    shown: Iterable[dict], zooms: Iterable[int] = range(MIN_ZOOM, MAX_ZOOM + 1)
) -> list[dict]:
    """The point labels of ``shown`` features, each with the zooms it holds at.

    A label is ``{text, lon, lat, ids, zooms}``: ``ids`` are the features it names
    (a stack's members), ``zooms`` those where exactly these features share a spot.
    The list is in the order labels claim room: a stack's rank is its first member's
    (its layer's :data:`styles.LABEL_PRIORITY`, then its name), as on paper.
    """
    pairs = [
        (f["properties"], shapely.from_geojson(json.dumps(f["geometry"])))
        for f in shown
        if f["geometry"]["type"].endswith("Point")
    ]
    order = {layer: i for i, layer in enumerate(styles.LABEL_PRIORITY)}
    found: dict[tuple[str, ...], dict] = {}
    for zoom in zooms:
        for stack in stacks_of(pairs, lambda xy, z=zoom: mercator_pixels(xy, z), SYMBOL_RADIUS_PX):
            key = tuple(stack.ids)
            if key not in found:
                first = stack.members[0]
                found[key] = {
                    "text": stack.label,
                    "lon": round(stack.xy[0], 5),
                    "lat": round(stack.xy[1], 5),
                    "ids": list(key),
                    "zooms": [],
                    "rank": (order.get(first["layer"], len(order)), first["name"]),
                }
            found[key]["zooms"].append(zoom)
    labels = sorted(found.values(), key=lambda label: label.pop("rank"))
    return labels


#: The closest zoom out at which a named town shows, by population (more people: sooner).
PLACE_MIN_ZOOMS = ((1_000_000, 4), (100_000, 5), (0, 6))


def place_labels(build_info: Mapping, shown_ids: Iterable[str]) -> list[dict]:
    """The towns the shown features' summaries name (``build.json``'s ``named_places``),
    most populous first: ``{text, lon, lat, minZoom, geonameid, namedBy, class}`` (the
    population class the towns layer draws by).

    A town named only by features the filters hide is not shown.
    """
    shown = set(shown_ids)
    labels = []
    for place in (build_info.get("named_places") or {}).get("places", ()):
        by = [i for i in place["named_by"] if i in shown]
        if not by:
            continue
        zoom = next(z for floor, z in PLACE_MIN_ZOOMS if place["population"] >= floor)
        labels.append({"text": place["name"], "lon": place["lon"], "lat": place["lat"],
                       "minZoom": zoom, "geonameid": place["geonameid"], "namedBy": by,
                       "class": place_class(place["population"])})  # fmt: skip
    return labels


def town_labels(catalog: Catalog, bbox: tuple[float, float, float, float], zoom: int) -> list[dict]:
    """Towns of the places layer in ``bbox`` as the web map shows them at ``zoom`` (the
    one rule, :func:`geoapp.data.places.rule`), most populous first, for the printed map:
    ``{text, lon, lat, geonameid, class}``. None when no places store is built."""
    try:
        features = shown_places(catalog, bbox, zoom)
    except ProviderError:  # no store built: the map is drawn without towns
        return []
    out = []
    for feature in features:
        props = feature["properties"]
        lon, lat = feature["geometry"]["coordinates"][:2]
        out.append({"text": props["name"], "lon": lon, "lat": lat, "geonameid": props["id"],
                    "class": props.get("class")})  # fmt: skip
    return out


def web_zoom(bbox: tuple[float, float, float, float], width_px: float) -> int:
    """The web zoom whose scale is nearest a map ``width_px`` wide showing ``bbox``."""
    degrees = max(1e-6, bbox[2] - bbox[0])
    return max(0, round(math.log2(360.0 * width_px / (TILE_PX * degrees))))


def country_labels(catalog: Catalog, bbox: tuple[float, float, float, float] | None) -> list[dict]:
    """Country names, each anchored inside the part of the country in ``bbox``.

    As on the printed map: a name sits where the country is seen (Russia's name by the
    Caspian, not in Siberia), and units without an ISO code (Baikonur, buffer zones)
    are not named. Without a box, each country's whole outline is used.
    """

    def outlines() -> list[tuple[str, object]]:
        base = catalog.query(Query(layers=("basemap",))).get("basemap", [])
        named = [f for f in base if f["properties"].get("iso_a3")]
        geoms = shapely.from_geojson([json.dumps(f["geometry"]) for f in named])
        geoms = shapely.simplify(geoms, _COUNTRY_TOLERANCE, preserve_topology=True)
        return [(f["properties"]["name"], g) for f, g in zip(named, geoms, strict=True)]

    labels = []
    for name, geom in catalog.memo(("country-outlines",), outlines):
        anchor = label_anchor(geom, bbox)
        if anchor is not None:
            labels.append({"text": name, "lon": round(anchor[0], 4), "lat": round(anchor[1], 4)})
    return labels


def label_anchor(geom, bounds: Iterable[float] | None) -> tuple[float, float] | None:
    """Where a polygon's name goes: the centre of the widest circle inside its largest
    part within ``bounds`` (a pole of inaccessibility), or None if no part is there.

    A name there has room on every side, and stays clear of the coast and borders,
    where the features are.
    """
    try:
        in_view = geom if bounds is None else shapely.clip_by_rect(geom, *bounds)
        parts = [g for g in getattr(in_view, "geoms", [in_view]) if g.geom_type == "Polygon"]
        if not parts:
            return None
        largest = max(parts, key=lambda g: g.area)
        tolerance = max(1e-6, math.sqrt(largest.area) / 100)
        point = polylabel(largest, tolerance)
    except GEOSException:  # a ring simplification left self-touching
        return None
    return None if point.is_empty else (point.x, point.y)
