"""The catalog: the one door to the data for every face of the app.

The map page, the exports, ``/api``, ``/ogc`` and the command line ask the
catalog, and only through :meth:`Catalog.query` (a :class:`Query`, answered per
layer), :meth:`Catalog.page` (one layer, paged) and :meth:`Catalog.get` (one
feature). The catalog asks its provider (files or PostGIS) and memoises what
faces derive from the data (encoded layer answers, projected basemaps) under the
data version, so that a data change is never served stale and an unchanged
version is never recomputed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Mapping
from typing import Any, TypeVar

from geoapp.cache import BuildOnceCache
from geoapp.data.providers import LayerInfo, PlacesPage, Provider, Result
from geoapp.data.query import Query, source_vocabulary
from geoapp.data.schema import ID_RE

V = TypeVar("V")

#: Derived values kept per data version (pages, encoded layers, projected basemaps...).
MEMO_SIZE = 256


class Catalog:
    """Every face's view of the data, over one provider."""

    def __init__(self, provider: Provider):
        self.provider = provider
        self._memo: BuildOnceCache[Any] = BuildOnceCache(MEMO_SIZE)
        self._memo_version = provider.version()
        self._lock = threading.Lock()

    # -- what the data is --------------------------------------------------------------

    @property
    def version(self) -> str:
        """The data version: part of every cache key and ETag built on the data."""
        return self.provider.version()

    def layers(self) -> Mapping[str, LayerInfo]:
        return self.provider.layers()

    def layer(self, layer_id: str) -> LayerInfo:
        """One layer's description; KeyError for an unknown id (faces check ids first)."""
        return self.provider.layers()[layer_id]

    @property
    def sources(self) -> Mapping[str, dict]:
        return self.provider.sources()

    @property
    def build_info(self) -> Mapping[str, Any]:
        return self.provider.build_info()

    def source_values(self) -> tuple[str, ...]:
        """The values ``source=`` takes in this data version (:func:`source_vocabulary`)."""

        def build() -> tuple[str, ...]:
            features = (f["properties"] for fs in self.query(Query()).values() for f in fs)
            return source_vocabulary(self.sources, features)

        return self.memo("source-values", build)

    # -- what the data says -------------------------------------------------------------

    def query(self, query: Query) -> dict[str, list[dict]]:
        """The features each layer of the query keeps, in layer order."""
        return {layer: list(self.provider.query(query, layer).features) for layer in query.layers}

    def page(
        self, query: Query, layer: str, *, limit: int | None = None, offset: int = 0
    ) -> Result:
        """One layer's features that the query keeps, paged, with their encoded JSON."""
        return self.provider.query(query, layer, limit=limit, offset=offset)

    def get(self, feature_id: str) -> dict | None:
        """One feature by id, from any layer; None when there is none.

        Ids follow one pattern (validated): anything else names no feature and never
        reaches a provider (a NUL, say, which PostgreSQL refuses).
        """
        if not ID_RE.fullmatch(feature_id):
            return None
        return self.provider.get(feature_id)

    # -- places (GeoNames cities500), versioned apart from the layers ----------------------

    def places_version(self) -> str:
        """The places' version (their source's checksum): part of every places ETag."""
        return self.provider.places_version()

    def places(
        self,
        bbox: tuple[float, float, float, float] | None,
        min_population: int,
        limit: int,
        offset: int = 0,
        *,
        count: bool = False,
    ) -> PlacesPage:
        """Places in ``bbox`` with at least ``min_population`` people, most populous first."""
        return self.provider.places(bbox, min_population, limit, offset, count=count)

    def place(self, geonameid: int) -> str | None:
        """One place's GeoJSON feature by GeoNames id; None when there is none."""
        return self.provider.place(geonameid)

    def search_places(self, folded: str, limit: int) -> list[tuple[str, bool]]:
        """Places a folded text names (exact names first, then the most populous)."""
        return self.provider.search_places(folded, limit)

    # -- derived values, per data version --------------------------------------------------

    def memo(self, key: Hashable, build: Callable[[], V]) -> V:
        """``build()`` once per data version and key; concurrent misses build once.

        A new version empties the memo, so nothing derived from old data survives it.
        """
        version = self.version
        with self._lock:
            if version != self._memo_version:
                self._memo = BuildOnceCache(MEMO_SIZE)
                self._memo_version = version
            memo = self._memo
        return memo.get((version, key), build)
