"""Fixtures: the app on the real bundled data, its test client and CLI runner; nginx.
Under pytest-xdist, a test that measures time runs alone (:func:`pytest_runtest_protocol`)."""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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

# No test reads or writes the developer's instance folder (their ingested articles): an
# empty one of the session's own, which servers started by the tests inherit. Tests that
# ingest point GEOAPP_INSTANCE at their tmp_path.
os.environ["GEOAPP_INSTANCE"] = tempfile.mkdtemp(prefix="geoapp-test-instance-")
# The places store is derived data, not the user's: every worker and server shares the one
# `make test` builds (instance/places.sqlite3), rather than building its own (~20 s each).
os.environ.setdefault(
    "GEOAPP_PLACES_DB", str(Path(__file__).resolve().parent.parent / "instance" / "places.sqlite3")
)


@pytest.fixture(scope="session", autouse=True)
def places_store() -> Path:
    """The places store the files provider reads (``geoapp places build``), built once if
    missing or stale: ``make test`` builds it first; pytest workers wait on its lock."""
    from geoapp.data.places_store import build, default_path

    path = default_path()
    build(path)
    return path


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


# -- pytest-xdist: a test that measures time has the machine to itself ---------------------

#: The folder of the run's lock files, made by the controller and handed to each worker.
LOCKS = "geoapp_locks"
_LOCKS = pytest.StashKey[str]()


def timed(item: pytest.Item) -> bool:
    """Whether a test measures time or load (markers ``timed`` and ``slow``): its bounds
    hold on a machine of its own, not beside another worker's tests."""
    return any(item.iter_markers("timed")) or any(item.iter_markers("slow"))


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """pytest-xdist, in the controller: every worker gets the same lock folder."""
    config = node.config
    if _LOCKS not in config.stash:
        config.stash[_LOCKS] = tempfile.mkdtemp(prefix="geoapp-xdist-")
    node.workerinput[LOCKS] = config.stash[_LOCKS]


def pytest_unconfigure(config: pytest.Config) -> None:
    if _LOCKS in config.stash:
        shutil.rmtree(config.stash[_LOCKS], ignore_errors=True)


@contextmanager
def machine(folder: str, *, alone: bool) -> Iterator[None]:
    """Hold the machine: shared by ordinary tests, alone for a timed one (a reader-writer
    lock over flock). A timed test waiting for it holds the gate, so no other test starts
    meanwhile and it waits only for the tests already running."""
    with open(Path(folder, "gate"), "a") as gate, open(Path(folder, "machine"), "a") as held:
        fcntl.flock(gate, fcntl.LOCK_EX)
        try:
            fcntl.flock(held, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        finally:
            fcntl.flock(gate, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(held, fcntl.LOCK_UN)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    """Under pytest-xdist, run each test (setup, call, teardown) holding the machine:
    a timed test alone, the others side by side. Grouping timed tests on one worker would
    not do: on two cores, the other worker's tests still take one of them."""
    folder = getattr(item.config, "workerinput", {}).get(LOCKS)
    if folder is None:  # no xdist, or a pytest that a test runs (it holds the machine)
        return (yield)
    with machine(folder, alone=timed(item)):
        return (yield)
