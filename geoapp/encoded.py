"""Layer answers of ``/api/layers/<id>``, encoded to JSON once per catalog.

Every page load fetches every layer, the basemap's 1 MB among them: encoding it
on each request capped the server at tens of answers a second. Each feature is
encoded once, a filtered answer is a join of those bytes, and the unfiltered
answer (the one the map fetches) is kept whole with its ETag and gzipped once.

The encodings hang off the Catalog object (a weak key), never off a layer id
alone: a data reload makes a new Catalog, so it can never be answered with the
bytes of the old data, and the old bytes go with the old catalog.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field

from geoapp.catalog import Catalog
from geoapp.ogc import dumps

_HEAD = b'{"type":"FeatureCollection","features":['
_TAIL = b"]}"


@dataclass
class EncodedLayer:
    """One layer's features as JSON bytes, and its whole answer with tag and gzip."""

    features: list[bytes]
    body: bytes  # the unfiltered FeatureCollection
    tag: str  # digest of ``body``: a strong ETag
    _gzipped: bytes | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def gzipped(self) -> bytes:
        """``body`` gzipped, compressed on first use only."""
        with self._lock:
            if self._gzipped is None:
                self._gzipped = gzip.compress(self.body, compresslevel=6, mtime=0)
            return self._gzipped

    def join(self, rows: Sequence[int]) -> bytes:
        """The FeatureCollection of some features, by row, with no JSON encoding."""
        if len(rows) == len(self.features):
            return self.body  # select() keeps file order: every row is the whole layer
        return _HEAD + b",".join(self.features[i] for i in rows) + _TAIL

    def tag_of(self, query: object) -> str:
        """A strong ETag for the answer to ``query`` (a normalised, hashable filter set).

        The answer's bytes are a function of the data and the query, so the tag can
        be derived from both instead of hashing a body of up to a megabyte.
        """
        key = f"{self.tag}\n{query!r}".encode()
        return hashlib.blake2b(key, digest_size=16).hexdigest()


_LAYERS: weakref.WeakKeyDictionary[Catalog, dict[str, EncodedLayer]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def encoded_layer(catalog: Catalog, layer_id: str) -> EncodedLayer:
    """The encodings of a layer of ``catalog``, built on first use (a few ms per MB)."""
    with _LOCK:
        layers = _LAYERS.setdefault(catalog, {})
        hit = layers.get(layer_id)
    if hit is not None:
        return hit
    features = [dumps(f) for f in catalog.layer(layer_id).features]
    body = _HEAD + b",".join(features) + _TAIL
    built = EncodedLayer(features, body, hashlib.blake2b(body, digest_size=16).hexdigest())
    with _LOCK:  # two first requests may both build: the first one stored wins
        return layers.setdefault(layer_id, built)
