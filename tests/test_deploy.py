"""The production topology (``make serve-prod``): nginx in front of gunicorn, on loopback.

The shipped configs are rendered and started as production starts them (``python -m
geoapp.deploy``: gunicorn from ``geoapp.deploy.gunicorn`` on a unix socket, nginx from
``geoapp/deploy/nginx.conf`` without root, every path in tmp_path), then held to issue
8's goal: 200 slow clients and 64 normal ones at once, and every normal request still
answers with p99 under a second.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from geoapp import create_app
from geoapp.deploy import first_questions, nginx_command, render_nginx_conf, warm, write_nginx_conf
from tests.factories import make_feature, write_data_dir
from tests.load import run_load
from tests.servers import free_port, production

ROOT = Path(__file__).resolve().parent.parent


def get(url: str, data: bytes | None = None) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data), timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers), exc.read()


def raw(port: int, request: bytes) -> bytes:
    """Send ``request`` as it is (no Host added) and read the answer until nginx closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        chunks = []
        while chunk := s.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, exited but not yet reaped, does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


# -- the renderer ------------------------------------------------------------------------


def test_the_rendered_config_passes_nginx_own_check(nginx, tmp_path):
    prefix = tmp_path / "nginx"
    conf = write_nginx_conf(
        prefix, listen=f"127.0.0.1:{free_port()}", upstream=f"unix:{tmp_path}/gunicorn.sock"
    )
    command = nginx_command(nginx, prefix, conf, prefix / "nginx.pid", prefix / "logs/error.log")
    done = subprocess.run([*command[:1], "-t", *command[1:]], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr
    assert {p.name for p in (prefix / "temp").iterdir()} >= {"client_body", "proxy"}


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("listen", "127.0.0.1:80; include /etc/shadow"),
        ("listen", "0.0.0.0:80 }"),
        ("upstream", "127.0.0.1:8000;\nserver evil:80"),
        ("upstream", "unix:/" + "s" * 120),
        ("prefix", Path("/tmp/with space")),
        ("user", "root;"),
        ("cache_dir", Path("/tmp/cache; include /etc/shadow")),
        ("cache_max_size", "1g inactive=1y"),
        ("cache_max_size", "lots"),
    ],
)
def test_the_renderer_refuses_a_value_that_would_break_out_of_its_directive(option, value):
    options = {"listen": "127.0.0.1:8080", "upstream": "127.0.0.1:8001", "prefix": Path("/tmp/x")}
    with pytest.raises(ValueError):
        render_nginx_conf(**{**options, option: value})


@pytest.mark.parametrize(
    "hosts",
    [{}, {"TRUSTED_HOSTS": ".example.org"}, {"BASE_URL": "https://maps.example.org"}],
)
def test_warm_builds_the_first_page_so_that_forked_workers_start_with_it(tmp_path, hosts):
    data = str(write_data_dir(tmp_path / "data"))
    app = create_app({"TESTING": True, "DATA_DIR": data, **hosts})
    warm(app)  # what gunicorn's master does before it forks, whatever hosts it answers
    pages = app.extensions["geoapp.pages"]
    assert pages.builds == 1
    host = "http://maps.example.org" if hosts else "http://localhost"
    response = app.test_client().get("/", base_url=host, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert pages.builds == 1


def test_warm_builds_what_the_first_view_fetches(tmp_path, monkeypatch):
    from geoapp.data import generalise

    app = create_app({"TESTING": True, "DATA_DIR": str(write_data_dir(tmp_path / "data"))})
    warm(app)
    page = app.test_client().get("/").get_data(as_text=True)
    asked = first_questions(page)
    assert {u for u in asked if u.startswith("/api/layers/") and "?" not in u} == {
        f"/api/layers/{layer}" for layer in app.extensions["geoapp.catalog"].layers()
    }
    assert "/api/layers/basemap?simplify=5" in asked
    assert any(u.startswith("/api/view?") for u in asked)

    def build_again(*args):
        raise AssertionError("a warmed worker built a level again")

    monkeypatch.setattr(generalise, "simplified", build_again)
    client = app.test_client()
    for url in asked:
        assert client.get(url, headers={"Accept-Encoding": "gzip"}).status_code == 200, url


# -- make serve-prod ------------------------------------------------------------------------


def test_serve_prod_answers_through_nginx_and_ctrl_c_stops_both(nginx, tmp_path):
    with production(tmp_path / "run") as server:
        status, headers, body = get(server.url + "/ogc?f=json")
        assert status == 200 and headers["Server"] == "nginx"
        # The client's Host reaches the app: its absolute links lead back through nginx,
        # also for an HTTP/1.0 client that sends none; no X-Forwarded-* header a client
        # sends is believed (nginx sets or clears each; the app trusts one proxy).
        assert json.loads(body)["links"][0]["href"] == f"{server.url}/ogc?f=json"
        spoofed = (b"X-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.example\r\n"
                   b"X-Forwarded-Port: 1\r\nX-Forwarded-Prefix: /evil\r\n"
                   b"X-Forwarded-Ssl: on\r\nX-Forwarded-Protocol: ssl\r\n")  # fmt: skip
        for head in (b"GET /ogc?f=json HTTP/1.0\r\n", b"GET /ogc?f=json HTTP/1.0\r\n" + spoofed):
            answer = raw(server.port, head + b"\r\n")
            assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]
            body = answer.split(b"\r\n\r\n", 1)[1]
            assert json.loads(body)["links"][0]["href"] == f"{server.url}/ogc?f=json"
        status, headers, _ = get(server.url + "/vendor/leaflet/1.9.3/leaflet.js")
        assert status == 200 and "max-age=31536000" in headers["Cache-Control"]
        # No upload is ever meant for geoapp: nginx refuses a large body itself.
        assert get(server.url + "/api/layers", data=b"x" * 100_000)[0] == 413
        # gunicorn listens on a unix socket only, never on a port.
        assert stat.S_ISSOCK(server.files.socket.stat().st_mode)
        master = server.master_pid()
        nginx_master = int(server.files.nginx_pid.read_text())
        deadline = time.monotonic() + 30  # gunicorn forks its workers one after the other
        while len(workers := server.worker_pids()) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert alive(master) and alive(nginx_master) and len(workers) == 2
    assert server.process.returncode == 0
    assert not any(alive(pid) for pid in (master, nginx_master, *workers))
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", server.port)) != 0, "nginx still listens"


def test_serve_prod_refuses_bad_data_before_starting_nginx(nginx, tmp_path):
    data = write_data_dir(tmp_path / "data", {"ports": [make_feature("ports", status="planned")]})
    done = subprocess.run(
        [sys.executable, "-m", "geoapp.deploy", "--port", str(free_port()),
         "--run-dir", str(tmp_path / "run")],
        env={**os.environ, "GEOAPP_DATA_DIR": str(data)},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    lines = done.stderr.splitlines()
    assert lines[0].startswith("ports.geojson: ports-one: unknown status 'planned'; valid: ")
    assert lines[1:] == ["geoapp: refusing to start: the data does not validate"]
    assert not (tmp_path / "run" / "nginx" / "nginx.pid").exists()


def test_serve_prod_bad_command_line_is_one_line_and_exit_2():
    done = subprocess.run(
        [sys.executable, "-m", "geoapp.deploy", "--port", "http"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "python -m geoapp.deploy: error: argument --port: 'http' is not a port number"
    ]


def test_make_serve_prod_runs_the_launcher():
    recipe = (ROOT / "Makefile").read_text().split("\nserve-prod:", 1)[1].split("\n\n", 1)[0]
    assert "-m geoapp.deploy --host $(HOST) --port $(PORT)" in recipe


# -- issue 8, finding 2 -----------------------------------------------------------------------


@pytest.mark.slow
def test_200_slow_clients_do_not_stop_normal_requests(nginx, tmp_path):
    """200 connections sending their request head a byte a second (reconnecting when cut)
    and 64 clients doing normal GETs for 10 s: every GET answers, p99 under a second.

    The normal clients pause 0.2 s between requests, as a person's browser does, so the
    load (at most 320 requests/s) stays well below what this 2-core machine, shared with
    other jobs, serves: the test measures what slow clients do to the others, not the
    machine's capacity. bench/slow_clients.py runs the same load back to back, and
    against gunicorn alone.
    """
    with production(tmp_path / "run") as server:
        result = run_load(
            "127.0.0.1", server.port, slow=200, fast=64, duration=10, timeout=5, pause=0.2
        )
        os.kill(server.master_pid(), 0)
    print(result.summary())  # shown by pytest -rP, and with any failure
    assert result.slow_peak == 200, result.summary()  # the slow load did happen
    assert result.slow_cut >= 200, result.summary()  # nginx cut them (client_header_timeout)
    assert result.requests > 1500, result.summary()
    assert result.ok == result.requests, result.summary()
    assert result.percentile(99) < 1.0, result.summary()
