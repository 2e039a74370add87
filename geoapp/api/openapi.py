"""The OpenAPI 3.0 document of ``/ogc``, generated from the schema, never written by hand.

One path per collection, as pygeoapi does, so that each ``items`` operation
lists the property filters its layer accepts, with the vocabularies as enums;
a new layer or field in ``geoapp.data.schema`` appears here with no edit.
"""

from __future__ import annotations

from collections.abc import Mapping

from geoapp.api.ogc import (
    CONFORMANCE,
    GEOJSON,
    HTML,
    ITEM_PARAMETERS,
    JSON,
    LIMIT_DEFAULT,
    LIMIT_MAX,
    OFFSET_MAX,
    OPENAPI,
    PLACES,
    PLACES_LIMIT_MAX,
    Answer,
    _only,
    dumps,
    render_api_html,
)
from geoapp.data.catalog import Catalog
from geoapp.data.providers import LayerInfo
from geoapp.data.query import DATETIME_PATTERN, MEMBER_OF, VOCABULARIES, queryables
from geoapp.data.schema import FIELDS

_TYPES = {
    "str": {"type": "string"},
    "list[str]": {"type": "string"},
    "number": {"type": "number"},
    "int": {"type": "integer"},
    "isodate": {"type": "string", "format": "date"},
    "date": {"type": "string"},
}

PARAMETERS = {
    "f": {
        "name": "f",
        "in": "query",
        "description": "The format of the answer; overrides the Accept header.",
        "required": False,
        "schema": {"type": "string", "enum": ["json", "html"]},
    },
    "bbox": {
        "name": "bbox",
        "in": "query",
        "description": "Only features that intersect the box: minlon,minlat,maxlon,maxlat "
        "(CRS84), or six numbers with the heights third and sixth (ignored); not five. Longitudes from "
        "-180 to 180 and latitudes from -90 to 90, each minimum at most its maximum; "
        "anything else is a 400.",
        "required": False,
        "style": "form",
        "explode": False,
        # The OGC standard's own schema: "four or six" and the ranges are prose.
        "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
    },
    "limit": {
        "name": "limit",
        "in": "query",
        "description": f"Features per page (default {LIMIT_DEFAULT}, at most {LIMIT_MAX}).",
        "required": False,
        "style": "form",
        "explode": False,
        "schema": {
            "type": "integer",
            "minimum": 1,
            "maximum": LIMIT_MAX,
            "default": LIMIT_DEFAULT,
        },
    },
    "offset": {
        "name": "offset",
        "in": "query",
        "description": "How many matching features to skip (paging; follow the `next` link).",
        "required": False,
        "schema": {"type": "integer", "minimum": 0, "maximum": OFFSET_MAX, "default": 0},
    },
    "datetime": {
        "name": "datetime",
        "in": "query",
        "description": "RFC 3339 instant or interval (`..` or nothing for an open end, not "
        "both; the start not after the end), matched to each feature's time span (an "
        "event's `date`). Empty: no filter.",
        "required": False,
        # OGC API - Features Part 1, 7.15.4: datetime is a form-style, non-exploded value.
        "style": "form",
        "explode": False,
        "schema": {"type": "string", "pattern": DATETIME_PATTERN},
    },
    "featureId": {
        "name": "featureId",
        "in": "path",
        "description": "The feature's `id` property.",
        "required": True,
        "schema": {"type": "string"},
    },
}

_ERRORS = {
    "400": {"$ref": "#/components/responses/Error"},
    "404": {"$ref": "#/components/responses/Error"},
}


def _ok(description: str, *types: str) -> dict:
    content = {t: {"schema": {"type": "object"}} for t in types}
    return {"200": {"description": description, "content": content}, **_ERRORS}


def _get(summary: str, operation_id: str, responses: dict, parameters: list | None = None) -> dict:
    params = [{"$ref": "#/components/parameters/f"}, *(parameters or [])]
    return {
        "get": {
            "summary": summary,
            "operationId": operation_id,
            "parameters": params,
            "responses": responses,
        }
    }


def property_parameters(info: LayerInfo) -> list[dict]:
    """One query parameter per queryable property of a layer, typed from the schema.

    Enums are the vocabularies the filter checks values against, including those
    the provider derives from the data (the basemap's ``iso_a3``).
    """
    layer = info.layer
    descriptions = {f.name: f.description for f in FIELDS}
    fields = queryables(layer)
    vocabulary = {name: list(v) for name, v in VOCABULARIES.items() if name in fields}
    vocabulary.update({name: list(v) for name, v in info.vocabularies.items()})
    out = []
    for name, kind in queryables(layer).items():
        schema = dict(_TYPES.get(kind, {"type": "string"}))
        if name in vocabulary:
            schema["enum"] = vocabulary[name]
        note = ""
        if kind == "list[str]":
            note = " Lists match when they contain the value."
        elif name in MEMBER_OF:
            note = f" Matches every feature with the value among its `{MEMBER_OF[name]}`."
        out.append(
            {
                "name": name,
                "in": "query",
                "description": descriptions.get(name, name) + note,
                "required": False,
                "schema": schema,
            }
        )
    return out


def document(catalog: Catalog, base: str) -> dict:
    """Return the OpenAPI 3.0 document for ``catalog`` served at ``base`` (``http://h/ogc``).

    Built once per data version and base URL (the enums depend on the data), in the
    catalog's memo.
    """
    return catalog.memo(("openapi", base), lambda: _document(catalog, base))


def _document(catalog: Catalog, base: str) -> dict:
    paths = {
        "/": _get("Landing page", "getLandingPage", _ok("Links to the API", JSON, HTML)),
        "/conformance": _get(
            "Conformance classes", "getConformance", _ok("conformsTo", JSON, HTML)
        ),
        "/api": _get("This document", "getApi", _ok("The API definition", OPENAPI, HTML)),
        "/collections": _get("The collections", "getCollections", _ok("Collections", JSON, HTML)),
    }
    for data in catalog.layers().values():
        layer = data.layer
        url = f"/collections/{layer.id}"
        items_params = [{"$ref": f"#/components/parameters/{p}"} for p in ITEM_PARAMETERS[1:]]
        paths[url] = _get(
            f"The {layer.title} collection",
            f"describe_{layer.id}",
            _ok(layer.description, JSON, HTML),
        )
        paths[f"{url}/items"] = _get(
            f"Features of {layer.title}",
            f"get_{layer.id}_items",
            _ok("A page of features", GEOJSON, HTML),
            items_params + property_parameters(data),
        )
        paths[f"{url}/items/{{featureId}}"] = _get(
            f"One feature of {layer.title}",
            f"get_{layer.id}_item",
            _ok("A feature", GEOJSON, HTML),
            [{"$ref": "#/components/parameters/featureId"}],
        )
    url = f"/collections/{PLACES}"
    paths[url] = _get("The places collection", "describe_places", _ok("Places", JSON, HTML))
    paths[f"{url}/items"] = _get(
        "Places (GeoNames cities500), most populous first",
        "get_places_items",
        _ok("A page of places", GEOJSON, HTML),
        [
            {"$ref": "#/components/parameters/bbox"},
            {**PARAMETERS["limit"], "schema": {**PARAMETERS["limit"]["schema"],
                                               "maximum": PLACES_LIMIT_MAX}},
            {"$ref": "#/components/parameters/offset"},
            {"$ref": "#/components/parameters/datetime"},
        ],
    )  # fmt: skip
    paths[f"{url}/items/{{featureId}}"] = _get(
        "One place, by GeoNames id",
        "get_places_item",
        _ok("A place", GEOJSON, HTML),
        [{"$ref": "#/components/parameters/featureId"}],
    )
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "geoapp OGC API – Features",
            "version": "1.0.0",
            "description": "Curated layers of Russia–Turkmenistan cooperation in the Caspian "
            "region. Conforms to: " + ", ".join(CONFORMANCE),
            "license": {"name": "MIT"},
        },
        "servers": [{"url": base}],
        "paths": paths,
        "components": {
            "parameters": PARAMETERS,
            "responses": {
                "Error": {
                    "description": "A bad request (400) or an unknown collection or feature (404)",
                    "content": {JSON: {"schema": {"$ref": "#/components/schemas/exception"}}},
                }
            },
            "schemas": {
                "exception": {
                    "type": "object",
                    "required": ["code", "description"],
                    "properties": {
                        "code": {"type": "integer"},
                        "title": {"type": "string"},
                        "description": {"type": "string"},
                        "valid": {"type": "array", "items": {"type": "string"}},
                        "hint": {"type": "string"},
                    },
                }
            },
        },
    }


def api_description(catalog: Catalog, base: str, args: Mapping[str, str], fmt: str) -> Answer:
    """The OpenAPI 3.0 document, generated from the schema; as a page of paths for ``html``."""
    _only(args)
    doc = document(catalog, base)
    if fmt == "html":
        return {"Content-Type": HTML}, 200, render_api_html(doc)
    return {"Content-Type": OPENAPI}, 200, dumps(doc)
