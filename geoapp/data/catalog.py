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
from dataclasses import replace
from typing import Any, Protocol, TypeVar

from geoapp.cache import BuildOnceCache
from geoapp.data.providers import LayerInfo, PlacesPage, Provider, Result
from geoapp.data.providers.files import encode
from geoapp.data.query import Query, source_vocabulary
from geoapp.data.schema import ID_RE

V = TypeVar("V")

#: Derived values kept per data version (pages, encoded layers, projected basemaps...).
MEMO_SIZE = 256


class Mentions(Protocol):
    """Where features' ``mentions`` come from (:class:`geoapp.data.articles.index.MentionIndex`)."""

    @property
    def version(self) -> str: ...

    def current(self) -> tuple[str, Mapping[str, list[dict]]]: ...

    def titles(self) -> Mapping[str, str]: ...


class Catalog:
    """Every face's view of the data, over one provider."""

    def __init__(self, provider: Provider, mentions: Mentions | None = None):
        self.provider = provider
        #: Where the features' ``mentions`` come from (the ingested articles), if anywhere.
        self.mentions = mentions
        self._memo: BuildOnceCache[Any] = BuildOnceCache(MEMO_SIZE)
        self._memo_version = provider.version()
        self._lock = threading.Lock()

    # -- what the data is --------------------------------------------------------------

    @property
    def version(self) -> str:
        """The data version: part of every cache key and ETag built on the data (and on
        the articles' mentions, which the features carry)."""
        version = self.provider.version()
        if self.mentions is not None and (articles := self.mentions.version):
            version = f"{version}+{articles}"
        return version

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
        return {layer: list(self.page(query, layer).features) for layer in query.layers}

    def page(
        self, query: Query, layer: str, *, limit: int | None = None, offset: int = 0
    ) -> Result:
        """One layer's features that the query keeps, paged, with their encoded JSON."""
        return self._mentioned(self.provider.query(query, layer, limit=limit, offset=offset))

    def get(self, feature_id: str) -> dict | None:
        """One feature by id, from any layer; None when there is none.

        Ids follow one pattern (validated): anything else names no feature and never
        reaches a provider (a NUL, say, which PostgreSQL refuses).
        """
        if not ID_RE.fullmatch(feature_id):
            return None
        feature = self.provider.get(feature_id)
        if feature is None or self.mentions is None:
            return feature
        return _with_mentions(feature, self.mentions.current()[1])

    def _mentioned(self, result: Result) -> Result:
        """The result with each feature an article mentions carrying its ``mentions``.

        Only those features are copied and encoded again; the rest keep the provider's
        bytes. Before any ingest the result is the provider's, untouched.
        """
        if self.mentions is None:
            return result
        by_feature = self.mentions.current()[1]
        if not by_feature:
            return result
        features = list(result.features)
        encoded = list(result.encoded)
        for i, feature in enumerate(features):
            if feature["properties"].get("id") in by_feature:
                features[i] = _with_mentions(feature, by_feature)
                encoded[i] = encode(features[i])
        return replace(result, features=features, encoded=encoded)

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
        full: bool = False,
    ) -> PlacesPage:
        """Places in ``bbox`` with at least ``min_population`` people, most populous first;
        ``full``: with their alternate names."""
        return self.provider.places(bbox, min_population, limit, offset, count=count, full=full)

    def place(self, geonameid: int) -> str | None:
        """One place's whole record by GeoNames id; None when there is none."""
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


def _with_mentions(feature: dict, by_feature: Mapping[str, list[dict]]) -> dict:
    """A copy of ``feature`` whose properties list the passages that mention it."""
    found = by_feature.get(feature["properties"].get("id"))
    if not found:
        return feature
    return {**feature, "properties": {**feature["properties"], "mentions": found}}
