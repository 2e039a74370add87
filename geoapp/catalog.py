"""The data provider: loads ``geodata/`` once and answers queries.

Views, the exporter and the API ask the catalog; nothing else opens a data
file. Loading validates first, so a broken file stops the app with the same
one-line messages that ``geoapp validate`` prints, never with a traceback.
"""

from __future__ import annotations

import functools
import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType

import geopandas as gpd
import shapely
from pyogrio.errors import DataLayerError, DataSourceError

from geoapp.schema import (
    BASEMAP_FIELDS,
    CLAIMS,
    COUNTRIES,
    FIELDS,
    KINDS,
    LAYERS,
    POSITIONS,
    SECTORS,
    STATUSES,
    Layer,
)
from geoapp.validate import (
    Problem,
    format_problems,
    load_build_info,
    load_sources,
    read_layer_file,
    validate_dir,
)

log = logging.getLogger(__name__)

BBox = tuple[float, float, float, float]


class DataError(Exception):
    """The data directory fails validation; ``str()`` is the list of problems."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__(format_problems(self.problems))


class _ValuesError(Exception):
    """An error about one value that says what would have been valid.

    ``valid`` is a vocabulary (the values themselves, as a list a client can
    use) and ``hint`` a sentence describing a form ("a whole number from 1 to
    1000"); exactly one is set. Error pages show a hint as prose and a
    vocabulary as a list, so a hint is never split into fragments.
    """

    template = "{what} {value!r}"

    def __init__(self, what: str, value: object, valid: Iterable[str] | str):
        self.what = what
        self.value = value
        self.hint: str | None = valid if isinstance(valid, str) else None
        self.valid: list[str] | None = None if isinstance(valid, str) else [str(v) for v in valid]
        expected = self.hint if self.valid is None else ", ".join(self.valid)
        super().__init__(self.template.format(what=what, value=value) + f"; valid: {expected}")


class QueryError(_ValuesError, ValueError):
    """A query names an unknown layer, sector or status, or a malformed value (400)."""

    template = "invalid {what} {value!r}"

    @property
    def parameter(self) -> str:
        return self.what


class NotFoundError(_ValuesError, LookupError):
    """A path names a layer or feature that does not exist (404), with the valid ids."""

    template = "no {what} {value!r}"


@dataclass
class LayerData:
    """One loaded layer: its description, features as authored, and a GeoDataFrame."""

    layer: Layer
    features: list[dict]
    frame: gpd.GeoDataFrame
    bbox: BBox
    sectors: tuple[str, ...] = field(default=())

    @property
    def id(self) -> str:
        return self.layer.id


class Catalog:
    """Every layer of a data directory, loaded and validated once."""

    def __init__(self, data_dir: Path | str):
        self.data_dir = Path(data_dir)
        problems = validate_dir(self.data_dir)
        if problems:
            raise DataError(problems)
        # Each file is read again below: one that changed since validation is a DataError
        # too (its one line), never a traceback or half-loaded data.
        self.sources, problems = load_sources(self.data_dir)
        #: What the build derived and measured (geodata/build.json); empty if absent.
        self.build_info, more = load_build_info(self.data_dir)
        if problems or more:
            raise DataError(problems + more)
        self.layers: dict[str, LayerData] = {}
        self._by_id: dict[str, tuple[str, int]] = {}
        for layer in LAYERS.values():
            self.layers[layer.id] = self._load(layer)
        log.info(
            "loaded %d layers, %d features from %s",
            len(self.layers),
            len(self._by_id),
            self.data_dir,
        )

    def _load(self, layer: Layer) -> LayerData:
        path = self.data_dir / layer.filename
        features, problems = read_layer_file(path)
        if problems:
            raise DataError(problems)
        try:
            frame = gpd.read_file(path, engine="pyogrio")
        except (OSError, DataSourceError, DataLayerError) as exc:
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise DataError([Problem(layer.filename, "*", f"cannot read: {reason}")]) from None
        if list(frame["id"]) != [f["properties"]["id"] for f in features]:
            raise DataError([Problem(layer.filename, "*", "features could not be read in order")])
        frame = frame.set_crs("EPSG:4326", allow_override=True)
        sectors: set[str] = set()
        for i, feature in enumerate(features):
            self._by_id[feature["properties"]["id"]] = (layer.id, i)
            sectors.update(feature["properties"].get("sectors") or [])
        minx, miny, maxx, maxy = (float(v) for v in frame.total_bounds)
        return LayerData(
            layer=layer,
            features=features,
            frame=frame,
            bbox=(minx, miny, maxx, maxy),
            sectors=tuple(s for s in SECTORS if s in sectors),
        )

    # -- queries ---------------------------------------------------------------

    def layer(self, layer_id: str) -> LayerData:
        """Return a loaded layer, or raise QueryError naming the valid ids."""
        try:
            return self.layers[layer_id]
        except KeyError:
            raise QueryError("layer", layer_id, self.layers) from None

    def feature(self, feature_id: str) -> dict | None:
        """Return one feature by its id, from any layer."""
        where = self._by_id.get(feature_id)
        if where is None:
            return None
        layer_id, index = where
        return self.layers[layer_id].features[index]

    def select(
        self,
        layer_id: str,
        *,
        sectors: Iterable[str] | None = None,
        statuses: Iterable[str] | None = None,
        bbox: BBox | None = None,
        completed_by: date | None = None,
        q: str | None = None,
    ) -> list[int]:
        """Return the row positions of a layer's features that pass every filter.

        ``sectors`` keeps features with any of the given sectors (the basemap has
        none and ignores it); ``bbox`` keeps those whose geometry intersects it;
        ``completed_by`` keeps those expected to complete on or before the date;
        ``q`` is a case-insensitive substring of the name.
        """
        data = self.layer(layer_id)
        rows = range(len(data.features))
        if bbox is not None:
            box = shapely.box(*bbox)
            hits = set(data.frame.sindex.query(box, predicate="intersects").tolist())
            rows = [i for i in rows if i in hits]
        props = [f["properties"] for f in data.features]
        if sectors is not None and data.layer.thematic:
            wanted = set(check_values("sector", sectors, SECTORS))
            rows = [i for i in rows if wanted.intersection(props[i].get("sectors", ()))]
        if statuses is not None and data.layer.thematic:
            wanted = set(check_values("status", statuses, STATUSES))
            rows = [i for i in rows if props[i].get("status") in wanted]
        if completed_by is not None:
            rows = [
                i
                for i in rows
                if props[i].get("completion_date")
                and date.fromisoformat(props[i]["completion_date"]) <= completed_by
            ]
        if q:
            needle = q.casefold()
            rows = [i for i in rows if needle in str(props[i].get("name", "")).casefold()]
        return list(rows)

    def features(self, layer_id: str, **filters) -> list[dict]:
        """Return the GeoJSON features of a layer that pass ``select``'s filters."""
        data = self.layer(layer_id)
        return [data.features[i] for i in self.select(layer_id, **filters)]


def check_values(parameter: str, values: Iterable[str], valid: Iterable[str]) -> list[str]:
    """Return ``values`` as a list, or raise QueryError on the first unknown one."""
    valid = list(valid)
    values = list(values)
    for value in values:
        if value not in valid:
            raise QueryError(parameter, value, valid)
    return values


# -- request parsing and property filters (shared by the map, export, /api, /ogc) --


def parse_list(parameter: str, raw: str | None, valid: Iterable[str]) -> tuple[str, ...] | None:
    """Parse ``a,b,c`` against the valid values: the one comma-list rule of every interface.

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


def check_parameters(args: Iterable[str], allowed: Sequence[str]) -> None:
    """Raise QueryError naming the first parameter not in ``allowed`` (sorted, for stable
    messages): every interface refuses what it would otherwise silently ignore."""
    unknown = sorted(set(args) - set(allowed))
    if unknown:
        raise QueryError("parameter", unknown[0], allowed)


BBOX_HINT = "minlon,minlat,maxlon,maxlat in degrees (WGS 84)"
#: A number as JSON (and so OpenAPI's ``number``) writes it; ``float()`` takes much more
#: (``1_0``, `` 1``, ``nan``, non-ASCII digits), none of which a ``number`` parameter means.
JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
JSON_INTEGER = re.compile(r"-?(?:0|[1-9][0-9]*)")
#: An RFC 3339 full-date, as OpenAPI's ``format: date`` (the existence of the day is
#: checked by date.fromisoformat, which alone would also take ``20170102``).
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_bbox(raw: str, *, allow_3d: bool = False) -> BBox:
    """Parse ``minlon,minlat,maxlon,maxlat`` (or six numbers with heights when ``allow_3d``).

    Raises QueryError for anything else, including NaN, infinities, inverted or
    out-of-range corners, so that no malformed box reaches the spatial index.
    """
    try:
        values = tuple(float(v) for v in raw.split(","))
    except ValueError:
        raise QueryError("bbox", raw, BBOX_HINT) from None
    if len(values) == 6 and allow_3d:
        values = (values[0], values[1], values[3], values[4])
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise QueryError("bbox", raw, BBOX_HINT)
    minx, miny, maxx, maxy = values
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise QueryError("bbox", raw, BBOX_HINT)
    return minx, miny, maxx, maxy


@functools.cache
def queryables(layer: Layer) -> Mapping[str, str]:
    """Map each property a client may filter ``layer`` on to its schema type.

    Free text (summary, notes) and the nested ``sources`` are left out: equality
    on them is never what a client means. Computed once per layer (read-only).
    """
    if not layer.thematic:
        return MappingProxyType({name: "str" for name in BASEMAP_FIELDS if name != "sources"})
    skip = {"summary", "notes", "sources", "position_source"}
    return MappingProxyType({f.name: f.type for f in FIELDS if f.name not in skip})


#: Vocabularies the schema fixes, by property name. ``iso_a3`` is not here: the
#: basemap holds whatever Natural Earth units the data has, so its codes come
#: from the loaded features (see ``vocabularies``).
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

#: Properties whose filter matches the members of another, list, property:
#: ``sector=energy`` means "energy among its sectors" on /ogc as on the map and
#: /api, so that filtering a sector never misses a multi-sector feature.
MEMBER_OF = {"sector": "sectors"}


def vocabularies(layer: Layer, features: Sequence[dict]) -> dict[str, list[str]]:
    """The values each vocabulary-bound queryable of ``layer`` may take.

    Schema vocabularies as the schema orders them; data-derived ones (the
    basemap's ``iso_a3``; null codes are not values) sorted, from ``features``.
    """
    fields = queryables(layer)
    out = {name: list(values) for name, values in VOCABULARIES.items() if name in fields}
    if "iso_a3" in fields:
        codes = {f["properties"].get("iso_a3") for f in features}
        out["iso_a3"] = sorted(c for c in codes if isinstance(c, str) and c)
    return out


def _is_iso_date(raw: str) -> bool:
    try:
        return bool(ISO_DATE.fullmatch(raw)) and date.fromisoformat(raw) is not None
    except ValueError:
        return False


def match_properties(
    features: Sequence[dict], rows: Iterable[int], where: dict[str, str], layer: Layer
) -> list[int]:
    """Keep the rows whose properties equal every ``where`` value.

    List properties (``sectors``, ``country``) match when they contain the
    value, and ``sector`` matches any of a feature's ``sectors`` (``MEMBER_OF``);
    numbers compare as numbers. Unknown properties or values outside a
    vocabulary raise QueryError with the valid ones.
    """
    fields = queryables(layer)
    vocabulary = vocabularies(layer, features) if where else {}
    tests = []
    for name, raw in where.items():
        if name not in fields:
            raise QueryError("property", name, fields)
        kind = fields[name]
        if name in vocabulary:
            check_values(name, [raw], vocabulary[name])
        wanted: object = raw
        if kind == "int":  # the OpenAPI document says integer: 0.5 is not a year
            if not JSON_INTEGER.fullmatch(raw):
                raise QueryError(name, raw, "a whole number")
            wanted = float(raw)
        elif kind == "number":
            if not JSON_NUMBER.fullmatch(raw) or not math.isfinite(float(raw)):
                raise QueryError(name, raw, "a finite number")
            wanted = float(raw)
        elif kind == "isodate" and not _is_iso_date(raw):
            raise QueryError(name, raw, "an ISO date YYYY-MM-DD")
        if name in MEMBER_OF:
            name, kind = MEMBER_OF[name], fields[MEMBER_OF[name]]
        tests.append((name, kind, wanted))

    def keep(props: dict) -> bool:
        for name, kind, wanted in tests:
            value = props.get(name)
            if value is None:
                return False
            if kind == "list[str]":
                if wanted not in value:
                    return False
            elif kind in ("number", "int"):
                if float(value) != wanted:
                    return False
            elif str(value) != wanted:
                return False
        return True

    return [i for i in rows if keep(features[i]["properties"])]
