"""What is shown: one :class:`Query`, parsed once, answered by every provider.

The map page, the exports, ``/api``, ``/ogc`` and the command line each describe
what they want in their own words (``sectors=`` on the page, ``sector=`` on
``/api``, ``datetime=`` on ``/ogc``, ``--sectors`` on the command line). Each face
declares which parameters it takes (:data:`FACES`) and hands them to
:func:`parse_query`, which knows every parameter, its parser and its one error
message. The result is a frozen :class:`Query`; providers answer it
(:mod:`geoapp.data.providers`), and :meth:`Query.matches` is the one definition of
what a filter means, which the PostGIS provider mirrors in SQL (the shared test
suite holds the two together).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from geoapp.data.schema import (
    BASEMAP_FIELDS,
    CLAIMS,
    COUNTRIES,
    FIELDS,
    KINDS,
    LAYERS,
    POSITIONS,
    SECTORS,
    STATUSES,
    THEMATIC_LAYERS,
    Layer,
    source_keys,
    time_span,
)
from geoapp.errors import QueryError

BBox = tuple[float, float, float, float]
Span = tuple[date | None, date | None]

#: The default view: the Caspian Sea with the littoral states' coasts and all of
#: Turkmenistan, where the articles' sites are (minlon, minlat, maxlon, maxlat).
#: The map opens on it and exports without a bbox show it.
CASPIAN_BBOX: BBox = (44.0, 35.0, 67.0, 48.0)

MIN_ZOOM, MAX_ZOOM = 2, 18
#: Decimals kept for a centre: about 10 m, so near-identical links share one cached page.
CENTRE_DECIMALS = 4
#: Longest free-text search, in characters.
MAX_TEXT = 200
SECTOR_MATCHES = ("any", "all")
#: ``towns=``: the places context layer (GeoNames towns) shown, or not. Not a filter:
#: providers ignore it; the map, the print and the exports draw or write the towns or not.
TOWNS = ("on", "off")

BBOX_HINT = "minlon,minlat,maxlon,maxlat in degrees (WGS 84)"
#: A number as JSON (and so OpenAPI's ``number``) writes it; ``float()`` takes much more
#: (``1_0``, `` 1``, ``nan``, non-ASCII digits), none of which a ``number`` parameter means.
JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
JSON_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)")
#: An RFC 3339 full-date, as OpenAPI's ``format: date`` (the day's existence is checked by
#: date.fromisoformat, which alone would also take ``20170102``).
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DATE_HINT = "an ISO date YYYY, YYYY-MM or YYYY-MM-DD"
DATETIME_HINT = (
    "an RFC 3339 date or date-time (2017-10-02T00:00:00Z), or an interval a/b; "
    ".. or an empty end leaves it open"
)


@dataclass(frozen=True)
class Query:
    """What to show: the filters every face and every provider share.

    ``None`` means "no filter" (all); an empty tuple means "none" (``sectors=``
    given empty shows no thematic feature). Layers default to every thematic
    layer. ``centre``, ``zoom``, ``feature`` and ``towns`` describe the view,
    not the filter: providers ignore them.
    """

    layers: tuple[str, ...] = THEMATIC_LAYERS
    sectors: tuple[str, ...] | None = None
    sectors_match: str = "any"
    statuses: tuple[str, ...] | None = None
    countries: tuple[str, ...] | None = None
    #: ``source=`` values: source ids, or ``<article id>:<table>`` (:func:`source_keys`).
    sources: tuple[str, ...] | None = None
    bbox: BBox | None = None
    time: Span | None = None
    completed_by: date | None = None
    text: str | None = None
    #: Equality filters on queryable properties (``/ogc``'s ``name=value``), sorted.
    where: tuple[tuple[str, str], ...] = field(default=())
    centre: tuple[float, float] | None = None
    zoom: int | None = None
    feature: str | None = None
    #: Whether the towns context layer shows (``towns=off`` hides it): a view setting
    #: like the centre, which providers ignore; the map, print and exports honour it.
    towns: bool = True

    def replace(self, **changes: Any) -> Query:
        """A copy with some fields changed (``--each``, one layer of a query)."""
        return replace(self, **changes)

    @property
    def shown_sectors(self) -> tuple[str, ...]:
        """The sectors switched on: all of them when the query does not filter sectors."""
        return tuple(SECTORS) if self.sectors is None else self.sectors

    def describe(self) -> list[str]:
        """The filters in words, for a caption: ``["Energy", "Proposed", "2024–2027"]``.

        Only what narrows the map is named: all sectors, every thematic layer or no
        time limit say nothing. The view (box, centre, zoom) is not a filter.
        """
        parts: list[str] = []
        if self.sectors is not None and set(self.sectors) != set(SECTORS):
            joiner = " and " if self.sectors_match == "all" else ", "
            parts.append(joiner.join(SECTORS[s] for s in self.sectors) or "No sector")
        if set(self.layers) != set(THEMATIC_LAYERS):
            parts.append(", ".join(LAYERS[layer].title for layer in self.layers) or "No layer")
        if self.statuses is not None:
            parts.append(", ".join(STATUSES[s].lower() for s in self.statuses) or "no status")
        if self.countries is not None:
            parts.append(", ".join(COUNTRIES.get(c, c) for c in self.countries))
        if self.sources is not None:
            parts.append("source " + (", ".join(map(_source_words, self.sources)) or "none"))
        if self.time is not None:
            start, end = (d.isoformat() if d else None for d in self.time)
            if start and end:
                parts.append(_years(start, end))
            elif start or end:
                parts.append(f"from {start}" if start else f"until {end}")
        if self.completed_by is not None:
            parts.append(f"due by {self.completed_by.isoformat()}")
        if self.text:
            parts.append(f"“{self.text}”")
        parts += [f"{name} = {value}" for name, value in self.where]
        return parts

    def matches(self, props: Mapping[str, Any], layer: Layer) -> bool:
        """Whether a feature of ``layer`` with these properties passes every filter.

        The one meaning of each filter: ``sectors`` keeps features with any (or all,
        with ``sectors_match='all'``) of the sectors; statuses and countries keep
        those with one of the values; ``time`` keeps features whose time span
        (:func:`schema.time_span`) overlaps it, and undated features never match;
        ``sources`` keeps features citing one of the sources, or carrying a row of
        one of the article tables named (:func:`schema.source_keys`);
        ``completed_by`` keeps those expected to complete on or before the date;
        ``text`` is a case-insensitive substring of the name; ``where`` is
        property equality (list properties contain the value, numbers compare as
        numbers, ``sector`` means any of ``sectors``). The basemap has no sectors,
        statuses, countries or tables and ignores those four filters.
        """
        if layer.thematic:
            if self.sectors is not None:
                mine = props.get("sectors") or ()
                if self.sectors_match == "all":
                    if not self.sectors or not set(self.sectors) <= set(mine):
                        return False
                elif not set(self.sectors).intersection(mine):
                    return False
            if self.statuses is not None and props.get("status") not in self.statuses:
                return False
            if self.countries is not None and not set(self.countries).intersection(
                props.get("country") or ()
            ):
                return False
            if self.sources is not None and not set(self.sources).intersection(source_keys(props)):
                return False
        if self.time is not None and not _overlaps(time_span(props), self.time):
            return False
        if self.completed_by is not None:
            due = props.get("completion_date")
            if not due or date.fromisoformat(due) > self.completed_by:
                return False
        if self.text and self.text.casefold() not in str(props.get("name", "")).casefold():
            return False
        return all(_equals(props, name, wanted, layer) for name, wanted in self.where)

    def canonical(self) -> str:
        """The query as a canonical URL query string: equal queries give equal strings.

        Used for cache keys and ETags together with the data version.
        """
        return urlencode(self.to_args(), safe=",/:")

    def to_args(self) -> dict[str, str]:
        """The map page's parameters for this query (defaults left out)."""
        args: dict[str, str] = {}
        if self.layers != THEMATIC_LAYERS:
            args["layers"] = ",".join(self.layers)
        if self.sectors is not None:
            args["sectors"] = ",".join(self.sectors)
        if self.sectors_match != "any":
            args["sectors_match"] = self.sectors_match
        if self.statuses is not None:
            args["status"] = ",".join(self.statuses)
        if self.countries is not None:
            args["country"] = ",".join(self.countries)
        if self.sources is not None:
            args["source"] = ",".join(self.sources)
        if self.bbox is not None:
            args["bbox"] = ",".join(f"{v:.4f}" for v in self.bbox)
        if self.time is not None:
            first, last = self.time
            if first is not None:
                args["from"] = first.isoformat()
            if last is not None:
                args["to"] = last.isoformat()
        if self.completed_by is not None:
            args["completed_by"] = self.completed_by.isoformat()
        if self.text:
            args["q"] = self.text
        for name, value in self.where:
            args[name] = value
        if self.centre is not None:
            args["lat"] = f"{self.centre[0]:.{CENTRE_DECIMALS}f}"
            args["lon"] = f"{self.centre[1]:.{CENTRE_DECIMALS}f}"
        if self.zoom is not None:
            args["zoom"] = str(self.zoom)
        if self.feature is not None:
            args["feature"] = self.feature
        if not self.towns:
            args["towns"] = "off"
        return args


def _overlaps(span: Span | None, window: Span) -> bool:
    if span is None:
        return False
    begins, ends = span
    first, last = window
    return (last is None or begins is None or begins <= last) and (
        first is None or ends is None or ends >= first
    )


def _equals(props: Mapping[str, Any], name: str, wanted: str, layer: Layer) -> bool:
    kind = queryables(layer)[name]
    if name in MEMBER_OF:
        name, kind = MEMBER_OF[name], queryables(layer)[MEMBER_OF[name]]
    value = props.get(name)
    if value is None:
        return False
    if kind == "list[str]":
        return wanted in value
    if kind in ("number", "int"):
        return float(value) == float(wanted)
    return str(value) == wanted


# -- queryable properties (the OGC API's, and ``where``) ----------------------------------


def queryables(layer: Layer) -> Mapping[str, str]:
    """Each property a client may filter ``layer`` on, with its schema type.

    Free text (summary, notes) and the nested ``sources`` are left out: equality
    on them is never what a client means.
    """
    return _QUERYABLES[layer.id]


def _queryables_of(layer: Layer) -> dict[str, str]:
    if not layer.thematic:
        return {name: "str" for name in BASEMAP_FIELDS if name != "sources"}
    skip = {"summary", "notes", "sources", "position_source", "aliases"}
    return {f.name: f.type for f in FIELDS if f.name not in skip}


_QUERYABLES = {layer.id: _queryables_of(layer) for layer in LAYERS.values()}

#: Vocabularies the schema fixes, by property name. ``iso_a3`` is not here: the
#: basemap holds whatever Natural Earth units the data has, so its codes come from
#: the provider (``Provider.vocabularies``).
VOCABULARIES: dict[str, Iterable[str]] = {
    "sector": SECTORS,
    "sectors": SECTORS,
    "status": STATUSES,
    "country": COUNTRIES,
    "layer": LAYERS,
    "kind": KINDS,
    "position": POSITIONS,
    "claim": CLAIMS,
}


def source_vocabulary(
    registry: Mapping[str, Mapping[str, Any]], features: Iterable[Mapping[str, Any]]
) -> tuple[str, ...]:
    """The values ``source=`` takes, from the data: the source registry and its tables.

    Every registered source id, each followed by ``<id>:<table>`` for the tables of
    an article (kind ``article``) that features carry rows of (``table_row``
    ``security:Cyber Defense`` citing ``rt-2025`` gives ``rt-2025:security``), in
    id order then table order: the order canonical queries list them in.
    """
    tables: dict[str, set[str]] = {}
    for props in features:
        table = str(props.get("table_row") or "").partition(":")[0]
        for key in source_keys(props):
            if ":" not in key and table:
                tables.setdefault(key, set()).add(table)
    values: list[str] = []
    for key in sorted(registry):
        values.append(key)
        if registry[key].get("kind") == "article":
            values += [f"{key}:{table}" for table in sorted(tables.get(key, ()))]
    return tuple(values)


def _source_words(value: str) -> str:
    """``rt-2025:security`` -> ``rt-2025 security table`` (a caption's words)."""
    key, _, table = value.partition(":")
    return f"{key} {table} table" if table else key


#: Properties whose filter matches the members of another, list, property:
#: ``sector=energy`` means "energy among its sectors" on /ogc as on the map and
#: /api, so that filtering a sector never misses a multi-sector feature.
MEMBER_OF = {"sector": "sectors"}


# -- parsing: one parser per parameter, one set of messages ------------------------------


def check_values(parameter: str, values: Iterable[str], valid: Iterable[str]) -> list[str]:
    """Return ``values`` as a list, or raise QueryError on the first unknown one."""
    valid = list(valid)
    values = list(values)
    for value in values:
        if value not in valid:
            raise QueryError(parameter, value, valid)
    return values


def parse_list(parameter: str, raw: str | None, valid: Iterable[str]) -> tuple[str, ...] | None:
    """Parse ``a,b,c`` against the valid values: the one comma-list rule of every face.

    None when absent (meaning all), an empty tuple when given empty (meaning none);
    blanks around values are ignored, repeats fold, and the result follows the
    vocabulary's order so that equal selections compare (and cache) equal.
    """
    if raw is None:
        return None
    valid = list(valid)
    wanted = set(
        check_values(parameter, sorted({v.strip() for v in raw.split(",") if v.strip()}), valid)
    )
    return tuple(v for v in valid if v in wanted)


def parse_bbox(raw: str, *, allow_3d: bool = False, name: str = "bbox") -> BBox:
    """Parse ``minlon,minlat,maxlon,maxlat`` (or six numbers with heights when ``allow_3d``).

    Raises QueryError for anything else, including NaN, infinities, inverted or
    out-of-range corners, so that no malformed box reaches a spatial index.
    """
    parts = raw.split(",")
    if not all(JSON_NUMBER.fullmatch(v.strip()) for v in parts):
        raise QueryError(name, raw, BBOX_HINT)
    values = tuple(float(v) for v in parts)
    if len(values) == 6 and allow_3d:
        values = (values[0], values[1], values[3], values[4])
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise QueryError(name, raw, BBOX_HINT)
    minx, miny, maxx, maxy = values
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise QueryError(name, raw, BBOX_HINT)
    return minx, miny, maxx, maxy


def parse_number(name: str, raw: str, low: float, high: float) -> float:
    hint = f"a number from {low:g} to {high:g}"
    try:
        value = float(raw)
    except ValueError:
        raise QueryError(name, raw, hint) from None
    if not math.isfinite(value) or not low <= value <= high:
        raise QueryError(name, raw, hint)
    return value


_YEAR_MONTH_DAY = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def parse_day(name: str, raw: str, *, end: bool) -> date:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``: the first day (or, with ``end``, the last)."""
    match = _YEAR_MONTH_DAY.fullmatch(raw.strip())
    if match is None:
        raise QueryError(name, raw, DATE_HINT)
    year, month, day = (int(g) if g else None for g in match.groups())
    try:
        if day is not None:
            return date(year, month, day)  # type: ignore[arg-type]
        if month is not None:
            first = date(year, month, 1)  # type: ignore[arg-type]
            if not end:
                return first
            following = date(year + (month == 12), month % 12 + 1, 1)  # type: ignore[operator]
            return date.fromordinal(following.toordinal() - 1)
        return date(year, 12, 31) if end else date(year, 1, 1)  # type: ignore[arg-type]
    except ValueError:
        raise QueryError(name, raw, DATE_HINT) from None


# The syntax of ``datetime``, one pattern for the server and the OpenAPI document (so that
# Schemathesis generates exactly what is accepted): RFC 3339 full-dates that exist (leap
# years included; year 0000 does not), date-times with an offset, and intervals whose ends
# are an instant, ``..`` or empty. Only ASCII digits: ``\d`` means more in Python.
_YEAR = "(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])"
_MONTH_DAY = (
    "(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
    "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))"
)
_LEAP_YEAR = "(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
DATE_PATTERN = f"(?:{_YEAR}-{_MONTH_DAY}|{_LEAP_YEAR}-02-29)"
_TIME = (
    "[Tt](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:[.][0-9]+)?"
    "(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
)
_INSTANT = f"{DATE_PATTERN}(?:{_TIME})?"
DATETIME_PATTERN = f"^(?:{_INSTANT}|(?:{_INSTANT}|[.][.])?/(?:{_INSTANT}|[.][.])?)?$"
_DATETIME = re.compile(DATETIME_PATTERN)


def parse_datetime(raw: str) -> Span:
    """Parse an RFC 3339 instant or interval (``..`` or empty for an open end) to days.

    An empty value filters nothing (the OpenAPI document allows it): (None, None).
    """
    if not _DATETIME.fullmatch(raw):
        raise QueryError("datetime", raw, DATETIME_HINT)
    if raw == "":
        return None, None
    start, sep, end = raw.partition("/")
    if not sep:
        day = _rfc3339_day(raw, raw)
        return day, day
    first, last = _rfc3339_day(start, raw, open_ok=True), _rfc3339_day(end, raw, open_ok=True)
    if first is None and last is None:
        raise QueryError("datetime", raw, DATETIME_HINT)
    if first and last and last < first:
        raise QueryError("datetime", raw, DATETIME_HINT)
    return first, last


def _rfc3339_day(text: str, raw: str, open_ok: bool = False) -> date | None:
    if open_ok and text in ("", ".."):
        return None
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        if len(text) > 10 and text[10] in "Tt":
            return datetime.fromisoformat(text.replace("z", "Z")).date()
    except ValueError:
        pass
    raise QueryError("datetime", raw, DATETIME_HINT)


def parse_text(raw: str) -> str | None:
    text = raw.strip()
    if len(text) > MAX_TEXT:
        raise QueryError("q", raw[:20] + "…", f"at most {MAX_TEXT} characters")
    return text or None


def check_property(name: str, raw: str, kind: str) -> str:
    """Check one ``where`` value against its field's type and vocabulary; return it.

    The OpenAPI document says the same: an ``int`` is a whole number (0.5 is no
    year), a ``number`` is written as JSON writes numbers, an ``isodate`` exists.
    """
    if name in VOCABULARIES:
        check_values(name, [raw], VOCABULARIES[name])
    elif kind == "int":
        if not JSON_INTEGER.fullmatch(raw):
            raise QueryError(name, raw, "a whole number")
    elif kind == "number":
        if not JSON_NUMBER.fullmatch(raw) or not math.isfinite(float(raw)):
            raise QueryError(name, raw, "a finite number")
    elif kind == "isodate" and not _is_iso_date(raw):
        raise QueryError(name, raw, "an ISO date YYYY-MM-DD")
    return raw


def _is_iso_date(raw: str) -> bool:
    try:
        return bool(ISO_DATE.fullmatch(raw)) and date.fromisoformat(raw) is not None
    except ValueError:
        return False


#: Parameters that links pick up on their way (mail, social media, analytics): never a
#: filter, so every face ignores them silently instead of refusing the link.
TRACKING = re.compile(r"utm_[a-z_]*|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|_.*")


def is_tracking(name: str) -> bool:
    """Whether a parameter is a tracking tag a link picked up (``utm_*``, ``fbclid``, ``_*``)."""
    return bool(TRACKING.fullmatch(name))


def check_parameters(args: Iterable[str], allowed: Sequence[str]) -> None:
    """Raise QueryError naming the first parameter not in ``allowed`` (sorted, for stable
    messages): every face refuses what it would otherwise silently ignore."""
    unknown = sorted(set(args) - set(allowed))
    if unknown:
        raise QueryError("parameter", unknown[0], allowed)


#: Parameter name -> how it sets the query. Faces choose among these (``FACES``).
Setter = Callable[[dict[str, Any], str], None]


def _set_list(field_name: str, parameter: str, valid: Iterable[str]) -> Setter:
    def setter(fields: dict[str, Any], raw: str) -> None:
        fields[field_name] = parse_list(parameter, raw, valid)

    return setter


def _set_time(end: bool) -> Setter:
    def setter(fields: dict[str, Any], raw: str) -> None:
        first, last = fields.get("time") or (None, None)
        if not raw.strip():
            return
        day = parse_day("to" if end else "from", raw, end=end)
        fields["time"] = (first, day) if end else (day, last)

    return setter


def _set_source(fields: dict[str, Any], raw: str) -> None:
    # Checked against the data's vocabulary in parse_query (the face passes it).
    fields["_source"] = raw


def _set_datetime(fields: dict[str, Any], raw: str) -> None:
    span = parse_datetime(raw)
    if span != (None, None):
        fields["time"] = span


def _set_completed_by(fields: dict[str, Any], raw: str) -> None:
    try:
        fields["completed_by"] = date.fromisoformat(raw)
    except ValueError:
        raise QueryError("completed_by", raw, "an ISO date YYYY-MM-DD") from None


def _set_sectors_match(fields: dict[str, Any], raw: str) -> None:
    if raw not in SECTOR_MATCHES:
        raise QueryError("sectors_match", raw, SECTOR_MATCHES)
    fields["sectors_match"] = raw


def _set_towns(fields: dict[str, Any], raw: str) -> None:
    if raw not in TOWNS:
        raise QueryError("towns", raw, TOWNS)
    fields["towns"] = raw == "on"


def _set_text(fields: dict[str, Any], raw: str) -> None:
    fields["text"] = parse_text(raw)


def _set_bbox(fields: dict[str, Any], raw: str) -> None:
    fields["bbox"] = parse_bbox(raw, allow_3d=True)


def _set_zoom(fields: dict[str, Any], raw: str) -> None:
    value = parse_number("zoom", raw, MIN_ZOOM, MAX_ZOOM)
    if value != int(value):
        raise QueryError("zoom", raw, f"a whole number from {MIN_ZOOM} to {MAX_ZOOM}")
    fields["zoom"] = int(value)


def _set_feature(fields: dict[str, Any], raw: str) -> None:
    fields["feature"] = raw.strip() or None


def _set_centre(index: int, name: str, limit: float) -> Setter:
    def setter(fields: dict[str, Any], raw: str) -> None:
        centre = list(fields.get("_centre") or (None, None))
        centre[index] = round(parse_number(name, raw, -limit, limit), CENTRE_DECIMALS)
        fields["_centre"] = tuple(centre)

    return setter


PARAMETERS: dict[str, Setter] = {
    "layers": _set_list("layers", "layers", THEMATIC_LAYERS),
    "sectors": _set_list("sectors", "sectors", SECTORS),
    "sector": _set_list("sectors", "sector", SECTORS),
    "sectors_match": _set_sectors_match,
    "status": _set_list("statuses", "status", STATUSES),
    "country": _set_list("countries", "country", COUNTRIES),
    "source": _set_source,
    "bbox": _set_bbox,
    "from": _set_time(end=False),
    "to": _set_time(end=True),
    "datetime": _set_datetime,
    "completed_by": _set_completed_by,
    "q": _set_text,
    "lat": _set_centre(0, "lat", 90),
    "lon": _set_centre(1, "lon", 180),
    "zoom": _set_zoom,
    "feature": _set_feature,
    "towns": _set_towns,
}

_FILTERS = (
    "sectors", "sectors_match", "status", "country", "source", "from", "to", "completed_by", "q",
)  # fmt: skip
#: The parameters of each face. A face may also take its own options (an export's
#: ``title`` and ``size``, the OGC API's ``limit``), which it reads itself.
FACES: dict[str, tuple[str, ...]] = {
    # The map page and the export menu: what is on screen.
    "map": ("layers", *_FILTERS, "lat", "lon", "zoom", "feature", "towns"),
    # /api/view: the page's state as the map takes it, and the box on screen, which
    # narrows the legend's counts (not what is drawn).
    "view": ("layers", *_FILTERS, "bbox", "lat", "lon", "zoom", "feature", "towns"),
    "export": ("layers", *_FILTERS, "bbox", "lat", "lon", "zoom", "towns"),
    # /api/layers/<id>: one layer, the API's singular names.
    "api": (
        "sector",
        "sectors_match",
        "status",
        "country",
        "source",
        "bbox",
        "from",
        "to",
        "completed_by",
        "q",
    ),  # fmt: skip
    # /ogc/collections/<id>/items: OGC names; queryable properties are added per layer.
    "ogc": ("bbox", "datetime"),
}


def _years(start: str, end: str) -> str:
    """``2024–2027`` for whole years, ``2012`` for one, else the two dates."""
    if start.endswith("-01-01") and end.endswith("-12-31"):
        first, last = start[:4], end[:4]
        return first if first == last else f"{first}–{last}"
    return start if start == end else f"{start}–{end}"


def parse_query(
    args: Mapping[str, str],
    face: str,
    *,
    layer: Layer | None = None,
    options: Sequence[str] = (),
    sources: Sequence[str] | None = None,
) -> Query:
    """Parse a face's parameters into a Query; raise QueryError naming the valid values.

    ``layer`` fixes the layer (``/api`` and ``/ogc`` take it from the path); on
    ``/ogc`` its queryable properties become ``where`` filters. ``options`` are
    the face's own parameters, allowed here and read by the face. ``sources`` is
    the data's :func:`source_vocabulary` (``Catalog.source_values()``), which a
    face taking ``source`` must pass: the valid values are the data's.

    Examples
    --------
    >>> parse_query({"sectors": "trade,energy"}, "map").sectors
    ('energy', 'trade')
    """
    args = {name: raw for name, raw in args.items() if not is_tracking(name)}
    allowed = list(FACES[face])
    fields_of_layer: Mapping[str, str] = {}
    if face == "ogc" and layer is not None:
        fields_of_layer = queryables(layer)
        allowed += [name for name in fields_of_layer if name not in allowed]
    check_parameters(args, [*allowed, *options])
    fields: dict[str, Any] = {}
    where: list[tuple[str, str]] = []
    for name, raw in args.items():
        if "\x00" in raw:
            # No text anywhere holds a NUL, and PostgreSQL refuses one: say so here, once.
            raise QueryError(name, raw.replace("\x00", "\\0"), "text without NUL characters")
        if name in options:
            continue
        if name in fields_of_layer and name not in FACES[face]:
            where.append((name, check_property(name, raw, fields_of_layer[name])))
            continue
        PARAMETERS[name](fields, raw)
    source = fields.pop("_source", None)
    if source is not None:
        if sources is None:
            raise TypeError("parse_query: 'source' needs the data's vocabulary (sources=)")
        fields["sources"] = parse_list("source", source, sources)
    centre = fields.pop("_centre", None)
    if centre is not None:
        if None in centre:
            missing = "lon" if centre[1] is None else "lat"
            raise QueryError(missing, None, "lat and lon together, in degrees")
        fields["centre"] = centre
    if fields.get("time") == (None, None):
        del fields["time"]
    if layer is not None:
        fields["layers"] = (layer.id,)
    elif fields.get("layers") is None:
        fields.pop("layers", None)
    query = Query(**fields, where=tuple(sorted(where)))
    return query
