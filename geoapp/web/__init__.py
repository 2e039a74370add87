"""The web face: thin Flask blueprints over ``maps``, ``export`` and ``api``.

Blueprints parse a request into a :class:`~geoapp.data.query.Query` (or an
export's options), call a function that knows nothing of Flask, and answer
with :func:`geoapp.web.http.send_body`. Errors are mapped to HTTP once, in
:mod:`geoapp.web.errors`; headers for every answer come from
:mod:`geoapp.web.security`.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the blueprints, the error handlers and the headers of every answer."""
    from geoapp.web import (
        api,
        articles,
        assets,
        errors,
        export,
        http,
        map,
        ogc,
        places,
        reader,
        security,
    )

    security.init_app(app)
    errors.init_app(app)
    app.before_request(http.reject_repeated_parameters)
    blueprints = (map.bp, assets.bp, api.bp, places.bp, articles.bp, reader.bp, export.bp, ogc.bp)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
