"""JSON endpoints for the layers: the catalog and one FeatureCollection per layer."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, request

from geoapp import get_catalog
from geoapp.catalog import NotFoundError, QueryError, check_parameters, parse_bbox, parse_list
from geoapp.encoded import encoded_layer
from geoapp.http import cors, send_body
from geoapp.ogc import dumps
from geoapp.schema import FIELD_NAMES, SECTORS, STATUSES

bp = Blueprint("api", __name__, url_prefix="/api")
bp.after_request(cors)

FILTERS = ("sector", "status", "bbox", "completed_by", "q")
GEOJSON = "application/geo+json"


def parse_date(name: str) -> date | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise QueryError(name, raw, "an ISO date YYYY-MM-DD") from None


@bp.get("/layers")
def layers():
    """The catalog: every layer with its title, count, bbox, sectors and fields."""
    catalog = get_catalog()
    doc = {
        "layers": [
            {
                "id": data.id,
                "title": data.layer.title,
                "description": data.layer.description,
                "thematic": data.layer.thematic,
                "count": len(data.features),
                "bbox": data.bbox,
                "sectors": data.sectors,
                "geometry_types": data.layer.geometry_types,
                "fields": FIELD_NAMES if data.layer.thematic else list(data.frame.columns[:-1]),
                "href": f"/api/layers/{data.id}",
            }
            for data in catalog.layers.values()
        ]
    }
    return send_body(dumps(doc), "application/json", cors=True)


@bp.get("/layers/<layer_id>")
def layer(layer_id: str):
    """One layer as a GeoJSON FeatureCollection, filtered by the query string.

    Answered from bytes encoded once per catalog (:mod:`geoapp.encoded`): the
    unfiltered answer, which every page load fetches, with its tag and gzip kept.
    """
    catalog = get_catalog()
    if layer_id not in catalog.layers:
        raise NotFoundError("layer", layer_id, catalog.layers)
    encoded = encoded_layer(catalog, layer_id)
    if not request.args:
        return send_body(
            encoded.body, GEOJSON, etag=encoded.tag, cors=True, gzipped=encoded.gzipped
        )
    check_parameters(request.args, FILTERS)
    filters = {
        "sectors": parse_list("sector", request.args.get("sector"), SECTORS),
        "statuses": parse_list("status", request.args.get("status"), STATUSES),
        "bbox": parse_bbox(raw) if (raw := request.args.get("bbox")) is not None else None,
        "completed_by": parse_date("completed_by"),
        "q": request.args.get("q"),
    }
    rows = catalog.select(layer_id, **filters)
    tag = encoded.tag_of(sorted(filters.items()))
    return send_body(encoded.join(rows), GEOJSON, etag=tag, cors=True)
