"""OGC API – Features under ``/ogc``: a thin adapter from Flask to ``geoapp.api.ogc``."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from werkzeug.http import unquote_etag

from geoapp.api import ogc, openapi
from geoapp.web import security
from geoapp.web.context import catalog
from geoapp.web.http import cors, send_body

bp = Blueprint("ogc", __name__, url_prefix="/ogc")
bp.after_request(cors)


@bp.after_request
def _vary_host(response: Response) -> Response:
    return security.vary_host(response, current_app.config)


def _base() -> str:
    """The API's base URL for links: BASE_URL, or the trusted request's root (security.py)."""
    return security.base_url(current_app.config) + "/ogc"


def _format(json_type: str = ogc.JSON) -> str:
    f = request.args.get("f")
    if f is not None:  # ``f`` wins: no need to parse the Accept header
        return ogc.negotiate(f, False)
    best = request.accept_mimetypes.best_match([json_type, ogc.JSON, ogc.GEOJSON, ogc.HTML])
    return ogc.negotiate(None, best == ogc.HTML)


def _send(answer: ogc.Answer) -> Response:
    headers, _status, content = answer
    headers = dict(headers)
    etag, weak = unquote_etag(headers.pop("ETag", None))
    response = send_body(content, headers.pop("Content-Type"), etag=etag, weak=bool(weak))
    response.vary.update(("Accept", "Accept-Encoding"))
    response.headers.update(headers)
    return response


@bp.get("")
@bp.get("/")
def landing():
    """Landing page."""
    return _send(ogc.landing(catalog(), _base(), request.args, _format()))


@bp.get("/conformance")
def conformance():
    """Conformance classes."""
    return _send(ogc.conformance(catalog(), _base(), request.args, _format()))


@bp.get("/api")
def api():
    """The OpenAPI document."""
    fmt = _format(ogc.OPENAPI)
    return _send(openapi.api_description(catalog(), _base(), request.args, fmt))


@bp.get("/collections")
def collections():
    """Every collection."""
    return _send(ogc.collections(catalog(), _base(), request.args, _format()))


@bp.get("/collections/<collection_id>")
def collection(collection_id: str):
    """One collection."""
    return _send(ogc.collection(catalog(), _base(), collection_id, request.args, _format()))


@bp.get("/collections/<collection_id>/items")
def items(collection_id: str):
    """A page of features."""
    return _send(ogc.items(catalog(), _base(), collection_id, request.args, _format()))


@bp.get("/collections/<collection_id>/items/<path:feature_id>")
def item(collection_id: str, feature_id: str):
    """One feature."""
    return _send(ogc.item(catalog(), _base(), collection_id, feature_id, request.args, _format()))
