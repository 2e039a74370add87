"""The places store of the files provider: one SQLite file with an R*Tree, built once.

Why SQLite and not the 234,908 places in memory: each gunicorn worker would hold
them (about 150 MB of Python objects), while a file on disk is shared through the
page cache and costs a worker a few MB of SQLite cache. The R*Tree has a third
dimension, ``log10(population)``, so that "this box, at least this many people"
is answered from the index alone at every zoom, and each row holds its feature's
GeoJSON, encoded at build: an answer is a join of stored strings.

The file is built by ``geoapp places build`` (:func:`build`) into a temporary
file and renamed into place, so that readers never see half a store; a store whose
recorded package version, checksum and layout match the source is kept as it is.
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from geoapp.data.places import (
    LAYOUT,
    SEARCH_LIMIT,
    dataset_path,
    docs_of,
    pop_key,
    read_source,
    source_facts,
    with_alternates,
)
from geoapp.errors import ProviderError

log = logging.getLogger(__name__)

#: The store's file name in the instance folder (``GEOAPP_PLACES_DB`` names another path).
FILE_NAME = "places.sqlite3"
ENV = "GEOAPP_PLACES_DB"

SCHEMA = """
CREATE TABLE places (geonameid INTEGER PRIMARY KEY, name TEXT NOT NULL, ascii TEXT NOT NULL,
    country TEXT NOT NULL, population INTEGER NOT NULL, lon REAL NOT NULL, lat REAL NOT NULL,
    alternates TEXT NOT NULL, doc TEXT NOT NULL);
CREATE VIRTUAL TABLE places_index USING rtree(id, minx, maxx, miny, maxy, minp, maxp);
CREATE TABLE place_names (name TEXT NOT NULL, geonameid INTEGER NOT NULL,
    population INTEGER NOT NULL);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
INDEXES = """
CREATE INDEX places_population ON places (population DESC, geonameid);
CREATE INDEX place_names_name ON place_names (name, population DESC);
"""


def instance_folder() -> Path:
    """The instance folder Flask gives the ``geoapp`` app, unless ``GEOAPP_INSTANCE`` says.

    Computed as Flask does (a checkout's ``instance/``, an installed package's
    ``<prefix>/var/geoapp-instance``), since the data layer knows no Flask.
    """
    if os.environ.get("GEOAPP_INSTANCE"):
        return Path(os.environ["GEOAPP_INSTANCE"])
    package = Path(__file__).resolve().parent.parent
    if (package.parent / "pyproject.toml").is_file():
        return package.parent / "instance"
    return Path(sys.prefix) / "var" / "geoapp-instance"


def default_path(configured: str | os.PathLike | None = None) -> Path:
    """Where the store is: ``configured`` (``PLACES_DB``), ``$GEOAPP_PLACES_DB``, else
    ``places.sqlite3`` in the instance folder (:func:`instance_folder`)."""
    chosen = configured or os.environ.get(ENV)
    return Path(chosen) if chosen else instance_folder() / FILE_NAME


def read_facts(path: Path) -> dict[str, str] | None:
    """The facts a built store records, or None when there is no (complete) store."""
    if not path.is_file():
        return None
    try:
        with _open(path) as conn:
            return dict(conn.execute("SELECT key, value FROM meta").fetchall())
    except sqlite3.Error:
        return None


def is_current(path: Path, source: Path | None = None) -> bool:
    """Whether the store at ``path`` was built from this source, package and layout."""
    have = read_facts(path)
    if not have:
        return False
    wanted = source_facts(source or dataset_path())
    return all(have.get(k) == v for k, v in wanted.items())


@dataclass(frozen=True)
class BuildReport:
    facts: dict[str, str]
    built: bool
    seconds: float


def build(path: Path, source: Path | None = None, *, force: bool = False) -> BuildReport:
    """Build the store at ``path`` from ``source`` (cities500.json) unless it is current.

    Idempotent and safe to run from two processes at once (a lock file): the
    second finds the first's store current and returns it.
    """
    started = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not force and is_current(path, source):
            return BuildReport(read_facts(path) or {}, False, time.perf_counter() - started)
        data = read_source(source)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.unlink(missing_ok=True)
        conn = sqlite3.connect(tmp)
        try:
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            conn.executescript(SCHEMA)
            with conn:
                conn.executemany(
                    "INSERT INTO places VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    ((p.geonameid, p.name, p.ascii, p.country, p.population, p.lon, p.lat,
                      p.alternates_json(), p.doc()) for p in data.places),
                )  # fmt: skip
                conn.executemany(
                    "INSERT INTO places_index VALUES (?, ?, ?, ?, ?, ?, ?)",
                    ((p.geonameid, p.lon, p.lon, p.lat, p.lat, k, k)
                     for p in data.places for k in [pop_key(p.population)]),
                )  # fmt: skip
                conn.executemany(
                    "INSERT INTO place_names VALUES (?, ?, ?)",
                    ((n, p.geonameid, p.population) for p in data.places for n in p.search_names()),
                )
                conn.executescript(INDEXES)
                conn.executemany("INSERT INTO meta VALUES (?, ?)", data.facts.items())
            conn.execute("ANALYZE")
        finally:
            conn.close()
        os.replace(tmp, path)
    seconds = time.perf_counter() - started
    log.info("places store: %s places in %s, %.1f s", data.facts["places"], path, seconds)
    return BuildReport(data.facts, True, seconds)


def _open(path: Path) -> sqlite3.Connection:
    # Read-only and immutable: the store is replaced whole (a rename), never changed in place.
    conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
    return conn


def _counted(rows: list, limit: int, offset: int) -> int | None:
    """How many match, when a page that is not full tells (no second scan); else None."""
    if 0 < len(rows) < limit or (not rows and offset == 0):
        return offset + len(rows)
    return None


class PlacesStore:
    """Read the store: one connection per thread (and per process, after gunicorn's fork)."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._local = threading.local()
        self._facts: dict[str, str] | None = None
        self._lock = threading.Lock()

    def _conn(self) -> sqlite3.Connection:
        local = self._local
        conn = getattr(local, "conn", None)
        if conn is None or local.pid != os.getpid():
            facts = self.facts()  # raises when there is no store
            del facts
            conn = local.conn = _open(self.path)
            local.pid = os.getpid()
        return conn

    def facts(self) -> dict[str, str]:
        """The recorded facts; ProviderError (503) naming the command when not built."""
        if self._facts is None:
            with self._lock:
                if self._facts is None:
                    facts = read_facts(self.path)
                    if not facts or facts.get("layout") != str(LAYOUT):
                        raise ProviderError(
                            f"the places store {self.path} is not built: run geoapp places build"
                        )
                    self._facts = facts
        return self._facts

    def version(self) -> str:
        return self.facts()["sha256"][:16] + "-" + self.facts()["layout"]

    def places(
        self,
        bbox: tuple[float, float, float, float] | None,
        min_population: int,
        limit: int,
        offset: int = 0,
        *,
        count: bool = False,
        full: bool = False,
    ) -> tuple[int | None, list[str]]:
        """Docs of the places in ``bbox`` with at least ``min_population``, most populous
        first; ``full``: with their alternate names (:func:`with_alternates`)."""
        conn = self._conn()
        if bbox is None:
            rows = conn.execute(
                "SELECT doc, alternates FROM places WHERE population >= ? "
                "ORDER BY population DESC, geonameid LIMIT ? OFFSET ?",
                (min_population, limit, offset),
            ).fetchall()
            matched = None
            if count:
                (matched,) = conn.execute(
                    "SELECT count(*) FROM places WHERE population >= ?", (min_population,)
                ).fetchone()
            return matched, docs_of(rows, full)
        minx, miny, maxx, maxy = bbox
        # The R*Tree holds 32-bit floats rounded outwards: the exact test is on the row.
        where = (
            "FROM places_index i JOIN places p ON p.geonameid = i.id "
            "WHERE i.maxx >= ? AND i.minx <= ? AND i.maxy >= ? AND i.miny <= ? AND i.maxp >= ? "
            "AND p.lon BETWEEN ? AND ? AND p.lat BETWEEN ? AND ? AND p.population >= ?"
        )
        params = (minx, maxx, miny, maxy, pop_key(min_population) - 1e-3,
                  minx, maxx, miny, maxy, min_population)  # fmt: skip
        rows = conn.execute(
            f"SELECT p.doc, p.alternates {where} "
            "ORDER BY p.population DESC, p.geonameid LIMIT ? OFFSET ?",
            (*params, limit, offset),
        ).fetchall()
        matched = None
        if count:
            matched = _counted(rows, limit, offset)
            if matched is None:
                (matched,) = conn.execute(f"SELECT count(*) {where}", params).fetchone()
        return matched, docs_of(rows, full)

    def get(self, geonameid: int) -> str | None:
        """One place's whole record (its doc with its alternate names) by its GeoNames id."""
        row = (
            self._conn()
            .execute("SELECT doc, alternates FROM places WHERE geonameid = ?", (geonameid,))
            .fetchone()
        )
        return None if row is None else with_alternates(*row)

    def search(self, folded: str, limit: int = SEARCH_LIMIT) -> list[tuple[str, bool]]:
        """Places one of whose folded names is or starts with ``folded``: (doc, exact).

        Exact names first, then the most populous: "aktau" is the Kazakh port city before
        a village of the same name.
        """
        # A prefix of one or two letters would match half the world: those match whole names.
        high = folded + "\uffff" if len(folded) >= 3 else folded + "\x00"
        rows = (
            self._conn()
            .execute(
                "SELECT p.doc, max(n.name = ?) AS exact, p.population FROM place_names n "
                "JOIN places p ON p.geonameid = n.geonameid "
                "WHERE n.name >= ? AND n.name < ? GROUP BY p.geonameid "
                "ORDER BY exact DESC, p.population DESC, p.geonameid LIMIT ?",
                (folded, folded, high, limit),
            )
            .fetchall()
        )
        return [(doc, bool(exact)) for doc, exact, _ in rows]

    def count(self) -> int:
        return int(self.facts()["places"])
