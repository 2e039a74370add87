"""Two calls for the map's faces: the passages that mention a feature, and passage search.

They open the instance database themselves (the app's instance folder inside a request,
else ``GEOAPP_INSTANCE`` or Flask's default) so that a popup or a search box needs one
line; with no articles ingested they answer an empty list and the map works as before.
"""

from __future__ import annotations

import os

from geoapp.articles import read
from geoapp.articles.store import open_existing


def _instance(instance_path: str | os.PathLike | None) -> str | os.PathLike | None:
    if instance_path is not None:
        return instance_path
    from flask import current_app, has_app_context

    return current_app.instance_path if has_app_context() else None


def mentions_of(feature_id: str, instance_path: str | os.PathLike | None = None) -> list[dict]:
    """``[{article, passage, kind, label}]``: where the articles mention ``feature_id``.

    Examples
    --------
    ``mentions_of("port-aktau")`` ->
    ``[{"article": "rt-2025", "passage": "r-6b4a4bf7", "kind": "row", "label": "Trade table, row 3"}]``
    """
    conn = open_existing(_instance(instance_path))
    try:
        return read.mentions_of(conn, feature_id)
    finally:
        if conn is not None:
            conn.close()


def search_passages(
    text: str, limit: int = 20, instance_path: str | os.PathLike | None = None
) -> list[dict]:
    """``[{article, passage, snippet}]``: passages holding every word of ``text`` (FTS5),
    best first; the snippet marks matched words with ``[`` ``]``."""
    conn = open_existing(_instance(instance_path))
    try:
        return read.search_passages(conn, text, limit)
    finally:
        if conn is not None:
            conn.close()
