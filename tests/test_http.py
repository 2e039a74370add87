"""HTTP behaviour of the API and OGC answers: ETag/304, gzip, Cache-Control and CORS."""

from __future__ import annotations

import gzip

import pytest

URLS = [
    "/api/layers",
    "/api/layers/ports",
    "/ogc",
    "/ogc/conformance",
    "/ogc/api",
    "/ogc/collections",
    "/ogc/collections/ports",
    "/ogc/collections/basemap/items",
    "/ogc/collections/ports/items?limit=3&sector=trade",
]


@pytest.mark.parametrize("url", URLS)
def test_conditional_get_answers_304_without_a_body(client, url):
    first = client.get(url)
    assert first.status_code == 200 and first.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""


@pytest.mark.parametrize("url", URLS)
def test_get_answers_carry_cache_control_and_cors(client, app, url):
    response = client.get(url)
    max_age = app.config["CACHE_MAX_AGE"]
    assert response.headers["Cache-Control"] == f"public, max-age={max_age}"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Accept-Encoding" in response.headers["Vary"]


def test_large_bodies_are_gzipped_when_accepted(client):
    plain = client.get("/ogc/collections/basemap/items")
    zipped = client.get("/ogc/collections/basemap/items", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert len(zipped.data) < len(plain.data)
    body = gzip.decompress(zipped.data)
    assert body.split(b'"timeStamp"')[0] == plain.data.split(b'"timeStamp"')[0]


def test_items_etag_ignores_the_timestamp_but_not_the_page(client):
    first = client.get("/ogc/collections/ports/items?limit=2")
    second = client.get("/ogc/collections/ports/items?limit=2")
    other = client.get("/ogc/collections/ports/items?limit=2&offset=2")
    assert first.headers["ETag"] == second.headers["ETag"] != other.headers["ETag"]


@pytest.mark.parametrize("url", ["/api/layers/ports", "/ogc/collections/ports/items"])
def test_cors_preflight_allows_get_from_any_origin(client, url):
    response = client.options(
        url,
        headers={
            "Origin": "https://other.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "If-None-Match",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert response.headers["Access-Control-Allow-Headers"] == "If-None-Match"


def test_error_answers_are_readable_cross_origin(client):
    response = client.get("/ogc/collections/nope")
    assert response.status_code == 404
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.mimetype == "application/json"
