"""``/api/articles``: the ingested articles as JSON, as functions with no Flask in them.

Each takes the open articles database (None when nothing was ingested: the lists are
empty and every id is unknown) and the request's parameters, and returns a JSON-ready
value or raises the typed errors every face maps once (QueryError 400, NotFoundError
404 naming the valid ids).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping

from geoapp.data.articles import read
from geoapp.data.query import check_parameters, is_tracking
from geoapp.errors import NotFoundError, QueryError

ID = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
SEARCH_PARAMETERS = ("q", "limit")
MAX_Q = 200
_WHOLE = re.compile(r"[0-9]{1,3}")


def _args(args: Mapping[str, str], allowed: tuple[str, ...]) -> dict[str, str]:
    kept = {k: v for k, v in args.items() if not is_tracking(k)}
    if not allowed and kept:
        raise QueryError("parameter", sorted(kept)[0], "none: this path takes no parameters")
    check_parameters(kept, allowed)
    return kept


def articles_answer(conn: sqlite3.Connection | None, args: Mapping[str, str]) -> list[dict]:
    """``[{id, title, date, sha256, passages, features}]``; takes no parameters."""
    _args(args, ())
    return read.list_articles(conn)


def article_answer(
    conn: sqlite3.Connection | None, article_id: str, args: Mapping[str, str]
) -> dict:
    """One article: ``{id, title, date, sha256, text, passages, mentions, places}``."""
    _args(args, ())
    doc = read.get_article(conn, article_id) if ID.fullmatch(article_id) else None
    if doc is None:
        raise NotFoundError("article", article_id, read.article_ids(conn))
    return doc


def search_answer(conn: sqlite3.Connection | None, args: Mapping[str, str]) -> list[dict]:
    """``[{article, passage, snippet}]``: passages holding every word of ``q`` (FTS5)."""
    kept = _args(args, SEARCH_PARAMETERS)
    q = kept.get("q", "").strip()
    if not q or len(q) > MAX_Q or "\x00" in q or read.fts_query(q) is None:
        raise QueryError("q", kept.get("q", "")[:20], f"search words, 1 to {MAX_Q} characters")
    limit = kept.get("limit")
    if limit is not None and not (_WHOLE.fullmatch(limit) and 1 <= int(limit) <= read.MAX_SEARCH):
        raise QueryError("limit", limit, f"a whole number from 1 to {read.MAX_SEARCH}")
    return read.search_passages(conn, q, int(limit) if limit else 20)
