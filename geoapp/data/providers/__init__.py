"""The provider registry: a name -> the class that serves the data, imported on demand.

``files`` (a ``geodata/`` directory, the default) needs nothing installed; ``postgis``
needs psycopg and is only imported when a database URL is configured.
"""

from __future__ import annotations

import importlib

from geoapp.data.providers.base import LayerInfo, Provider, ProviderError, Result

__all__ = ["PROVIDERS", "LayerInfo", "Provider", "ProviderError", "Result", "provider_class"]

PROVIDERS: dict[str, str] = {
    "files": "geoapp.data.providers.files:FilesProvider",
    "postgis": "geoapp.data.providers.postgis:PostGISProvider",
}


def provider_class(name: str) -> type[Provider]:
    """The provider class registered under ``name``."""
    module, _, attr = PROVIDERS[name].partition(":")
    return getattr(importlib.import_module(module), attr)
