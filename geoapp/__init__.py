"""geoapp: where Russia–Turkmenistan cooperation in the Caspian region happens.

The package is laid out by role (see docs/architecture.md):

- ``data``: schema, validation, the one :class:`~geoapp.data.query.Query`, the
  catalog and its providers (files, PostGIS); no web, no drawing;
- ``maps``: the Leaflet page and the printed map; ``export``: file formats;
  ``api``: the OGC API and the JSON API, as functions that know nothing of Flask;
- ``web``: thin Flask blueprints over the three; ``cli``: the command line.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from geoapp.config import DEFAULTS, ConfigError, check, from_environment
from geoapp.data.articles.index import MentionIndex
from geoapp.data.catalog import Catalog
from geoapp.data.providers import open_provider
from geoapp.errors import BackendError, DataError

__all__ = ["REFUSED", "create_app", "load_catalog", "reload_data"]

log = logging.getLogger(__name__)

PACKAGE = Path(__file__).resolve().parent

#: Exit status when the app refuses to start: gunicorn's "worker failed to boot", so that
#: its master stops instead of respawning workers that can never start. (Under the
#: production settings, geoapp.deploy.gunicorn, the master loads the app and exits with it.)
REFUSED = 3


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create and configure an instance of the app.

    Configuration comes from the defaults, then ``GEOAPP_*`` environment variables,
    then ``config``. Settings are checked and the data opened (files validated, or
    the database checked) here, so a bad setting, a broken data file or a database
    that is away stops the app before it serves anything: one line per problem on
    stderr and exit status 3 (``REFUSED``), never a traceback, whichever server runs
    the factory (``geoapp serve``, ``flask run``, gunicorn).
    """
    app = Flask(
        __name__,
        template_folder=str(PACKAGE / "web" / "templates"),
        static_folder=str(PACKAGE / "maps" / "static"),
    )
    app.config.from_mapping(DEFAULTS)
    try:
        app.config.from_mapping(from_environment())
        if config:
            app.config.from_mapping(config)
        check(app.config)
        app.extensions["geoapp.catalog"] = load_catalog(app.config, app.instance_path)
    except ConfigError as exc:
        refuse(f"geoapp: {exc}", "the configuration is invalid")
    except DataError as exc:
        refuse(str(exc), "the data does not validate")
    except BackendError as exc:
        refuse(f"geoapp: {exc}", "the database cannot serve")
    app.debug = bool(app.config["DEBUG"])

    from geoapp import web

    web.init_app(app)
    return app


def load_catalog(config: Mapping[str, Any], instance_path: str | None = None) -> Catalog:
    """The catalog over the provider the configuration names (files or PostGIS).

    With ``instance_path`` (an app's), features carry the passages of the ingested
    articles that mention them (the articles database there, or in PostGIS).
    """
    mentions = None
    if instance_path is not None:
        mentions = MentionIndex(instance_path, config.get("DATABASE_URL") or None)
    return Catalog(open_provider(config), mentions)


def refuse(problems: str, reason: str) -> None:
    """Print the problems, one per line, and exit with status REFUSED."""
    print(problems, file=sys.stderr)
    print(f"geoapp: refusing to start: {reason}", file=sys.stderr)
    raise SystemExit(REFUSED)


def reload_data(app: Flask) -> Catalog:
    """Open the app's data again and serve the new catalog from now on.

    For a server that outlives its data (gunicorn's master on SIGHUP, see
    ``geoapp.deploy.gunicorn``): the new catalog is opened and validated aside, so
    data that does not validate raises DataError and the app keeps what it serves.
    Every cache built on the data is keyed by the data version or held by the
    catalog, so nothing derived from the old data is served after the swap.
    """
    from geoapp.web.http import GZIPPED

    catalog = load_catalog(app.config, app.instance_path)
    old = app.extensions.get("geoapp.catalog")
    app.extensions["geoapp.catalog"] = catalog
    # Pages and gzipped bodies are keyed by the data version and by digest, so none can be
    # served stale: dropping them only hands the old data's memory back at once.
    app.extensions.pop("geoapp.pages", None)
    GZIPPED.clear()
    if old is not None and old.provider is not catalog.provider:
        old.provider.close()
    log.info("reloaded the data (version %s)", catalog.version)
    return catalog
