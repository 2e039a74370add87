"""The PostGIS provider: the same answers as the files provider, from a database.

Tables are made by ``geoapp db load`` (:mod:`geoapp.data.db`): one per layer with
plain indexed columns for every filter, a GiST index on ``geom`` and each
feature's compact JSON as authored (``doc``), so that ``encoded`` is byte for byte
what the files provider sends. Every filter of :meth:`Query.matches
<geoapp.data.query.Query.matches>` is translated to SQL here with bound
parameters; the shared test suite holds the two together.

Connections come from a pool (psycopg-pool) with a statement timeout. When the
database is away, calls raise :class:`ProviderError` (the app answers 503) and
the pool reconnects in the background; nothing dies. The data version is re-read
at most once per ``version_ttl`` seconds, so that every server on one database
sees a new load within a second, without a restart.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from typing import Any, TypeVar, overload

import psycopg
from psycopg import sql
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout

from geoapp.data import db, places_db
from geoapp.data import places as places_data
from geoapp.data.providers.base import (
    BackendError,
    LayerInfo,
    PlacesPage,
    Provider,
    ProviderError,
    Result,
)
from geoapp.data.query import MEMBER_OF, Query, queryables
from geoapp.data.schema import LAYERS, SECTORS, Layer

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Errors that mean the tables went away under a running server (dropped by hand).
_NOT_LOADED = (psycopg.errors.UndefinedTable, psycopg.errors.InvalidSchemaName)


@dataclass(frozen=True)
class _State:
    """What is read once per data version: the version and everything but features."""

    version: str
    layers: Mapping[str, LayerInfo]
    sources: Mapping[str, dict]
    build_info: Mapping[str, Any]


class PostGISProvider(Provider):
    """Every layer from a PostGIS database loaded by ``geoapp db load``.

    Parameters
    ----------
    url
        A PostgreSQL URL or conninfo string (``GEOAPP_DATABASE_URL``).
    schema
        The schema the layers were loaded into.
    min_size, max_size
        Pool size: keep ``max_size`` at the number of threads of a server process.
    timeout
        Seconds a call waits for a connection before giving up with ProviderError.
    statement_timeout
        Seconds any one statement may run.
    version_ttl
        Seconds the data version is trusted before it is read again.
    reconnect_timeout
        Seconds the pool retries a lost connection in the background before it waits
        for the next call to try again.

    Raises
    ------
    BackendError
        At construction, when the database cannot be reached or is not loaded.
    """

    name = "postgis"

    def __init__(
        self,
        url: str,
        *,
        schema: str = db.DEFAULT_SCHEMA,
        min_size: int = 1,
        max_size: int = 4,
        timeout: float = 3.0,
        statement_timeout: float = 5.0,
        version_ttl: float = 1.0,
        reconnect_timeout: float = 2.0,
    ):
        db.check_url(url)
        self.url = db.redact(url)
        self.schema = schema
        self._secret_url = url
        self._timeout = timeout
        self._statement_timeout_ms = max(1, int(statement_timeout * 1000))
        self._ttl = version_ttl
        self._attempts = max_size + 1
        with closing(db.connect(url, autocommit=True)) as conn:
            try:
                problems = db.readiness(conn, schema)
            except psycopg.Error as exc:
                raise BackendError(f"cannot read {self.url}: {self._scrub(exc)}") from None
        if problems:
            raise BackendError(f"{self.url} is not ready to serve: {db.describe(problems)}")
        self._lock = threading.Lock()
        self._state: _State | None = None
        self._places_version: tuple[str, float] | None = None
        self._checked_at = 0.0
        self._failure: str | None = None
        self._failed_at = 0.0
        self._pool_options = dict(
            kwargs={
                "autocommit": True,
                "connect_timeout": max(1, round(timeout)),
                "fallback_application_name": db.APPLICATION_NAME,
            },
            min_size=min_size,
            max_size=max_size,
            configure=self._configure,
            name="geoapp",
            timeout=timeout,
            reconnect_timeout=reconnect_timeout,
        )
        self._pid = os.getpid()
        self._fork_lock = threading.Lock()
        self._pool = ConnectionPool(url, open=False, **self._pool_options)
        self._pool.open(wait=False)
        try:
            self._current()
        except ProviderError as exc:
            self._pool.close()
            raise BackendError(str(exc)) from None
        log.info("postgis provider: %s, schema %s", self.url, schema)

    # -- connections ------------------------------------------------------------------

    def _after_fork(self) -> None:
        """A new pool in a forked process (gunicorn preloads the app in its master).

        A pool's worker threads and sockets do not survive a fork: the child must
        never use its parent's. The parent's pool object is dropped, not closed
        (closing would touch connections the parent still uses).
        """
        with self._fork_lock:
            if os.getpid() == self._pid:
                return
            self._pool = ConnectionPool(self._secret_url, open=False, **self._pool_options)
            self._pool.open(wait=False)
            self._pid = os.getpid()

    def _configure(self, conn: psycopg.Connection) -> None:
        conn.execute(
            sql.SQL("SET statement_timeout = {}").format(sql.Literal(self._statement_timeout_ms))
        )
        conn.execute("SET default_transaction_read_only = on")
        # Explicit transactions (a consistent snapshot of meta and extents) read only.
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True

    def _scrub(self, exc: BaseException) -> str:
        return db.scrub(str(exc) or type(exc).__name__, self._secret_url)

    def _run(self, work: Callable[[psycopg.Connection], T]) -> T:
        """Run ``work`` on a pooled connection; ProviderError when the database cannot answer.

        A connection found dead (the server restarted, or an administrator ended its
        backend) is dropped and the work tried again on another one, at most once per
        connection the pool may hold: reads are safe to repeat.
        """
        if os.getpid() != self._pid:
            self._after_fork()
        for attempt in range(self._attempts):
            try:
                conn = self._pool.getconn(timeout=self._timeout)
            except PoolTimeout:
                raise ProviderError(
                    f"database {self.url} is unavailable: no connection within {self._timeout:g} s"
                ) from None
            except PoolClosed:
                raise ProviderError(f"database {self.url}: the provider is closed") from None
            try:
                return work(conn)
            except _NOT_LOADED as exc:
                raise ProviderError(
                    f"database {self.url} is not loaded (geoapp db load): {self._scrub(exc)}"
                ) from None
            except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                if conn.closed and attempt + 1 < self._attempts:
                    log.info("%s: connection lost (%s), trying another", self.url, exc)
                    continue
                raise ProviderError(f"database {self.url}: {self._scrub(exc)}") from None
            finally:
                self._pool.putconn(conn)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- the version and what goes with it ------------------------------------------------

    def _current(self) -> _State:
        """The state of the current data version, re-read at most once per ``version_ttl``.

        One thread reads while the others wait for its answer; a failure is
        remembered for ``version_ttl`` too, so that a dead database costs one
        timeout per second, not one per waiting request.
        """
        state = self._state
        if state is not None and time.monotonic() - self._checked_at < self._ttl:
            return state
        with self._lock:
            now = time.monotonic()
            if self._state is not None and now - self._checked_at < self._ttl:
                return self._state
            if self._failure is not None and now - self._failed_at < self._ttl:
                raise ProviderError(self._failure)
            try:
                self._state = self._run(self._refresh)
            except ProviderError as exc:
                self._failure, self._failed_at = str(exc), time.monotonic()
                raise
            self._failure = None
            self._checked_at = time.monotonic()
            return self._state

    def _refresh(self, conn: psycopg.Connection) -> _State:
        row = conn.execute(db._select_meta(self.schema, "counter, content_hash")).fetchone()
        if row is None:
            raise ProviderError(f"database {self.url} is not loaded (geoapp db load)")
        version = f"{row[0]}-{row[1]}"
        if self._state is not None and self._state.version == version:
            return self._state
        with conn.transaction():  # one snapshot: the version goes with what it describes
            meta = conn.execute(
                db._select_meta(self.schema, "counter, content_hash, sources, build_info")
            ).fetchone()
            counter, digest, sources, build_info = meta
            infos = self._layer_infos(conn)
        log.info("postgis provider: data version %s-%s", counter, digest)
        return _State(f"{counter}-{digest}", infos, sources, build_info)

    def _layer_infos(self, conn: psycopg.Connection) -> dict[str, LayerInfo]:
        parts = []
        for layer in LAYERS:
            table = sql.Identifier(self.schema, layer)
            parts.append(
                sql.SQL(
                    "SELECT {name}, count(*), min(ST_XMin(geom)), min(ST_YMin(geom)), "
                    "max(ST_XMax(geom)), max(ST_YMax(geom)), min(time_start), max(time_end), "
                    "ARRAY(SELECT DISTINCT s FROM {t}, unnest(sectors) s), "
                    "ARRAY(SELECT DISTINCT iso_a3 FROM {t} WHERE iso_a3 <> '') FROM {t}"
                ).format(name=sql.Literal(layer), t=table)
            )
        infos = {}
        for name, count, *box, start, end, sectors, codes in conn.execute(
            sql.SQL(" UNION ALL ").join(parts)
        ):
            layer = LAYERS[name]
            infos[name] = LayerInfo(
                layer=layer,
                count=count,
                bbox=None if count == 0 else tuple(box),
                sectors=tuple(s for s in SECTORS if s in sectors),
                time_extent=None if start is None and end is None else (start, end),
                vocabularies={} if layer.thematic else {"iso_a3": sorted(codes)},
            )
        return {name: infos[name] for name in LAYERS}

    # -- the interface ------------------------------------------------------------------

    def version(self) -> str:
        return self._current().version

    def layers(self) -> Mapping[str, LayerInfo]:
        return self._current().layers

    def sources(self) -> Mapping[str, dict]:
        return self._current().sources

    def build_info(self) -> Mapping[str, Any]:
        return self._current().build_info

    def query(
        self, query: Query, layer: str, *, limit: int | None = None, offset: int = 0
    ) -> Result:
        spec = LAYERS[layer]
        if offset < 0 or (limit is not None and limit < 0):
            raise ValueError(f"limit and offset must be >= 0, got {limit} and {offset}")
        conditions, params = where(query, spec)
        table = sql.Identifier(self.schema, layer)
        condition = sql.SQL(" AND ").join(conditions) if conditions else sql.SQL("true")
        # One statement, one snapshot: the count and the page always agree.
        statement = sql.SQL(
            "SELECT m.n, p.doc FROM (SELECT count(*) AS n FROM {t} WHERE {c}) AS m "
            "LEFT JOIN LATERAL (SELECT ord, doc FROM {t} WHERE {c} ORDER BY ord "
            "LIMIT %s OFFSET %s) AS p ON true ORDER BY p.ord"
        ).format(t=table, c=condition)
        rows = self._run(
            lambda conn: conn.execute(statement, [*params, *params, limit, offset]).fetchall()
        )
        encoded = [doc.encode() for _, doc in rows if doc is not None]
        return Result(layer=layer, matched=rows[0][0], features=Decoded(encoded), encoded=encoded)

    def get(self, feature_id: str) -> dict[str, Any] | None:
        statement = sql.SQL(" UNION ALL ").join(
            sql.SQL("(SELECT doc FROM {} WHERE id = %(id)s)").format(
                sql.Identifier(self.schema, layer)
            )
            for layer in LAYERS
        ) + sql.SQL(" LIMIT 1")
        row = self._run(lambda conn: conn.execute(statement, {"id": feature_id}).fetchone())
        return None if row is None else json.loads(row[0])

    # -- places: their own tables (geoapp db load), their own version ---------------------

    def places_version(self) -> str:
        now = time.monotonic()
        cached = self._places_version
        if cached is not None and now - cached[1] < self._ttl:
            return cached[0]
        table = sql.Identifier(self.schema, places_db.META_TABLE)
        statement = sql.SQL("SELECT value FROM {} WHERE key = 'sha256'").format(table)
        try:
            row = self._run(lambda conn: conn.execute(statement).fetchone())
        except ProviderError as exc:
            if "not loaded" in str(exc):
                raise ProviderError(
                    f"database {self.url} holds no places: run geoapp db load"
                ) from None
            raise
        if row is None:
            raise ProviderError(f"database {self.url} holds no places: run geoapp db load")
        version = f"{row[0][:16]}-{places_data.LAYOUT}"
        self._places_version = (version, now)
        return version

    def places(
        self,
        bbox: tuple[float, float, float, float] | None,
        min_population: int,
        limit: int,
        offset: int = 0,
        *,
        count: bool = False,
        full: bool = False,
    ) -> PlacesPage:
        table = sql.Identifier(self.schema, places_db.PLACES_TABLE)
        condition, params = "population >= %s", [min_population]
        if bbox is not None:  # points: && on the box is the exact test, boundary included
            condition += " AND geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)"
            params += list(bbox)
        page = sql.SQL(
            "SELECT doc, alternates FROM {t} WHERE " + condition + " "
            "ORDER BY population DESC, geonameid LIMIT %s OFFSET %s"
        ).format(t=table)
        counted = sql.SQL("SELECT count(*) FROM {t} WHERE " + condition).format(t=table)

        def work(conn: psycopg.Connection) -> PlacesPage:
            # Never a prepared statement: a generic plan made for small boxes (GiST) would
            # serve the world at zoom 3 by scanning 180,000 rows; the population index is
            # right there, and only a plan for the actual values knows it (200 ms -> 2 ms).
            rows = conn.execute(page, [*params, limit, offset], prepare=False).fetchall()
            docs = places_data.docs_of(rows, full)
            matched = None
            if count:  # a page that is not full tells how many match: no second scan
                filled = len(docs) == limit or (not docs and offset > 0)
                matched = (
                    conn.execute(counted, params).fetchone()[0] if filled else offset + len(docs)
                )
            return PlacesPage(matched, docs)

        self.places_version()  # a clear 503 when never loaded
        return self._run(work)

    def place(self, geonameid: int) -> str | None:
        table = sql.Identifier(self.schema, places_db.PLACES_TABLE)
        statement = sql.SQL("SELECT doc, alternates FROM {} WHERE geonameid = %s").format(table)
        self.places_version()
        row = self._run(lambda conn: conn.execute(statement, [geonameid]).fetchone())
        return None if row is None else places_data.with_alternates(*row)

    def search_places(self, folded: str, limit: int) -> list[tuple[str, bool]]:
        names = sql.Identifier(self.schema, places_db.NAMES_TABLE)
        table = sql.Identifier(self.schema, places_db.PLACES_TABLE)
        # As the files store: a prefix of one or two letters only matches whole names.
        # Folded names are ASCII in a "C" collated column: a prefix is a range of the index.
        high = folded + "~" if len(folded) >= 3 else folded + "\x01"
        statement = sql.SQL(
            "SELECT p.doc, bool_or(n.name = %s) AS exact, p.population, p.geonameid "
            "FROM {n} n JOIN {t} p USING (geonameid) WHERE n.name >= %s AND n.name < %s "
            "GROUP BY p.geonameid ORDER BY exact DESC, p.population DESC, p.geonameid LIMIT %s"
        ).format(n=names, t=table)
        self.places_version()
        rows = self._run(
            lambda conn: conn.execute(statement, [folded, folded, high, limit]).fetchall()
        )
        return [(doc, bool(exact)) for doc, exact, _, _ in rows]

    def close(self) -> None:
        self._pool.close()


class Decoded(Sequence[dict[str, Any]]):
    """Features decoded from their JSON when first read, then kept.

    The OGC API and ``/api`` send ``encoded`` and never read ``features``; parsing a
    megabyte of basemap coordinates for them would cost more than the query.
    """

    def __init__(self, encoded: Sequence[bytes]):
        self._encoded = encoded
        self._decoded: list[dict[str, Any] | None] = [None] * len(encoded)

    def __len__(self) -> int:
        return len(self._encoded)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        feature = self._decoded[index]
        if feature is None:
            feature = self._decoded[index] = json.loads(self._encoded[index])
        return feature

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str | bytes):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Decoded({len(self)} features)"


def where(query: Query, layer: Layer) -> tuple[list[sql.Composable], list[Any]]:
    """The SQL conditions (and their parameters) of ``query`` on ``layer``'s table.

    Filter for filter the meaning of :meth:`Query.matches`; values are always bound
    parameters. NULL never passes a condition, as a missing property never passes
    a filter there.
    """
    conditions: list[sql.Composable] = []
    params: list[Any] = []

    def add(text: str, *values: Any) -> None:
        conditions.append(sql.SQL(text))
        params.extend(values)

    if layer.thematic:  # the basemap has no sectors, statuses, countries or tables
        if query.sectors is not None:
            if query.sectors_match == "all":
                if query.sectors:
                    add("sectors @> %s::text[]", list(query.sectors))
                else:
                    add("false")
            else:
                add("sectors && %s::text[]", list(query.sectors))
        if query.statuses is not None:
            add("status = ANY(%s::text[])", list(query.statuses))
        if query.countries is not None:
            add("country && %s::text[]", list(query.countries))
        if query.sources is not None:  # schema.source_keys, stored at load
            add("source_keys && %s::text[]", list(query.sources))
    if query.time is not None:  # overlap; an undated feature never matches, NULL is open
        first, last = query.time
        add("(time_start IS NOT NULL OR time_end IS NOT NULL)")
        if last is not None:
            add("(time_start IS NULL OR time_start <= %s)", last)
        if first is not None:
            add("(time_end IS NULL OR time_end >= %s)", first)
    if query.completed_by is not None:
        add("completion_date <= %s", query.completed_by)
    if query.text:
        add("strpos(name_folded, %s) > 0", query.text.casefold())
    for name, wanted in query.where:
        kind = queryables(layer)[name]
        if name in MEMBER_OF:
            name, kind = MEMBER_OF[name], queryables(layer)[MEMBER_OF[name]]
        column = sql.Identifier(name)
        if kind == "list[str]":
            conditions.append(sql.SQL("%s = ANY({})").format(column))
            params.append(wanted)
        elif kind == "int":  # numbers compare as numbers: 2018 == 2018.0
            number = float(wanted)
            if number.is_integer():
                conditions.append(sql.SQL("{} = %s").format(column))
                params.append(int(number))
            else:
                add("false")
        elif kind == "number":
            conditions.append(sql.SQL("{} = %s").format(column))
            params.append(float(wanted))
        elif kind == "isodate":  # compared as the text it is in the feature
            conditions.append(sql.SQL("to_char({}, 'YYYY-MM-DD') = %s").format(column))
            params.append(wanted)
        else:
            conditions.append(sql.SQL("{} = %s").format(column))
            params.append(wanted)
    if query.bbox is not None:
        minx, miny, maxx, maxy = query.bbox
        # A box of no width or height is the point or line it is (as GEOS reads the files
        # provider's shapely.box): PostGIS would find nothing in a flat polygon.
        if minx == maxx and miny == maxy:
            shape_sql, shape_params = "ST_MakePoint(%s, %s)", [minx, miny]
        elif minx == maxx or miny == maxy:
            shape_sql = "ST_MakeLine(ST_MakePoint(%s, %s), ST_MakePoint(%s, %s))"
            shape_params = list(query.bbox)
        else:
            shape_sql, shape_params = "ST_MakeEnvelope(%s, %s, %s, %s)", list(query.bbox)
        add(
            "geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326) "
            f"AND ST_Intersects(geom, ST_SetSRID({shape_sql}, 4326))",
            *query.bbox,
            *shape_params,
        )
    return conditions, params
