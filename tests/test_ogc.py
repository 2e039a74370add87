"""OGC API – Features under /ogc: resources, paging, filters, formats and errors."""

from __future__ import annotations

import json

import pytest

from geoapp import load_catalog
from geoapp.api import ogc, openapi
from geoapp.data.schema import COUNTRIES, LAYERS, SECTORS
from geoapp.errors import NotFoundError, QueryError
from tests.data import features
from tests.factories import make_feature, write_data_dir

CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"


def get_json(client, url: str, status: int = 200) -> dict:
    response = client.get(url)
    assert response.status_code == status, response.data[:300]
    return response.get_json(force=True)


def rel(doc: dict, name: str) -> list[dict]:
    return [link for link in doc["links"] if link["rel"] == name]


def local(href: str) -> str:
    return href.removeprefix("http://localhost")


def files_catalog(data_dir):
    """The catalog of a small data directory, as the app opens it (files provider)."""
    return load_catalog({"DATA_DIR": str(data_dir)})


def test_landing_page_links_to_api_conformance_and_data(client):
    doc = get_json(client, "/ogc")
    assert rel(doc, "self")
    (desc,) = rel(doc, "service-desc")
    assert desc["type"].startswith("application/vnd.oai.openapi+json")
    for name in ("service-desc", "conformance", "data"):
        assert client.get(local(rel(doc, name)[0]["href"])).status_code == 200


def test_conformance_claims_core_geojson_oas30_and_html(client):
    doc = get_json(client, "/ogc/conformance")
    for part in ("core", "geojson", "oas30", "html"):
        assert CORE + part in doc["conformsTo"]


def test_collections_list_every_layer_with_its_extent(client, catalog):
    doc = get_json(client, "/ogc/collections")
    assert [c["id"] for c in doc["collections"]] == [*LAYERS, "places"]
    for c in doc["collections"][: len(LAYERS)]:
        assert c["itemType"] == "feature"
        assert c["extent"]["spatial"]["crs"] == ogc.CRS84
        assert c["extent"]["spatial"]["bbox"] == [list(catalog.layer(c["id"]).bbox)]
        assert {link["type"] for link in rel(c, "items")} == {ogc.GEOJSON, ogc.HTML}


def test_collection_describes_one_layer(client, catalog):
    for layer_id, layer in LAYERS.items():
        doc = get_json(client, f"/ogc/collections/{layer_id}")
        assert doc["title"] == layer.title
        assert rel(doc, "self")[0]["href"].endswith(f"/ogc/collections/{layer_id}?f=json")


def test_items_default_page_is_ten_features_of_all_matched(client, catalog):
    for layer_id in LAYERS:
        every = features(catalog, layer_id)
        response = client.get(f"/ogc/collections/{layer_id}/items")
        assert response.mimetype == "application/geo+json"
        doc = response.get_json(force=True)
        assert doc["numberMatched"] == len(every)
        assert doc["numberReturned"] == len(doc["features"]) == min(10, len(every))
        assert doc["timeStamp"].endswith("Z")


def test_next_links_page_through_every_feature_once(client, catalog):
    layer_id = max(LAYERS, key=lambda k: len(features(catalog, k)))
    expected = [f["properties"]["id"] for f in features(catalog, layer_id)]
    url, seen, pages = f"/ogc/collections/{layer_id}/items?limit=2", [], 0
    while url:
        doc = get_json(client, url)
        seen += [f["id"] for f in doc["features"]]
        assert bool(rel(doc, "prev")) == (pages > 0)
        nxt = rel(doc, "next")
        url = local(nxt[0]["href"]) if nxt else None
        pages += 1
    assert seen == expected
    assert pages == -(-len(expected) // 2)


def test_feature_ids_are_the_id_property(client, catalog):
    doc = get_json(client, "/ogc/collections/ports/items?limit=1000")
    for feature, authored in zip(doc["features"], features(catalog, "ports"), strict=True):
        assert feature["id"] == authored["properties"]["id"]
        assert feature["properties"] == authored["properties"]
        assert feature["geometry"] == authored["geometry"]


def test_item_returns_one_feature_with_links(client, catalog):
    authored = features(catalog, "pipelines")[0]
    fid = authored["properties"]["id"]
    doc = get_json(client, f"/ogc/collections/pipelines/items/{fid}")
    assert doc["id"] == fid and doc["geometry"] == authored["geometry"]
    assert rel(doc, "collection")[0]["href"].endswith("/ogc/collections/pipelines")


@pytest.mark.parametrize("sector", list(SECTORS))
def test_sector_filter_keeps_features_with_that_sector_among_theirs(client, catalog, sector):
    """``sector=X`` on /ogc means what it means on /api and the map: X is one of its sectors."""
    for layer_id in ("pipelines", "ports", "programmes"):
        expected = [
            f["properties"]["id"]
            for f in features(catalog, layer_id)
            if sector in f["properties"]["sectors"]
        ]
        url = f"/ogc/collections/{layer_id}/items?limit=1000&sector={sector}"
        doc = get_json(client, url)
        assert [f["id"] for f in doc["features"]] == expected
        assert doc["numberMatched"] == len(expected)
        assert get_json(client, url.replace("sector=", "sectors="))["features"] == doc["features"]
        api = client.get(f"/api/layers/{layer_id}?sector={sector}").get_json(force=True)
        assert [f["properties"]["id"] for f in api["features"]] == expected


def test_sector_filter_finds_a_feature_whose_primary_sector_is_another(tmp_path):
    both = make_feature("ports", "port-both", sector="trade", sectors=["trade", "energy"])
    only = make_feature("ports", "port-trade", sector="trade", sectors=["trade"])
    catalog = files_catalog(write_data_dir(tmp_path, {"ports": [both, only]}))
    _, _, body = ogc.items(catalog, "http://h/ogc", "ports", {"sector": "energy"}, "json")
    assert [f["id"] for f in json.loads(body)["features"]] == ["port-both"]


def test_list_property_filter_matches_members(client, catalog):
    expected = [
        f["properties"]["id"]
        for f in features(catalog, "ports")
        if "TKM" in f["properties"].get("country", [])
    ]
    doc = get_json(client, "/ogc/collections/ports/items?country=TKM&limit=1000")
    assert [f["id"] for f in doc["features"]] == expected


def test_bbox_keeps_features_inside_and_drops_the_rest(client, catalog):
    authored = features(catalog, "ports")[0]
    lon, lat = authored["geometry"]["coordinates"]
    box = f"{lon - 0.01},{lat - 0.01},{lon + 0.01},{lat + 0.01}"
    doc = get_json(client, f"/ogc/collections/ports/items?bbox={box}")
    assert authored["properties"]["id"] in [f["id"] for f in doc["features"]]
    assert get_json(client, "/ogc/collections/ports/items?bbox=0,0,1,1")["numberMatched"] == 0


def test_datetime_selects_events_on_that_day(tmp_path):
    events = [
        make_feature("events", "event-a", date="2017-10-02", status="event"),
        make_feature("events", "event-b", date="2019-05", status="event"),
    ]
    catalog = files_catalog(write_data_dir(tmp_path, {"events": events}))
    for query, expected in [
        ("2017-10-02", ["event-a"]),
        ("2019-05-20T10:00:00Z", ["event-b"]),
        ("2018-01-01T00:00:00Z/..", ["event-b"]),
        ("../2018-01-01", ["event-a"]),
        ("2020-01-01/2021-01-01", []),
    ]:
        _, _, body = ogc.items(catalog, "http://h/ogc", "events", {"datetime": query}, "json")
        assert [f["id"] for f in json.loads(body)["features"]] == expected, query


def test_api_functions_answer_without_flask(tmp_path):
    ports = [make_feature("ports", f"port-{i}") for i in range(25)]
    catalog = files_catalog(write_data_dir(tmp_path, {"ports": ports}))
    headers, status, body = ogc.items(catalog, "http://h/ogc", "ports", {"offset": "20"}, "json")
    doc = json.loads(body)
    assert (status, headers["Content-Type"]) == (200, ogc.GEOJSON)
    assert [f["id"] for f in doc["features"]] == [f"port-{i}" for i in range(20, 25)]
    assert not rel(doc, "next")
    assert rel(doc, "prev")[0]["href"].startswith("http://h/ogc/collections/ports/items?offset=10")


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=1001",
        "limit=ten",
        "limit=-1",
        "offset=-1",
        "offset=1.5",
        "bbox=1,2,3",
        "bbox=a,b,c,d",
        "bbox=10,10,0,0",
        "bbox=0,0,200,10",
        "bbox=nan,0,1,1",
        "unknown=1",
        "sector=nuclear",
        "status=unknown",
        "length_km=long",
        "f=xml",
        "datetime=yesterday",
        "datetime=../..",
        "datetime=2020-01-01/2019-01-01",
    ],
)
def test_bad_items_query_is_a_json_400(client, query):
    doc = get_json(client, f"/ogc/collections/pipelines/items?{query}", 400)
    assert doc["code"] == 400
    assert doc["description"]


@pytest.mark.parametrize(
    "url",
    [
        "/ogc/collections/nope",
        "/ogc/collections/nope/items",
        "/ogc/collections/ports/items/no-such-feature",
    ],
)
def test_unknown_collection_or_feature_is_a_json_404(client, url):
    doc = get_json(client, url, 404)
    assert doc["code"] == 404 and doc["valid"]


def test_feature_of_another_collection_is_404(client, catalog):
    fid = features(catalog, "ports")[0]["properties"]["id"]
    get_json(client, f"/ogc/collections/pipelines/items/{fid}", 404)


def test_unknown_parameter_on_landing_page_is_400(client):
    get_json(client, "/ogc/collections?foo=bar", 400)


def test_html_by_f_parameter_or_accept_header(client, catalog):
    name = features(catalog, "ports")[0]["properties"]["name"]
    by_f = client.get("/ogc/collections/ports/items?f=html")
    by_accept = client.get("/ogc/collections/ports/items", headers={"Accept": "text/html"})
    for response in (by_f, by_accept):
        assert response.mimetype == "text/html"
        assert name in response.get_data(as_text=True)
    assert client.get("/ogc", headers={"Accept": "text/html"}).mimetype == "text/html"


def test_openapi_document_is_generated_from_the_schema(client):
    response = client.get("/ogc/api")
    assert response.headers["Content-Type"] == ogc.OPENAPI
    doc = response.get_json(force=True)
    assert doc["openapi"].startswith("3.0")
    assert doc["servers"] == [{"url": "http://localhost/ogc"}]
    limit = doc["components"]["parameters"]["limit"]["schema"]
    assert (limit["default"], limit["maximum"]) == (ogc.LIMIT_DEFAULT, ogc.LIMIT_MAX)
    for layer_id in LAYERS:
        operation = doc["paths"][f"/collections/{layer_id}/items"]["get"]
        names = {p.get("name") for p in operation["parameters"]}
        if LAYERS[layer_id].thematic:
            (sector,) = [p for p in operation["parameters"] if p.get("name") == "sector"]
            assert sector["schema"]["enum"] == list(SECTORS)
        else:
            assert "sector" not in names
        assert f"/collections/{layer_id}/items/{{featureId}}" in doc["paths"]


def test_errors_are_raised_typed_for_the_one_mapping(catalog):
    with pytest.raises(NotFoundError):
        ogc.collection(catalog, "http://h/ogc", "nope", {}, "json")
    with pytest.raises(QueryError):
        ogc.items(catalog, "http://h/ogc", "ports", {"limit": "0"}, "json")


def test_iso_a3_filter_accepts_every_code_the_basemap_holds(client, catalog):
    units = features(catalog, "basemap")
    codes = sorted({f["properties"]["iso_a3"] for f in units if f["properties"]["iso_a3"]})
    assert set(codes) - set(COUNTRIES), "the basemap should hold units beyond schema.COUNTRIES"
    for code in codes:
        doc = get_json(client, f"/ogc/collections/basemap/items?iso_a3={code}&limit=1000")
        expected = [f["properties"]["id"] for f in units if f["properties"]["iso_a3"] == code]
        assert [f["id"] for f in doc["features"]] == expected, code
    doc = get_json(client, "/ogc/collections/basemap/items?iso_a3=XYZ", 400)
    assert doc["valid"] == codes


def test_iso_a3_vocabulary_comes_from_the_loaded_data(tmp_path):
    units = [
        make_feature("basemap", "unit-are", iso_a3="ARE", name="Emirates"),
        make_feature("basemap", "unit-none", name="Disputed"),
    ]
    units[1]["properties"]["iso_a3"] = None  # as Natural Earth has it for some units
    catalog = files_catalog(write_data_dir(tmp_path, {"basemap": units}))
    _, _, body = ogc.items(catalog, "http://h/ogc", "basemap", {"iso_a3": "ARE"}, "json")
    assert [f["id"] for f in json.loads(body)["features"]] == ["unit-are"]
    with pytest.raises(QueryError) as info:
        ogc.items(catalog, "http://h/ogc", "basemap", {"iso_a3": "TKM"}, "json")
    assert info.value.valid == ["ARE"]
    _, _, api = openapi.api_description(catalog, "http://h/ogc", {}, "json")
    operation = json.loads(api)["paths"]["/collections/basemap/items"]["get"]
    (iso,) = [p for p in operation["parameters"] if p.get("name") == "iso_a3"]
    assert iso["schema"]["enum"] == ["ARE"]


def test_openapi_enums_are_the_values_the_filters_accept(client, catalog):
    doc = get_json(client, "/ogc/api")
    for layer_id in catalog.layers():
        operation = doc["paths"][f"/collections/{layer_id}/items"]["get"]
        inline = [p for p in operation["parameters"] if "enum" in p.get("schema", {})]
        assert inline or not LAYERS[layer_id].thematic
        for p in inline:
            for value in p["schema"]["enum"]:
                url = f"/ogc/collections/{layer_id}/items?{p['name']}={value}"
                assert client.get(url).status_code == 200, url


def test_api_definition_is_served_as_html_too(client):
    doc = get_json(client, "/ogc")
    (doc_link,) = rel(doc, "service-doc")
    assert doc_link["type"] == ogc.HTML
    for response in (
        client.get(local(doc_link["href"])),
        client.get("/ogc/api", headers={"Accept": "text/html"}),
    ):
        assert response.status_code == 200 and response.mimetype == "text/html"
        page = response.get_data(as_text=True)
        for layer_id in LAYERS:
            assert f"/collections/{layer_id}/items" in page
        assert "<script" not in page
    assert client.get("/ogc/api").headers["Content-Type"] == ogc.OPENAPI
    assert client.get("/ogc/api", headers={"Accept": "*/*"}).headers["Content-Type"] == ogc.OPENAPI
    get_json(client, "/ogc/api?f=xml", 400)


@pytest.mark.parametrize(
    "url",
    ["/ogc", "/ogc/conformance", "/ogc/api", "/ogc/collections", "/ogc/collections/ports",
     "/ogc/collections/ports/items", "/ogc/collections/ports/items/port-aktau"],
)  # fmt: skip
def test_every_resource_answers_html_as_conformance_claims(client, url):
    response = client.get(url + "?f=html")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.get_data(as_text=True).startswith("<!doctype html>")
