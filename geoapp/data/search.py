"""Search: the one rule that finds features by what people call them.

A search is accent- and case-insensitive (:func:`normalise`: Türkmenbaşy is
turkmenbasy), forgives a typo or two in a long word (Turkmenbashy finds
Turkmenbashi), and looks at a feature's name, its ``aliases`` (former names,
other spellings: Krasnovodsk), its ``place``, the article table row it carries
and, last, its summary. Every match is returned, best first, with the field that
matched; the page lists them and ``/api/search`` serves them.

The order: the name > an alias > the place > the table row > a near miss (a typo)
in any of those > the summary. Within a field an exact match beats a start, which
beats words found anywhere in it; then the layer order (a port before the naval base
at the same town) and the shorter name decide. Each
feature's normalised words are computed once per data version
(:func:`search_catalog` keeps the index in the catalog's memo), so a query is one
pass over the features.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from geoapp.data.catalog import Catalog
from geoapp.data.query import MAX_TEXT, Query
from geoapp.data.schema import LAYERS
from geoapp.data.text import normalise

#: Longest search text, in characters (the page's ``q``), and the most results one answer lists.
MAX_QUERY = MAX_TEXT
MAX_LIMIT = 100
#: Places one search lists at most, after the features.
PLACES_LIMIT = 10

#: Fields searched, best first (a near miss ranks after every exact field).
FIELDS = ("name", "aliases", "place", "table_row")
TYPO, SUMMARY = len(FIELDS), len(FIELDS) + 1

#: Characters either side of a summary match that its snippet keeps.
SNIPPET_CONTEXT = 40


def typos_allowed(word: str) -> int:
    """How many edits a query word may be from a word it matches: none under 5 letters."""
    return 0 if len(word) < 5 else 1 if len(word) < 9 else 2


@lru_cache(maxsize=1 << 16)
def distance(a: str, b: str, bound: int) -> int:
    """Edits (insert, delete, substitute, swap two neighbours) from ``a`` to ``b``.

    Optimal string alignment distance; anything over ``bound`` is ``bound + 1``.
    """
    if abs(len(a) - len(b)) > bound:
        return bound + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], prev2[j - 2] + 1)
        if min(row) > bound:
            return bound + 1
        prev2, prev = prev, row
    return min(prev[-1], bound + 1)


@dataclass(frozen=True)
class Text:
    """One searchable text of a feature: as written, and folded into words."""

    field: str
    raw: str
    folded: str
    words: tuple[str, ...]

    @classmethod
    def of(cls, field: str, raw: str) -> Text:
        folded = normalise(raw)
        return cls(field, raw, folded, tuple(folded.split()))


@dataclass(frozen=True)
class Entry:
    """A feature as search sees it: its texts, folded once."""

    id: str
    name: str
    layer: str
    order: tuple[int, int, str]
    texts: tuple[Text, ...]
    summary: Text


@dataclass(frozen=True)
class Match:
    """A feature that matched: which field, how, and the text that matched."""

    id: str
    name: str
    layer: str
    field: str
    how: str
    snippet: str | None
    rank: tuple

    def to_json(self) -> dict:
        doc = {"kind": "feature", "id": self.id, "name": self.name, "layer": self.layer}
        doc["field"] = self.field
        doc["match"] = self.how
        if self.snippet is not None:
            doc["snippet"] = self.snippet
        return doc


def entry(props: dict) -> Entry:
    """Fold a feature's searchable texts (a table row ``table:row`` is searched by row)."""
    texts = [Text.of("name", props["name"])]
    texts += [Text.of("aliases", a) for a in props.get("aliases") or ()]
    if props.get("place"):
        texts.append(Text.of("place", props["place"]))
    if props.get("table_row"):
        texts.append(Text.of("table_row", props["table_row"].partition(":")[2]))
    layer = props["layer"]
    rank = list(LAYERS).index(layer) if layer in LAYERS else len(LAYERS)
    order = (rank, len(props["name"]), normalise(props["name"]))
    return Entry(
        props["id"], props["name"], layer, order, tuple(texts),
        Text.of("summary", props.get("summary") or ""),
    )  # fmt: skip


def build_index(features: Iterable[dict]) -> list[Entry]:
    """The search index of some features: one :class:`Entry` each."""
    return [entry(f["properties"]) for f in features]


def _words_match(query: Sequence[str], words: Sequence[str]) -> bool:
    """Whether every query word starts some word of the text."""
    return all(any(w.startswith(q) for w in words) for q in query)


def _near(query: Sequence[str], words: Sequence[str]) -> int | None:
    """Edits needed for every query word to start (or be) a word of the text, if allowed."""
    total = 0
    for q in query:
        bound = typos_allowed(q)
        best = bound + 1
        for w in words:
            if w.startswith(q):
                best = 0
                break
            if bound:
                best = min(best, distance(q, w, bound), distance(q, w[: len(q)], bound))
        if best > bound:
            return None
        total += best
    return total or None


def _exact(text: Text, folded: str, query: Sequence[str]) -> int | None:
    """How well the query matches a text with no typo: 0 whole, 1 its start, 2 its words."""
    if text.folded == folded:
        return 0
    if text.folded.startswith(folded):
        return 1
    if _words_match(query, text.words):
        return 2
    return None


HOW = {0: "exact", 1: "prefix", 2: "words"}


def _snippet(summary: str, query: Sequence[str]) -> str:
    """The part of the summary around the first query word it holds."""
    pattern = re.compile(r"\w+")
    for m in pattern.finditer(summary):
        if normalise(m.group()).startswith(query[0]):
            start, end = max(0, m.start() - SNIPPET_CONTEXT), m.end() + SNIPPET_CONTEXT
            text = summary[start:end].strip()
            return ("…" if start else "") + text + ("…" if end < len(summary) else "")
    return summary[: 2 * SNIPPET_CONTEXT]


def match(e: Entry, folded: str, query: Sequence[str]) -> Match | None:
    """How one feature matches a folded query, or None."""
    best: tuple | None = None
    for text in e.texts:
        strength = _exact(text, folded, query)
        if strength is not None:
            key = (FIELDS.index(text.field), strength)
            if best is None or key < best[0]:
                best = (key, text, HOW[strength])
    if best is None:
        for text in e.texts:
            edits = _near(query, text.words)
            if edits is not None:
                key = (TYPO, edits, FIELDS.index(text.field))
                if best is None or key < best[0]:
                    best = (key, text, "typo")
    if best is None and _words_match(query, e.summary.words):
        best = ((SUMMARY, 0), e.summary, "words")
    if best is None:
        return None
    key, text, how = best
    if text.field == "summary":
        snippet = _snippet(text.raw, query)
    else:
        snippet = None if text.field == "name" else text.raw
    return Match(e.id, e.name, e.layer, text.field, how, snippet, (*key, e.order))


def search(index: Iterable[Entry], text: str) -> list[Match]:
    """Every feature of the index that matches ``text``, best first.

    Examples
    --------
    >>> index = build_index([{"properties": {
    ...     "id": "port-t", "name": "Turkmenbashi Port", "layer": "ports",
    ...     "aliases": ["Krasnovodsk"], "summary": ""}}])
    >>> [(m.id, m.field) for m in search(index, "krasnovodsk")]
    [('port-t', 'aliases')]
    """
    folded = normalise(text)
    query = folded.split()
    if not query:
        return []
    found = [m for e in index if (m := match(e, folded, query)) is not None]
    return sorted(found, key=lambda m: m.rank)


def search_catalog(catalog: Catalog, text: str) -> list[Match]:
    """Search every thematic feature of the catalog (its index kept per data version)."""
    index = catalog.memo(("search-index",), lambda: build_index(_thematic(catalog)))
    return search(index, text)


def _thematic(catalog: Catalog) -> list[dict]:
    return [f for features in catalog.query(Query()).values() for f in features]


@dataclass(frozen=True)
class PlaceMatch:
    """A GeoNames place that matched: listed after every feature, to fly to."""

    geonameid: int
    name: str
    country: str
    population: int
    lon: float
    lat: float
    how: str

    def to_json(self) -> dict:
        return {
            "kind": "place", "id": f"place-{self.geonameid}", "name": self.name,
            "layer": "places", "field": "name", "match": self.how, "lon": self.lon,
            "lat": self.lat, "country": self.country, "population": self.population,
        }  # fmt: skip


def search_places(catalog: Catalog, text: str, limit: int = PLACES_LIMIT) -> list[PlaceMatch]:
    """The places a text names or starts (three letters or more), best first: a whole
    name before a start, then the most populous. Accent- and case-insensitive as
    features are (:func:`normalise`); no typos: 234,908 places would drown the features.
    """
    folded = normalise(text)
    if not folded or limit <= 0:
        return []
    out = []
    for doc, exact in catalog.search_places(folded, limit):
        feature = json.loads(doc)
        props = feature["properties"]
        lon, lat = feature["geometry"]["coordinates"]
        how = "exact" if exact else "prefix"
        out.append(PlaceMatch(props["id"], props["name"], props["country"],
                              props["population"], lon, lat, how))  # fmt: skip
    return out
