"""The PostGIS database: its tables, ``geoapp db load`` and ``geoapp db check``.

Flask-free. One table per layer in a schema (``geoapp`` by default) with the same
columns for every layer: plain, indexed columns for everything a
:class:`~geoapp.data.query.Query` filters on, a GiST-indexed ``geom`` and the
feature's compact JSON as authored (``doc``), which answers are made of, byte for
byte what the files provider sends. ``geoapp_meta`` (one row) holds the data
version (a load counter and the content hash of the files loaded), the source
registry and the build info. See docs/postgis.md for the design.

A load is one transaction: the new tables are built in a staging schema, then
swapped in; a failure anywhere leaves the database exactly as it was.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

import psycopg
import shapely
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.types.json import Json
from shapely.geometry import shape

from geoapp.data.providers.base import BackendError
from geoapp.data.providers.files import encode
from geoapp.data.schema import LAYERS, Layer, source_keys, time_span
from geoapp.data.validate import (
    BUILD_FILE,
    SOURCES_FILE,
    Problem,
    load_build_info,
    load_sources,
    read_layer_file,
    validate_dir,
)
from geoapp.errors import DataError

log = logging.getLogger(__name__)

DEFAULT_SCHEMA = "geoapp"
META_TABLE = "geoapp_meta"
#: The table design. A database loaded with another design is refused until loaded again.
#: 2: a column for every queryable property (kind, position, error_km, asset, status_as_of,
#: status_source, claim, claimed_by), so that /ogc filters on each of them.
#: 3: ``source_keys``, the values ``source=`` matches (:func:`schema.source_keys`), and
#: ``place`` (a queryable property since the stacks work). 4: time spans of projects and
#: infrastructure (``schema.time_span``), open at an unknown end (NULL).
SCHEMA_VERSION = 4
#: Seconds to wait for a connection before giving up.
CONNECT_TIMEOUT = 5
APPLICATION_NAME = "geoapp"


@dataclass(frozen=True)
class Column:
    """One column of every layer table, and how a feature fills it."""

    name: str
    type: str
    value: Callable[[dict[str, Any]], Any]
    #: Index method (``btree``, ``hash``, ``gin``, ``gist``), or None for no index of its own.
    index: str | None = None


def _prop(name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda p: p.get(name)


def _as_date(name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda p: date.fromisoformat(p[name]) if p.get(name) else None


def _span(end: int) -> Callable[[dict[str, Any]], Any]:
    def value(p: dict[str, Any]) -> date | None:
        span = time_span(p)
        return None if span is None else span[end]

    return value


def _number(name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda p: None if p.get(name) is None else float(p[name])


#: The columns of every layer table, in order; ``id``, ``ord``, ``geom`` and ``doc`` are
#: added around them. Thematic columns are NULL on the basemap and ``iso_a3`` on the
#: others. ``hash`` indexes serve equality on free text (a btree entry has a size limit).
COLUMNS: tuple[Column, ...] = (
    Column("layer", "text", _prop("layer")),
    Column("name", "text", _prop("name"), "hash"),
    # Query.text is a substring of the casefolded name: folded once here, by Python's rule.
    Column("name_folded", "text", lambda p: str(p.get("name", "")).casefold()),
    Column("place", "text", _prop("place"), "btree"),
    Column("sector", "text", _prop("sector"), "btree"),
    Column("sectors", "text[]", _prop("sectors"), "gin"),
    Column("status", "text", _prop("status"), "btree"),
    Column("country", "text[]", _prop("country"), "gin"),
    Column("objective", "text", _prop("objective"), "hash"),
    Column("expected_completion", "text", _prop("expected_completion"), "hash"),
    Column("completion_date", "date", _as_date("completion_date"), "btree"),
    Column("expected_outcome", "text", _prop("expected_outcome"), "hash"),
    Column("table_row", "text", _prop("table_row"), "btree"),
    # schema.source_keys(props): the ``source=`` values it answers to (ids, article tables).
    Column("source_keys", "text[]", lambda p: list(source_keys(p)) or None, "gin"),
    Column("date", "text", _prop("date"), "btree"),
    # schema.time_span(props): the days a feature is about; NULL at an open end, both NULL
    # when undated.
    Column("time_start", "date", _span(0), "btree"),
    Column("time_end", "date", _span(1), "btree"),
    Column("length_km", "double precision", _number("length_km"), "btree"),
    Column("capacity_bcm", "double precision", _number("capacity_bcm"), "btree"),
    Column("year_started", "integer", _prop("year_started"), "btree"),
    Column("year_completed", "integer", _prop("year_completed"), "btree"),
    Column("kind", "text", _prop("kind"), "btree"),
    Column("position", "text", _prop("position"), "btree"),
    Column("error_km", "double precision", _number("error_km"), "btree"),
    Column("asset", "text", _prop("asset"), "btree"),
    Column("status_as_of", "text", _prop("status_as_of"), "btree"),
    Column("status_source", "text", _prop("status_source"), "btree"),
    Column("claim", "text", _prop("claim"), "btree"),
    Column("claimed_by", "text", _prop("claimed_by"), "hash"),
    Column("iso_a3", "text", _prop("iso_a3"), "btree"),
)
COLUMN_NAMES: tuple[str, ...] = ("id", "ord", *(c.name for c in COLUMNS), "geom", "doc")


# -- URLs and connections -----------------------------------------------------------------


def _password(url: str) -> str | None:
    try:
        return conninfo_to_dict(url).get("password")  # type: ignore[return-value]
    except Exception:
        return None


def redact(url: str) -> str:
    """The database URL (or conninfo string) without its password, to name it in messages.

    Examples
    --------
    >>> redact("postgresql://geo:s3cret@db.example.org:5432/geo")
    'postgresql://geo@db.example.org:5432/geo'
    """
    if "://" in url:
        try:
            parts = urlsplit(url)
            netloc = parts.netloc
            if "@" in netloc:
                userinfo, _, hostinfo = netloc.rpartition("@")
                user = userinfo.partition(":")[0]
                netloc = f"{user}@{hostinfo}" if user else hostinfo
            query = urlencode(
                [(k, v) for k, v in parse_qsl(parts.query) if k != "password"], safe=","
            )
            return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
        except ValueError:
            return "the database URL (malformed)"
    if not _CONNINFO.fullmatch(url):
        return "the database URL (malformed)"
    pairs = _CONNINFO_PAIR.findall(url)
    return " ".join(f"{k}={v}" for k, v in pairs if k != "password") or "the default database"


#: One ``key=value`` of a libpq connection string (values quoted with '' may hold spaces).
_PAIR = r"(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|[^\s']+)"
_CONNINFO_PAIR = re.compile(_PAIR)
_CONNINFO = re.compile(rf"\s*(?:{_PAIR}\s*)+")


def scrub(message: str, url: str) -> str:
    """``message`` on one line, with the URL's password (as given or %-encoded) removed."""
    line = " ".join(part.strip() for part in str(message).splitlines() if part.strip())
    password = _password(url)
    if password:
        for form in {password, quote(password, safe=""), unquote(password)}:
            line = line.replace(form, "***")
    return line


class URLError(BackendError):
    """The database URL is malformed: a bad setting or command line, not a database problem."""


def check_url(url: str) -> None:
    """Raise URLError when ``url`` is no PostgreSQL URL or conninfo string.

    The message never repeats the value: it may hold a password.
    """
    try:
        conninfo_to_dict(url)
    except Exception:
        raise URLError(
            "the database URL is not a PostgreSQL URL (postgresql://user:password@host:port/db) "
            "or key=value connection string"
        ) from None


def connect(url: str, *, autocommit: bool = False, timeout: float = CONNECT_TIMEOUT):
    """One connection to ``url``; BackendError naming the database (no password) if none."""
    check_url(url)
    try:
        return psycopg.connect(
            url,
            autocommit=autocommit,
            connect_timeout=max(1, round(timeout)),
            fallback_application_name=APPLICATION_NAME,
        )
    except psycopg.Error as exc:
        raise BackendError(f"cannot connect to {redact(url)}: {scrub(str(exc), url)}") from None


# -- what is in a data directory --------------------------------------------------------


def content_hash(data_dir: Path | str) -> str:
    """The hash of a data directory's files: the files provider's version, computed the same way."""
    data_dir = Path(data_dir)
    digest = hashlib.blake2b(digest_size=12)
    for name in (SOURCES_FILE, BUILD_FILE):
        path = data_dir / name
        if path.is_file():
            digest.update(path.read_bytes())
    for layer in LAYERS.values():
        digest.update((data_dir / layer.filename).read_bytes())
    return digest.hexdigest()


def row_of(feature: dict[str, Any], ord_: int) -> tuple[Any, ...]:
    """A feature as a row of its layer's table, in COLUMN_NAMES order (geom as hex EWKB)."""
    props = feature["properties"]
    geom = shapely.set_srid(shape(feature["geometry"]), 4326)
    return (
        props["id"],
        ord_,
        *(c.value(props) for c in COLUMNS),
        shapely.to_wkb(geom, hex=True, include_srid=True),
        encode(feature).decode(),
    )


@dataclass(frozen=True)
class Files:
    """A validated data directory, read: what a load writes and a check compares."""

    data_dir: Path
    features: Mapping[str, list[dict[str, Any]]]
    sources: dict[str, dict]
    build_info: dict[str, Any]
    content_hash: str


def read_files(data_dir: Path | str) -> Files:
    """Validate and read a data directory; raise DataError with its problems."""
    data_dir = Path(data_dir)
    problems = validate_dir(data_dir)
    if problems:
        raise DataError(problems)
    return Files(
        data_dir=data_dir,
        features={
            layer: read_layer_file(data_dir / spec.filename)[0] for layer, spec in LAYERS.items()
        },  # fmt: skip
        sources=load_sources(data_dir)[0],
        build_info=load_build_info(data_dir)[0],
        content_hash=content_hash(data_dir),
    )


# -- SQL ------------------------------------------------------------------------------


def _create_table(schema: str, layer: str):
    columns = [
        sql.SQL("id text NOT NULL"),
        sql.SQL("ord integer NOT NULL"),
        *(sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(c.type)) for c in COLUMNS),
        sql.SQL("geom geometry(Geometry, 4326) NOT NULL"),
        sql.SQL("doc text NOT NULL"),
        sql.SQL("CONSTRAINT {} PRIMARY KEY (id)").format(sql.Identifier(f"{layer}_pkey")),
        sql.SQL("CONSTRAINT {} UNIQUE (ord)").format(sql.Identifier(f"{layer}_ord_key")),
    ]
    return sql.SQL("CREATE TABLE {} ({})").format(
        sql.Identifier(schema, layer), sql.SQL(", ").join(columns)
    )


def _create_indexes(schema: str, layer: str) -> Iterator[Any]:
    indexed = [("geom", "gist"), *((c.name, c.index) for c in COLUMNS if c.index)]
    for column, method in indexed:
        yield sql.SQL("CREATE INDEX {} ON {} USING {} ({})").format(
            sql.Identifier(f"{layer}_{column}_idx"),
            sql.Identifier(schema, layer),
            sql.SQL(method),
            sql.Identifier(column),
        )


def _create_meta(schema: str):
    return sql.SQL(
        """CREATE TABLE IF NOT EXISTS {} (
            singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
            counter bigint NOT NULL,
            content_hash text NOT NULL,
            schema_version integer NOT NULL,
            layers text[] NOT NULL,
            sources json NOT NULL,
            build_info json NOT NULL,
            loaded_from text NOT NULL,
            loaded_at timestamptz NOT NULL DEFAULT now()
        )"""
    ).format(sql.Identifier(schema, META_TABLE))


def readiness(conn, schema: str = DEFAULT_SCHEMA) -> list[Problem]:
    """The cheap check a server runs before serving: PostGIS, the meta row, every table.

    Each problem is ``LAYER: *: what``; empty when the database is ready.
    """
    problems = []
    if conn.execute("SHOW server_encoding").fetchone()[0] != "UTF8":
        problems.append(Problem("database", "*", "must be created with ENCODING 'UTF8'"))
    if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone() is None:
        problems.append(
            Problem("database", "*", "has no PostGIS (CREATE EXTENSION postgis, as a superuser)")
        )
        return problems
    tables = {
        name
        for (name,) in conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'p')",
            [schema],
        )
    }
    load = "run geoapp db load"
    if META_TABLE not in tables:
        problems.append(
            Problem(META_TABLE, "*", f"missing: nothing was loaded into schema {schema!r}; {load}")
        )
    else:
        meta = conn.execute(
            _select_meta(schema, "schema_version, layers"),
        ).fetchone()
        if meta is None:
            problems.append(Problem(META_TABLE, "*", f"empty: nothing was loaded; {load}"))
        elif meta[0] != SCHEMA_VERSION:
            problems.append(
                Problem(
                    META_TABLE,
                    "*",
                    f"loaded with table design {meta[0]}, this geoapp reads design "
                    f"{SCHEMA_VERSION}; {load}",
                )
            )
    for layer in LAYERS:
        if layer not in tables:
            problems.append(
                Problem(layer, "*", f"table {schema}.{layer} is missing (half-loaded); {load}")
            )
    return problems


def describe(problems: Sequence[Problem]) -> str:
    """Readiness problems as one line: missing tables named together."""
    missing = [p.file for p in problems if p.file in LAYERS]
    others = [f"{p.file}: {p.message}" for p in problems if p.file not in LAYERS]
    if missing:
        others.append(f"table(s) {', '.join(missing)} missing (half-loaded; run geoapp db load)")
    return "; ".join(others)


def _select_meta(schema: str, columns: str):
    return sql.SQL("SELECT " + columns + " FROM {}").format(sql.Identifier(schema, META_TABLE))


# -- load ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadReport:
    version: str
    counts: Mapping[str, int]
    seconds: float


def load(
    url: str,
    data_dir: Path | str,
    *,
    schema: str = DEFAULT_SCHEMA,
    lock_timeout: float = 10.0,
) -> LoadReport:
    """Validate ``data_dir`` and load it into the database, in one transaction.

    Creates the schema, the tables and their indexes, loads every layer, the
    sources and the build info and bumps the version counter. The new tables are
    built beside the old ones (in a staging schema) and swapped in at the end, so
    that servers keep reading the old data until the commit. Any failure rolls
    everything back: the database is left exactly as it was.

    Raises
    ------
    DataError
        The files do not validate (nothing is written).
    BackendError
        The database cannot be reached or refused the load (a lock held longer than
        ``lock_timeout`` seconds, no PostGIS, no permission): nothing is written.
    """
    started = time.perf_counter()
    files = read_files(data_dir)
    rows = {
        layer: [row_of(f, i) for i, f in enumerate(features)]
        for layer, features in files.features.items()
    }
    stage = f"{schema}_loading"
    conn = connect(url)
    try:
        with conn.transaction():
            conn.execute(sql.SQL("SET LOCAL lock_timeout = {}").format(int(lock_timeout * 1000)))
            # One load at a time per schema; readers are never blocked by this lock.
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"geoapp load {schema}"])
            _require_postgis(conn, url)
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
            conn.execute(_create_meta(schema))
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(stage)))
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(stage)))
            for layer, layer_rows in rows.items():
                _build_table(conn, stage, layer, layer_rows)
            # The swap: the only moment readers wait (for the commit, just after).
            for layer in LAYERS:
                conn.execute(
                    sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(schema, layer))
                )
                conn.execute(
                    sql.SQL("ALTER TABLE {} SET SCHEMA {}").format(
                        sql.Identifier(stage, layer), sql.Identifier(schema)
                    )
                )
            conn.execute(sql.SQL("DROP SCHEMA {}").format(sql.Identifier(stage)))
            counter = _write_meta(conn, schema, files)
    except psycopg.Error as exc:
        raise BackendError(
            f"load into {redact(url)} failed, the database is unchanged: {scrub(str(exc), url)}"
        ) from None
    finally:
        conn.close()
    report = LoadReport(
        version=f"{counter}-{files.content_hash}",
        counts={layer: len(r) for layer, r in rows.items()},
        seconds=time.perf_counter() - started,
    )
    log.info("loaded %d features into %s", sum(report.counts.values()), redact(url))
    return report


def _require_postgis(conn, url: str) -> None:
    if conn.execute("SHOW server_encoding").fetchone()[0] != "UTF8":
        raise BackendError(f"{redact(url)}: the database must be created with ENCODING 'UTF8'")
    if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone():
        return
    try:
        with conn.transaction():
            conn.execute("CREATE EXTENSION postgis")
    except psycopg.errors.InsufficientPrivilege:
        raise BackendError(
            f"{redact(url)} has no PostGIS and this user may not add it: "
            "run CREATE EXTENSION postgis as a superuser"
        ) from None


def _build_table(conn, stage: str, layer: str, rows: Sequence[tuple[Any, ...]]) -> None:
    conn.execute(_create_table(stage, layer))
    copy = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(stage, layer), sql.SQL(", ").join(sql.Identifier(n) for n in COLUMN_NAMES)
    )
    with conn.cursor() as cur, cur.copy(copy) as out:
        for row in rows:
            out.write_row(row)
    for statement in _create_indexes(stage, layer):
        conn.execute(statement)
    conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(stage, layer)))


def _write_meta(conn, schema: str, files: Files) -> int:
    (counter,) = conn.execute(
        sql.SQL(
            """INSERT INTO {meta} AS m (counter, content_hash, schema_version, layers, sources,
                                         build_info, loaded_from)
               VALUES (1, %s, %s, %s, %s, %s, %s)
               ON CONFLICT (singleton) DO UPDATE SET
                   counter = m.counter + 1, content_hash = excluded.content_hash,
                   schema_version = excluded.schema_version, layers = excluded.layers,
                   sources = excluded.sources, build_info = excluded.build_info,
                   loaded_from = excluded.loaded_from, loaded_at = now()
               RETURNING counter"""
        ).format(meta=sql.Identifier(schema, META_TABLE)),
        [
            files.content_hash,
            SCHEMA_VERSION,
            list(LAYERS),
            Json(files.sources),
            Json(files.build_info),
            str(files.data_dir.resolve()),
        ],
    ).fetchone()
    return counter


# -- check ------------------------------------------------------------------------------


def check(url: str, data_dir: Path | str, *, schema: str = DEFAULT_SCHEMA) -> list[Problem]:
    """Compare the database with a data directory: one Problem per difference.

    ``LAYER: FEATURE-ID: what differs``: missing tables or meta (a half-loaded
    database), features missing or extra, properties and geometries that differ,
    features out of order, indexed columns that disagree with the stored feature,
    and the source registry and build info.

    Raises DataError when the files do not validate, BackendError when the
    database cannot be reached.
    """
    files = read_files(data_dir)
    conn = connect(url, autocommit=True)
    try:
        problems = readiness(conn, schema)
        if any(p.file == "database" for p in problems):
            return problems
        present = {p.file for p in problems if p.feature == "*"}
        for layer, spec in LAYERS.items():
            if layer not in present:
                problems += _check_layer(conn, schema, spec, files.features[layer])
        if META_TABLE not in present:
            problems += _check_meta(conn, schema, files)
    except psycopg.Error as exc:
        raise BackendError(f"cannot check {redact(url)}: {scrub(str(exc), url)}") from None
    finally:
        conn.close()
    return problems


def _check_layer(conn, schema: str, layer: Layer, features: list[dict]) -> list[Problem]:
    names = [n for n in COLUMN_NAMES if n != "geom"]
    query = sql.SQL("SELECT {}, ST_AsBinary(geom) FROM {} ORDER BY ord").format(
        sql.SQL(", ").join(sql.Identifier(n) for n in names), sql.Identifier(schema, layer.id)
    )
    stored = {}
    order = []
    for record in conn.execute(query):
        row = dict(zip(names, record[:-1], strict=True))
        row["geom"] = bytes(record[-1])
        stored[row["id"]] = row
        order.append(row["id"])
    problems = []
    wanted = {f["properties"]["id"]: f for f in features}
    for fid in wanted:
        if fid not in stored:
            problems.append(Problem(layer.id, fid, "missing from the database"))
    for fid in order:
        if fid not in wanted:
            problems.append(Problem(layer.id, fid, "in the database but not in the files"))
    common_db = [fid for fid in order if fid in wanted]
    common_files = [fid for fid in wanted if fid in stored]
    if common_db != common_files:
        problems.append(Problem(layer.id, "*", "features are not in the order of the file"))
    for fid in common_files:
        messages = _feature_differences(json.loads(stored[fid]["doc"]), wanted[fid])
        messages += _column_differences(stored[fid])
        problems += [Problem(layer.id, fid, m) for m in messages]
    return problems


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _feature_differences(db: dict[str, Any], files: dict[str, Any]) -> list[str]:
    messages = []
    for key in sorted(set(db) | set(files)):
        if key == "properties":
            continue
        if db.get(key) != files.get(key):
            messages.append(f"{key} differs")
    db_props, file_props = db.get("properties") or {}, files.get("properties") or {}
    for key in sorted(set(db_props) | set(file_props)):
        if key not in db_props:
            messages.append(f"{key} missing from the database (files: {_short(file_props[key])})")
        elif key not in file_props:
            messages.append(f"{key} only in the database ({_short(db_props[key])})")
        elif db_props[key] != file_props[key]:
            messages.append(
                f"{key} differs: database {_short(db_props[key])}, files {_short(file_props[key])}"
            )
    if not messages and encode(db) != encode(files):
        messages.append("stored JSON differs (key order)")
    return messages


def _column_differences(row: dict[str, Any]) -> list[str]:
    """Columns that disagree with the row's own stored feature (edited by hand)."""
    feature = json.loads(row["doc"])
    expected = dict(zip(COLUMN_NAMES, row_of(feature, row["ord"]), strict=True))
    messages = []
    for name in COLUMN_NAMES:
        if name in ("ord", "doc", "geom"):
            continue
        if row[name] != expected[name]:
            messages.append(
                f"column {name} is {_short(row[name])} but the stored feature says "
                f"{_short(expected[name])}"
            )
    stored_geom = shapely.from_wkb(row["geom"])
    if not shapely.equals_exact(stored_geom, shape(feature["geometry"]), tolerance=0):
        messages.append("column geom differs from the stored feature's geometry")
    return messages


def _check_meta(conn, schema: str, files: Files) -> list[Problem]:
    row = conn.execute(_select_meta(schema, "sources, build_info")).fetchone()
    if row is None:
        return []  # readiness reported the empty meta table
    sources, build_info = row
    problems = []
    for key in sorted(set(sources) | set(files.sources)):
        if key not in sources:
            problems.append(Problem(SOURCES_FILE, key, "missing from the database"))
        elif key not in files.sources:
            problems.append(Problem(SOURCES_FILE, key, "in the database but not in the files"))
        elif sources[key] != files.sources[key]:
            problems.append(Problem(SOURCES_FILE, key, "differs from the files"))
    if build_info != files.build_info:
        problems.append(Problem(BUILD_FILE, "*", "differs from the files"))
    return problems


def loaded_version(conn, schema: str = DEFAULT_SCHEMA) -> str | None:
    """The version of what is loaded (``counter-hash``), or None when nothing is."""
    row = conn.execute(_select_meta(schema, "counter, content_hash")).fetchone()
    return None if row is None else f"{row[0]}-{row[1]}"
