"""Security headers and trusted origins (issue 8): every answer says what the browser may do.

Policies are checked against the pages' real inline scripts, hashed here with
hashlib, not by the code under test.
"""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from geoapp import create_app
from geoapp.config import DEFAULTS, ConfigError, check

PATHS = [
    "/",
    "/?sectors=nope",
    "/api/layers",
    "/api/layers/ports",
    "/api/layers/nope",
    "/ogc",
    "/ogc/collections/ports/items?limit=nope",
    "/ogc/api?f=html",
    "/vendor/leaflet/1.9.3/leaflet.js",
    "/static/geoapp-ui.js",
    "/export.csv",
    "/no-such-page",
]


def directives(policy: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in policy.split(";")) if d}


@pytest.mark.parametrize("path", PATHS)
def test_every_answer_is_nosniff_with_a_referrer_policy_and_no_foreign_framing(client, path):
    with client.get(path) as response:
        headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "Content-Security-Policy" in headers


def test_map_page_policy_allows_exactly_its_own_inline_scripts(client):
    response = client.get("/")
    html = response.get_data(as_text=True)
    policy = directives(response.headers["Content-Security-Policy"])
    inline = re.findall(r"<script>(.*?)</script>", html, re.S)
    assert inline, "the page has its folium script inline"
    expected = {
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
        for s in inline
    }
    assert set(policy["script-src"]) == {"'self'", *expected}
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'self'"]
    assert policy["default-src"] == ["'none'"]


def test_data_answers_run_nothing_even_if_opened_as_a_page(client):
    for path in ("/api/layers/ports", "/ogc/collections/ports/items", "/api/layers/nope"):
        policy = directives(client.get(path).headers["Content-Security-Policy"])
        assert policy["default-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]


def test_standalone_export_carries_its_policy_in_a_meta_element(client):
    html = client.get("/export.html").get_data(as_text=True)
    meta = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html)
    assert meta and html.index(meta.group(0)) < html.index("<title>")
    policy = directives(meta.group(1).replace("&#39;", "'"))
    inline = re.findall(r"<script>(.*?)</script>", html, re.S)
    assert len(policy["script-src"]) == 1 + len(set(inline))
    assert "'unsafe-inline'" not in policy["script-src"]


def test_online_tiles_add_their_hosts_to_img_src_only():
    app = create_app({"TESTING": True, "ONLINE_TILES": True})
    policy = directives(app.test_client().get("/").headers["Content-Security-Policy"])
    assert "https://tile.openstreetmap.org" in policy["img-src"]
    assert policy["connect-src"] == ["'self'"]


# -- Host and absolute links -----------------------------------------------------------


def test_an_untrusted_host_is_refused_before_it_reaches_a_link(client):
    response = client.get("/ogc", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert b"evil.example/ogc" not in response.data


def test_links_built_from_the_host_say_they_vary_with_it(client):
    response = client.get("/ogc", headers={"Host": "127.0.0.1:5000"})
    assert response.status_code == 200
    assert "http://127.0.0.1:5000/ogc/conformance" in response.get_data(as_text=True)
    assert "Host" in response.headers["Vary"] and "Accept" in response.headers["Vary"]


def test_base_url_wins_over_any_host():
    app = create_app({"TESTING": True, "BASE_URL": "https://maps.example.org/geo/"})
    client = app.test_client()
    body = client.get("/ogc", headers={"Host": "evil.example"}).get_data(as_text=True)
    assert "https://maps.example.org/geo/ogc/collections" in body
    assert "evil.example" not in body
    assert "Host" not in client.get("/ogc").headers.get("Vary", "")


def test_trusted_hosts_setting_names_the_hosts_answered():
    app = create_app({"TESTING": True, "TRUSTED_HOSTS": "maps.example.org, .example.net"})
    client = app.test_client()
    assert client.get("/ogc", headers={"Host": "maps.example.org"}).status_code == 200
    assert client.get("/ogc", headers={"Host": "a.example.net"}).status_code == 200
    assert client.get("/ogc", headers={"Host": "localhost"}).status_code == 400


def test_a_trusted_proxy_forwards_scheme_and_host():
    app = create_app({"TESTING": True, "PROXY_COUNT": 1, "TRUSTED_HOSTS": "maps.example.org"})
    response = app.test_client().get(
        "/ogc",
        headers={"X-Forwarded-Host": "maps.example.org", "X-Forwarded-Proto": "https"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert "https://maps.example.org/ogc/conformance" in response.get_data(as_text=True)


def test_forwarded_headers_are_ignored_without_a_proxy(client):
    response = client.get("/ogc", headers={"X-Forwarded-Host": "evil.example"})
    assert "evil.example" not in response.get_data(as_text=True)


@pytest.mark.parametrize("bad", ["javascript:alert(1)", "example.org", "ftp://example.org"])
def test_base_url_must_be_http(bad):
    with pytest.raises(ConfigError, match="BASE_URL"):
        check({**DEFAULTS, "BASE_URL": bad})
