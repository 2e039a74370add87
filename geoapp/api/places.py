"""``/api/places``: the places a map view shows, as a function with no Flask in it.

The browser never receives the 234,908 places: it asks for its view's box and zoom,
and :func:`geoapp.data.places.rule` decides how many people a place needs to be
shown at that zoom and how many at most, most populous first (the label
priority). Each feature is stored encoded, so an answer is a join of strings; its
ETag names the places' version and the query, so a new build is never served stale.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from geoapp.data.catalog import Catalog
from geoapp.data.places import ATTRIBUTION, LICENSE_URL, ZOOM_MAX, ZOOM_MIN, rule
from geoapp.data.query import BBOX_HINT, check_parameters, is_tracking, parse_bbox
from geoapp.errors import QueryError

GEOJSON = "application/geo+json"
PARAMETERS = ("bbox", "zoom")
ZOOM_HINT = f"a whole number from {ZOOM_MIN} to {ZOOM_MAX}"
_WHOLE = re.compile(r"[0-9]{1,2}")


@dataclass(frozen=True)
class PlacesAnswer:
    """An answer's bytes and the strong ETag that names them."""

    body: bytes
    tag: str


def parse_zoom(raw: str | None, name: str = "zoom") -> int:
    """A web zoom (``zoom`` here, a layer's ``simplify``); QueryError naming the range else."""
    if raw is None or not _WHOLE.fullmatch(raw) or not ZOOM_MIN <= int(raw) <= ZOOM_MAX:
        raise QueryError(name, "" if raw is None else raw, ZOOM_HINT)
    return int(raw)


def places_answer(catalog: Catalog, args: Mapping[str, str]) -> PlacesAnswer:
    """The places of ``bbox`` at ``zoom`` as a compact FeatureCollection.

    Both parameters are required; a bad or missing one is a QueryError (400) naming
    its form. Foreign members say what rule was applied (``minPopulation``, ``limit``),
    whether places were left out (``truncated``) and whom to credit (GeoNames, CC BY).
    """
    args = {k: v for k, v in args.items() if not is_tracking(k)}
    check_parameters(args, PARAMETERS)
    raw = args.get("bbox")
    if raw is None:
        raise QueryError("bbox", "", BBOX_HINT)
    bbox = parse_bbox(raw)
    zoom = parse_zoom(args.get("zoom"))
    shown = rule(zoom)
    version = catalog.places_version()
    page = catalog.places(bbox, shown.min_population, shown.limit + 1)
    docs = list(page.docs[: shown.limit])
    head = (
        '{"type":"FeatureCollection",'
        f'"zoom":{zoom},"minPopulation":{shown.min_population},"limit":{shown.limit},'
        f'"truncated":{"true" if len(page.docs) > shown.limit else "false"},'
        f'"attribution":"{ATTRIBUTION}","license":"{LICENSE_URL}",'
        '"features":['
    )
    body = (head + ",".join(docs) + "]}").encode()
    key = repr((version, bbox, zoom)).encode()
    return PlacesAnswer(body, hashlib.blake2b(key, digest_size=16).hexdigest())
