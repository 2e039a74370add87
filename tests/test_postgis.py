"""PostGIS: ``geoapp db load`` and ``check``, the data version, outages and start-up.

Against a real PostgreSQL with PostGIS (see tests/postgis.py): no mocks. Tests that
change data get a database of their own and mostly load a small data directory
(tests/factories.py), which loads in a blink.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest

from geoapp.config import DEFAULTS, ROOT
from geoapp.data import db
from geoapp.data.providers import BackendError, ProviderError, open_provider
from geoapp.data.providers.files import FilesProvider
from geoapp.data.query import MEMBER_OF, Query, queryables
from geoapp.data.schema import LAYERS
from geoapp.data.validate import validate_dir
from geoapp.errors import DataError
from tests.factories import make_feature, write_data_dir
from tests.postgis import SCRIPT, unavailable, with_database
from tests.servers import free_port

BIN = Path(sys.executable).parent


def password_of(url: str) -> str:
    from psycopg.conninfo import conninfo_to_dict

    return conninfo_to_dict(url)["password"]


def small_data(root: Path, port_name: str = "Port one", extra_ports: int = 2) -> Path:
    """A valid data directory with a few features per layer."""
    ports = [make_feature("ports", "port-one", name=port_name)]
    ports += [
        make_feature("ports", f"port-{i}", name=f"Port {i}", status="proposed",
                     geometry={"type": "Point", "coordinates": [50.0 + i, 40.0]})
        for i in range(2, 2 + extra_ports)
    ]  # fmt: skip
    events = [make_feature("events", "event-one", status="event", date="2017-10")]
    return write_data_dir(root, {"ports": ports, "events": events})


def geoapp(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("GEOAPP_")}
    return subprocess.run(
        [str(BIN / "geoapp"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**environ, **(env or {})},
    )


def execute(url: str, statement: str) -> None:
    import psycopg

    with closing(psycopg.connect(url, autocommit=True)) as conn:
        conn.execute(statement)


# -- load --------------------------------------------------------------------------------


def test_load_makes_tables_indexes_and_meta(new_database):
    import psycopg

    url = new_database()
    report = db.load(url, DEFAULTS["DATA_DIR"])
    assert report.counts == {
        k: v.count for k, v in FilesProvider(DEFAULTS["DATA_DIR"]).layers().items()
    }
    assert report.version == f"1-{db.content_hash(DEFAULTS['DATA_DIR'])}"
    with closing(psycopg.connect(url)) as conn:
        tables = {r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'geoapp'")}  # fmt: skip
        assert tables == {*LAYERS, "geoapp_meta"}
        indexes = {r[0] for r in conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = 'geoapp' AND tablename = 'ports'")}  # fmt: skip
        assert "CREATE INDEX ports_geom_idx ON geoapp.ports USING gist (geom)" in indexes
        assert "CREATE INDEX ports_sectors_idx ON geoapp.ports USING gin (sectors)" in indexes
        assert "CREATE UNIQUE INDEX ports_pkey ON geoapp.ports USING btree (id)" in indexes
        (kind,) = conn.execute(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = 'geoapp.ports'::regclass AND attname = 'geom'"
        ).fetchone()
        assert kind == "geometry(Geometry,4326)"
        assert conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'geoapp_%'"
                            ).fetchone() == (0,)  # fmt: skip
    assert db.check(url, DEFAULTS["DATA_DIR"]) == []


def test_every_queryable_property_is_a_plain_column():
    """/ogc filters on every queryable property; PostGIS filters on typed columns only."""
    for layer in LAYERS.values():
        for name in queryables(layer):
            assert MEMBER_OF.get(name, name) in db.COLUMN_NAMES, (layer.id, name)


def test_filters_on_every_queryable_property_answer_on_postgis(postgis_provider):
    """Each queryable of a port, filtered by its own value, keeps that port (no SQL error)."""
    ports = FilesProvider(DEFAULTS["DATA_DIR"]).query(Query(layers=("ports",)), "ports")
    props = ports.features[0]["properties"]
    for name in queryables(LAYERS["ports"]):
        value = props.get(MEMBER_OF.get(name, name))
        if value is None:
            continue
        wanted = str(value[0] if isinstance(value, list) else value)
        result = postgis_provider.query(Query(layers=("ports",), where=((name, wanted),)), "ports")
        assert props["id"] in [f["properties"]["id"] for f in result.features], name


def test_start_up_refuses_a_database_of_another_table_design(new_database, tmp_path):
    url = new_database()
    db.load(url, small_data(tmp_path / "data"))
    execute(url, f"UPDATE geoapp.geoapp_meta SET schema_version = {db.SCHEMA_VERSION - 1}")
    with pytest.raises(BackendError) as caught:
        open_provider({"DATABASE_URL": url, "DATA_DIR": DEFAULTS["DATA_DIR"]})
    assert f"this geoapp reads design {db.SCHEMA_VERSION}" in str(caught.value)
    assert "geoapp db load" in str(caught.value)


def test_load_refuses_data_that_does_not_validate(new_database, tmp_path):
    url = new_database()
    broken = small_data(tmp_path / "data")
    (broken / "ports.geojson").write_text('{"type": "FeatureCollection", "features": [{}]}')
    with pytest.raises(DataError) as caught:
        db.load(url, broken)
    assert [str(p) for p in caught.value.problems] == [str(p) for p in validate_dir(broken)]
    done = geoapp("db", "load", "--data-dir", str(broken), env={"GEOAPP_DATABASE_URL": url})
    assert done.returncode == 1
    assert done.stdout.splitlines() == [str(p) for p in validate_dir(broken)]
    assert "Traceback" not in done.stderr
    with closing(__import__("psycopg").connect(url)) as conn:
        assert conn.execute("SELECT to_regnamespace('geoapp')").fetchone() == (None,)


def test_a_load_that_fails_midway_leaves_the_database_as_it_was(new_database, tmp_path):
    """A reader holds ``programmes`` while a load runs: the load builds every new table, swaps
    in the first seven layers, then times out waiting to drop ``programmes``, and rolls back."""
    import psycopg

    url = new_database()
    first = small_data(tmp_path / "first")
    db.load(url, first)
    second = small_data(tmp_path / "second", port_name="Renamed port", extra_ports=5)
    reader = psycopg.connect(url)
    try:
        reader.execute("SELECT 1 FROM geoapp.programmes LIMIT 1")  # holds its lock: a transaction
        with pytest.raises(BackendError) as caught:
            db.load(url, second, lock_timeout=0.5)
        message = str(caught.value)
        assert "lock timeout" in message and "the database is unchanged" in message
        assert password_of(url) not in message and "\n" not in message
    finally:
        reader.close()
    assert db.check(url, first) == []
    with closing(psycopg.connect(url)) as conn:
        assert conn.execute("SELECT counter FROM geoapp.geoapp_meta").fetchone() == (1,)
        assert conn.execute("SELECT to_regnamespace('geoapp_loading')").fetchone() == (None,)
    db.load(url, second)  # and the next load goes through
    assert db.check(url, second) == []


def test_a_failed_load_through_the_cli_is_one_line_and_exit_3(new_database, tmp_path):
    """The load dies midway because an administrator ends its connection."""
    import psycopg

    url = new_database()
    data = small_data(tmp_path / "data")
    db.load(url, data)
    holder = psycopg.connect(url)
    holder.execute("SELECT 1 FROM geoapp.programmes LIMIT 1")

    def end_the_load() -> None:
        with closing(psycopg.connect(url, autocommit=True)) as admin:
            for _ in range(200):
                ended = admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = 'geoapp' AND wait_event_type = 'Lock'"
                ).fetchall()
                if ended:
                    return
                time.sleep(0.05)

    killer = threading.Thread(target=end_the_load)
    killer.start()
    try:
        done = geoapp("db", "load", "--data-dir", str(data), env={"GEOAPP_DATABASE_URL": url})
    finally:
        killer.join()
        holder.close()
    assert done.returncode == 3, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "the database is unchanged" in lines[0], lines
    assert password_of(url) not in done.stderr and "Traceback" not in done.stderr
    assert db.check(url, data) == []


# -- the version ---------------------------------------------------------------------------


def test_a_new_load_is_seen_by_every_server_without_restart(new_database, tmp_path):
    from geoapp.data.providers.postgis import PostGISProvider

    url = new_database()
    first = small_data(tmp_path / "first")
    db.load(url, first)
    one, two = PostGISProvider(url), PostGISProvider(url)  # two servers on one database
    try:
        before = one.version()
        assert two.version() == before == f"1-{db.content_hash(first)}"
        assert one.get("port-one")["properties"]["name"] == "Port one"
        for _ in range(8):  # past psycopg's prepare threshold: server-side prepared statements
            assert two.query(Query(), "ports").matched == 3
            assert two.get("port-one")["properties"]["name"] == "Port one"
        second = small_data(tmp_path / "second", port_name="Renamed port", extra_ports=4)
        db.load(url, second)
        deadline = time.monotonic() + 1.5  # the version is re-read at most once a second
        while two.version() == before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert two.version() == f"2-{db.content_hash(second)}"
        assert two.get("port-one")["properties"]["name"] == "Renamed port"
        assert two.layers()["ports"].count == 5
        assert two.query(Query(text="renamed"), "ports").matched == 1
        assert two.query(Query(), "ports").matched == 5  # the prepared statement, replanned
        time.sleep(1.05)
        assert one.version() == two.version()
        db.load(url, second)  # the same files again: a new load, a new version all the same
        time.sleep(1.05)
        assert one.version() == f"3-{db.content_hash(second)}"
    finally:
        one.close()
        two.close()


def test_version_is_cheap(postgis_provider):
    postgis_provider.version()

    def thousand_calls() -> float:
        started = time.perf_counter()
        for _ in range(1000):
            postgis_provider.version()
        return time.perf_counter() - started

    # The best of five: a busy machine may stall one round, a query per call slows them all.
    assert min(thousand_calls() for _ in range(5)) < 0.05  # no query per call


# -- check ---------------------------------------------------------------------------------


def test_check_names_every_difference(new_database, tmp_path):
    url = new_database()
    data = small_data(tmp_path / "data")
    db.load(url, data)
    changed = small_data(tmp_path / "changed")
    doc = json.loads((changed / "ports.geojson").read_text())
    doc["features"][0]["properties"]["name"] = "A new name"
    del doc["features"][2]
    (changed / "ports.geojson").write_text(json.dumps(doc))
    execute(url, "UPDATE geoapp.events SET status = 'retired'")  # a column edited by hand
    execute(url, "DELETE FROM geoapp.naval_bases")
    execute(url, "DROP TABLE geoapp.borders")
    problems = [str(p) for p in db.check(url, changed)]
    assert problems == [
        "borders: *: table geoapp.borders is missing (half-loaded); run geoapp db load",
        "ports: port-3: in the database but not in the files",
        "ports: port-one: name differs: database 'Port one', files 'A new name'",
        "naval_bases: naval-bases-one: missing from the database",
        "events: event-one: column status is 'retired' but the stored feature says 'event'",
    ]
    done = geoapp("db", "check", "--data-dir", str(changed), env={"GEOAPP_DATABASE_URL": url})
    assert done.returncode == 1
    assert done.stdout.splitlines() == problems
    assert done.stderr.strip().splitlines() == [
        f"geoapp: 5 difference(s) between {db.redact(url)} and {changed}"
    ]
    assert password_of(url) not in done.stdout + done.stderr


def test_check_finds_an_empty_or_half_loaded_database(new_database, tmp_path):
    url = new_database()
    data = small_data(tmp_path / "data")
    problems = [str(p) for p in db.check(url, data)]
    assert problems[0].startswith("geoapp_meta: *: missing: nothing was loaded")
    assert len(problems) == 1 + len(LAYERS)
    db.load(url, data)
    execute(url, "DELETE FROM geoapp.geoapp_meta")
    assert [str(p) for p in db.check(url, data)] == [
        "geoapp_meta: *: empty: nothing was loaded; run geoapp db load"
    ]


def test_check_compares_sources_and_build_info(new_database, tmp_path):
    url = new_database()
    data = small_data(tmp_path / "data")
    db.load(url, data)
    sources = json.loads((data / "sources.json").read_text())
    sources["ref"]["title"] = "Another title"
    (data / "sources.json").write_text(json.dumps(sources))
    (data / "build.json").write_text('{"built": "now"}')
    assert [str(p) for p in db.check(url, data)] == [
        "sources.json: ref: differs from the files",
        "build.json: *: differs from the files",
    ]


def test_check_of_the_bundled_data(pg_url):
    done = geoapp("db", "check", env={"GEOAPP_DATABASE_URL": pg_url})
    assert done.returncode == 0, done.stdout
    assert done.stdout == ""
    assert done.stderr.strip() == f"geoapp: {db.redact(pg_url)} matches {DEFAULTS['DATA_DIR']}"


# -- the command line's errors -----------------------------------------------------------


def test_db_commands_need_a_url():
    for command in ("load", "check"):
        done = geoapp("db", command)
        assert done.returncode == 2
        assert done.stderr.strip().splitlines() == [
            "geoapp: error: give --database-url or set GEOAPP_DATABASE_URL"
        ]


def test_an_unreachable_database_is_one_line_and_exit_3():
    url = f"postgresql://geoapp:s3cret-pw@127.0.0.1:{free_port()}/geoapp"
    for command in ("load", "check"):
        done = geoapp("db", command, "--database-url", url)
        assert done.returncode == 3, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, lines
        assert lines[0].startswith(f"geoapp: error: cannot connect to {db.redact(url)}: ")
        assert "Connection refused" in lines[0]
        assert "s3cret-pw" not in done.stderr + done.stdout


def test_a_malformed_url_is_a_bad_command_line():
    done = geoapp("db", "load", env={"GEOAPP_DATABASE_URL": "host=x password=s3cret-pw port"})
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert "s3cret-pw" not in done.stderr


def test_a_wrong_password_is_named_without_it(pg_server):
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    url = make_conninfo(**{**conninfo_to_dict(pg_server.url), "password": "wrong-pw-123"})
    with pytest.raises(BackendError) as caught:
        db.load(url, DEFAULTS["DATA_DIR"])
    assert "password authentication failed" in str(caught.value)
    assert "wrong-pw-123" not in str(caught.value)


@pytest.mark.parametrize(
    "url, shown",
    [
        ("postgresql://geo:pw@db.example.org:5432/geo", "postgresql://geo@db.example.org:5432/geo"),
        ("postgres://geo:p%40ss@h/db?sslmode=require", "postgres://geo@h/db?sslmode=require"),
        (
            "postgresql://h/db?password=pw&application_name=x",
            "postgresql://h/db?application_name=x",
        ),
        ("host=h dbname=db user=u password=pw", "host=h dbname=db user=u"),
        ("postgresql://u:pw@[::1]:5432/db", "postgresql://u@[::1]:5432/db"),
    ],
)
def test_redact(url, shown):
    assert db.redact(url) == shown
    password = password_of(url)
    assert password not in db.scrub(f"failed for {url} with {password}", url)


# -- serving -------------------------------------------------------------------------------


def test_open_provider_picks_files_or_postgis(pg_url):
    from geoapp.data.providers.postgis import PostGISProvider

    files = open_provider({"DATABASE_URL": "", "DATA_DIR": DEFAULTS["DATA_DIR"]})
    assert isinstance(files, FilesProvider)
    postgis = open_provider({"DATABASE_URL": pg_url, "DATA_DIR": "/nonexistent"})
    try:
        assert isinstance(postgis, PostGISProvider)
        assert postgis.version().endswith(files.version())
    finally:
        postgis.close()


def test_start_up_with_the_database_down_is_one_line_without_the_password():
    url = f"postgresql://geoapp:s3cret-pw@127.0.0.1:{free_port()}/geoapp"
    started = time.monotonic()
    with pytest.raises(BackendError) as caught:
        open_provider({"DATABASE_URL": url, "DATA_DIR": DEFAULTS["DATA_DIR"]})
    message = str(caught.value)
    assert message.startswith(f"cannot connect to {db.redact(url)}: ")
    assert "\n" not in message and "s3cret-pw" not in message
    assert time.monotonic() - started < 10


def test_start_up_refuses_a_database_not_loaded(new_database, tmp_path):
    url = new_database()
    with pytest.raises(BackendError) as caught:
        open_provider({"DATABASE_URL": url, "DATA_DIR": DEFAULTS["DATA_DIR"]})
    message = str(caught.value)
    assert "\n" not in message and password_of(url) not in message
    assert "nothing was loaded" in message and "geoapp db load" in message
    db.load(url, small_data(tmp_path / "data"))
    execute(url, "DROP TABLE geoapp.ports")
    execute(url, "DROP TABLE geoapp.events")
    with pytest.raises(BackendError) as caught:
        open_provider({"DATABASE_URL": url, "DATA_DIR": DEFAULTS["DATA_DIR"]})
    assert str(caught.value) == (
        f"{db.redact(url)} is not ready to serve: table(s) ports, events missing "
        "(half-loaded; run geoapp db load)"
    )


def test_start_up_refuses_a_database_without_postgis(new_database):
    url = new_database(postgis=False)
    with pytest.raises(BackendError) as caught:
        open_provider({"DATABASE_URL": url, "DATA_DIR": DEFAULTS["DATA_DIR"]})
    assert "has no PostGIS" in str(caught.value)


def test_statement_timeout(new_database, tmp_path):
    """A statement that waits longer than the timeout is cancelled: a ProviderError, and the
    connection serves the next call."""
    import psycopg

    from geoapp.data.providers.postgis import PostGISProvider

    url = new_database()
    db.load(url, small_data(tmp_path / "data"))
    provider = PostGISProvider(url, statement_timeout=0.3, max_size=1)
    locker = psycopg.connect(url)
    try:
        locker.execute("LOCK TABLE geoapp.ports IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        with pytest.raises(ProviderError, match="statement timeout"):
            provider.query(Query(), "ports")
        assert time.monotonic() - started < 3
        locker.rollback()
        assert provider.query(Query(), "ports").matched == 3
    finally:
        locker.close()
        provider.close()


def test_dropped_tables_under_a_running_server_are_a_provider_error(new_database, tmp_path):
    from geoapp.data.providers.postgis import PostGISProvider

    url = new_database()
    db.load(url, small_data(tmp_path / "data"))
    provider = PostGISProvider(url)
    try:
        execute(url, "DROP SCHEMA geoapp CASCADE")
        with pytest.raises(ProviderError, match="not loaded"):
            provider.query(Query(), "ports")
        with pytest.raises(ProviderError, match="not loaded"):
            provider.get("port-one")
    finally:
        provider.close()


# -- the database goes away and comes back -----------------------------------------------------


@pytest.fixture
def own_server(pg_server):
    """A PostgreSQL cluster of this test's own (tools/postgres.sh), to stop and start."""
    folder = tempfile.mkdtemp(prefix="geoapp-pg-outage-")
    os.chmod(folder, 0o755)
    env = {**os.environ, "GEOAPP_PG_DIR": folder}

    def script(command: str) -> str:
        done = subprocess.run(["sh", str(SCRIPT), command], capture_output=True, text=True,
                              env=env, timeout=180, check=False)  # fmt: skip
        if done.returncode != 0:
            unavailable(f"tools/postgres.sh {command} failed: {done.stderr.strip()[-300:]}")
        return done.stdout

    out = script("start")
    url = out.strip().partition("=")[2]
    try:
        yield url, script
    finally:
        script("destroy")


def test_the_database_goes_away_and_comes_back(own_server, tmp_path):
    import psycopg

    from geoapp.data.providers.postgis import PostGISProvider

    url, script = own_server
    url = with_database(url, "geoapp_test")
    data = small_data(tmp_path / "data")
    db.load(url, data)
    provider = PostGISProvider(url, timeout=1.0, version_ttl=0, reconnect_timeout=1.0)
    secret = password_of(url)
    try:
        assert provider.query(Query(), "ports").matched == 3
        # An administrator ends every backend of the server: the next calls just work.
        with closing(psycopg.connect(url, autocommit=True)) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'geoapp' AND pid <> pg_backend_pid()"
            )
        assert provider.query(Query(), "ports").matched == 3
        assert provider.version().startswith("1-")

        script("stop")
        for call in (
            lambda: provider.query(Query(), "ports"),
            lambda: provider.get("port-one"),
            provider.version,
            provider.layers,
        ):
            started = time.monotonic()
            with pytest.raises(ProviderError) as caught:
                call()
            assert time.monotonic() - started < 5
            message = str(caught.value)
            assert db.redact(url) in message and secret not in message and "\n" not in message

        assert script("start").strip().endswith(own_server[0])  # back on the same port
        deadline = time.monotonic() + 20
        while True:
            try:
                result = provider.query(Query(), "ports")
                break
            except ProviderError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert result.matched == 3
        assert provider.get("port-one")["properties"]["name"] == "Port one"
        assert provider.version().startswith("1-")
    finally:
        provider.close()


# -- without a server --------------------------------------------------------------------------


@pytest.mark.parametrize("ci, outcome", [("", "1 skipped"), ("true", "1 error")])
def test_without_a_server_postgis_tests_skip_but_fail_under_ci(ci, outcome):
    dead = f"postgresql://geoapp:s3cret-pw@127.0.0.1:{free_port()}/geoapp"
    environ = {k: v for k, v in os.environ.items() if k not in ("CI", "PYTEST_ADDOPTS")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs",
         "tests/test_providers.py::test_layers_agree"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={**environ, "CI": ci, "GEOAPP_TEST_DATABASE_URL": dead},
    )  # fmt: skip
    assert outcome in done.stdout, done.stdout
    assert "does not answer" in done.stdout and "s3cret-pw" not in done.stdout
