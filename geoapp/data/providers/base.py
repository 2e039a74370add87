"""The provider interface: what every data backend answers, and nothing more.

Like pygeoapi's providers, a backend is a class with a name in the registry
(:mod:`geoapp.data.providers`) that answers a :class:`~geoapp.data.query.Query`
for one layer (``query``), one feature by id (``get``), the layers it holds
(``layers``), the source registry (``sources``) and a data version
(``version``) that changes whenever the data does, so that every cache key and
ETag built on it is never served stale.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from geoapp.data.query import BBox, Query, Span
from geoapp.data.schema import Layer
from geoapp.errors import BackendError, ProviderError  # noqa: F401 - part of the interface


@dataclass(frozen=True)
class LayerInfo:
    """What a provider knows about one layer without reading its features."""

    layer: Layer
    count: int
    bbox: BBox | None
    #: The sectors its features carry, in vocabulary order (empty for the basemap).
    sectors: tuple[str, ...] = ()
    #: First and last day of its features' time spans, when any is dated.
    time_extent: Span | None = None
    #: Data-derived vocabularies (the basemap's ``iso_a3`` codes), by property.
    vocabularies: Mapping[str, Sequence[str]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.layer.id


@dataclass(frozen=True)
class Result:
    """One layer's answer to a query: the page of features asked for and how many match.

    ``encoded`` holds each feature of the page as compact GeoJSON bytes, in the
    same order: the OGC API and ``/api`` join them instead of encoding again.
    """

    layer: str
    matched: int
    features: Sequence[dict[str, Any]]
    encoded: Sequence[bytes]


@dataclass(frozen=True)
class PlacesPage:
    """Places in a box, most populous first: each one's GeoJSON feature as stored.

    ``matched`` is how many pass in all (None unless asked: a count costs a second scan).
    """

    matched: int | None
    docs: Sequence[str]


class Provider(ABC):
    """One data backend."""

    #: Name in the registry and in ``GEOAPP_PROVIDER``-style settings.
    name: ClassVar[str]

    @abstractmethod
    def version(self) -> str:
        """A token that changes whenever the data changes (a file hash, a counter)."""

    @abstractmethod
    def layers(self) -> Mapping[str, LayerInfo]:
        """Every layer, in schema order."""

    @abstractmethod
    def sources(self) -> Mapping[str, dict]:
        """The source registry: source id -> {kind, title, publisher, url, ...}."""

    @abstractmethod
    def build_info(self) -> Mapping[str, Any]:
        """What the data build derived and measured (``build.json``); empty if unknown."""

    @abstractmethod
    def query(
        self, query: Query, layer: str, *, limit: int | None = None, offset: int = 0
    ) -> Result:
        """The features of ``layer`` that ``query`` keeps, in a stable order, paged."""

    @abstractmethod
    def get(self, feature_id: str) -> dict[str, Any] | None:
        """One feature by id, from any layer; None when there is none."""

    # -- places (GeoNames cities500): built apart from the layers, versioned apart ---------

    @abstractmethod
    def places_version(self) -> str:
        """A token that changes when the places do (the source's checksum); ProviderError
        when they were never built or loaded."""

    @abstractmethod
    def places(
        self,
        bbox: BBox | None,
        min_population: int,
        limit: int,
        offset: int = 0,
        *,
        count: bool = False,
        full: bool = False,
    ) -> PlacesPage:
        """Places in ``bbox`` with at least ``min_population`` people, most populous first
        (then by GeoNames id: a stable order for paging). ``full``: each with its
        alternate names (the layer's record); else the compact doc the map draws."""

    @abstractmethod
    def place(self, geonameid: int) -> str | None:
        """One place's whole record (with its alternate names) by GeoNames id; None when
        there is none."""

    @abstractmethod
    def search_places(self, folded: str, limit: int) -> list[tuple[str, bool]]:
        """Places a folded text names or starts: (feature JSON, whether a name is exact),
        exact names first, then the most populous."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections (a pool); the files provider holds none."""
