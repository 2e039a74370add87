"""The JSON API of the map page, as functions that know nothing of Flask.

``/api/layers`` lists the layers; ``/api/layers/<id>`` is one layer as GeoJSON,
filtered by a :class:`~geoapp.data.query.Query` (the ``api`` face's parameters);
``/api/view`` is what the map shows for the page's toggles
(:func:`geoapp.maps.view.view_answer`).

Every page load fetches every layer, the basemap's 1 MB among them: encoding it on
each request capped the server at tens of answers a second. A layer's features
come encoded from the provider (:attr:`Result.encoded`), a filtered answer is a
join of those bytes, and the unfiltered answer is kept whole with its ETag and
gzipped once, in the catalog's memo: per data version, so a new version is never
answered with old bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from geoapp.api.places import parse_zoom
from geoapp.data import generalise
from geoapp.data.catalog import Catalog
from geoapp.data.providers.files import encode
from geoapp.data.query import Query, parse_query
from geoapp.data.schema import BASEMAP_FIELDS, FIELD_NAMES, LAYERS
from geoapp.errors import NotFoundError

_HEAD = b'{"type":"FeatureCollection","features":['
_TAIL = b"]}"
GEOJSON = "application/geo+json"


@dataclass
class Encoded:
    """A GeoJSON answer's bytes, its strong ETag and, on first use, its gzip."""

    body: bytes
    tag: str
    _gzipped: bytes | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def gzipped(self) -> bytes:
        """``body`` gzipped, compressed on first use only."""
        with self._lock:
            if self._gzipped is None:
                self._gzipped = gzip.compress(self.body, compresslevel=6, mtime=0)
            return self._gzipped


def _digest(*parts: str | bytes) -> str:
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\n")
    return h.hexdigest()


def layer_list(catalog: Catalog, href: str = "/api/layers") -> dict:
    """Every layer with its title, count, bbox, sectors and fields."""
    return {
        "layers": [
            {
                "id": info.id,
                "title": info.layer.title,
                "description": info.layer.description,
                "thematic": info.layer.thematic,
                "count": info.count,
                "bbox": info.bbox,
                "sectors": info.sectors,
                "geometry_types": info.layer.geometry_types,
                "fields": list(FIELD_NAMES if info.layer.thematic else BASEMAP_FIELDS),
                "href": f"{href}/{info.id}",
            }
            for info in catalog.layers().values()
        ]
    }


def layer_answer(catalog: Catalog, layer_id: str, args: Mapping[str, str]) -> Encoded:
    """One layer as a FeatureCollection, filtered by ``args``; QueryError / NotFoundError.

    The unfiltered answer is built once per data version; a filtered one joins the
    features' encoded bytes and names itself by the version and the canonical query.
    """
    if layer_id not in catalog.layers():
        raise NotFoundError("layer", layer_id, list(catalog.layers()))
    zoom = _simplify_zoom(args)
    if zoom is not None:
        args = {k: v for k, v in args.items() if k != "simplify"}
    if not args:
        key = ("api-layer", layer_id, zoom)
        return catalog.memo(key, lambda: _whole(catalog, layer_id, zoom))
    query = parse_query(args, "api", layer=LAYERS[layer_id], sources=catalog.source_values())
    body = _collection(catalog, query, layer_id, zoom)
    return Encoded(body, _digest(catalog.version, layer_id, query.canonical(), str(zoom)))


def _simplify_zoom(args: Mapping[str, str]) -> int | None:
    """The ``simplify`` parameter: the web zoom whose pixel the geometry is simplified to."""
    raw = args.get("simplify")
    return None if raw is None else parse_zoom(raw, "simplify")


def _whole(catalog: Catalog, layer_id: str, zoom: int | None) -> Encoded:
    body = _collection(catalog, Query(layers=(layer_id,)), layer_id, zoom)
    return Encoded(body, _digest(body))


def _collection(catalog: Catalog, query: Query, layer_id: str, zoom: int | None) -> bytes:
    """The layer's features the query keeps, as a FeatureCollection; simplified to half
    a pixel at ``zoom`` when given (:mod:`geoapp.data.generalise`), else as stored."""
    if zoom is None:
        encoded = catalog.page(query, layer_id).encoded
    else:
        level = _level(catalog, layer_id, zoom)
        encoded = [level[f["properties"]["id"]] for f in catalog.query(query)[layer_id]]
    return _HEAD + b",".join(encoded) + _TAIL


def _level(catalog: Catalog, layer_id: str, zoom: int) -> dict[str, bytes]:
    """Each feature of the layer simplified for ``zoom``, encoded: built once per data
    version and zoom (about 0.3 s for the countries), whatever filters later pick from
    it, so that no request can make the server simplify again."""

    def build() -> dict[str, bytes]:
        features = catalog.query(Query(layers=(layer_id,)))[layer_id]
        return {f["properties"]["id"]: encode(f) for f in generalise.simplified(features, zoom)}

    return catalog.memo(("layer-level", layer_id, zoom), build)
