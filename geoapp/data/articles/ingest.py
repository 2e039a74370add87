"""Ingest: read a file, check it, analyse it, and store it in one transaction.

Reading refuses anything that is not a UTF-8 text, Markdown or HTML file of a sane size
before the database is opened, so bad input never touches it. The analysis (passages,
dates, mentions, places) is done in memory; the write is one ``with conn:`` block, so a
failure leaves the database as it was. The same file twice writes nothing; a changed
file (or a changed catalog) is re-linked and the report says what changed.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from geoapp.data.articles import gazetteer
from geoapp.data.articles.backend import Database, PostgresDatabase, SqliteDatabase
from geoapp.data.articles.dates import Found, find_dates
from geoapp.data.articles.gazetteer import Place, Region
from geoapp.data.articles.mentions import Lexicon, Mention, find_mentions, stem
from geoapp.data.articles.parse import parse
from geoapp.data.articles.passages import Passage, digest, layout
from geoapp.data.articles.store import GAZETTEER_FILE, connect
from geoapp.data.catalog import Catalog
from geoapp.data.query import Query
from geoapp.data.schema import ID_RE
from geoapp.data.search import normalise

#: File suffixes ingest reads, and the parser each one goes through.
FORMATS = {".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown",
           ".html": "html", ".htm": "html"}  # fmt: skip
#: Largest file ingest reads: an article is tens of kilobytes; 50 MB is not one.
MAX_BYTES = 5 * 1024 * 1024


class ArticleError(ValueError):
    """A file ingest refuses; ``str()`` is the one line the command prints."""


def read_article(path: Path) -> tuple[str, str, str]:
    """The text, format and SHA-256 of an article file, or ArticleError saying why not."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        kinds = ", ".join(sorted(FORMATS))
        raise ArticleError(
            f"{path}: not an article file ({path.suffix or 'no suffix'}); ingest reads {kinds}"
        )
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise ArticleError(f"{path}: not a regular file")
        if size > MAX_BYTES:
            raise ArticleError(
                f"{path}: {size / 1e6:.1f} MB, over the {MAX_BYTES // 2**20} MiB an article may be"
            )
        blob = path.read_bytes()
    except OSError as exc:
        raise ArticleError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not blob.strip():
        raise ArticleError(f"{path}: empty file")
    if b"\x00" in blob[:8192]:
        raise ArticleError(f"{path}: binary file (NUL bytes), not text")
    try:
        text = blob.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ArticleError(
            f"{path}: not UTF-8 (byte 0x{blob[exc.start]:02x} at offset {exc.start}); save it as UTF-8"
        ) from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise ArticleError(f"{path}: empty file")
    return text, fmt, digest_bytes(blob)


def digest_bytes(blob: bytes) -> str:
    import hashlib

    return hashlib.sha256(blob).hexdigest()


@dataclass
class Analysis:
    """What an article says, before it is stored."""

    text: str
    passages: list[Passage]
    dates: dict[str, list[Found]] = field(default_factory=dict)
    mentions: dict[str, list[Mention]] = field(default_factory=dict)
    places: dict[str, list[tuple[Place, str | None]]] = field(default_factory=dict)

    def features(self) -> set[str]:
        return {m.feature for ms in self.mentions.values() for m in ms}


def thematic(catalog: Catalog) -> list[dict]:
    """Every thematic feature's properties."""
    return [f["properties"] for fs in catalog.query(Query()).values() for f in fs]


def lexicon(catalog: Catalog) -> Lexicon:
    """The catalog's mention lexicon, built once per data version."""
    return catalog.memo(("articles-lexicon",), lambda: Lexicon.build(thematic(catalog)))


def region(catalog: Catalog) -> Region:
    """The catalog's region: the bounding box of its thematic layers, padded by a degree."""

    def build() -> Region:
        boxes = [
            info.bbox for lid, info in catalog.layers().items() if lid != "basemap" and info.bbox
        ]
        x0 = min(b[0] for b in boxes) - 1
        y0 = min(b[1] for b in boxes) - 1
        x1 = max(b[2] for b in boxes) + 1
        y1 = max(b[3] for b in boxes) + 1
        codes = {c for p in thematic(catalog) for c in p.get("country") or ()}
        return Region((x0, y0, x1, y1), frozenset(codes))

    return catalog.memo(("articles-region",), build)


def analyse(
    text: str, fmt: str, lex: Lexicon, gaz: sqlite3.Connection | None, where: Region | None,
    places_by_name: Mapping[tuple[str, ...], list[str]] | None = None,
) -> Analysis:  # fmt: skip
    """Split, date, link and place one article's text."""
    body, passages = layout(parse(text, fmt))
    result = Analysis(body, passages)
    year: int | None = None
    lowercase = frozenset(normalise(w) for w in re.findall(r"\b[a-z][a-z]+\b", body))
    found_places: dict[str, list[Place]] = {}
    for p in passages:
        chunk = body[p.start : p.end]
        found, year = find_dates(chunk, year)
        result.dates[p.id] = found
        result.mentions[p.id] = find_mentions(lex, chunk, p.kind, found)
        if gaz is not None and where is not None:
            found_places[p.id] = gazetteer.find_places(gaz, chunk, where, lowercase)
    if gaz is not None and where is not None:
        # The last tie-break (same region test, same population): nearest the others.
        flat = [(pid, place) for pid, places in found_places.items() for place in places]
        chosen = gazetteer.nearest_to_others([pl for _, pl in flat], gaz, where)
        for (pid, _), place in zip(flat, chosen, strict=True):
            here = {m.feature for m in result.mentions[pid]}
            key = tuple(stem(w) for w in re.findall(r"\w+", place.name))
            options = (places_by_name or {}).get(key, [])
            feature = next((f for f in options if f in here), options[0] if options else None)
            result.places.setdefault(pid, []).append((place, feature))
    return result


def town_features(lex: Lexicon) -> dict[tuple[str, ...], list[str]]:
    """Feature ids by the stemmed town names they stand at (place and town aliases)."""
    return {k: [p["id"] for p in v] for k, v in lex.places.items()}


def open_gazetteer(instance: Path) -> sqlite3.Connection:
    """The gazetteer database of the instance folder, loaded on first use."""
    path = instance / GAZETTEER_FILE
    instance.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    gazetteer.ensure(conn)
    return conn


@dataclass
class Report:
    """What one ingest did to one article."""

    article: str
    status: str  # "new", "unchanged", "changed", "relinked"
    passages: int
    features: list[str]
    not_mapped: list[tuple[str, float, float]]
    changes: list[str] = field(default_factory=list)
    note: str = ""

    def lines(self) -> list[str]:
        head = f"{self.article}: {self.status}, {self.passages} passages"
        head += f", {len(self.features)} features linked"
        out = [head + (f" ({self.note})" if self.note else "")]
        if self.features:
            out.append("  linked: " + ", ".join(self.features))
        out += [f"  {c}" for c in self.changes]
        if self.not_mapped:
            shown = [f"{n} ({lon:.4f}, {lat:.4f})" for n, lon, lat in self.not_mapped]
            out.append("  places mentioned, not mapped: " + "; ".join(shown))
        return out


def identify(path: Path, sha: str, sources: Mapping[str, dict]) -> tuple[str, dict | None, str]:
    """The article id for a file: the registered source with its SHA-256, else the one
    registered under its file name (changed since), else a slug of the file name."""
    for sid, entry in sources.items():
        if entry.get("kind") == "article" and entry.get("sha256") == sha:
            return sid, entry, ""
    for sid, entry in sources.items():
        if entry.get("kind") == "article" and entry.get("file") == path.name:
            return sid, entry, "text differs from the registered sha256"
    slug = "-".join(normalise(path.stem).split()) or "article"
    if not ID_RE.fullmatch(slug):
        slug = "article-" + sha[:12]
    return slug, None, ""


def store(db: Database, article: str, meta: dict, a: Analysis) -> tuple[str, list[str]]:
    """Write one article's analysis in one transaction; return its status and changes."""
    found = db.execute("SELECT sha256, catalog FROM articles WHERE id = ?", (article,))
    old = found[0] if found else None
    if old is not None and old[0] == meta["sha256"] and old[1] == meta["catalog"]:
        return "unchanged", []
    before_p = {r[0] for r in db.execute("SELECT id FROM passages WHERE article = ?", (article,))}
    before_f = {r[0] for r in db.execute("SELECT DISTINCT feature FROM mentions WHERE article = ?", (article,))}  # fmt: skip
    with db.transaction():
        db.execute("DELETE FROM passages_fts WHERE article = ?", (article,))
        db.execute("DELETE FROM articles WHERE id = ?", (article,))
        db.execute(
            "INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (article, meta["title"], meta["date"], meta["sha256"], meta["file"], meta["format"],
             a.text, meta["registered"], meta["catalog"], datetime.now(UTC).isoformat(timespec="seconds")),
        )  # fmt: skip
        for p in a.passages:
            chunk = a.text[p.start : p.end]
            db.execute(
                "INSERT INTO passages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (article, p.id, p.index, p.kind, p.start, p.end, p.label, p.section,
                 json.dumps(p.cells, ensure_ascii=False), digest(chunk)),
            )  # fmt: skip
            db.index_passage(chunk, article, p.id)
            db.executemany(
                "INSERT INTO dates VALUES (?, ?, ?, ?, ?, ?)",
                [(article, p.id, p.start + d.start, p.start + d.end,
                  d.first and d.first.isoformat(), d.last and d.last.isoformat())
                 for d in a.dates.get(p.id, ())],
            )  # fmt: skip
            db.executemany(
                "INSERT INTO mentions VALUES (?, ?, ?, ?, ?, ?)",
                [(article, p.id, m.feature, p.start + m.start, p.start + m.end, m.how)
                 for m in a.mentions.get(p.id, ())],
            )  # fmt: skip
            db.executemany(
                "INSERT INTO places VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(article, p.id, pl.name, p.start + pl.start, p.start + pl.end, pl.lon, pl.lat,
                  feature, pl.geonameid, pl.country) for pl, feature in a.places.get(p.id, ())],
            )  # fmt: skip
    if old is None:
        return "new", []
    after_p = {p.id for p in a.passages}
    after_f = a.features()
    changes = []
    if after_p != before_p:
        changes.append(f"passages: {len(after_p - before_p)} new, {len(before_p - after_p)} gone")
    if after_f - before_f:
        changes.append("now linked: " + ", ".join(sorted(after_f - before_f)))
    if before_f - after_f:
        changes.append("no longer linked: " + ", ".join(sorted(before_f - after_f)))
    return ("changed" if old[0] != meta["sha256"] else "relinked"), changes or ["same links"]


def stored_report(db: Database, article: str, note: str = "") -> Report:
    """The report of an article already stored as it is (status "unchanged")."""
    passages = db.execute("SELECT count(*) FROM passages WHERE article = ?", (article,))[0][0]
    features = [r[0] for r in db.execute(
        "SELECT DISTINCT feature FROM mentions WHERE article = ? ORDER BY feature", (article,))]  # fmt: skip
    missing: dict[str, tuple[str, float, float]] = {}
    for name, lon, lat in db.execute(
        "SELECT name, lon, lat FROM places WHERE article = ? AND feature IS NULL "
        "ORDER BY span_start",
        (article,),
    ):
        missing.setdefault(name, (name, lon, lat))
    return Report(article, "unchanged", passages, features, list(missing.values()), [], note)


def ingest_files(
    paths: Iterable[Path], catalog: Catalog, instance: Path, database_url: str | None = None
) -> list[Report]:
    """Check every file, then analyse and store each, one transaction per article.

    The tables are in ``articles.sqlite3`` in ``instance``, or in the PostGIS database
    at ``database_url`` when the data is served from there (the gazetteer is in
    ``instance`` either way). Raises ArticleError for the first file that is refused,
    before any database is opened or created.
    """
    read = [(path, *read_article(path)) for path in paths]
    lex = lexicon(catalog)
    where = region(catalog)
    towns = town_features(lex)
    gaz = open_gazetteer(instance)
    db: Database
    if database_url:
        opened = PostgresDatabase.open(database_url, create=True)
        assert opened is not None
        db = opened
    else:
        db = SqliteDatabase(connect(instance / "articles.sqlite3"))
    reports = []
    try:
        for path, text, fmt, sha in read:
            article, entry, note = identify(path, sha, catalog.sources)
            same = db.execute(
                "SELECT 1 FROM articles WHERE id = ? AND sha256 = ? AND catalog = ?",
                (article, sha, catalog.version),
            )
            if same:  # the same file on the same data: nothing to do, not even to analyse
                reports.append(stored_report(db, article, note))
                continue
            a = analyse(text, fmt, lex, gaz, where, towns)
            title = (entry or {}).get("title") or next(
                (a.text[p.start : p.end] for p in a.passages if p.kind == "title"), path.stem
            )
            meta = {"title": title, "date": (entry or {}).get("date"), "sha256": sha,
                    "file": path.name, "format": fmt, "registered": int(entry is not None and not note),
                    "catalog": catalog.version}  # fmt: skip
            status, changes = store(db, article, meta, a)
            missing = {}
            for placed in a.places.values():
                for pl, feature in placed:
                    if feature is None:
                        missing.setdefault(pl.name, (pl.name, pl.lon, pl.lat))
            reports.append(Report(article, status, len(a.passages), sorted(a.features()),
                                  list(missing.values()), changes, note))  # fmt: skip
    finally:
        db.close()
        gaz.close()
    return reports
