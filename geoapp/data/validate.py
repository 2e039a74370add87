"""Check a data directory against the schema, problem by problem.

Each problem is one line, ``FILE: FEATURE-ID: what is wrong``, so that a
broken file is fixed from the message alone; the CLI prints them and the web
app refuses to start with them. File-level problems use ``*`` as the id.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import shape

from geoapp.data import geocheck, provenance
from geoapp.data.schema import (
    BASEMAP_FIELDS,
    COUNTRIES,
    FIELDS,
    ID_RE,
    LAYERS,
    SECTORS,
    STATUSES,
    Layer,
    is_web_url,
    normalise_completion,
    parse_iso_date,
)

SOURCES_FILE = "sources.json"
BUILD_FILE = "build.json"
ISO_A3_RE = re.compile(r"^[A-Z]{3}$")
_ID_MESSAGE = "must be lowercase letters and digits joined by single hyphens or underscores"


@dataclass(frozen=True)
class Problem:
    file: str
    feature: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.feature}: {self.message}"


def read_data_file(path: Path) -> str:
    """Return the text of a data file; raise OSError unless it is a regular, readable file.

    Opened without blocking and checked on the open descriptor, so that a directory,
    FIFO or device named like a data file becomes one clear OSError instead of a hang
    or a traceback from deep inside ``open``, and nothing can swap the file in between.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "a directory, not a file", str(path))
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        file = open(fd, "rb")  # noqa: SIM115 (owns fd from here; closed by the with below)
    except BaseException:
        os.close(fd)
        raise
    with file:
        return file.read().decode("utf-8")


def unreadable(exc: OSError) -> str:
    """The one-line reason a data file could not be read (the Problem names the file)."""
    return f"cannot read: {exc.strerror or exc}"


def load_sources(data_dir: Path) -> tuple[dict[str, dict], list[Problem]]:
    """Read the source registry; return it with any problems found in it."""
    path = data_dir / SOURCES_FILE
    try:
        registry = json.loads(read_data_file(path))
    except FileNotFoundError:
        return {}, [Problem(SOURCES_FILE, "*", "missing: the source registry is required")]
    except OSError as exc:
        return {}, [Problem(SOURCES_FILE, "*", unreadable(exc))]
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return {}, [Problem(SOURCES_FILE, "*", f"not valid JSON: {exc}")]
    if not isinstance(registry, dict):
        return {}, [Problem(SOURCES_FILE, "*", "must be an object of source id -> source")]
    problems = []
    for key, entry in registry.items():
        if not ID_RE.fullmatch(key):
            problems.append(Problem(SOURCES_FILE, repr(key), _ID_MESSAGE))
        if not isinstance(entry, dict) or not isinstance(entry.get("title"), str):
            problems.append(Problem(SOURCES_FILE, key, "each source needs a 'title' string"))
            continue
        if entry.get("kind") not in ("article", "reference", "dataset"):
            problems.append(
                Problem(SOURCES_FILE, key, "'kind' must be one of article, reference, dataset")
            )
        if "url" in entry and not is_web_url(entry["url"]):
            problems.append(
                Problem(
                    SOURCES_FILE, key, f"'url' must be an http or https URL, got {entry['url']!r}"
                )
            )
    return registry, problems


def load_build_info(data_dir: Path) -> tuple[dict, list[Problem]]:
    """Read ``build.json`` (what the build derived and measured); optional, but an object."""
    path = data_dir / BUILD_FILE
    try:
        info = json.loads(read_data_file(path))
    except FileNotFoundError:
        return {}, []
    except OSError as exc:
        return {}, [Problem(BUILD_FILE, "*", unreadable(exc))]
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return {}, [Problem(BUILD_FILE, "*", f"not valid JSON: {exc}")]
    if not isinstance(info, dict):
        return {}, [Problem(BUILD_FILE, "*", "must be a JSON object")]
    return info, []


def read_layer_file(path: Path) -> tuple[list[dict], list[Problem]]:
    """Parse one layer file as an RFC 7946 FeatureCollection."""
    name = path.name
    try:
        doc = json.loads(read_data_file(path))
    except FileNotFoundError:
        return [], [Problem(name, "*", "missing: every layer needs its file")]
    except OSError as exc:
        return [], [Problem(name, "*", unreadable(exc))]
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return [], [Problem(name, "*", f"not valid JSON: {exc}")]
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        return [], [Problem(name, "*", "not a GeoJSON FeatureCollection")]
    problems = []
    if "crs" in doc:
        problems.append(Problem(name, "*", "has a 'crs' member; RFC 7946 data is WGS84 only"))
    features = doc.get("features")
    if not isinstance(features, list):
        return [], [*problems, Problem(name, "*", "'features' must be a list")]
    return features, problems


def validate_dir(data_dir: Path | str) -> list[Problem]:
    """Return every problem in a data directory (empty when it is clean)."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        what = "not a directory" if data_dir.exists() else "no such directory"
        return [Problem(str(data_dir), "*", what)]
    registry, problems = load_sources(data_dir)
    # An unreadable registry is one problem, not one more for every source a feature cites.
    cited: dict[str, dict] | None = None if any(p.feature == "*" for p in problems) else registry
    problems += load_build_info(data_dir)[1]
    seen_ids: dict[str, str] = {}
    loaded: dict[str, list] = {}
    for layer in LAYERS.values():
        features, file_problems = read_layer_file(data_dir / layer.filename)
        loaded[layer.id] = features
        problems += file_problems
        if not features and not file_problems:
            problems.append(Problem(layer.filename, "*", "layer is empty"))
        for index, feature in enumerate(features):
            problems += validate_feature(feature, layer, cited, index, seen_ids)
    known = {layer.filename for layer in LAYERS.values()}
    for extra in sorted(data_dir.glob("*.geojson")):
        if extra.name not in known:
            valid = ", ".join(sorted(LAYERS))
            problems.append(Problem(extra.name, "*", f"unknown layer file; layers are: {valid}"))
    problems += [Problem(*p) for p in provenance.check(loaded, cited)]
    problems += [Problem(*p) for p in geocheck.check(loaded)]
    return problems


def validate_feature(
    feature: Any,
    layer: Layer,
    registry: dict[str, dict] | None,
    index: int,
    seen_ids: dict[str, str],
) -> list[Problem]:
    """Check one feature of ``layer``; record its id in ``seen_ids``.

    ``registry`` is None when the source registry could not be read: citations are
    then not checked against it (its own problem already says why).
    """
    file = layer.filename
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return [Problem(file, f"#{index}", "not a GeoJSON Feature")]
    props = feature.get("properties")
    if not isinstance(props, dict):
        return [Problem(file, f"#{index}", "'properties' must be an object")]
    fid = props.get("id") if isinstance(props.get("id"), str) else f"#{index}"
    messages = list(_geometry_messages(feature.get("geometry"), layer))
    if isinstance(props.get("id"), str) and not ID_RE.fullmatch(fid):
        # Every layer, basemap included: ids become CSS classes, URLs and cache keys.
        messages.append(f"id {fid!r} {_ID_MESSAGE}")
    if layer.thematic:
        messages += _thematic_messages(props, layer, registry)
    else:
        messages += _basemap_messages(props, layer, registry)
    if isinstance(props.get("id"), str):
        if fid in seen_ids:
            messages.append(f"duplicate id: also in {seen_ids[fid]}")
        else:
            seen_ids[fid] = file
    return [Problem(file, fid, m) for m in messages]


def _geometry_messages(geometry: Any, layer: Layer) -> Iterator[str]:
    if not isinstance(geometry, dict):
        yield "no geometry"
        return
    gtype = geometry.get("type")
    if gtype not in layer.geometry_types:
        yield (
            f"geometry type {gtype!r} not allowed in layer {layer.id!r}; "
            f"allowed: {', '.join(layer.geometry_types)}"
        )
        return
    try:
        coords = list(_positions(geometry.get("coordinates")))
    except (TypeError, ValueError):
        yield "malformed coordinates"
        return
    if not coords:
        yield "empty geometry"
        return
    for lon, lat in coords:
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            yield f"coordinate out of range: lon {lon}, lat {lat} (lon must come first)"
            return
    try:
        geom = shape(geometry)
    except Exception as exc:  # shapely raises several types for malformed input
        yield f"malformed geometry: {exc}"
        return
    if not geom.is_valid:
        yield f"invalid geometry: {shapely.is_valid_reason(geom)}"


def _positions(coords: Any) -> Iterator[tuple[float, float]]:
    if not isinstance(coords, list):
        raise TypeError("coordinates must be arrays")
    if coords and all(isinstance(c, int | float) and not isinstance(c, bool) for c in coords):
        if len(coords) < 2 or not all(math.isfinite(c) for c in coords):
            raise ValueError("a position needs two finite numbers")
        yield float(coords[0]), float(coords[1])
        return
    for child in coords:
        yield from _positions(child)


_CHECKS = {
    "str": lambda v: isinstance(v, str) and v.strip() != "",
    "list[str]": lambda v: (
        isinstance(v, list) and v != [] and all(isinstance(s, str) and s for s in v)
    ),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool) and v > 0,
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool) and 1800 < v < 2100,
    "isodate": lambda v: isinstance(v, str) and len(v) == 10,
    "date": lambda v: isinstance(v, str),
    "sources": lambda v: isinstance(v, list) and v != [],
}

_EXPECTED = {
    "str": "a non-empty string",
    "list[str]": "a non-empty list of strings",
    "number": "a positive number",
    "int": "a year (integer)",
    "isodate": "an ISO date YYYY-MM-DD",
    "date": "an ISO 8601 date string",
    "sources": "a non-empty list of {article, section}",
}


def _thematic_messages(
    props: dict, layer: Layer, registry: dict[str, dict] | None
) -> Iterator[str]:
    known = {f.name for f in FIELDS}
    for key in sorted(set(props) - known):
        yield f"unknown property {key!r}"
    for field in FIELDS:
        value = props.get(field.name)
        if value is None:
            if field.required:
                yield f"missing required property {field.name!r}"
            continue
        if not _CHECKS[field.type](value):
            yield f"{field.name!r} must be {_EXPECTED[field.type]}, got {value!r}"
    yield from _vocabulary_messages(props, layer)
    yield from _date_messages(props)
    yield from _source_messages(props.get("sources"), registry)


def _vocabulary_messages(props: dict, layer: Layer) -> Iterator[str]:
    if props.get("layer") not in (None, layer.id):
        yield f"layer {props.get('layer')!r} does not match its file (layer {layer.id!r})"
    sector = props.get("sector")
    if sector is not None and sector not in SECTORS:
        yield f"unknown sector {sector!r}; valid: {', '.join(SECTORS)}"
    sectors = props.get("sectors")
    if isinstance(sectors, list):
        for bad in [s for s in sectors if s not in SECTORS]:
            yield f"unknown sector {bad!r} in 'sectors'; valid: {', '.join(SECTORS)}"
        if len(set(map(str, sectors))) != len(sectors):
            yield "'sectors' lists a sector twice"
        if sector in SECTORS and sector not in sectors:
            yield f"'sectors' must include the primary sector {sector!r}"
    status = props.get("status")
    if status is not None and status not in STATUSES:
        yield f"unknown status {status!r}; valid: {', '.join(STATUSES)}"
    if status == "event" and props.get("date") is None:
        yield "an event needs a 'date'"
    country = props.get("country")
    if isinstance(country, list):
        for code in [c for c in country if c not in COUNTRIES]:
            yield f"unknown country code {code!r}; valid: {', '.join(COUNTRIES)}"
    aliases = props.get("aliases")
    if isinstance(aliases, list) and all(isinstance(a, str) for a in aliases):
        folded = [a.strip().casefold() for a in aliases]
        if len(set(folded)) != len(folded):
            yield "'aliases' lists a name twice"
        if str(props.get("name", "")).strip().casefold() in folded:
            yield "'aliases' repeats the name"


def _date_messages(props: dict) -> Iterator[str]:
    printed = props.get("expected_completion")
    stored = props.get("completion_date")
    if isinstance(printed, str):
        try:
            expected = normalise_completion(printed).isoformat()
        except ValueError as exc:
            yield str(exc)
        else:
            if stored != expected:
                yield f"completion_date must be {expected} for expected_completion {printed!r}"
    elif stored is not None:
        yield "completion_date without expected_completion"
    when = props.get("date")
    if isinstance(when, str):
        try:
            parse_iso_date(when)
        except ValueError as exc:
            yield f"bad 'date': {exc}"


def _source_messages(sources: Any, registry: dict[str, dict] | None) -> Iterator[str]:
    if not isinstance(sources, list):
        return
    seen = set()
    for source in sources:
        if (
            not isinstance(source, dict)
            or set(source) != {"article", "section"}
            or not all(isinstance(v, str) and v.strip() for v in source.values())
        ):
            yield f"each source must be {{article, section}} with two strings, got {source!r}"
            continue
        key = (source["article"], source["section"])
        if key in seen:
            yield f"source listed twice: {source['article']} / {source['section']}"
        seen.add(key)
        if registry is not None and source["article"] not in registry:
            yield f"source {source['article']!r} is not in {SOURCES_FILE}"


def _basemap_messages(props: dict, layer: Layer, registry: dict[str, dict] | None) -> Iterator[str]:
    for key in sorted(set(props) - set(BASEMAP_FIELDS)):
        yield f"unknown property {key!r}"
    for key in BASEMAP_FIELDS:
        if key != "iso_a3" and props.get(key) in (None, "", []):
            yield f"missing required property {key!r}"
    code = props.get("iso_a3", "")
    if code is not None and not (isinstance(code, str) and ISO_A3_RE.fullmatch(code)):
        yield f"'iso_a3' must be an ISO 3166-1 alpha-3 code or null, got {code!r}"
    if props.get("layer") not in (None, layer.id):
        yield f"layer {props.get('layer')!r} does not match its file (layer {layer.id!r})"
    yield from _source_messages(props.get("sources"), registry)


def format_problems(problems: Iterable[Problem]) -> str:
    """One line per problem, for the CLI and for the app's refusal to start."""
    return "\n".join(str(p) for p in problems)
