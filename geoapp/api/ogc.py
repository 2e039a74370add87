"""OGC API – Features, Part 1 (Core, GeoJSON, HTML, OpenAPI 3.0), with no Flask in it.

Each public function takes the catalog, the service's base URL and the query
arguments and returns ``(headers, status, content)``, as pygeoapi's API layer
does; ``geoapp.web.ogc`` only adapts Flask to it. Bad requests raise
QueryError (400) and missing collections or features NotFoundError (404);
``geoapp.errors`` maps both, once.

Features are encoded to JSON once per process, so a page of items is a join
of byte strings: that, not a cleverer server, is where the speed comes from.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from urllib.parse import quote

from geoapp.data import places as places_data
from geoapp.data.catalog import Catalog
from geoapp.data.providers import LayerInfo
from geoapp.data.query import (
    Query,
    check_parameters,
    check_values,
    parse_bbox,
    parse_datetime,
    parse_query,
)
from geoapp.errors import NotFoundError, QueryError

Answer = tuple[dict[str, str], int, bytes]

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
)
JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
FORMATS = ("json", "html")

#: Items per page when the client gives no ``limit``, and the most it may ask for.
LIMIT_DEFAULT = 10
LIMIT_MAX = 1000
ITEM_PARAMETERS = ("f", "bbox", "limit", "offset", "datetime")

#: The places collection (GeoNames cities500, not a layer of the data directory) and how
#: many of its features a page may hold: GIS clients page through 234,908 of them.
PLACES = "places"
PLACES_LIMIT_MAX = 10_000
PLACES_PARAMETERS = ("f", "bbox", "limit", "offset", "datetime")

#: The most features ``offset`` may skip (what its 400 and the OpenAPI document say).
OFFSET_MAX = 10**12

_NUMBER = re.compile(r"[0-9]{1,13}")  # OFFSET_MAX has 13 digits; the range is checked after


def dumps(doc: object) -> bytes:
    """Compact UTF-8 JSON, as every API answer is encoded (also used by geoapp.web.api)."""
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def negotiate(f: str | None, prefers_html: bool) -> str:
    """Pick ``json`` or ``html``: the ``f`` parameter wins, then the Accept header."""
    if f is None:
        return "html" if prefers_html else "json"
    if f not in FORMATS:
        raise QueryError("f", f, FORMATS)
    return f


def link(href: str, rel: str, type_: str, title: str | None = None) -> dict:
    out = {"href": href, "rel": rel, "type": type_}
    if title:
        out["title"] = title
    return out


def _self_links(url: str, fmt: str, json_type: str = JSON) -> list[dict]:
    """``self`` for the format served and ``alternate`` for the other one."""
    sep = "&" if "?" in url else "?"
    as_json = link(f"{url}{sep}f=json", "self" if fmt == "json" else "alternate", json_type, "JSON")
    as_html = link(f"{url}{sep}f=html", "self" if fmt == "html" else "alternate", HTML, "HTML")
    return [as_json, as_html]


def _only(args: Mapping[str, str], allowed: Sequence[str] = ("f",)) -> None:
    check_parameters(args, allowed)


def _answer(doc: dict, fmt: str, json_type: str = JSON) -> Answer:
    if fmt == "html":
        return {"Content-Type": HTML}, 200, render_html(doc)
    return {"Content-Type": json_type}, 200, dumps(doc)


# -- resources --------------------------------------------------------------------------


def landing(catalog: Catalog, base: str, args: Mapping[str, str], fmt: str) -> Answer:
    """The landing page: where the API description, conformance and data are."""
    _only(args)
    doc = {
        "title": "geoapp: Russia–Turkmenistan cooperation in the Caspian region",
        "description": "The curated layers of geoapp as OGC API – Features collections.",
        "links": [
            *_self_links(base, fmt),
            link(f"{base}/api", "service-desc", OPENAPI, "The API definition (OpenAPI 3.0)"),
            link(f"{base}/api?f=html", "service-doc", HTML, "The API documentation"),
            link(f"{base}/conformance", "conformance", JSON, "Conformance classes"),
            link(f"{base}/collections", "data", JSON, "The collections"),
        ],
    }
    return _answer(doc, fmt)


def conformance(catalog: Catalog, base: str, args: Mapping[str, str], fmt: str) -> Answer:
    """The conformance classes this implementation claims."""
    _only(args)
    doc = {"conformsTo": list(CONFORMANCE), "links": _self_links(f"{base}/conformance", fmt)}
    return _answer(doc, fmt)


def collections(catalog: Catalog, base: str, args: Mapping[str, str], fmt: str) -> Answer:
    """Every layer as a collection."""
    _only(args)
    doc = {
        "collections": [
            *(_collection_doc(data, base, fmt) for data in catalog.layers().values()),
            _places_doc(base, fmt),
        ],
        "links": _self_links(f"{base}/collections", fmt),
    }
    return _answer(doc, fmt)


def collection(
    catalog: Catalog, base: str, collection_id: str, args: Mapping[str, str], fmt: str
) -> Answer:
    """One collection: its extent, item type and links."""
    _only(args)
    if collection_id == PLACES:
        return _answer(_places_doc(base, fmt, own=True), fmt)
    doc = _collection_doc(_layer(catalog, collection_id), base, fmt, own=True)
    return _answer(doc, fmt)


#: The items request's own options; everything else is the query (geoapp.data.query).
ITEM_OPTIONS = ("f", "limit", "offset")


def items(
    catalog: Catalog, base: str, collection_id: str, args: Mapping[str, str], fmt: str
) -> Answer:
    """A page of a collection's features, filtered by bbox, datetime and properties."""
    if collection_id == PLACES:
        return place_items(catalog, base, args, fmt)
    info = _layer(catalog, collection_id)
    query = parse_query(args, "ogc", layer=info.layer, options=ITEM_OPTIONS)
    for name, value in query.where:
        if name in info.vocabularies:  # data-derived vocabularies (the basemap's iso_a3)
            check_values(name, [value], info.vocabularies[name])
    limit = _integer(args, "limit", LIMIT_DEFAULT, 1, LIMIT_MAX)
    offset = _integer(args, "offset", 0, 0, OFFSET_MAX)
    result = catalog.page(query, collection_id, limit=limit, offset=offset)
    returned = len(result.encoded)

    url = f"{base}/collections/{collection_id}/items"
    kept = [(k, args[k]) for k in args if k not in ("f", "offset")]
    links = _page_links(url, kept, offset, limit, returned, result.matched, fmt)
    links.append(link(f"{base}/collections/{collection_id}", "collection", JSON))
    head = {
        "type": "FeatureCollection",
        "numberMatched": result.matched,
        "numberReturned": returned,
        "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "links": links,
    }
    if fmt == "html":
        # No timeStamp in the page: its ETag is its body's, strong, from send_body.
        head["features"] = list(result.features)
        head["title"] = info.layer.title
        return {"Content-Type": HTML}, 200, render_html(head)
    # The body carries a fresh timeStamp, so its ETag names the data version, base URL
    # and query instead, and is weak: two answers with it are equivalent, not byte-equal.
    etag = _etag(catalog, base, collection_id, sorted(args.items()))
    features = b",".join(_with_id(chunk) for chunk in result.encoded)
    body = dumps(head)[:-1] + b',"features":[' + features + b"]}"
    return {"Content-Type": GEOJSON, "ETag": f'W/"{etag}"'}, 200, body


def item(
    catalog: Catalog,
    base: str,
    collection_id: str,
    feature_id: str,
    args: Mapping[str, str],
    fmt: str,
) -> Answer:
    """One feature, by the ``id`` property it carries in the data."""
    if collection_id == PLACES:
        return place_item(catalog, base, feature_id, args, fmt)
    _layer(catalog, collection_id)
    _only(args)
    feature = catalog.get(feature_id)
    if feature is None or feature["properties"].get("layer", collection_id) != collection_id:
        every = catalog.page(Query(layers=(collection_id,)), collection_id).features
        valid = [f["properties"]["id"] for f in every]
        raise NotFoundError(f"feature in {collection_id}", feature_id, valid)
    url = f"{base}/collections/{collection_id}"
    doc = _ogc_feature(feature)
    doc["links"] = [
        *_self_links(f"{url}/items/{_quote(feature_id)}", fmt, GEOJSON),
        link(url, "collection", JSON),
    ]
    return _answer(doc, fmt, GEOJSON)


# -- helpers ---------------------------------------------------------------------------


def _page_links(
    url: str, kept, offset: int, limit: int, returned: int, matched: int, fmt: str
) -> list[dict]:
    """An items page's self and alternate links, then next and prev when there are such
    pages: each with the request's other parameters (``kept``), as given."""
    extra = "".join(f"&{k}={_quote(v)}" for k, v in kept)
    links = _self_links(f"{url}?offset={offset}{extra}", fmt, GEOJSON)
    here = "json" if fmt == "json" else "html"
    if offset + returned < matched:
        links.append(link(f"{url}?offset={offset + limit}{extra}&f={here}", "next", _type(fmt)))
    if offset > 0:
        previous = max(0, offset - limit)
        links.append(link(f"{url}?offset={previous}{extra}&f={here}", "prev", _type(fmt)))
    return links


def _layer(catalog: Catalog, collection_id: str) -> LayerInfo:
    info = catalog.layers().get(collection_id)
    if info is None:
        raise NotFoundError("collection", collection_id, [*catalog.layers(), PLACES])
    return info


def _type(fmt: str) -> str:
    return GEOJSON if fmt == "json" else HTML


def _quote(value: str) -> str:
    return quote(value, safe=",:./")


def _integer(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = args.get(name)
    if raw is None:
        return default
    if not _NUMBER.fullmatch(raw) or not low <= int(raw) <= high:
        raise QueryError(name, raw, f"a whole number from {low} to {high}")
    return int(raw)


def _collection_doc(data: LayerInfo, base: str, fmt: str, own: bool = False) -> dict:
    url = f"{base}/collections/{data.id}"
    links = _self_links(url, fmt) if own else [link(url, "self", JSON, data.layer.title)]
    links += [
        link(f"{url}/items?f=json", "items", GEOJSON, "Features as GeoJSON"),
        link(f"{url}/items?f=html", "items", HTML, "Features as HTML"),
    ]
    extent: dict = {"spatial": {"bbox": [list(data.bbox)], "crs": CRS84}}
    if data.time_extent is not None:
        begins, ends = data.time_extent
        first = begins.isoformat() + "T00:00:00Z" if begins else None
        last = ends.isoformat() + "T23:59:59Z" if ends else None
        extent["temporal"] = {"interval": [[first, last]]}
    return {
        "id": data.id,
        "title": data.layer.title,
        "description": data.layer.description,
        "itemType": "feature",
        "crs": [CRS84],
        "extent": extent,
        "links": links,
    }


def _places_doc(base: str, fmt: str, own: bool = False) -> dict:
    """The places collection: the world, undated, credited to GeoNames (CC BY 4.0)."""
    url = f"{base}/collections/{PLACES}"
    title = "Places (GeoNames cities500)"
    links = _self_links(url, fmt) if own else [link(url, "self", JSON, title)]
    links += [
        link(f"{url}/items?f=json", "items", GEOJSON, "Features as GeoJSON"),
        link(f"{url}/items?f=html", "items", HTML, "Features as HTML"),
        link(places_data.LICENSE_URL, "license", HTML, "CC BY 4.0"),
    ]
    return {
        "id": PLACES,
        "title": title,
        "description": "Every populated place of 500 people or more (GeoNames cities500): "
        "name, country (ISO 3166-1 alpha-2), population and population class (1 largest to "
        "5), most populous first. " + places_data.ATTRIBUTION + ".",
        "attribution": places_data.ATTRIBUTION,
        "itemType": "feature",
        "crs": [CRS84],
        "extent": {"spatial": {"bbox": [[-180.0, -90.0, 180.0, 90.0]], "crs": CRS84}},
        "links": links,
    }


def place_items(catalog: Catalog, base: str, args: Mapping[str, str], fmt: str) -> Answer:
    """A page of places, most populous first, in ``bbox``; ``limit`` up to 10,000.

    Places carry no time: ``datetime`` is accepted (clients send it) and checked, and
    keeps them all, as the standard allows for a collection with no temporal extent.
    """
    check_parameters(args, PLACES_PARAMETERS)
    bbox = parse_bbox(args["bbox"], allow_3d=True) if "bbox" in args else None
    if "datetime" in args:
        parse_datetime(args["datetime"])
    limit = _integer(args, "limit", LIMIT_DEFAULT, 1, PLACES_LIMIT_MAX)
    offset = _integer(args, "offset", 0, 0, OFFSET_MAX)
    version = catalog.places_version()
    page = catalog.places(bbox, 0, limit, offset, count=True, full=True)
    matched, returned = page.matched or 0, len(page.docs)
    url = f"{base}/collections/{PLACES}/items"
    kept = [(k, args[k]) for k in args if k not in ("f", "offset")]
    links = _page_links(url, kept, offset, limit, returned, matched, fmt)
    links.append(link(f"{base}/collections/{PLACES}", "collection", JSON))
    head = {
        "type": "FeatureCollection",
        "numberMatched": matched,
        "numberReturned": returned,
        "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "attribution": places_data.ATTRIBUTION,
        "links": links,
    }
    if fmt == "html":
        head["features"] = [json.loads(d) for d in page.docs]
        head["title"] = "Places (GeoNames cities500)"
        return {"Content-Type": HTML}, 200, render_html(head)
    etag = _etag(catalog, base, PLACES, [version, *sorted(args.items())])
    body = dumps(head)[:-1] + b',"features":[' + ",".join(page.docs).encode() + b"]}"
    return {"Content-Type": GEOJSON, "ETag": f'W/"{etag}"'}, 200, body


def place_item(
    catalog: Catalog, base: str, feature_id: str, args: Mapping[str, str], fmt: str
) -> Answer:
    """One place by its GeoNames id."""
    _only(args)
    known = re.fullmatch(r"[0-9]{1,10}", feature_id) and int(feature_id) < 2**31
    doc = catalog.place(int(feature_id)) if known else None
    if doc is None:
        raise NotFoundError(f"feature in {PLACES}", feature_id, "a GeoNames id of a place")
    url = f"{base}/collections/{PLACES}"
    feature = json.loads(doc)
    feature["links"] = [
        *_self_links(f"{url}/items/{_quote(feature_id)}", fmt, GEOJSON),
        link(url, "collection", JSON),
    ]
    return _answer(feature, fmt, GEOJSON)


def _ogc_feature(feature: dict) -> dict:
    """The feature with its ``id`` property promoted to the GeoJSON ``id`` member."""
    return {
        "type": "Feature",
        "id": feature["properties"]["id"],
        "geometry": feature["geometry"],
        "properties": feature["properties"],
    }


def _with_id(chunk: bytes) -> bytes:
    """A feature's encoded JSON with its ``id`` promoted to the GeoJSON ``id`` member.

    The id is read back from the bytes' ``"id":`` property (ids follow the id pattern,
    so they need no escaping) and spliced in front: no feature is encoded again.
    """
    start = chunk.index(b'"id":"') + 6
    fid = chunk[start : chunk.index(b'"', start)]
    return b'{"id":"' + fid + b'",' + chunk[1:]


def _etag(catalog: Catalog, base: str, collection_id: str, args: list) -> str:
    key = repr((catalog.version, base, collection_id, args)).encode()
    return hashlib.blake2b(key, digest_size=16).hexdigest()


# -- HTML --------------------------------------------------------------------------------


def render_html(doc: dict) -> bytes:
    """A plain page for people: title, links, and a table of collections or features."""
    esc = html.escape
    title = doc.get("title") or doc.get("id") or "OGC API – Features"
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{esc(str(title))}</title></head><body>",
        f"<h1>{esc(str(title))}</h1>",
    ]
    if doc.get("description"):
        out.append(f"<p>{esc(doc['description'])}</p>")
    if "numberMatched" in doc:
        out.append(f"<p>{doc['numberReturned']} of {doc['numberMatched']} features.</p>")
    out.append("<ul>")
    for ln in doc.get("links", []):
        label = ln.get("title") or ln["rel"]
        out.append(
            f"<li><a rel='{esc(ln['rel'])}' href='{esc(ln['href'])}'>{esc(label)}</a>"
            f" ({esc(ln['rel'])}, {esc(ln['type'])})</li>"
        )
    out.append("</ul>")
    if "conformsTo" in doc:
        out.append("<ul>" + "".join(f"<li>{esc(c)}</li>" for c in doc["conformsTo"]) + "</ul>")
    if "collections" in doc:
        out.append("<table><tr><th>id</th><th>title</th><th>description</th></tr>")
        for c in doc["collections"]:
            out.append(
                f"<tr><td><a href='{esc(c['links'][0]['href'])}?f=html'>{esc(c['id'])}</a></td>"
                f"<td>{esc(c['title'])}</td><td>{esc(c['description'])}</td></tr>"
            )
        out.append("</table>")
    features = doc.get("features") or ([doc] if doc.get("type") == "Feature" else [])
    if features:
        names = list(dict.fromkeys(k for f in features for k in f["properties"]))
        out.append("<table><tr>" + "".join(f"<th>{esc(n)}</th>" for n in names) + "</tr>")
        for f in features:
            cells = "".join(f"<td>{esc(_text(f['properties'].get(n)))}</td>" for n in names)
            out.append(f"<tr>{cells}</tr>")
        out.append("</table>")
    out.append("</body></html>")
    return "".join(out).encode()


def render_api_html(doc: dict) -> bytes:
    """The API definition for people: every path, its operation and its parameters.

    Plain HTML with no script, so that it works offline (no Swagger UI from a CDN).
    """
    esc = html.escape
    shared = doc["components"]["parameters"]
    title = doc["info"]["title"]
    base = doc["servers"][0]["url"]
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{esc(title)}</title></head><body>",
        f"<h1>{esc(title)}</h1>",
        f"<p>{esc(doc['info']['description'])}</p>",
        f"<p>OpenAPI {esc(doc['openapi'])}: <a rel='alternate' href='{esc(base)}/api?f=json'>"
        "the document as JSON</a>.</p>",
    ]
    for path, item in doc["paths"].items():
        operation = item["get"]
        # Templated paths ({featureId}) are not links; the others are.
        shown = f"<a href='{esc(base + path)}'>{esc(path)}</a>" if "{" not in path else esc(path)
        out.append(f"<h2 id='{esc(operation['operationId'])}'>GET <code>{shown}</code></h2>")
        out.append(f"<p>{esc(operation['summary'])}</p>")
        params = [_resolve(p, shared) for p in operation.get("parameters", [])]
        if params:
            out.append(
                "<table><tr><th>parameter</th><th>in</th><th>values</th><th>description</th></tr>"
            )
            for p in params:
                schema = p.get("schema", {})
                values = ", ".join(map(str, schema.get("enum", []))) or schema.get("type", "")
                out.append(
                    f"<tr><td><code>{esc(p['name'])}</code></td><td>{esc(p['in'])}</td>"
                    f"<td>{esc(values)}</td><td>{esc(p.get('description', ''))}</td></tr>"
                )
            out.append("</table>")
    out.append("</body></html>")
    return "".join(out).encode()


def _resolve(parameter: dict, shared: dict) -> dict:
    """A parameter object, following a ``#/components/parameters/...`` reference."""
    if "$ref" in parameter:
        return shared[parameter["$ref"].rsplit("/", 1)[1]]
    return parameter


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
