"""Fixtures: the app on the real bundled data, its test client and CLI runner."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from geoapp import create_app
from geoapp.config import DEFAULTS
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
