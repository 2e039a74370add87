"""Fixtures: the app on the real bundled data, its test client and CLI runner; nginx."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from geoapp import create_app
from geoapp.config import DEFAULTS
from geoapp.deploy import nginx_binary
from tests.postgis import (  # noqa: F401 - fixtures: provider over files and PostGIS
    files_provider,
    new_database,
    pg_server,
    pg_url,
    postgis_provider,
    provider,
)
from tests.servers import gunicorn


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


@pytest.fixture(scope="session")
def live_server():
    """The real app under gunicorn (1 worker, 4 threads) on a free loopback port: its base URL."""
    with gunicorn(
        "--workers", "1", "--threads", "4", env={"GEOAPP_DATA_DIR": DEFAULTS["DATA_DIR"]}
    ) as url:
        yield url


@pytest.fixture(scope="session")
def nginx() -> str:
    """Debian's nginx, for the tests of the production topology. Without it they skip,
    except under CI=true, where they fail: CI must test what production runs."""
    path = nginx_binary()
    if path is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but nginx is not installed (apt-get install nginx)")
        pytest.skip("nginx is not installed (apt-get install nginx)")
    return path
