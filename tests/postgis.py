"""PostGIS for tests: the test server, throwaway databases and the ``provider`` fixture.

The server is the one ``tools/postgres.sh start`` runs (``GEOAPP_TEST_DATABASE_URL``,
else the cluster the script started for this checkout). Each test session gets its
own database (each pytest-xdist worker its own: the name carries the worker's id),
copied from ``geoapp_template`` and loaded once with the bundled data; tests that
change data get a database of their own. Without a server, tests that
need one skip with the reason, except under ``CI=true``, where they fail.

The fixtures are imported by ``tests/conftest.py``: ``provider`` runs a test once per
provider (``files``, ``postgis``) on the bundled data.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest

from geoapp.config import DEFAULTS, ROOT

SCRIPT = ROOT / "tools" / "postgres.sh"
TEMPLATE = "geoapp_template"
START = "tools/postgres.sh start"


def unavailable(reason: str) -> None:
    """Skip, or fail under CI=true: CI must never pass without having run PostGIS."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


def server_url() -> str | None:
    """The test server's URL: $GEOAPP_TEST_DATABASE_URL, else this checkout's cluster."""
    url = os.environ.get("GEOAPP_TEST_DATABASE_URL")
    if url:
        return url
    try:
        found = subprocess.run(
            ["sh", str(SCRIPT), "url"], capture_output=True, text=True, timeout=30, check=False
        )
    except OSError:
        return None
    return found.stdout.strip() or None if found.returncode == 0 else None


def with_database(url: str, name: str) -> str:
    """``url`` naming another database on the same server."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    return make_conninfo(**{**conninfo_to_dict(url), "dbname": name})


class Server:
    """The test server: creates and drops throwaway databases."""

    def __init__(self, url: str):
        self.url = url

    def admin(self):
        import psycopg

        return psycopg.connect(with_database(self.url, "postgres"), autocommit=True)

    def create(self, *, postgis: bool = True) -> tuple[str, str]:
        """A new empty database (with PostGIS unless told not): its URL and name."""
        import psycopg
        from psycopg import sql

        # The pytest-xdist worker (gw0, gw1, ...; "main" without it) and the process tell
        # whose a leftover database is; the random part keeps one process's names apart.
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        name = f"geoapp_t_{worker}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        with closing(self.admin()) as conn:
            copy = (
                postgis
                and conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", [TEMPLATE]
                ).fetchone()
            )
            template = sql.Identifier(TEMPLATE if copy else "template0")
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), template)
            )
        url = with_database(self.url, name)
        if postgis and not copy:  # a server not made by tools/postgres.sh
            with closing(psycopg.connect(url, autocommit=True)) as conn:
                conn.execute("CREATE EXTENSION postgis")
        return url, name

    def drop(self, names: list[str]) -> None:
        from psycopg import sql

        with closing(self.admin()) as conn:
            for name in names:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )


@pytest.fixture(scope="session")
def pg_server() -> Server:
    """The PostgreSQL test server; skips (fails under CI=true) when there is none."""
    try:
        import psycopg
    except ImportError:
        unavailable("psycopg is not installed (pip install -e '.[postgis]')")
    url = server_url()
    if url is None:
        unavailable(f'no PostgreSQL test server: run `eval "$({START})"`')
    try:
        with closing(psycopg.connect(url, connect_timeout=5)):
            pass
    except psycopg.Error as exc:
        from geoapp.data.db import redact, scrub

        unavailable(f"the test server {redact(url)} does not answer: {scrub(str(exc), url)}")
    return Server(url)


@pytest.fixture
def new_database(pg_server) -> Iterator[Callable[..., str]]:
    """Make throwaway databases for one test, dropped after it: ``new_database()`` is a URL."""
    names: list[str] = []

    def make(*, postgis: bool = True) -> str:
        url, name = pg_server.create(postgis=postgis)
        names.append(name)
        return url

    yield make
    pg_server.drop(names)


@pytest.fixture(scope="session")
def pg_url(pg_server) -> Iterator[str]:
    """A database of this session with the bundled data and the places loaded (read-only
    for tests): what ``geoapp db load`` loads."""
    from geoapp.data import db
    from geoapp.data.places_db import load_postgis

    url, name = pg_server.create()
    try:
        db.load(url, DEFAULTS["DATA_DIR"])
        load_postgis(url)
        yield url
    finally:
        pg_server.drop([name])


@pytest.fixture(scope="session")
def files_provider():
    from geoapp.data.providers.files import FilesProvider

    provider = FilesProvider(DEFAULTS["DATA_DIR"])
    yield provider
    provider.close()


@pytest.fixture(scope="session")
def postgis_provider(pg_url):
    from geoapp.data.providers.postgis import PostGISProvider

    provider = PostGISProvider(pg_url)
    yield provider
    provider.close()


@pytest.fixture(scope="session", params=["files", "postgis"])
def provider(request):
    """Every provider on the bundled data, loaded once per session: a test runs once per each."""
    return request.getfixturevalue(f"{request.param}_provider")


def data_dir_copy(tmp_path: Path) -> Path:
    """A copy of the bundled data directory to change."""
    import shutil

    target = tmp_path / "geodata"
    shutil.copytree(DEFAULTS["DATA_DIR"], target, ignore=shutil.ignore_patterns("src"))
    return target
