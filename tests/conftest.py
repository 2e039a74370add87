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

#: The providers every data-facing test runs on (one suite, not a copy per provider).
PROVIDERS = ("files", "postgis")


@pytest.fixture(scope="session", params=PROVIDERS)
def backend(request) -> dict[str, str]:
    """The settings that choose a provider, on the bundled data: files, or a PostGIS
    database loaded with it (``geoapp db load``, once per session)."""
    if request.param == "files":
        return {"DATA_DIR": DEFAULTS["DATA_DIR"]}
    return {"DATA_DIR": DEFAULTS["DATA_DIR"], "DATABASE_URL": request.getfixturevalue("pg_url")}


@pytest.fixture(scope="session")
def app(backend):
    """The app on the bundled data, through each provider (read-only: loaded once each)."""
    return create_app({"TESTING": True, **backend})


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
def live_server(backend):
    """The real app under gunicorn (1 worker, 4 threads) on a free loopback port, through
    each provider: its base URL."""
    env = {f"GEOAPP_{key}": value for key, value in backend.items()}
    env.setdefault("GEOAPP_DATABASE_URL", "")
    with gunicorn("--workers", "1", "--threads", "4", env=env) as url:
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
