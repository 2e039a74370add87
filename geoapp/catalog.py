"""The data provider: loads ``geodata/`` once and answers queries.

Views, the exporter and the API ask the catalog; nothing else opens a data
file. Loading validates first, so a broken file stops the app with the same
one-line messages that ``geoapp validate`` prints, never with a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geoapp.schema import LAYERS, SECTORS, STATUSES, Layer
from geoapp.validate import Problem, format_problems, load_sources, read_layer_file, validate_dir

log = logging.getLogger(__name__)

BBox = tuple[float, float, float, float]


class DataError(Exception):
    """The data directory fails validation; ``str()`` is the list of problems."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__(format_problems(self.problems))


class QueryError(ValueError):
    """A query names an unknown layer, sector or status, or a malformed value."""

    def __init__(self, parameter: str, value: object, valid: Iterable[str] | str):
        self.parameter = parameter
        self.value = value
        self.valid = valid if isinstance(valid, str) else ", ".join(valid)
        super().__init__(f"invalid {parameter} {value!r}; valid: {self.valid}")


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
        self.sources, _ = load_sources(self.data_dir)
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
        features, _ = read_layer_file(path)
        frame = gpd.read_file(path, engine="pyogrio")
        if list(frame["id"]) != [f["properties"]["id"] for f in features]:
            raise DataError([Problem(layer.filename, "*", "features could not be read in order")])
        frame = frame.set_crs("EPSG:4326", allow_override=True)
        for i, feature in enumerate(features):
            self._by_id[feature["properties"]["id"]] = (layer.id, i)
        sectors: set[str] = set()
        for feature in features:
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

    def frame(self, layer_ids: Iterable[str] | None = None, **filters) -> gpd.GeoDataFrame:
        """Return the selected features of several layers as one GeoDataFrame."""
        parts = []
        for layer_id in layer_ids if layer_ids is not None else self.layers:
            data = self.layer(layer_id)
            rows = self.select(layer_id, **filters)
            part = data.frame.iloc[rows].copy()
            part["layer"] = layer_id
            parts.append(part)
        if not parts:
            return gpd.GeoDataFrame({"geometry": []}, geometry="geometry", crs="EPSG:4326")
        return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs="EPSG:4326")

    def search(self, text: str, limit: int = 10) -> list[dict]:
        """Return thematic features whose name contains ``text``, best match first."""
        needle = text.casefold().strip()
        if not needle:
            return []
        found = []
        for data in self.layers.values():
            if not data.layer.thematic:
                continue
            for feature in data.features:
                name = feature["properties"]["name"].casefold()
                if needle in name:
                    found.append((not name.startswith(needle), len(name), feature))
        found.sort(key=lambda t: t[:2])
        return [f for *_, f in found[:limit]]


def check_values(parameter: str, values: Iterable[str], valid: Iterable[str]) -> list[str]:
    """Return ``values`` as a list, or raise QueryError on the first unknown one."""
    valid = list(valid)
    values = list(values)
    for value in values:
        if value not in valid:
            raise QueryError(parameter, value, valid)
    return values
