"""Two calls for the map's faces: the passages that mention a feature, and passage search.

They open the instance database themselves (``GEOAPP_INSTANCE`` when set, else the
``instance_path`` given: the app's, ``current_app.instance_path``; the web layer's
:func:`geoapp.web.articles.mentions_of` passes it) so that a popup or a search box needs
one line; with no articles ingested they answer an empty list and the map works as before.
"""

from __future__ import annotations

import os

from geoapp.data.articles import read
from geoapp.data.articles.store import open_existing


def mentions_of(
    feature_id: str, instance_path: str | os.PathLike, database_url: str | None = None
) -> list[dict]:
    """``[{article, passage, kind, label}]``: where the articles mention ``feature_id``.

    Examples
    --------
    ``mentions_of("port-aktau", app.instance_path)`` ->
    ``[{"article": "rt-2025", "passage": "r-6b4a4bf7", "kind": "row", "label": "Trade table, row 3"}]``
    """
    conn = open_existing(instance_path, database_url)
    try:
        return read.mentions_of(conn, feature_id)
    finally:
        if conn is not None:
            conn.close()


def search_passages(
    text: str, limit: int, instance_path: str | os.PathLike, database_url: str | None = None
) -> list[dict]:
    """``[{article, passage, snippet}]``: passages holding every word of ``text`` (FTS5),
    best first; the snippet marks matched words with ``[`` ``]``."""
    conn = open_existing(instance_path, database_url)
    try:
        return read.search_passages(conn, text, limit)
    finally:
        if conn is not None:
            conn.close()
