"""``/vendor/<package>/<version>/<file>``: Leaflet from its installed PyPI package, never a CDN."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort

from geoapp.maps.assets import MIMETYPES, PACKAGES, YEAR, read_bytes
from geoapp.web.http import send_body

bp = Blueprint("assets", __name__, url_prefix="/vendor")


@bp.get("/<package>/<version>/<path:filename>")
def vendored(package: str, version: str, filename: str):
    """Serve one vendored file with ETag, gzip and a year of caching."""
    if package not in PACKAGES or version != PACKAGES[package][1]:
        abort(404)
    try:
        body = read_bytes(package, filename)
    except KeyError:
        abort(404)
    mimetype = MIMETYPES.get(Path(filename).suffix, "application/octet-stream")
    return send_body(body, mimetype, max_age=YEAR)
