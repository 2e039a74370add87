"""Typed errors mapped to HTTP answers in one place.

Every error answer is short and names what would have been valid; no
traceback ever reaches a user, whatever the debug setting of a handler.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from geoapp.catalog import NotFoundError, QueryError

log = logging.getLogger(__name__)


def wants_json() -> bool:
    """API paths and ``.json`` requests get JSON errors; pages get HTML."""
    path = request.path
    return (
        path.startswith(("/api", "/ogc"))
        or path.endswith(".json")
        or (request.accept_mimetypes.best == "application/json")
    )


def error_response(status: int, title: str, detail: str, valid: str | None = None):
    if wants_json():
        body = {"code": status, "title": title, "description": detail}
        if valid is not None:
            body["valid"] = valid.split(", ")
        response = jsonify(body)
    else:
        response = render_template(
            "error.html",
            status=status,
            title=title,
            detail=detail,
            valid=valid.split(", ") if valid else None,
        )
    return response, status


def init_app(app: Flask) -> None:
    """Register the handlers that turn errors into clear 4xx/5xx answers."""

    @app.errorhandler(QueryError)
    def bad_query(exc: QueryError):
        return error_response(400, "Bad request", str(exc), exc.valid)

    @app.errorhandler(NotFoundError)
    def not_found(exc: NotFoundError):
        return error_response(404, "Not found", str(exc), exc.valid)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return error_response(exc.code or 500, exc.name, exc.description or exc.name)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error on %s", request.path)
        return error_response(500, "Internal server error", "The server could not answer.")
