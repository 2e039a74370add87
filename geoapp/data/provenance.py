"""The rules on how sure the data is and where each fact comes from.

A feature's ``kind`` belongs to its layer; its ``position`` is in the vocabulary and,
unless surveyed, gives ``error_km``; ``position_source`` names a registered source;
an infrastructure status is dated (``status_as_of``) and sourced (``status_source``);
an alleged claim says who made it; a project's ``asset`` is a feature that exists and
that the project is drawn on or beside. Every source with a URL says when it was read
(``accessed``). ``geoapp.data.validate`` reports these with its other rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import shapely
import shapely.ops
from shapely.geometry import shape

from geoapp.data.geocheck import GEOD
from geoapp.data.schema import CLAIMS, DATED_STATUSES, KINDS, LAYERS, POSITIONS, parse_iso_date

#: A project is drawn on or beside its asset: every vertex within this distance of it.
ASSET_KM = 5.0
SOURCE_ID_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
ISO_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_day(value) -> date | None:
    if not isinstance(value, str) or not ISO_DAY_RE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _iso_period_start(value) -> date | None:
    """First day of an ISO 8601 date, month or year (no intervals), or None."""
    if not isinstance(value, str) or "/" in value:
        return None
    try:
        return parse_iso_date(value)[0]
    except ValueError:
        return None


def source_messages(registry: dict) -> Iterator[tuple[str, str]]:
    """(source id, message) for each source with a URL but no valid ``accessed`` date."""
    today = date.today()
    for key, entry in registry.items():
        if not isinstance(entry, dict) or "url" not in entry:
            continue
        accessed = entry.get("accessed")
        day = _iso_day(accessed)
        if accessed is None:
            yield key, "a source with a 'url' needs 'accessed', the ISO date it was read"
        elif day is None:
            yield key, f"'accessed' must be an ISO date YYYY-MM-DD, got {accessed!r}"
        elif day > today:
            yield key, f"'accessed' {accessed} is in the future"


def feature_messages(props: dict, layer_id: str, registry: dict | None) -> Iterator[str]:
    """Messages for one thematic feature's kind, position, status date and claim."""
    kind = props.get("kind")
    if isinstance(kind, str):
        if kind not in KINDS:
            yield f"unknown kind {kind!r}; valid: {', '.join(KINDS)}"
        elif layer_id not in KINDS[kind].layers:
            allowed = ", ".join(k for k, v in KINDS.items() if layer_id in v.layers)
            yield f"kind {kind!r} does not belong in layer {layer_id!r}; valid there: {allowed}"
    position = props.get("position")
    if isinstance(position, str):
        if position not in POSITIONS:
            yield f"unknown position {position!r}; valid: {', '.join(POSITIONS)}"
        elif position != "surveyed" and props.get("error_km") is None:
            yield f"a {position} position needs 'error_km', the largest distance it may be off"
    cited = props.get("position_source")
    if (
        registry is not None
        and isinstance(cited, str)
        and cited.strip()
        and not set(SOURCE_ID_RE.findall(cited)) & set(registry)
    ):
        yield "'position_source' must name at least one source id of sources.json"
    status = props.get("status")
    as_of = props.get("status_as_of")
    if as_of is not None:
        first = _iso_period_start(as_of)
        if first is None:
            yield f"'status_as_of' must be an ISO date (YYYY, YYYY-MM or YYYY-MM-DD), got {as_of!r}"
        elif first > date.today():
            yield f"'status_as_of' {as_of} is in the future"
    status_source = props.get("status_source")
    if status in DATED_STATUSES:
        if as_of is None:
            yield f"status {status!r} needs 'status_as_of', the date it is known to hold"
        if status_source is None:
            yield f"status {status!r} needs 'status_source', the source id that states it"
    if registry is not None and isinstance(status_source, str) and status_source not in registry:
        yield f"'status_source' {status_source!r} is not in sources.json"
    claim = props.get("claim")
    if claim is not None and claim not in CLAIMS:
        yield f"unknown claim {claim!r}; valid: {', '.join(CLAIMS)}"
    if claim is not None and props.get("claimed_by") is None:
        yield "a claim needs 'claimed_by', who made it"
    if claim is None and props.get("claimed_by") is not None:
        yield "'claimed_by' without 'claim'"


def asset_messages(layers: dict[str, list]) -> Iterator[tuple[str, str, str]]:
    """(file, id, message) for projects whose ``asset`` is missing or drawn elsewhere."""
    index: dict[str, dict] = {}
    for features in layers.values():
        for feature in features:
            props = feature.get("properties") if isinstance(feature, dict) else None
            if isinstance(props, dict) and isinstance(props.get("id"), str):
                index.setdefault(props["id"], feature)
    for layer_id, features in layers.items():
        for feature in features:
            props = feature.get("properties") if isinstance(feature, dict) else None
            if not isinstance(props, dict) or not isinstance(props.get("asset"), str):
                continue
            fid, asset = props.get("id"), props["asset"]
            file = LAYERS[layer_id].filename
            if asset == fid:
                yield file, fid, "'asset' names the feature itself"
            elif asset not in index:
                yield file, fid, f"'asset' {asset!r} is not the id of any feature"
            else:
                far = _farthest_km(feature, index[asset])
                if far is not None and far > ASSET_KM:
                    yield (
                        file,
                        fid,
                        f"drawn {far:.1f} km from its asset {asset!r}; a project is drawn "
                        f"on or beside what it upgrades (within {ASSET_KM:g} km)",
                    )


def _farthest_km(feature: dict, asset: dict) -> float | None:
    """Largest geodesic distance (km) from a vertex of ``feature`` to ``asset``."""
    try:
        geom, target = shape(feature["geometry"]), shape(asset["geometry"])
    except Exception:  # malformed geometry: reported by validate.py
        return None
    worst = 0.0
    for lon, lat in shapely.get_coordinates(geom):
        near = shapely.ops.nearest_points(target, shapely.Point(lon, lat))[0]
        # Degrees first, then the geodesic distance to the nearest point found.
        worst = max(worst, GEOD.inv(lon, lat, near.x, near.y)[2] / 1000)
    return worst


def check(layers: dict[str, list], registry: dict | None) -> Iterator[tuple[str, str, str]]:
    """(file, id, message) for every provenance problem of the loaded layers and sources.

    ``registry`` is None when sources.json could not be read: citations are then not
    checked against it (its own problem already says why).
    """
    for key, message in source_messages(registry or {}):
        yield "sources.json", key, message
    for layer_id, features in layers.items():
        if not LAYERS[layer_id].thematic:
            continue
        for index, feature in enumerate(features):
            props = feature.get("properties") if isinstance(feature, dict) else None
            if not isinstance(props, dict):
                continue
            fid = props.get("id") if isinstance(props.get("id"), str) else f"#{index}"
            for message in feature_messages(props, layer_id, registry):
                yield LAYERS[layer_id].filename, fid, message
    yield from asset_messages(layers)
