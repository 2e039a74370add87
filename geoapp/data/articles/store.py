"""The instance database: articles, passages, dates, mentions and places (SQLite + FTS5).

One file, ``articles.sqlite3``, in the instance folder (the app's ``instance_path``, or
``GEOAPP_INSTANCE``); the gazetteer has a file of its own beside it
(``gazetteer.sqlite3``), loaded once and only read after. The schema is plain numbered
SQL applied in order (``PRAGMA user_version`` says how far), as Datasette does.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from geoapp.data.articles.backend import Database, PostgresDatabase, SqliteDatabase

ENV = "GEOAPP_INSTANCE"
DB_FILE = "articles.sqlite3"
GAZETTEER_FILE = "gazetteer.sqlite3"

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE articles (
        id TEXT PRIMARY KEY, title TEXT NOT NULL, date TEXT, sha256 TEXT NOT NULL,
        file TEXT NOT NULL, format TEXT NOT NULL, text TEXT NOT NULL, registered INTEGER NOT NULL,
        catalog TEXT NOT NULL, ingested TEXT NOT NULL);
    CREATE TABLE passages (
        article TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        id TEXT NOT NULL, ordinal INTEGER NOT NULL, kind TEXT NOT NULL,
        span_start INTEGER NOT NULL, span_end INTEGER NOT NULL, label TEXT NOT NULL,
        section TEXT NOT NULL, cells TEXT NOT NULL, sha256 TEXT NOT NULL,
        PRIMARY KEY (article, id));
    CREATE TABLE dates (
        article TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        passage TEXT NOT NULL, span_start INTEGER NOT NULL, span_end INTEGER NOT NULL,
        first TEXT, last TEXT);
    CREATE TABLE mentions (
        article TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        passage TEXT NOT NULL, feature TEXT NOT NULL, span_start INTEGER NOT NULL,
        span_end INTEGER NOT NULL, how TEXT NOT NULL);
    CREATE INDEX mentions_feature ON mentions (feature);
    CREATE TABLE places (
        article TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        passage TEXT NOT NULL, name TEXT NOT NULL, span_start INTEGER NOT NULL,
        span_end INTEGER NOT NULL, lon REAL NOT NULL, lat REAL NOT NULL, feature TEXT,
        geonameid INTEGER NOT NULL, country TEXT NOT NULL);
    CREATE VIRTUAL TABLE passages_fts USING fts5(
        text, article UNINDEXED, passage UNINDEXED, tokenize = 'unicode61 remove_diacritics 2');
    """,
)


def instance_dir(default: str | os.PathLike) -> Path:
    """The instance folder: ``GEOAPP_INSTANCE`` when set, else ``default`` (the app's
    ``instance_path``, which the face that calls knows; the data layer knows no Flask)."""
    return Path(os.environ.get(ENV) or default)


def database_path(default: str | os.PathLike) -> Path:
    """Where the articles database is (it may not exist yet)."""
    return instance_dir(default) / DB_FILE


def connect(path: Path, *, create: bool = True) -> sqlite3.Connection:
    """Open the articles database, creating and migrating it when ``create``.

    Autocommit is off at the Python level: callers wrap each command in ``with conn:``
    so that it is one transaction, committed whole or not at all.
    """
    if create:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path)
    else:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 5000")
    if create:
        migrate(conn)
    return conn


def migrate(conn: sqlite3.Connection) -> None:
    """Apply the migrations the database has not seen, each in its own transaction."""
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    for number, sql in enumerate(MIGRATIONS[current:], current + 1):
        with conn:
            conn.executescript(f"BEGIN; {sql} PRAGMA user_version = {number}; COMMIT;")


def open_existing(
    instance_path: str | os.PathLike, database_url: str | None = None
) -> Database | None:
    """The articles database to read (SQLite read-only, or the PostGIS database's tables
    when ``database_url``), or None when nothing was ever ingested there."""
    if database_url:
        return PostgresDatabase.open(database_url, create=False)
    path = database_path(instance_path)
    if not path.is_file():
        return None
    conn = connect(path, create=False)
    if conn.execute("PRAGMA user_version").fetchone()[0] < len(MIGRATIONS):
        conn.close()
        return None
    return SqliteDatabase(conn)
