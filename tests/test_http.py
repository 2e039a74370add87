"""HTTP behaviour of the API and OGC answers: ETag/304, gzip, Cache-Control and CORS."""

from __future__ import annotations

import gzip
import random
import re

import pytest

from geoapp.data.query import BBOX_HINT, DATETIME_HINT
from geoapp.data.schema import SECTORS
from geoapp.web.http import GzipCache, send_body

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


# -- gzip: only what compresses, cached by ETag within a byte budget ---------------------


@pytest.mark.parametrize(
    ("mimetype", "zipped"),
    [
        ("image/png", False),
        ("application/pdf", False),
        ("application/geopackage+sqlite3", False),
        ("application/zip", False),
        ("application/geo+json", True),
        ("application/vnd.google-earth.kml+xml", True),
        ("image/svg+xml", True),
        ("text/csv", True),
        ("text/html", True),
    ],
)
def test_only_compressible_media_types_are_gzipped(app, mimetype, zipped):
    body = bytes(range(256)) * 8
    with app.test_request_context(headers={"Accept-Encoding": "gzip"}):
        response = send_body(body, mimetype)
    assert (response.headers.get("Content-Encoding") == "gzip") == zipped
    assert (gzip.decompress(response.data) if zipped else response.data) == body


def test_gzip_cache_is_keyed_by_etag_and_bounded_in_bytes():
    cache = GzipCache(max_bytes=3000)
    bodies = {f"tag-{i}": random.Random(i).randbytes(1000) for i in range(6)}
    for tag, body in bodies.items():
        assert gzip.decompress(cache.get(tag, body)) == body
        assert cache.size <= cache.max_bytes
    assert 0 < len(cache) < len(bodies)
    latest = cache.get("tag-5", b"not consulted: the tag names the body")
    assert gzip.decompress(latest) == bodies["tag-5"]
    assert gzip.decompress(cache.get(None, b"x" * 600)) == b"x" * 600  # not kept
    assert gzip.decompress(cache.get("tag-0", bodies["tag-0"])) == bodies["tag-0"]  # evicted


def test_a_body_larger_than_the_budget_is_compressed_but_not_kept():
    cache = GzipCache(max_bytes=100)
    body = random.Random(1).randbytes(1000)
    assert gzip.decompress(cache.get("big", body)) == body
    assert (len(cache), cache.size) == (0, 0)


# -- ETags: weak for items pages, one per encoding, compared weakly ---------------------


def test_items_pages_carry_a_weak_etag_that_revalidates(client):
    url = "/ogc/collections/ports/items?limit=2"
    etag = client.get(url).headers["ETag"]
    assert etag.startswith('W/"')
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["ETag"] == etag


@pytest.mark.parametrize("url", ["/api/layers/basemap", "/ogc/collections/basemap/items"])
def test_gzip_and_identity_answers_have_different_etags(client, url):
    plain = client.get(url)
    zipped = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert plain.headers["ETag"] != zipped.headers["ETag"]
    # Each tag revalidates its own representation only.
    for tag, encoding, status in [
        (zipped.headers["ETag"], "gzip", 304),
        (zipped.headers["ETag"], "identity", 200),
        (plain.headers["ETag"], "identity", 304),
        (plain.headers["ETag"], "gzip", 200),
    ]:
        headers = {"If-None-Match": tag, "Accept-Encoding": encoding}
        assert client.get(url, headers=headers).status_code == status, (tag, encoding)


def test_if_none_match_uses_the_weak_comparison(client):
    strong = client.get("/api/layers/ports").headers["ETag"]
    assert not strong.startswith("W/")
    answer = client.get("/api/layers/ports", headers={"If-None-Match": f'"other", W/{strong}'})
    assert answer.status_code == 304
    assert client.get("/api/layers/ports", headers={"If-None-Match": "*"}).status_code == 304


# -- error answers: headers of the status, CORS everywhere, never cached ---------------


@pytest.mark.parametrize("url", ["/ogc/collections", "/api/layers/ports", "/ogc/api"])
def test_method_not_allowed_names_the_allowed_methods(client, url):
    response = client.post(url)
    assert response.status_code == 405
    assert {"GET", "HEAD", "OPTIONS"} <= {m.strip() for m in response.headers["Allow"].split(",")}
    assert response.get_json()["code"] == 405


@pytest.mark.parametrize("url", ["/ogc/nothing/here", "/api/nope/deeper", "/api"])
def test_unrouted_api_paths_answer_a_json_404_readable_cross_origin(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    "url",
    [
        "/ogc/collections/nope",
        "/ogc/collections/ports/items?limit=0",
        "/api/layers/ports?bbox=1",
        "/api/nope",
        "/?sectors=culture",
        "/no-such-page",
    ],
)
def test_error_answers_are_never_stored_by_caches(client, url):
    response = client.get(url)
    assert response.status_code in (400, 404)
    assert response.headers["Cache-Control"] == "no-store"
    assert "ETag" not in response.headers


# -- error bodies: a vocabulary as a list, a form as one sentence ----------------------


def test_a_vocabulary_error_lists_the_values(client):
    doc = client.get("/api/layers/ports?sector=nuclear").get_json()
    assert doc["valid"] == list(SECTORS) and "hint" not in doc
    assert doc["description"] == f"invalid sector 'nuclear'; valid: {', '.join(SECTORS)}"


@pytest.mark.parametrize(
    ("url", "hint"),
    [
        ("/ogc/collections/events/items?datetime=yesterday", DATETIME_HINT),
        ("/ogc/collections/ports/items?bbox=1,2", BBOX_HINT),
        ("/api/layers/ports?completed_by=soon", "an ISO date YYYY-MM-DD"),
        ("/ogc/collections/ports/items?limit=0", "a whole number from 1 to 1000"),
    ],
)
def test_a_form_error_gives_its_hint_whole_and_no_value_list(client, url, hint):
    doc = client.get(url).get_json()
    assert doc["hint"] == hint and "valid" not in doc
    assert doc["description"].endswith(f"; valid: {hint}")


def test_error_page_shows_a_hint_as_a_sentence_and_a_vocabulary_as_a_list(client):
    hinted = client.get("/?lat=40").text
    assert '<p class="hint">Expected: lat and lon together, in degrees.</p>' in hinted
    assert '<ul class="valid">' not in hinted
    listed = client.get("/?sectors=culture").text
    assert re.findall(r"<li><code>([^<]+)</code></li>", listed) == list(SECTORS)
    assert 'class="hint"' not in listed


@pytest.mark.parametrize(
    "path",
    ["/?sectors=energy&sectors=trade", "/api/layers/ports?sector=energy&sector=trade",
     "/ogc/collections/ports/items?limit=1&limit=2", "/export.csv?layers=ports&layers=events"],
)  # fmt: skip
def test_a_parameter_given_twice_is_a_400_everywhere(client, path):
    response = client.get(path)
    assert response.status_code == 400
    assert "given" in response.text or "at most once" in response.text


def test_a_parameter_given_twice_under_two_spellings_is_still_a_400(client):
    assert client.get("/?sectors=energy&sector%73=trade").status_code == 400
