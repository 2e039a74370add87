"""The documented production command: gunicorn with ``geoapp:create_app()`` serves the map."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.factories import make_feature, write_data_dir
from tests.servers import gunicorn


@pytest.fixture(scope="module")
def gunicorn_url():
    """``gunicorn --workers 2 --threads 4 --bind 127.0.0.1:PORT geoapp.wsgi:app`` (docs/web.md)."""
    with gunicorn("--workers", "2", "--threads", "4") as url:
        yield url


def get(url: str, **headers: str):
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, dict(response.headers), response.read()


def test_gunicorn_serves_the_map_page_its_assets_and_data(gunicorn_url):
    status, headers, body = get(gunicorn_url + "/", **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    html = gzip.decompress(body).decode()
    assert "L.map(" in html and "/api/layers/pipelines" in html
    status, _, body = get(gunicorn_url + "/vendor/leaflet/1.9.3/leaflet.js")
    assert status == 200 and b"Leaflet" in body[:500]
    status, _, body = get(gunicorn_url + "/api/layers/ports")
    assert status == 200 and b"FeatureCollection" in body


def test_both_workers_give_the_same_page_and_etag(gunicorn_url):
    # Pages are built deterministically, so an ETag from one worker is valid at the other.
    etags = {get(gunicorn_url + "/?sectors=trade")[1]["ETag"] for _ in range(8)}
    assert len(etags) == 1


def test_gunicorn_answers_a_bad_query_with_400_and_no_traceback(gunicorn_url):
    with pytest.raises(urllib.error.HTTPError) as info:
        get(gunicorn_url + "/?layers=nowhere")
    assert info.value.code == 400
    body = info.value.read().decode()
    info.value.close()
    assert "pipelines" in body and "Traceback" not in body


def test_gunicorn_refuses_broken_data_with_one_line_per_problem(tmp_path):
    write_data_dir(tmp_path, {"ports": [make_feature("ports", status="planned")]})
    gunicorn_bin = Path(sys.executable).with_name("gunicorn")
    done = subprocess.run(
        [str(gunicorn_bin), "--workers", "1", "--bind", "127.0.0.1:0", "geoapp.wsgi:app"],
        env={**os.environ, "GEOAPP_DATA_DIR": str(tmp_path)},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert "ports.geojson: ports-one: unknown status 'planned'" in done.stderr
    assert "refusing to start" in done.stderr
    assert "Traceback" not in done.stderr
