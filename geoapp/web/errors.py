"""The typed errors of :mod:`geoapp.errors` mapped to HTTP answers, in one place.

Every error answer is short and says what would have been valid: a vocabulary
as a list (``valid``) or a form as a sentence (``hint``), never prose cut into
fragments. No traceback ever reaches a user, whatever the debug setting of a
handler. Errors are never stored by caches (``Cache-Control: no-store``): a 400
or 404 must not outlive a fix to the request, the data or the server.
"""

from __future__ import annotations

import logging

from flask import (
    Flask,
    Response,
    current_app,
    jsonify,
    make_response,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import HTTPException

from geoapp.errors import BusyError, NotFoundError, ProviderError, QueryError
from geoapp.web.http import cors

log = logging.getLogger(__name__)

#: Path prefixes of the data APIs: JSON errors, readable from any origin.
API_PREFIXES = ("/api", "/ogc")


def is_api_path(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in API_PREFIXES)


def wants_json() -> bool:
    """API paths and ``.json`` requests get JSON errors; pages get HTML."""
    path = request.path
    return (
        is_api_path(path)
        or path.endswith(".json")
        or (request.accept_mimetypes.best == "application/json")
    )


def error_response(
    status: int,
    title: str,
    detail: str,
    valid: list[str] | None = None,
    hint: str | None = None,
    headers: list[tuple[str, str]] | None = None,
) -> Response:
    """The error answer: JSON for the APIs, the error page for people."""
    if wants_json():
        body: dict = {"code": status, "title": title, "description": detail}
        if valid is not None:
            body["valid"] = valid
        if hint is not None:
            body["hint"] = hint
        response = jsonify(body)
    else:
        # A page not found offers a search of the map (GET / with ``q``).
        search = url_for("map.index") if status == 404 and "map.index" in _endpoints() else None
        page = render_template(
            "error.html",
            status=status,
            title=title,
            detail=detail,
            valid=valid,
            hint=hint,
            search=search,
        )
        response = make_response(page)
    response.status_code = status
    for name, value in headers or ():
        if name.lower() != "content-type":
            response.headers[name] = value
    response.headers["Cache-Control"] = "no-store"
    if is_api_path(request.path):
        # Blueprint after_request hooks do not run when no route matched (404, 405).
        cors(response)
    return response


def _endpoints() -> set[str]:
    return set(current_app.view_functions)


def init_app(app: Flask) -> None:
    """Register the handlers that turn errors into clear 4xx/5xx answers."""

    @app.errorhandler(QueryError)
    def bad_query(exc: QueryError):
        return error_response(400, "Bad request", str(exc), exc.valid, exc.hint)

    @app.errorhandler(NotFoundError)
    def not_found(exc: NotFoundError):
        return error_response(404, "Not found", str(exc), exc.valid, exc.hint)

    @app.errorhandler(BusyError)
    def busy(exc: BusyError):
        # A 503 says "not now", unlike a 4xx; Retry-After says when (RFC 9110, 10.2.3).
        return error_response(
            503, "Service unavailable", str(exc), headers=[("Retry-After", str(exc.retry_after))]
        )

    @app.errorhandler(ProviderError)
    def unavailable(exc: ProviderError):
        # The database is away: say so and keep the worker; the pool reconnects by itself.
        log.warning("provider unavailable on %s: %s", request.path, exc)
        return error_response(
            503,
            "Service unavailable",
            "The data store is not answering; try again shortly.",
            headers=[("Retry-After", "5")],
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        # get_headers() carries what the status needs, e.g. ``Allow`` on a 405.
        return error_response(
            exc.code or 500, exc.name, exc.description or exc.name, headers=exc.get_headers()
        )

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error on %s", request.path)
        return error_response(500, "Internal server error", "The server could not answer.")
