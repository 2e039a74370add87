"""Fixtures: the app on the real bundled data, its test client and CLI runner."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from geoapp import create_app
from geoapp.config import DEFAULTS


@pytest.fixture(scope="session")
def app():
    """The app on the bundled geodata/ (loaded once: it is read-only)."""
    return create_app({"TESTING": True, "DATA_DIR": DEFAULTS["DATA_DIR"]})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def catalog(app):
    return app.extensions["geoapp.catalog"]


@pytest.fixture
def runner():
    return CliRunner()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server():
    """The real app under gunicorn on a free loopback port; yields its base URL."""
    import os
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    port = free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen(
        [str(gunicorn), "--workers", "1", "--threads", "4", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "geoapp:create_app()"],
        env={**os.environ, "GEOAPP_DATA_DIR": DEFAULTS["DATA_DIR"]},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url + "/api/layers", timeout=2):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("gunicorn did not start") from None
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(timeout=10)
