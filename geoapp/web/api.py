"""``/api``: the layer list, one layer as GeoJSON, what the map shows, and search."""

from __future__ import annotations

from flask import Blueprint, request, url_for

from geoapp.api import layers as api
from geoapp.api.ogc import dumps
from geoapp.api.search import search_answer
from geoapp.data.query import parse_query
from geoapp.export.formats import FORMATS
from geoapp.maps.view import view_answer
from geoapp.web.context import catalog
from geoapp.web.http import cors, send_body

bp = Blueprint("api", __name__, url_prefix="/api")
bp.after_request(cors)


@bp.get("/layers")
def layers():
    """The catalog: every layer with its title, count, bbox, sectors and fields."""
    doc = api.layer_list(catalog(), href=url_for("api.layers"))
    return send_body(dumps(doc), "application/json", cors=True)


@bp.get("/layers/<layer_id>")
def layer(layer_id: str):
    """One layer as a GeoJSON FeatureCollection, filtered by the query string."""
    answer = api.layer_answer(catalog(), layer_id, request.args)
    return send_body(answer.body, api.GEOJSON, etag=answer.tag, cors=True, gzipped=answer.gzipped)


@bp.get("/view")
def view():
    """What the map shows for the page's state: features, their looks, the legend.

    ``bbox`` (the view on screen) narrows the legend's counts to what is in it; the
    part that does not depend on the box is kept per filter set (:func:`view_answer`).
    """
    data = catalog()
    query = parse_query(request.args, "view", sources=data.source_values())
    exports = {fmt: url_for("export.export", fmt=fmt) for fmt in FORMATS}
    return send_body(dumps(view_answer(data, query, exports)), "application/json", cors=True)


@bp.get("/search")
def search():
    """The features whose names (or aliases, place, table row, summary) match ``q``, then
    the GeoNames places whose names do."""
    doc = search_answer(catalog(), request.args, places=True)
    return send_body(dumps(doc), "application/json", cors=True)
