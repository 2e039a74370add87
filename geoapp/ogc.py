"""OGC API – Features, Part 1 (Core, GeoJSON, HTML, OpenAPI 3.0), with no Flask in it.

Each public function takes the catalog, the service's base URL and the query
arguments and returns ``(headers, status, content)``, as pygeoapi's API layer
does; ``geoapp.views.ogc`` only adapts Flask to it. Bad requests raise
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
import weakref
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from urllib.parse import quote

from geoapp.catalog import (
    BBOX_HINT,
    JSON_NUMBER,
    Catalog,
    LayerData,
    NotFoundError,
    QueryError,
    check_parameters,
    match_properties,
    parse_bbox,
    queryables,
)
from geoapp.schema import parse_iso_date

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

#: The most features ``offset`` may skip (what its 400 and the OpenAPI document say).
OFFSET_MAX = 10**12

DATETIME_HINT = "an RFC 3339 date or date-time (2017-10-02T00:00:00Z), or an interval a/b; .. leaves an end open"
_NUMBER = re.compile(r"[0-9]{1,13}")  # OFFSET_MAX has 13 digits; the range is checked after

# The syntax of ``datetime``, one pattern for the server and the OpenAPI document (so that
# Schemathesis generates exactly what is accepted): RFC 3339 full-dates that exist (leap
# years included; year 0000 does not), date-times with an offset, and intervals whose ends
# are an instant, ``..`` or empty. Only ASCII digits: ``\d`` means more in Python.
_YEAR = "(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])"
_MONTH_DAY = (
    "(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
_LEAP_YEAR = "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
DATE_PATTERN = f"(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
_TIME = (
    "[Tt](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:[.][0-9]+)?"
    "(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
)
_INSTANT = f"{DATE_PATTERN}(?:{_TIME})?"
DATETIME_PATTERN = f"^(?:{_INSTANT}|(?:{_INSTANT}|[.][.])?/(?:{_INSTANT}|[.][.])?)?$"
_DATETIME = re.compile(DATETIME_PATTERN)


def dumps(doc: object) -> bytes:
    """Compact UTF-8 JSON, as every API answer is encoded (also used by geoapp.views.api)."""
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
        "collections": [_collection_doc(data, base, fmt) for data in catalog.layers.values()],
        "links": _self_links(f"{base}/collections", fmt),
    }
    return _answer(doc, fmt)


def collection(
    catalog: Catalog, base: str, collection_id: str, args: Mapping[str, str], fmt: str
) -> Answer:
    """One collection: its extent, item type and links."""
    _only(args)
    doc = _collection_doc(_layer(catalog, collection_id), base, fmt, own=True)
    return _answer(doc, fmt)


def items(
    catalog: Catalog, base: str, collection_id: str, args: Mapping[str, str], fmt: str
) -> Answer:
    """A page of a collection's features, filtered by bbox, datetime and properties."""
    data = _layer(catalog, collection_id)
    fields = queryables(data.layer)
    allowed = (*ITEM_PARAMETERS, *fields)
    _only(args, allowed)
    limit = _integer(args, "limit", LIMIT_DEFAULT, 1, LIMIT_MAX)
    offset = _integer(args, "offset", 0, 0, OFFSET_MAX)
    bbox = parse_ogc_bbox(args["bbox"]) if "bbox" in args else None
    rows = catalog.select(collection_id, bbox=bbox)
    where = {k: args[k] for k in args if k in fields}
    if where:
        rows = match_properties(data.features, rows, where, data.layer)
    if args.get("datetime"):  # empty means no filter, as the OpenAPI document allows
        rows = _during(data.features, rows, parse_datetime(args["datetime"]))
    page = rows[offset : offset + limit]

    url = f"{base}/collections/{collection_id}/items"
    kept = [(k, args[k]) for k in args if k not in ("f", "offset")]
    query = "".join(f"&{k}={_quote(v)}" for k, v in kept)
    links = _self_links(f"{url}?offset={offset}{query}", fmt, GEOJSON)
    here = "json" if fmt == "json" else "html"
    if offset + len(page) < len(rows):
        links.append(link(f"{url}?offset={offset + limit}{query}&f={here}", "next", _type(fmt)))
    if offset > 0:
        previous = max(0, offset - limit)
        links.append(link(f"{url}?offset={previous}{query}&f={here}", "prev", _type(fmt)))
    links.append(link(f"{base}/collections/{collection_id}", "collection", JSON))
    head = {
        "type": "FeatureCollection",
        "numberMatched": len(rows),
        "numberReturned": len(page),
        "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "links": links,
    }
    if fmt == "html":
        # No timeStamp in the page: its ETag is its body's, strong, from send_body.
        head["features"] = [data.features[i] for i in page]
        head["title"] = data.layer.title
        return {"Content-Type": HTML}, 200, render_html(head)
    # The body carries a fresh timeStamp, so its ETag names the data, base URL and
    # query instead, and is weak: two answers with it are equivalent, not byte-equal.
    etag = _etag(catalog, base, collection_id, sorted(args.items()))
    encoded, _ = _encoded(catalog, data)
    body = dumps(head)[:-1] + b',"features":[' + b",".join(encoded[i] for i in page) + b"]}"
    return {"Content-Type": GEOJSON, "ETag": f'W/"{etag}"'}, 200, body


def item(
    catalog: Catalog,
    base: str,
    collection_id: str,
    feature_id: str,
    args: Mapping[str, str],
    fmt: str,
) -> Answer:
    """One feature, by the ``id`` property it carries in the files."""
    data = _layer(catalog, collection_id)
    _only(args)
    feature = catalog.feature(feature_id)
    if feature is None or feature["properties"].get("layer", data.id) != data.id:
        valid = [f["properties"]["id"] for f in data.features]
        raise NotFoundError(f"feature in {collection_id}", feature_id, valid)
    url = f"{base}/collections/{collection_id}"
    doc = _ogc_feature(feature)
    doc["links"] = [
        *_self_links(f"{url}/items/{_quote(feature_id)}", fmt, GEOJSON),
        link(url, "collection", JSON),
    ]
    return _answer(doc, fmt, GEOJSON)


def api_description(catalog: Catalog, base: str, args: Mapping[str, str], fmt: str) -> Answer:
    """The OpenAPI 3.0 document, generated from the schema; as a page of paths for ``html``."""
    from geoapp.openapi import document

    _only(args)
    doc = document(catalog, base)
    if fmt == "html":
        return {"Content-Type": HTML}, 200, render_api_html(doc)
    return {"Content-Type": OPENAPI}, 200, dumps(doc)


# -- helpers ---------------------------------------------------------------------------


def _layer(catalog: Catalog, collection_id: str) -> LayerData:
    data = catalog.layers.get(collection_id)
    if data is None:
        raise NotFoundError("collection", collection_id, catalog.layers)
    return data


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


def _collection_doc(data: LayerData, base: str, fmt: str, own: bool = False) -> dict:
    url = f"{base}/collections/{data.id}"
    links = _self_links(url, fmt) if own else [link(url, "self", JSON, data.layer.title)]
    links += [
        link(f"{url}/items?f=json", "items", GEOJSON, "Features as GeoJSON"),
        link(f"{url}/items?f=html", "items", HTML, "Features as HTML"),
    ]
    extent: dict = {"spatial": {"bbox": [list(data.bbox)], "crs": CRS84}}
    dates = [parse_iso_date(d) for f in data.features if (d := f["properties"].get("date"))]
    if dates:
        first = min(d[0] for d in dates).isoformat() + "T00:00:00Z"
        last = max(d[1] for d in dates).isoformat() + "T23:59:59Z"
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


def _ogc_feature(feature: dict) -> dict:
    """The feature with its ``id`` property promoted to the GeoJSON ``id`` member."""
    return {
        "type": "Feature",
        "id": feature["properties"]["id"],
        "geometry": feature["geometry"],
        "properties": feature["properties"],
    }


Encoded = tuple[list[bytes], bytes]
_ENCODED: weakref.WeakKeyDictionary[Catalog, dict[str, Encoded]] = weakref.WeakKeyDictionary()


def _encoded(catalog: Catalog, data: LayerData) -> Encoded:
    """Every feature of a layer as JSON bytes, and their digest; encoded on first use."""
    layers = _ENCODED.setdefault(catalog, {})
    if data.id not in layers:
        chunks = [dumps(_ogc_feature(f)) for f in data.features]
        digest = hashlib.blake2b(b"\n".join(chunks), digest_size=16).digest()
        layers[data.id] = (chunks, digest)
    return layers[data.id]


def _etag(catalog: Catalog, base: str, collection_id: str, args: list) -> str:
    _, fingerprint = _encoded(catalog, catalog.layers[collection_id])
    key = fingerprint + repr((base, collection_id, args)).encode()
    return hashlib.blake2b(key, digest_size=16).hexdigest()


def parse_ogc_bbox(raw: str) -> tuple[float, float, float, float]:
    """``bbox`` as /ogc takes it: four numbers, or six with heights (ignored).

    Each number must be written as a JSON number, as the OpenAPI document declares
    them (so ``1_0``, `` 1`` or non-ASCII digits, which Python's float() reads, are
    refused); the box itself follows :func:`geoapp.catalog.parse_bbox`.
    """
    if not all(JSON_NUMBER.fullmatch(v) for v in raw.split(",")):
        raise QueryError("bbox", raw, BBOX_HINT)
    return parse_bbox(raw, allow_3d=True)


def parse_datetime(raw: str) -> tuple[date | None, date | None]:
    """Parse an RFC 3339 instant or interval (``..`` or empty for an open end) to days."""
    if not _DATETIME.fullmatch(raw):
        raise QueryError("datetime", raw, DATETIME_HINT)
    start, sep, end = raw.partition("/")
    if not sep:
        day = _day(raw, raw)
        return day, day
    first, last = _day(start, raw, open_ok=True), _day(end, raw, open_ok=True)
    if first is None and last is None:
        raise QueryError("datetime", raw, DATETIME_HINT)
    if first and last and last < first:
        raise QueryError("datetime", raw, DATETIME_HINT)
    return first, last


def _day(text: str, raw: str, open_ok: bool = False) -> date | None:
    if open_ok and text in ("", ".."):
        return None
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        if len(text) > 10 and text[10] in "Tt":
            return datetime.fromisoformat(text.replace("z", "Z")).date()
    except ValueError:
        pass
    raise QueryError("datetime", raw, DATETIME_HINT)


def _during(features: Sequence[dict], rows: list[int], span: tuple) -> list[int]:
    """Keep features whose ``date`` overlaps ``span``; undated features never match."""
    first, last = span
    kept = []
    for i in rows:
        when = features[i]["properties"].get("date")
        if not when:
            continue
        begins, ends = parse_iso_date(when)
        if (last is None or begins <= last) and (first is None or ends >= first):
            kept.append(i)
    return kept


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
