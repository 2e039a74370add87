"""The vocabularies and the feature property schema, defined once.

The web map, the legend, the static export, the API and the validator all read
these tables; nothing else spells out a sector, a status or a layer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

SECTORS: dict[str, str] = {
    "energy": "Energy",
    "security": "Security",
    "trade": "Trade",
}

#: Global Energy Monitor's status vocabulary for infrastructure, plus three
#: statuses for things that are not projects: dated events, zones and boundaries.
STATUSES: dict[str, str] = {
    "proposed": "Proposed",
    "construction": "Under construction",
    "operating": "Operating",
    "shelved": "Shelved",
    "cancelled": "Cancelled",
    "mothballed": "Mothballed",
    "retired": "Retired",
    "event": "Event",
    "area": "Area",
    "boundary": "Boundary",
}

#: How sure a geometry is of where the thing is. Every thematic feature says which;
#: unless ``surveyed`` it also gives ``error_km``, the largest distance it may be off.
POSITIONS: dict[str, str] = {
    "surveyed": "Surveyed: matches a published coordinate or alignment (within 1 km)",
    "approximate": "Approximate: placed from a description; off by up to error_km",
    "schematic": "Schematic: stands for the thing, not its real line or site",
}

#: What the summary reports when it is not established: an ``alleged`` claim names who
#: made it in ``claimed_by``.
CLAIMS: dict[str, str] = {
    "alleged": "Alleged: reported as someone's claim, not established",
}

#: The statuses of infrastructure, which change with time: each carries ``status_as_of``
#: and the ``status_source`` that states it. ``event``, ``area`` and ``boundary`` say what
#: a feature is, not a state it is in.
DATED_STATUSES: tuple[str, ...] = (
    "proposed",
    "construction",
    "operating",
    "shelved",
    "cancelled",
    "mothballed",
    "retired",
)

POINT = ("Point", "MultiPoint")
LINE = ("LineString", "MultiLineString")
POLYGON = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class Layer:
    """A layer: one GeoJSON file in ``geodata/``."""

    id: str
    title: str
    description: str
    geometry_types: tuple[str, ...]
    #: Thematic layers carry the articles' attributes and follow the sector toggles;
    #: the basemap does neither.
    thematic: bool = True

    @property
    def filename(self) -> str:
        return f"{self.id}.geojson"


LAYERS: dict[str, Layer] = {
    layer.id: layer
    for layer in (
        Layer(
            "caspian",
            "Caspian Sea",
            "The sea itself and the zones at sea that the articles name.",
            POLYGON,
        ),
        Layer(
            "pipelines",
            "Pipelines",
            "Gas pipelines: Central Asia–Center, TAPI, Trans-Caspian and the projects on them.",
            LINE,
        ),
        Layer("ports", "Ports", "The main Caspian sea ports.", POINT),
        Layer(
            "borders",
            "Borders",
            "Turkmenistan's land borders and coast, and the main crossings.",
            LINE + POINT,
        ),
        Layer(
            "naval_bases", "Naval bases", "Main Caspian bases of the five littoral states.", POINT
        ),
        Layer(
            "corridors",
            "Trade corridors",
            "Rail links, shipping routes and customs points of the trade projects.",
            LINE + POINT,
        ),
        Layer("events", "Events", "Dated events the articles report, where they happened.", POINT),
        Layer(
            "programmes",
            "Programmes",
            "Cooperation programmes with no single site, pinned at Ashgabat.",
            POINT,
        ),
        Layer(
            "basemap",
            "Countries",
            "Country polygons of the region from Natural Earth 1:10m (bundled basemap).",
            POLYGON,
            thematic=False,
        ),
    )
}

THEMATIC_LAYERS: tuple[str, ...] = tuple(k for k, v in LAYERS.items() if v.thematic)

#: Where a kind of thing is, for the geographic rules of ``geoapp.data.geocheck``:
#: ``land`` (no vertex or stretch more than 1 km into the sea), ``sea`` (no stretch more
#: than 2 km over land, except within 5 km of a line's ends), ``coast`` (every vertex
#: within 3 km of the Caspian shore), ``border`` (on land and within 2 km of the border
#: between the two countries in ``country``) or ``anywhere`` (not checked).
SETTINGS: dict[str, str] = {
    "land": "On land",
    "sea": "At sea",
    "coast": "On the Caspian coast",
    "border": "On a land border",
    "anywhere": "Anywhere",
}


@dataclass(frozen=True)
class Kind:
    """What a feature is; its setting drives the geographic rules."""

    id: str
    title: str
    layers: tuple[str, ...]
    setting: str


#: Every feature's ``kind``: declared once, here, with the layers it may appear in.
KINDS: dict[str, Kind] = {
    kind.id: kind
    for kind in (
        Kind("sea", "The Caspian Sea itself", ("caspian",), "sea"),
        Kind("offshore-area", "Zone at sea", ("caspian",), "sea"),
        Kind("pipeline", "Onshore pipeline", ("pipelines",), "land"),
        Kind("subsea-pipeline", "Subsea pipeline", ("pipelines",), "sea"),
        Kind("seaport", "Caspian seaport or naval harbour", ("ports", "naval_bases"), "coast"),
        Kind("river-port", "River port or base inland", ("ports", "naval_bases"), "land"),
        Kind("land-border", "Land border", ("borders",), "land"),
        Kind("coastline", "Coastline", ("borders",), "coast"),
        Kind("crossing", "Border crossing", ("borders",), "border"),
        Kind("railway", "Railway", ("corridors",), "land"),
        Kind("customs-points", "Customs points", ("corridors",), "land"),
        Kind("shipping-route", "Shipping route", ("corridors",), "sea"),
        Kind("waterway", "Inland waterway (river, canal)", ("corridors",), "land"),
        Kind("event", "Event", ("events",), "anywhere"),
        Kind("programme", "Programme with no single site", ("programmes",), "anywhere"),
    )
}

#: ISO 3166-1 alpha-3 codes used in ``country`` and their display names.
COUNTRIES: dict[str, str] = {
    "AFG": "Afghanistan",
    "ARM": "Armenia",
    "AZE": "Azerbaijan",
    "CHN": "China",
    "GEO": "Georgia",
    "IND": "India",
    "IRN": "Iran",
    "KAZ": "Kazakhstan",
    "KGZ": "Kyrgyzstan",
    "PAK": "Pakistan",
    "RUS": "Russia",
    "TJK": "Tajikistan",
    "TKM": "Turkmenistan",
    "TUR": "Turkey",
    "UZB": "Uzbekistan",
}


@dataclass(frozen=True)
class Field:
    """One property of the schema."""

    name: str
    type: str  # "str", "list[str]", "number", "int", "sources", "date", "isodate"
    required: bool
    description: str


#: The property schema of every thematic feature, in display order.
FIELDS: tuple[Field, ...] = (
    Field("id", "str", True, "Stable id, unique across layers (lowercase, digits, hyphens)."),
    Field("name", "str", True, "Display name."),
    Field("place", "str", False, "Town or site a point is at: names a stack of points on the map."),
    Field(
        "aliases",
        "list[str]",
        False,
        "Other names search finds it by: former names, other spellings and transliterations.",
    ),
    Field("layer", "str", True, "The layer id; equals the file it is in."),
    Field("sector", "str", True, "Primary sector: energy, security or trade."),
    Field("sectors", "list[str]", True, "Every sector that applies; includes `sector`."),
    Field(
        "status", "str", True, "Infrastructure status (GEM vocabulary), event, area or boundary."
    ),
    Field("summary", "str", True, "What the sources say about the place, in our own words."),
    Field("objective", "str", False, "Objective or focus, as printed in the article's table."),
    Field("expected_completion", "str", False, "Expected completion, as printed."),
    Field("completion_date", "isodate", False, "`expected_completion` normalised to an ISO date."),
    Field("expected_outcome", "str", False, "Expected outcome or benefit, as printed."),
    Field("table_row", "str", False, "`table:row` of the article table this feature carries."),
    Field("date", "date", False, "When an event happened: ISO 8601 date, month, year or interval."),
    Field("country", "list[str]", False, "ISO 3166-1 alpha-3 codes of the countries concerned."),
    Field("length_km", "number", False, "Pipeline or route length in km (public sources)."),
    Field("capacity_bcm", "number", False, "Design capacity in billion cubic metres a year."),
    Field("year_started", "int", False, "Year work began."),
    Field("year_completed", "int", False, "Year work ended or the line opened."),
    Field("notes", "str", False, "Ambiguities, article errors and how the geometry was chosen."),
    Field(
        "kind",
        "str",
        True,
        "What the feature is (see `KINDS`); says whether it is on land or at sea.",
    ),
    Field("position", "str", True, "How sure the geometry is: surveyed, approximate or schematic."),
    Field(
        "error_km",
        "number",
        False,
        "Largest distance in km the geometry may be off (unless surveyed).",
    ),
    Field(
        "position_source",
        "str",
        True,
        "Where the position and `error_km` come from, naming source ids.",
    ),
    Field("asset", "str", False, "Id of the existing feature this project upgrades."),
    Field("status_as_of", "date", False, "Date (day, month or year) `status` is known to hold at."),
    Field("status_source", "str", False, "Source id that states the status at `status_as_of`."),
    Field(
        "claim", "str", False, "`alleged` when the summary reports a claim that is not established."
    ),
    Field("claimed_by", "str", False, "Who made an alleged claim."),
    Field(
        "sources", "sources", True, "List of {article, section}: source id and where it says so."
    ),
)

FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)

#: Properties of basemap (country) features; ``iso_a3`` is null for Natural Earth units
#: with no ISO code (Baikonur, Siachen Glacier, the Cyprus buffer zone, ...).
BASEMAP_FIELDS: tuple[str, ...] = ("id", "name", "layer", "iso_a3", "sources")

ID_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
#: The only URL schemes a source may link to: anything else (``javascript:``, ``data:``,
#: ``file:``) would run or read in the map's origin when a reader opens the link.
URL_SCHEMES = ("http", "https")
ISO_DATE_RE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")

_QUARTER_END = {1: (3, 31), 2: (6, 30), 3: (9, 30), 4: (12, 31)}


def is_web_url(value: object) -> bool:
    """Whether ``value`` is an absolute ``http``/``https`` URL with a host.

    The one URL rule: ``validate`` refuses other sources, and the page only ever
    links to URLs that pass it.
    """
    if not isinstance(value, str) or value != value.strip() or any(c < " " for c in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in URL_SCHEMES and bool(parts.hostname)


def normalise_completion(text: str) -> date:
    """Turn an expected completion as printed ("Q4 2025", "Mid 2026", "by 2020") into a date.

    The date is the latest day the words allow, so that "completed by" filters
    never drop a project that may still finish on time.

    Raises
    ------
    ValueError
        If the text is in none of the forms the articles use.

    Examples
    --------
    >>> normalise_completion("Q4 2025")
    datetime.date(2025, 12, 31)
    >>> normalise_completion("Mid 2026")
    datetime.date(2026, 6, 30)
    """
    words = text.strip().lower().split()
    if not words or not re.fullmatch(r"\d{4}", words[-1]):
        raise ValueError(f"unrecognised expected completion {text!r}")
    year = int(words[-1])
    head = " ".join(words[:-1])
    if head in ("", "end", "end of", "by", "late", "in"):
        return date(year, 12, 31)
    if head in ("mid", "mid-", "middle of"):
        return date(year, 6, 30)
    if head in ("early", "h1"):
        return date(year, 6, 30)
    if m := re.fullmatch(r"q([1-4])", head):
        month, day = _QUARTER_END[int(m.group(1))]
        return date(year, month, day)
    raise ValueError(f"unrecognised expected completion {text!r}")


def source_keys(props: dict) -> tuple[str, ...]:
    """The ``source=`` values a feature answers to: the one rule every source filter uses.

    Each source id it cites, and, for a feature that carries a row of an article's
    table (``table_row`` ``security:Cyber Defense``), ``<id>:<table>`` for each id it
    cites (``rt-2025:security``). Which of those a query may name is the data's
    (:func:`geoapp.data.query.source_vocabulary`: registered ids, and the tables of
    articles).
    """
    cited = list(dict.fromkeys(s["article"] for s in props.get("sources") or ()))
    table = str(props.get("table_row") or "").partition(":")[0]
    return (*cited, *(f"{a}:{table}" for a in cited if table))


#: Statuses of projects: things planned or being built, with a completion ahead.
PROJECT_STATUSES = frozenset({"proposed", "construction"})


def time_span(props: dict) -> tuple[date | None, date | None] | None:
    """The days a feature is about: the one rule every time filter uses.

    - an event: its ``date`` (a day, month, year or interval);
    - a project (proposed or under construction): from when work began
      (``year_started``) or, failing that, when its status is first stated
      (``status_as_of``: the article that lists it), to its expected completion
      (``completion_date``); without one of the ends the span is open on that side, and a
      project still under way when its status was stated after its due date is open-ended
      (overdue);
    - infrastructure and other dated things (operating, a boundary, an area): from
      when work began (``year_started``) or, failing that, when it opened
      (``year_completed``), with no end: it is still there;
    - None for a feature with none of these dates: it matches no time window.

    ``None`` at either end means open. A span is never open at both ends.
    """
    when = props.get("date")
    if when:
        return parse_iso_date(when)
    started = _year_start(props.get("year_started"))
    if props.get("status") in PROJECT_STATUSES:
        begins = started or _first_day(props.get("status_as_of"))
        due = props.get("completion_date")
        ends = date.fromisoformat(due) if due else None
        if begins is not None and ends is not None and ends < begins:
            ends = None  # still under way when stated, after its due date: overdue, open
    else:
        begins, ends = started or _year_start(props.get("year_completed")), None
    if begins is None and ends is None:
        return None
    return begins, ends


def _year_start(year: object) -> date | None:
    return date(int(year), 1, 1) if isinstance(year, int) and 1 <= year <= 9999 else None


def _first_day(text: object) -> date | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return parse_iso_date(text)[0]
    except ValueError:
        return None


def time_label(props: dict) -> dict[str, str] | None:
    """The date a feature is listed with, decided once: ``{"text": ..., "sort": ...}``.

    From :func:`time_span`, as the data writes it: an event's ``date`` as given; a
    project's expected completion as printed ("due Q4 2025"), or the year it has run
    since when it has no due date; infrastructure, the year it has stood since
    ("since 1972"). ``sort`` (ISO) orders the list: a project by its due day, anything
    else by the first day of its span. None when undated.
    """
    span = time_span(props)
    if span is None:
        return None
    begins, ends = span
    if props.get("date"):
        return {"text": props["date"].replace("/", " – "), "sort": (begins or ends).isoformat()}
    due = props.get("completion_date")
    if due:
        return {"text": f"due {props.get('expected_completion') or due}", "sort": due}
    first = begins or ends
    return {"text": f"since {first.year}", "sort": first.isoformat()}


def parse_iso_date(text: str) -> tuple[date, date]:
    """Return the first and last day covered by an ISO 8601 date, month, year or interval."""
    start, _, end = text.partition("/")
    first, _ = _bounds(start)
    _, last = _bounds(end or start)
    if last < first:
        raise ValueError(f"interval {text!r} ends before it starts")
    return first, last


def _bounds(text: str) -> tuple[date, date]:
    if not ISO_DATE_RE.fullmatch(text):
        raise ValueError(f"{text!r} is not an ISO 8601 date (YYYY, YYYY-MM or YYYY-MM-DD)")
    parts = [int(p) for p in text.split("-")]
    if len(parts) == 3:
        d = date(*parts)
        return d, d
    if len(parts) == 2:
        y, m = parts
        nxt = date(y + (m == 12), m % 12 + 1, 1)
        return date(y, m, 1), date.fromordinal(nxt.toordinal() - 1)
    return date(parts[0], 1, 1), date(parts[0], 12, 31)
