"""What a request works with: the current app's catalog."""

from __future__ import annotations

from flask import current_app

from geoapp.data.catalog import Catalog


def catalog() -> Catalog:
    """The current app's catalog (swapped whole by ``geoapp.reload_data``)."""
    return current_app.extensions["geoapp.catalog"]
