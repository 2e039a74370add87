"""geoapp: where Russia–Turkmenistan cooperation in the Caspian region happens."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app

from geoapp.catalog import Catalog
from geoapp.config import DEFAULTS, ROOT, from_environment

__all__ = ["create_app", "get_catalog"]

log = logging.getLogger(__name__)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure an instance of the app.

    Configuration comes from the defaults, then ``GEOAPP_*`` environment variables,
    then ``config``. The catalog is loaded (and validated) here, so a broken data
    file stops the app before it serves anything, with one line per problem.
    """
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "geoapp" / "static"),
    )
    app.config.from_mapping(DEFAULTS)
    app.config.from_mapping(from_environment())
    if config:
        app.config.from_mapping(config)
    app.debug = bool(app.config["DEBUG"])
    app.extensions["geoapp.catalog"] = Catalog(app.config["DATA_DIR"])

    from geoapp import errors
    from geoapp.views import api, export, map, ogc

    errors.init_app(app)
    for blueprint in (map.bp, api.bp, export.bp, ogc.bp):
        app.register_blueprint(blueprint)
    return app


def get_catalog() -> Catalog:
    """Return the current app's catalog."""
    return current_app.extensions["geoapp.catalog"]
