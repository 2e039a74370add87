"""Where the articles' tables live: SQLite in the instance folder, or the PostGIS database.

Files data keeps its articles in ``articles.sqlite3`` (FTS5 for search); data served from
PostGIS keeps the same tables in that database, in a schema of their own
(``geoapp_articles``; full-text search by a ``tsvector`` over the folded text). Both are
behind :class:`Database`: statements are written once with ``?`` placeholders, and only
full-text search differs. The gazetteer stays in the instance folder either way: it is a
cache of a package's file, not the app's data.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from geoapp.data.search import normalise

PG_SCHEMA = "geoapp_articles"

#: The PostgreSQL tables: the same columns as the SQLite ones (see store.MIGRATIONS).
PG_DDL = f"""
CREATE SCHEMA IF NOT EXISTS {PG_SCHEMA};
SET search_path TO {PG_SCHEMA};
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, date TEXT, sha256 TEXT NOT NULL,
    file TEXT NOT NULL, format TEXT NOT NULL, text TEXT NOT NULL, registered INTEGER NOT NULL,
    catalog TEXT NOT NULL, ingested TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS passages (
    article TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    id TEXT NOT NULL, ordinal INTEGER NOT NULL, kind TEXT NOT NULL,
    span_start INTEGER NOT NULL, span_end INTEGER NOT NULL, label TEXT NOT NULL,
    section TEXT NOT NULL, cells TEXT NOT NULL, sha256 TEXT NOT NULL,
    PRIMARY KEY (article, id));
CREATE TABLE IF NOT EXISTS dates (
    article TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    passage TEXT NOT NULL, span_start INTEGER NOT NULL, span_end INTEGER NOT NULL,
    first TEXT, last TEXT);
CREATE TABLE IF NOT EXISTS mentions (
    article TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    passage TEXT NOT NULL, feature TEXT NOT NULL, span_start INTEGER NOT NULL,
    span_end INTEGER NOT NULL, how TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS mentions_feature ON mentions (feature);
CREATE TABLE IF NOT EXISTS places (
    article TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    passage TEXT NOT NULL, name TEXT NOT NULL, span_start INTEGER NOT NULL,
    span_end INTEGER NOT NULL, lon DOUBLE PRECISION NOT NULL, lat DOUBLE PRECISION NOT NULL,
    feature TEXT, geonameid INTEGER NOT NULL, country TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS passages_fts (
    text TEXT NOT NULL, article TEXT NOT NULL, passage TEXT NOT NULL, folded TEXT NOT NULL,
    tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', folded)) STORED);
CREATE INDEX IF NOT EXISTS passages_fts_tsv ON passages_fts USING gin (tsv);
"""


class Database:
    """An articles database: run statements, one transaction at a time, search passages."""

    dialect = ""

    def execute(self, statement: str, params: Sequence[Any] = ()) -> list[tuple]:
        """Run one statement; its rows (empty for a write)."""
        raise NotImplementedError

    def executemany(self, statement: str, rows: Iterable[Sequence[Any]]) -> None:
        raise NotImplementedError

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Everything inside is committed together, or not at all."""
        raise NotImplementedError
        yield

    def index_passage(self, text: str, article: str, passage: str) -> None:
        """Add a passage to the full-text index."""
        raise NotImplementedError

    def search(self, words: list[str], limit: int) -> list[tuple[str, str, str]]:
        """``(article, passage, snippet)`` of passages holding every word (a prefix each)."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class SqliteDatabase(Database):
    """``articles.sqlite3`` in the instance folder."""

    dialect = "sqlite"

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def execute(self, statement: str, params: Sequence[Any] = ()) -> list[tuple]:
        return self.conn.execute(statement, params).fetchall()

    def executemany(self, statement: str, rows: Iterable[Sequence[Any]]) -> None:
        self.conn.executemany(statement, rows)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.conn:
            yield

    def index_passage(self, text: str, article: str, passage: str) -> None:
        self.conn.execute("INSERT INTO passages_fts VALUES (?, ?, ?)", (text, article, passage))

    def search(self, words: list[str], limit: int) -> list[tuple[str, str, str]]:
        # Each word quoted: FTS5's own syntax (NEAR, OR, *, :) never reaches the parser.
        query = " ".join(f'"{w}"*' for w in words)
        return self.execute(
            "SELECT article, passage, snippet(passages_fts, 0, '[', ']', '…', 12) "
            "FROM passages_fts WHERE passages_fts MATCH ? ORDER BY rank LIMIT ?",
            (query, limit),
        )

    def close(self) -> None:
        self.conn.close()


class PostgresDatabase(Database):
    """The same tables in the PostGIS database the data is served from."""

    dialect = "postgres"

    def __init__(self, conn: Any):
        self.conn = conn

    @classmethod
    def open(cls, url: str, *, create: bool) -> PostgresDatabase | None:
        """Connect; create the tables when ``create``, else None if they are absent."""
        from geoapp.data.db import connect

        # Autocommit: a read is its own statement, and transaction() is a real BEGIN/COMMIT.
        conn = connect(url, autocommit=True)
        if create:
            with conn.transaction():
                conn.execute(PG_DDL)
        else:
            found = conn.execute("SELECT to_regclass(%s)", (f"{PG_SCHEMA}.articles",)).fetchone()
            if found[0] is None:
                conn.close()
                return None
        conn.execute(f"SET search_path TO {PG_SCHEMA}")
        return cls(conn)

    def execute(self, statement: str, params: Sequence[Any] = ()) -> list[tuple]:
        cur = self.conn.execute(statement.replace("?", "%s"), params)
        return cur.fetchall() if cur.description else []

    def executemany(self, statement: str, rows: Iterable[Sequence[Any]]) -> None:
        with self.conn.cursor() as cur:
            cur.executemany(statement.replace("?", "%s"), list(rows))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.conn.transaction():
            yield

    def index_passage(self, text: str, article: str, passage: str) -> None:
        self.conn.execute(
            "INSERT INTO passages_fts (text, article, passage, folded) VALUES (%s, %s, %s, %s)",
            (text, article, passage, normalise(text)),
        )

    def search(self, words: list[str], limit: int) -> list[tuple[str, str, str]]:
        folded = [w for word in words for w in normalise(word).split()]
        if not folded:
            return []
        query = " & ".join(f"{w}:*" for w in folded)
        rows = self.execute(
            "SELECT article, passage, text FROM passages_fts "
            "WHERE tsv @@ to_tsquery('simple', ?) "
            "ORDER BY ts_rank(tsv, to_tsquery('simple', ?)) DESC, article, passage LIMIT ?",
            (query, query, limit),
        )
        return [(a, p, _snippet(text, folded)) for a, p, text in rows]

    def close(self) -> None:
        self.conn.close()


def _snippet(text: str, words: list[str], context: int = 60) -> str:
    """The text around the first matched word, matched words in ``[ ]`` (FTS5's form)."""
    import re

    spans = [
        m.span()
        for m in re.finditer(r"\w+", text)
        if any(normalise(m.group()).startswith(w) for w in words)
    ]
    if not spans:
        return text[: 2 * context]
    start = max(0, spans[0][0] - context)
    end = min(len(text), spans[0][1] + context)
    out, at = [], start
    for s, e in spans:
        if s >= start and e <= end:
            out += [text[at:s], "[", text[s:e], "]"]
            at = e
    out.append(text[at:end])
    return ("…" if start else "") + "".join(out) + ("…" if end < len(text) else "")
