"""nginx's cache in front of gunicorn (issue 14), as ``make serve-prod`` runs it.

Real nginx (Debian's) and real gunicorn, started by ``python -m geoapp.deploy`` on a
data directory in tmp_path. What nginx answers is compared with what gunicorn answers
on its own unix socket to the same request: the cache must never change a byte, must
keep apart what varies (query string, Accept-Encoding, Accept), must never keep an
error, must revalidate with the ETag, and must never serve an answer of an old data
version longer than its max-age (plus nginx's one-second clock) once gunicorn serves
the new one.
"""

from __future__ import annotations

import gzip
import http.client
import json
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from geoapp.maps.assets import PACKAGES, STATIC_DIR
from tests.factories import make_feature, write_data_dir
from tests.servers import Production, production

GEOAPP = Path(sys.executable).with_name("geoapp")
GZIP = {"Accept-Encoding": "gzip"}


class _UnixConnection(http.client.HTTPConnection):
    """HTTP over gunicorn's unix socket: the app's own answer, with no nginx between."""

    def __init__(self, path: Path):
        super().__init__("localhost", timeout=10)
        self._path = str(path)

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(self._path)


class Answer:
    def __init__(self, response: http.client.HTTPResponse):
        self.status = response.status
        self.headers = {k.lower(): v for k, v in response.getheaders()}
        self.body = response.read()

    @property
    def cache(self) -> str | None:
        return self.headers.get("x-cache-status")

    def text(self) -> bytes:
        """The body decoded from gzip when it came gzipped."""
        if self.headers.get("content-encoding") == "gzip":
            return gzip.decompress(self.body)
        return self.body


def via_nginx(server: Production, path: str, headers: dict | None = None) -> Answer:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        return Answer(conn.getresponse())
    finally:
        conn.close()


def direct(server: Production, path: str, headers: dict | None = None) -> Answer:
    """gunicorn's answer, with the Host nginx passes (the client's), so links are equal."""
    conn = _UnixConnection(server.files.socket)
    try:
        conn.request("GET", path, headers={"Host": f"127.0.0.1:{server.port}", **(headers or {})})
        return Answer(conn.getresponse())
    finally:
        conn.close()


def without_timestamp(body: bytes) -> bytes:
    """An OGC items page without its ``timeStamp``, the one part that changes every second."""
    stripped, count = re.subn(rb'"timeStamp":\s*"[^"]*",?', b"", body)
    assert count == 1, body[:200]
    return stripped


def ports(count: int, name: str = "Port") -> list[dict]:
    """Enough ports that their layer is worth gzipping (the app gzips above 512 bytes)."""
    return [make_feature("ports", f"ports-{i}", name=f"{name} {i}") for i in range(count)]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return write_data_dir(tmp_path / "data", {"ports": ports(5)})


# -- what is cached, and how ------------------------------------------------------------------

PATHS = [
    "/",
    "/api/layers",
    "/api/layers/ports",
    "/api/layers/ports?sector=energy",
    "/ogc/collections/ports/items?f=html&limit=2",
    "/ogc/collections/ports/items?limit=2",
]


def test_cached_answers_are_the_app_answers_byte_for_byte(nginx, tmp_path, data):
    with production(tmp_path / "run", env={"GEOAPP_DATA_DIR": str(data)}) as server:
        for path in PATHS:
            for headers in (GZIP, {}):
                first = via_nginx(server, path, headers)
                again = via_nginx(server, path, headers)
                own = direct(server, path, headers)
                assert first.status == again.status == own.status == 200, path
                # The launcher's start-up probe asked /api/layers (identity) already.
                warmed = (path, headers) == ("/api/layers", {})
                assert first.cache == ("HIT" if warmed else "MISS"), (path, headers)
                assert again.cache == "HIT", (path, headers)
                assert own.cache is None
                for name in ("content-type", "content-encoding", "etag", "cache-control"):
                    assert again.headers.get(name) == own.headers.get(name), (path, name)
                assert again.body == first.body
                if "items?limit" in path:  # JSON items pages carry the time they were made
                    assert without_timestamp(again.text()) == without_timestamp(own.text())
                else:
                    assert again.body == own.body, (path, headers)
                zipped = again.headers.get("content-encoding") == "gzip"
                assert zipped == bool(headers), (path, headers)  # the app gzips these

        # The query string is in the key: another limit is another answer.
        one = via_nginx(server, "/ogc/collections/ports/items?limit=1")
        assert one.cache == "MISS" and json.loads(one.body)["numberReturned"] == 1

        # The Host is in the key: the OGC API's links are absolute, and one name's answer
        # must never be served to another (both are loopback names the app trusts).
        for host in (f"127.0.0.1:{server.port}", f"localhost:{server.port}"):
            for expected in ("MISS", "HIT"):
                answer = via_nginx(server, "/ogc?f=json", {"Host": host})
                assert answer.cache == expected, host
                assert json.loads(answer.body)["links"][0]["href"] == f"http://{host}/ogc?f=json"

        # Accept is in the key where it chooses the answer (OGC API without ?f=).
        for accept, kind in (("text/html", "text/html"), ("application/json", "application/json")):
            for expected in ("MISS", "HIT"):
                answer = via_nginx(server, "/ogc/collections", {"Accept": accept})
                assert answer.cache == expected and answer.headers["content-type"].startswith(kind)

        # Revalidation through nginx: the ETag of the cached answer gives a 304, no body.
        for headers in (GZIP, {}):
            tag = via_nginx(server, "/api/layers/ports", headers).headers["etag"]
            answer = via_nginx(server, "/api/layers/ports", {**headers, "If-None-Match": tag})
            assert (answer.status, answer.cache, answer.body) == (304, "HIT", b"")
            weak = via_nginx(server, "/ogc/collections/ports/items?limit=2", headers)
            assert weak.headers["etag"].startswith('W/"')
            answer = via_nginx(
                server,
                "/ogc/collections/ports/items?limit=2",
                {**headers, "If-None-Match": weak.headers["etag"]},
            )
            assert (answer.status, answer.cache) == (304, "HIT")

        # A conditional request on a miss: the client gets its 304, and the cache the
        # whole answer (nginx asks the app unconditionally), never an empty body.
        path = "/api/layers/ports?status=operating"
        tag = direct(server, path, GZIP).headers["etag"]
        answer = via_nginx(server, path, {**GZIP, "If-None-Match": tag})
        assert (answer.status, answer.cache) == (304, "MISS")
        answer = via_nginx(server, path, GZIP)
        assert (answer.status, answer.cache) == (200, "HIT")
        assert answer.body == direct(server, path, GZIP).body != b""

        # Errors are never kept: each is asked of the app again.
        for path, status in (("/api/layers/nope", 404), ("/ogc/collections/ports/items?limit=x", 400)):  # fmt: skip
            for _ in range(2):
                answer = via_nginx(server, path)
                assert answer.status == status and answer.cache == "MISS", path
                assert answer.headers["cache-control"] == "no-store"


def test_nginx_serves_the_static_files_from_the_installed_package(nginx, tmp_path, data):
    leaflet_dir, version = PACKAGES["leaflet"]
    files = [
        ("/static/geoapp.css", STATIC_DIR / "geoapp.css", "text/css; charset=utf-8", "no-cache"),
        ("/static/geoapp-ui.js", STATIC_DIR / "geoapp-ui.js", "text/javascript; charset=utf-8",
         "no-cache"),
        (f"/vendor/leaflet/{version}/leaflet.js", Path(leaflet_dir) / "leaflet.js",
         "text/javascript; charset=utf-8", "public, max-age=31536000"),
        (f"/vendor/leaflet/{version}/images/marker-icon.png",
         Path(leaflet_dir) / "images/marker-icon.png", "image/png", "public, max-age=31536000"),
    ]  # fmt: skip
    with production(tmp_path / "run", env={"GEOAPP_DATA_DIR": str(data)}) as server:
        for url, path, kind, cache_control in files:
            for headers in (GZIP, {}):
                answer = via_nginx(server, url, headers)
                assert answer.status == 200, url
                # Served by nginx itself: no cache status (never proxied), nginx's ETag form.
                assert answer.cache is None, url
                assert re.fullmatch(r'(W/)?"[0-9a-f]+-[0-9a-f]+"', answer.headers["etag"]), url
                assert answer.text() == path.read_bytes(), url
                assert answer.headers["content-type"] == kind
                assert answer.headers["cache-control"] == cache_control
                own = direct(server, url, headers)
                for name in ("x-content-type-options", "referrer-policy", "x-frame-options",
                             "content-security-policy"):  # fmt: skip
                    assert answer.headers[name] == own.headers[name], (url, name)
            # Text is gzipped for a client that asks; an image is not.
            zipped = via_nginx(server, url, GZIP).headers.get("content-encoding")
            assert zipped == (None if kind == "image/png" else "gzip"), url
            # nginx's own revalidation.
            tag = via_nginx(server, url).headers["etag"]
            assert via_nginx(server, url, {"If-None-Match": tag}).status == 304
        # A file the page does not use stays the app's 404, as without nginx.
        missing = via_nginx(server, f"/vendor/leaflet/{version}/leaflet-src.js")
        assert missing.status == 404 and missing.cache == "MISS"


# -- a new data version ---------------------------------------------------------------------

MAX_AGE = 2
#: nginx counts time in whole seconds: an answer may be kept up to a second past max-age.
CLOCK = 1.0


def names(answer: Answer) -> list[str]:
    return [f["properties"]["name"] for f in json.loads(answer.text())["features"]]


def test_a_new_data_version_is_never_served_past_max_age(nginx, tmp_path, data):
    env = {"GEOAPP_DATA_DIR": str(data), "GEOAPP_CACHE_MAX_AGE": str(MAX_AGE)}
    path = "/api/layers/ports"
    with production(tmp_path / "run", env=env) as server:
        first = via_nginx(server, path, GZIP)
        cached_by = time.monotonic()  # nginx stored it before this
        assert first.cache == "MISS" and names(first) == [f"Port {i}" for i in range(5)]
        assert first.headers["cache-control"] == f"public, max-age={MAX_AGE}"
        assert via_nginx(server, path, GZIP).cache == "HIT"
        # Past max-age, unchanged data: nginx asks the app with the ETag and gets a 304.
        time.sleep(max(0.0, cached_by + MAX_AGE + CLOCK + 0.2 - time.monotonic()))
        renewed = via_nginx(server, path, GZIP)
        assert renewed.cache == "REVALIDATED" and renewed.body == first.body

        # A new data version: the files change, `geoapp reload` has the server load them.
        # gunicorn replaces its workers one by one: until the last old one has stopped,
        # an answer (or a 304 renewing nginx's copy) may still come from the old data.
        # From then on, no old answer may outlive its max-age in nginx.
        old_workers = server.worker_pids()
        write_data_dir(data, {"ports": ports(4, name="Renamed")})
        done = subprocess.run(
            [str(GEOAPP), "reload", "--pid", str(server.files.gunicorn_pid), "--data-dir",
             str(data)], capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        reloaded = time.monotonic()
        new_names = [f"Renamed {i}" for i in range(4)]
        seen = []
        deadline = time.monotonic() + 30
        while old_workers & server.worker_pids():
            assert time.monotonic() < deadline, "the old workers never stopped"
            answer = via_nginx(server, path, GZIP)
            seen.append((round(time.monotonic() - reloaded, 2), answer.cache, names(answer)[0]))
            time.sleep(0.1)
        live = time.monotonic()  # only the new data is served by gunicorn now
        seen.append(("live", round(live - reloaded, 2)))
        assert names(direct(server, path, GZIP)) == new_names

        # Through nginx: an old answer at most until its max-age ends, never after.
        expires = live + MAX_AGE + CLOCK
        while time.monotonic() < expires + 1.5:
            asked = time.monotonic()
            answer = via_nginx(server, path, GZIP)
            seen.append((round(asked - live, 2), answer.cache, names(answer)[0]))
            if asked > expires:
                assert names(answer) == new_names, " ".join(map(str, seen))
            else:
                assert names(answer) in (new_names, names(first)), seen
            time.sleep(0.1)

        # The new answer is cached in turn.
        assert "HIT" in [entry[1] for entry in seen[-5:]], " ".join(map(str, seen))

        # The old ETag does not revalidate the new data, through nginx either.
        answer = via_nginx(server, path, {**GZIP, "If-None-Match": first.headers["etag"]})
        assert answer.status == 200 and names(answer) == new_names
