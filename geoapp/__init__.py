"""geoapp: where Russia–Turkmenistan cooperation in the Caspian region happens."""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app

from geoapp.catalog import Catalog, DataError
from geoapp.config import DEFAULTS, ROOT, ConfigError, check, from_environment
from geoapp.http import GZIPPED, reject_repeated_parameters

__all__ = ["create_app", "get_catalog", "reload_data"]

log = logging.getLogger(__name__)

#: Exit status when the app refuses to start: gunicorn's "worker failed to boot", so that
#: its master stops instead of respawning workers that can never start. (Under the
#: production settings, geoapp.deploy.gunicorn, the master loads the app and exits with it.)
REFUSED = 3


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure an instance of the app.

    Configuration comes from the defaults, then ``GEOAPP_*`` environment variables,
    then ``config``. Settings are checked and the catalog is loaded (and validated)
    here, so a bad setting or a broken data file stops the app before it serves
    anything: one line per problem on stderr and exit status 3 (``REFUSED``), never a
    traceback, whichever server runs the factory (``geoapp serve``, ``flask run``,
    gunicorn).
    """
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "geoapp" / "static"),
    )
    app.config.from_mapping(DEFAULTS)
    try:
        app.config.from_mapping(from_environment())
        if config:
            app.config.from_mapping(config)
        check(app.config)
        app.extensions["geoapp.catalog"] = Catalog(app.config["DATA_DIR"])
    except ConfigError as exc:
        refuse(f"geoapp: {exc}", "the configuration is invalid")
    except DataError as exc:
        refuse(str(exc), "the data does not validate")
    app.debug = bool(app.config["DEBUG"])

    from geoapp import errors, security
    from geoapp.views import api, export, map, ogc

    security.init_app(app)
    errors.init_app(app)
    app.before_request(reject_repeated_parameters)
    for blueprint in (map.bp, api.bp, export.bp, ogc.bp):
        app.register_blueprint(blueprint)
    return app


def refuse(problems: str, reason: str) -> None:
    """Print the problems, one per line, and exit with status REFUSED."""
    print(problems, file=sys.stderr)
    print(f"geoapp: refusing to start: {reason}", file=sys.stderr)
    raise SystemExit(REFUSED)


def get_catalog() -> Catalog:
    """Return the current app's catalog."""
    return current_app.extensions["geoapp.catalog"]


def reload_data(app: Flask) -> Catalog:
    """Load the app's data directory again and serve the new catalog from now on.

    For a server that outlives its data (gunicorn's master on SIGHUP, see
    ``geoapp.deploy.gunicorn``): the new catalog is loaded and validated aside, so
    data that does not validate raises DataError and the app keeps what it serves.
    Answers cached from the old data (pages, exports, gzipped bodies) are dropped
    after the swap, so none outlives it; caches keyed by the catalog object (the OGC
    encodings, projected views) follow it by themselves.
    """
    catalog = Catalog(app.config["DATA_DIR"])
    app.extensions["geoapp.catalog"] = catalog
    app.extensions.pop("geoapp.pages", None)
    app.extensions.pop("geoapp.exports", None)
    GZIPPED.clear()
    log.info("reloaded %s", catalog.data_dir)
    return catalog
