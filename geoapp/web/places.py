"""``/api/places``: a thin adapter from Flask to :mod:`geoapp.api.places`."""

from __future__ import annotations

from flask import Blueprint, request

from geoapp.api import places as api
from geoapp.web.context import catalog
from geoapp.web.http import cors, send_body

bp = Blueprint("places", __name__, url_prefix="/api")
bp.after_request(cors)


@bp.get("/places")
def places():
    """The places of a map view: ``bbox`` and ``zoom`` decide which (most populous first)."""
    answer = api.places_answer(catalog(), request.args)
    return send_body(answer.body, api.GEOJSON, etag=answer.tag, cors=True)
