"""JSON endpoints for the layers: the catalog and one FeatureCollection per layer."""

from __future__ import annotations

import json
from datetime import date

from flask import Blueprint, request

from geoapp import get_catalog
from geoapp.catalog import NotFoundError, QueryError
from geoapp.catalog import parse_bbox as catalog_bbox
from geoapp.http import cors, send_body
from geoapp.schema import FIELD_NAMES, SECTORS, STATUSES

bp = Blueprint("api", __name__, url_prefix="/api")
bp.after_request(cors)

FILTERS = ("sector", "status", "bbox", "completed_by", "q")


def dumps(doc: object) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def parse_list(name: str, valid) -> list[str] | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    values = [v for v in raw.split(",") if v]
    for value in values:
        if value not in valid:
            raise QueryError(name, value, valid)
    return values


def parse_bbox(raw: str | None) -> tuple[float, float, float, float] | None:
    """Parse ``minlon,minlat,maxlon,maxlat``; raise QueryError when malformed."""
    return None if raw is None else catalog_bbox(raw)


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
    """One layer as a GeoJSON FeatureCollection, filtered by the query string."""
    catalog = get_catalog()
    if layer_id not in catalog.layers:
        raise NotFoundError("layer", layer_id, catalog.layers)
    unknown = sorted(set(request.args) - set(FILTERS))
    if unknown:
        raise QueryError("parameter", unknown[0], FILTERS)
    features = catalog.features(
        layer_id,
        sectors=parse_list("sector", SECTORS),
        statuses=parse_list("status", STATUSES),
        bbox=parse_bbox(request.args.get("bbox")),
        completed_by=parse_date("completed_by"),
        q=request.args.get("q"),
    )
    doc = {"type": "FeatureCollection", "features": features}
    return send_body(dumps(doc), "application/geo+json", cors=True)
