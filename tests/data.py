"""Reading the catalog in tests the way the app does: through a Query, never its files."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from geoapp.data.catalog import Catalog
from geoapp.data.query import Query


def features(catalog: Catalog, layer: str, **filters: Any) -> list[dict]:
    """The features of one layer that a Query with these fields keeps, in layer order."""
    for name in ("sectors", "statuses", "countries"):
        if filters.get(name) is not None:
            filters[name] = tuple(filters[name])
    return catalog.query(Query(layers=(layer,), **filters))[layer]


def shown(catalog: Catalog, sectors: Iterable[str], layers: Iterable[str]) -> list[dict]:
    """What a map with these sectors and layers switched on draws."""
    kept = catalog.query(Query(layers=tuple(layers), sectors=tuple(sectors)))
    return [f for fs in kept.values() for f in fs]
