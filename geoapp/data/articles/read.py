"""What the app reads back from the articles database: lists, one article, mentions, search.

Functions take an open connection (or None when nothing was ingested) and return plain
JSON-ready values; they know nothing of Flask. Text goes out as data, never markup: the
faces escape it (``json.dumps`` or Jinja's autoescape).
"""

from __future__ import annotations

import re

from geoapp.data.articles.backend import Database

#: Most passages one search answers with.
MAX_SEARCH = 100


def list_articles(conn: Database | None) -> list[dict]:
    """``[{id, title, date, sha256, passages, features}]``, in id order."""
    if conn is None:
        return []
    rows = conn.execute(
        "SELECT a.id, a.title, a.date, a.sha256, "
        "(SELECT count(*) FROM passages p WHERE p.article = a.id) "
        "FROM articles a ORDER BY a.id"
    )
    features: dict[str, list[str]] = {}
    for article, feature in conn.execute(
        "SELECT DISTINCT article, feature FROM mentions ORDER BY article, feature"
    ):
        features.setdefault(article, []).append(feature)
    return [
        {
            "id": i,
            "title": t,
            "date": d,
            "sha256": s,
            "passages": n,
            "features": features.get(i, []),
        }
        for i, t, d, s, n in rows
    ]


def article_ids(conn: Database | None) -> list[str]:
    """Every ingested article's id (what a 404 names)."""
    if conn is None:
        return []
    return [r[0] for r in conn.execute("SELECT id FROM articles ORDER BY id")]


def get_article(conn: Database | None, article: str) -> dict | None:
    """One article as the API serves it, or None when there is no such article."""
    if conn is None:
        return None
    found = conn.execute(
        "SELECT id, title, date, sha256, text FROM articles WHERE id = ?", (article,)
    )
    if not found:
        return None
    aid, title, date, sha, text = found[0]
    dates: dict[str, list] = {}
    for passage, first, last in conn.execute(
        "SELECT passage, first, last FROM dates WHERE article = ? ORDER BY span_start", (aid,)
    ):
        dates.setdefault(passage, []).append([first, last])
    features: dict[str, list[str]] = {}
    for passage, feature in conn.execute(
        "SELECT passage, feature FROM mentions WHERE article = ? ORDER BY span_start, feature",
        (aid,),
    ):
        if feature not in features.setdefault(passage, []):
            features[passage].append(feature)
    passages = [
        {
            "id": pid,
            "kind": kind,
            "label": label,
            "start": start,
            "end": end,
            "dates": dates.get(pid, []),
            "features": features.get(pid, []),
        }  # fmt: skip
        for pid, kind, label, start, end in conn.execute(
            "SELECT id, kind, label, span_start, span_end FROM passages "
            "WHERE article = ? ORDER BY ordinal",
            (aid,),
        )
    ]
    mentions = [
        {"feature": f, "passage": p, "start": s, "end": e, "how": h}
        for p, f, s, e, h in conn.execute(
            "SELECT passage, feature, span_start, span_end, how FROM mentions "
            "WHERE article = ? ORDER BY span_start, feature",
            (aid,),
        )
    ]
    places = [
        {"name": n, "start": s, "end": e, "lon": x, "lat": y, "feature": f, "geonameid": g}
        for n, s, e, x, y, f, g in conn.execute(
            "SELECT name, span_start, span_end, lon, lat, feature, geonameid FROM places "
            "WHERE article = ? ORDER BY span_start",
            (aid,),
        )
    ]
    return {"id": aid, "title": title, "date": date, "sha256": sha, "text": text,
            "passages": passages, "mentions": mentions, "places": places}  # fmt: skip


def mentions_of(conn: Database | None, feature_id: str) -> list[dict]:
    """``[{article, passage, kind, label}]``: the passages that mention a feature, in
    article then reading order (what a popup's "Mentioned in" lists)."""
    if conn is None:
        return []
    rows = conn.execute(
        "SELECT DISTINCT m.article, m.passage, p.kind, p.label, p.ordinal FROM mentions m "
        "JOIN passages p ON p.article = m.article AND p.id = m.passage "
        "WHERE m.feature = ? ORDER BY m.article, p.ordinal",
        (feature_id,),
    )
    return [{"article": a, "passage": p, "kind": k, "label": lbl} for a, p, k, lbl, _ in rows]


def fts_query(text: str) -> str | None:
    """An FTS5 query for a user's words: each word a quoted prefix, all required.

    Quoting every word keeps FTS5's own syntax (NEAR, AND, ``"``, ``*``, ``:``) out of
    the user's hands, so no input is a syntax error.
    """
    words = re.findall(r"\w+", text)
    return " ".join(f'"{w}"*' for w in words[:20]) or None


def search_passages(conn: Database | None, text: str, limit: int = 20) -> list[dict]:
    """``[{article, passage, snippet}]`` of the passages that hold every word, best first.

    The snippet marks the matched words with ``[`` and ``]`` (plain text: a face that
    highlights them escapes the rest first).
    """
    words = re.findall(r"\w+", text)[:20]
    if conn is None or not words:
        return []
    rows = conn.search(words, max(1, min(limit, MAX_SEARCH)))
    return [{"article": a, "passage": p, "snippet": s} for a, p, s in rows]
