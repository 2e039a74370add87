"""Which passages of the ingested articles mention each feature, read once per change.

The catalog's features carry their ``mentions`` (``[{article, passage, label}]``) in
``/api/layers``, ``/ogc`` and the popups, generated from the mentions that ingest
found, never written by hand. Reading the articles database on every request would
cost a query per feature: this index reads all mentions at once and again only when
the articles change (a fingerprint of the articles table, checked at most once per
``ttl`` seconds). Its version joins the data version, so every answer and cache
built on the catalog follows an ingest.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Mapping

from geoapp.data.articles.store import open_existing

#: Seconds between two looks at the articles database (PostGIS: a round trip each).
TTL_SQLITE = 0.25
TTL_POSTGIS = 1.0


class MentionIndex:
    """Mentions by feature id, and the articles' version (empty before any ingest)."""

    def __init__(self, instance_path: str | os.PathLike, database_url: str | None = None):
        self._instance = instance_path
        self._url = database_url or None
        self._ttl = TTL_POSTGIS if self._url else TTL_SQLITE
        self._lock = threading.Lock()
        self._checked = float("-inf")
        self._version = ""
        self._by_feature: dict[str, list[dict]] = {}
        self._titles: dict[str, str] = {}

    def current(self) -> tuple[str, Mapping[str, list[dict]]]:
        """``(version, {feature id: [{article, passage, label}]})`` as of now."""
        with self._lock:
            if time.monotonic() - self._checked >= self._ttl:
                self._refresh()
                self._checked = time.monotonic()
            return self._version, self._by_feature

    @property
    def version(self) -> str:
        return self.current()[0]

    def titles(self) -> Mapping[str, str]:
        """Each ingested article's title by id (what a popup names a mention by)."""
        self.current()
        return self._titles

    def _refresh(self) -> None:
        db = open_existing(self._instance, self._url)
        if db is None:
            self._version, self._by_feature, self._titles = "", {}, {}
            return
        try:
            rows = db.execute(
                "SELECT id, sha256, catalog, ingested, title FROM articles ORDER BY id"
            )
            version = (
                hashlib.blake2b(repr(rows).encode(), digest_size=8).hexdigest() if rows else ""
            )
            if version == self._version:
                return
            by_feature: dict[str, list[dict]] = {}
            for feature, article, passage, label, _ in db.execute(
                "SELECT DISTINCT m.feature, m.article, m.passage, p.label, p.ordinal FROM mentions m "
                "JOIN passages p ON p.article = m.article AND p.id = m.passage "
                "ORDER BY m.feature, m.article, p.ordinal"
            ):
                by_feature.setdefault(feature, []).append(
                    {"article": article, "passage": passage, "label": label}
                )
            self._version, self._by_feature = version, by_feature
            self._titles = {row[0]: row[4] for row in rows}
        finally:
            db.close()
