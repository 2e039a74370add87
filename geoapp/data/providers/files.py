"""The files provider: a ``geodata/`` directory of GeoJSON layers, loaded once.

The embedded default: no set-up, no server. Loading validates first, so a broken
file stops the app with the same one-line messages ``geoapp validate`` prints.
Each layer is kept as its features (as authored), each feature's compact JSON
(encoded once: answers join bytes) and a shapely STRtree for bounding boxes.
The data version is a hash of every file read, so an edit is a new version.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import shape

from geoapp.data.places_store import PlacesStore, default_path
from geoapp.data.providers.base import LayerInfo, PlacesPage, Provider, Result
from geoapp.data.query import Query
from geoapp.data.schema import LAYERS, SECTORS, Layer, time_span
from geoapp.data.validate import (
    BUILD_FILE,
    SOURCES_FILE,
    load_build_info,
    load_sources,
    read_data_file,
    read_layer_file,
    validate_dir,
)
from geoapp.errors import DataError

log = logging.getLogger(__name__)


def encode(feature: Mapping[str, Any]) -> bytes:
    """A feature as compact UTF-8 JSON: the one encoding of every data answer."""
    return json.dumps(feature, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass
class _Layer:
    info: LayerInfo
    features: list[dict]
    encoded: list[bytes]
    tree: shapely.STRtree


class FilesProvider(Provider):
    """Every layer of a data directory, validated and loaded once."""

    name = "files"

    def __init__(self, data_dir: Path | str, *, places_db: Path | str | None = None):
        self.data_dir = Path(data_dir)
        # Places come from their own store (geoapp places build), opened on first use: a
        # missing store makes places answers 503 naming the command, never the app refuse.
        self.places_store = PlacesStore(default_path(places_db))
        problems = validate_dir(self.data_dir)
        if problems:
            raise DataError(problems)
        # Each file is read again below: one that changed since validation is a DataError
        # too (its one line), never a traceback or half-loaded data.
        self._sources, problems = load_sources(self.data_dir)
        self._build_info, more = load_build_info(self.data_dir)
        if problems or more:
            raise DataError(problems + more)
        digest = hashlib.blake2b(digest_size=12)
        for name in (SOURCES_FILE, BUILD_FILE):
            path = self.data_dir / name
            if path.is_file():
                digest.update(read_data_file(path).encode("utf-8"))
        self._layers: dict[str, _Layer] = {}
        self._by_id: dict[str, tuple[str, int]] = {}
        for layer in LAYERS.values():
            self._layers[layer.id] = self._load(layer, digest)
        self._version = digest.hexdigest()
        log.info("files provider: %d features from %s", len(self._by_id), self.data_dir)

    def _load(self, layer: Layer, digest) -> _Layer:
        path = self.data_dir / layer.filename
        features, problems = read_layer_file(path)
        if problems:
            raise DataError(problems)
        try:
            digest.update(read_data_file(path).encode("utf-8"))
        except OSError as exc:
            raise DataError([f"{layer.filename}: *: cannot read: {exc.strerror or exc}"]) from None
        geometries = [shape(f["geometry"]) for f in features]
        sectors: set[str] = set()
        spans = []
        for i, feature in enumerate(features):
            props = feature["properties"]
            self._by_id[props["id"]] = (layer.id, i)
            sectors.update(props.get("sectors") or ())
            if (span := time_span(props)) is not None:
                spans.append(span)
        minx, miny, maxx, maxy = (float(v) for v in shapely.total_bounds(geometries))
        extent = None
        if spans:
            starts = [s for s, _ in spans if s is not None]
            ends = [e for _, e in spans if e is not None]
            extent = (min(starts) if starts else None, max(ends) if ends else None)
        vocabularies = {}
        if not layer.thematic:
            codes = {f["properties"].get("iso_a3") for f in features}
            vocabularies["iso_a3"] = sorted(c for c in codes if isinstance(c, str) and c)
        info = LayerInfo(
            layer=layer,
            count=len(features),
            bbox=(minx, miny, maxx, maxy),
            sectors=tuple(s for s in SECTORS if s in sectors),
            time_extent=extent,
            vocabularies=vocabularies,
        )
        return _Layer(info, features, [encode(f) for f in features], shapely.STRtree(geometries))

    # -- the interface ---------------------------------------------------------------

    def version(self) -> str:
        return self._version

    def layers(self) -> Mapping[str, LayerInfo]:
        return {k: v.info for k, v in self._layers.items()}

    def sources(self) -> Mapping[str, dict]:
        return self._sources

    def build_info(self) -> Mapping[str, Any]:
        return self._build_info

    def query(
        self, query: Query, layer: str, *, limit: int | None = None, offset: int = 0
    ) -> Result:
        data = self._layers[layer]
        spec = data.info.layer
        if query.bbox is not None:
            hits = data.tree.query(shapely.box(*query.bbox), predicate="intersects")
            rows: list[int] | range = sorted(hits.tolist())
        else:
            rows = range(len(data.features))
        if _filters(query):
            rows = [i for i in rows if query.matches(data.features[i]["properties"], spec)]
        end = None if limit is None else offset + limit
        page = rows[offset:end]
        return Result(
            layer=layer,
            matched=len(rows),
            features=[data.features[i] for i in page],
            encoded=[data.encoded[i] for i in page],
        )

    def get(self, feature_id: str) -> dict[str, Any] | None:
        where = self._by_id.get(feature_id)
        if where is None:
            return None
        layer, index = where
        return self._layers[layer].features[index]

    def places_version(self) -> str:
        return self.places_store.version()

    def places(
        self,
        bbox: tuple[float, float, float, float] | None,
        min_population: int,
        limit: int,
        offset: int = 0,
        *,
        count: bool = False,
        full: bool = False,
    ) -> PlacesPage:
        matched, docs = self.places_store.places(
            bbox, min_population, limit, offset, count=count, full=full
        )
        return PlacesPage(matched, docs)

    def place(self, geonameid: int) -> str | None:
        return self.places_store.get(geonameid)

    def search_places(self, folded: str, limit: int) -> list[tuple[str, bool]]:
        return self.places_store.search(folded, limit)


def _filters(query: Query) -> bool:
    """Whether the query filters by anything but its bbox (the common, fast case: no)."""
    values = (query.sectors, query.statuses, query.countries, query.sources, query.time)
    values += (query.completed_by,)
    return any(v is not None for v in values) or bool(query.text) or bool(query.where)
