"""The provider registry: a name -> the class that serves the data, imported on demand.

``files`` (a ``geodata/`` directory, the default) needs nothing installed; ``postgis``
needs psycopg (the ``postgis`` extra) and is only imported when a database URL is
configured. :func:`open_provider` is the one call the app factory makes.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from geoapp.data.providers.base import (
    BackendError,
    LayerInfo,
    PlacesPage,
    Provider,
    ProviderError,
    Result,
)

__all__ = [
    "PROVIDERS",
    "BackendError",
    "LayerInfo",
    "PlacesPage",
    "Provider",
    "ProviderError",
    "Result",
    "open_provider",
    "provider_class",
]

PROVIDERS: dict[str, str] = {
    "files": "geoapp.data.providers.files:FilesProvider",
    "postgis": "geoapp.data.providers.postgis:PostGISProvider",
}


def provider_class(name: str) -> type[Provider]:
    """The provider class registered under ``name``."""
    module, _, attr = PROVIDERS[name].partition(":")
    return getattr(importlib.import_module(module), attr)


def open_provider(config: Mapping[str, Any]) -> Provider:
    """The provider the configuration names, ready to serve: the app factory's one call.

    ``DATABASE_URL`` set: PostGIS, after checking that the database answers and was
    loaded (its tables and meta present). Otherwise the files of ``DATA_DIR``,
    validated, with the places store at ``PLACES_DB`` (empty: the default of
    :func:`geoapp.data.places_store.default_path`; checked when first asked).

    Raises
    ------
    BackendError
        The database is unreachable, malformed in the URL or not loaded: one line
        naming it without its password (the app refuses to start, exit 3).
    geoapp.errors.DataError
        The files do not validate.
    """
    url = config.get("DATABASE_URL") or ""
    if url:
        try:
            postgis = provider_class("postgis")
        except ImportError as exc:
            raise BackendError(
                f"DATABASE_URL is set but {exc.name or 'psycopg'} is not installed: "
                "pip install 'geoapp[postgis]'"
            ) from None
        return postgis(url)
    return provider_class("files")(config["DATA_DIR"], places_db=config.get("PLACES_DB") or None)
