"""Small valid data directories, built in ``tmp_path``, for tests that change one thing."""

from __future__ import annotations

import json
from pathlib import Path

from geoapp.data.schema import LAYERS

SOURCES = {
    "rt-2025": {"kind": "article", "title": "Test article 2025"},
    "ref": {
        "kind": "reference",
        "title": "Test reference",
        "url": "https://example.org/",
        "accessed": "2026-11-22",
    },
}

#: A toy world: a sea (lon 52.0..52.95, lat 39.5..40.5) with land all round it; the
#: default point is on its east shore (about 2 km inland), the default line on land.
SEA = [[[52.0, 39.5], [52.95, 39.5], [52.95, 40.5], [52.0, 40.5], [52.0, 39.5]]]
GEOMETRIES = {
    "Point": {"type": "Point", "coordinates": [52.97, 40.02]},
    "LineString": {"type": "LineString", "coordinates": [[53.1, 40.0], [55.5, 39.2]]},
    "Polygon": {"type": "Polygon", "coordinates": SEA},
}

#: The kind each layer's default feature is: settings the toy world satisfies.
KIND_OF_LAYER = {
    "caspian": "sea",
    "pipelines": "pipeline",
    "ports": "river-port",
    "borders": "land-border",
    "naval_bases": "river-port",
    "corridors": "railway",
    "events": "event",
    "programmes": "programme",
}


def make_feature(layer_id: str, fid: str | None = None, geometry: dict | None = None, **props):
    """A valid feature of ``layer``; keyword arguments override properties (None removes)."""
    spec = LAYERS[layer_id]
    if geometry is None:
        geometry = GEOMETRIES[spec.geometry_types[0]]
    fid = fid or f"{layer_id.replace('_', '-')}-one"
    if spec.thematic:
        base = {
            "id": fid,
            "name": f"{spec.title} one",
            "layer": layer_id,
            "sector": "energy",
            "sectors": ["energy", "trade"],
            "status": "operating",
            "summary": "A feature for tests.",
            "kind": KIND_OF_LAYER[layer_id],
            "position": "approximate",
            "error_km": 5,
            "position_source": "ref: a test position",
            "status_as_of": "2025",
            "status_source": "rt-2025",
            "sources": [{"article": "rt-2025", "section": "Energy table"}],
        }
    else:
        base = {
            "id": fid,
            "name": "Testland",
            "layer": layer_id,
            "iso_a3": "TKM",
            "sources": [{"article": "ref", "section": "countries"}],
        }
    base.update(props)
    base = {k: v for k, v in base.items() if v is not None}
    return {"type": "Feature", "properties": base, "geometry": geometry}


def write_data_dir(root: Path, layers: dict[str, list[dict]] | None = None, sources=None) -> Path:
    """Write a data directory: every layer (one valid feature unless given) and sources.json."""
    root.mkdir(parents=True, exist_ok=True)
    layers = layers or {}
    for layer_id, spec in LAYERS.items():
        features = layers.get(layer_id, [make_feature(layer_id)])
        doc = {"type": "FeatureCollection", "features": features}
        (root / spec.filename).write_text(json.dumps(doc), encoding="utf-8")
    (root / "sources.json").write_text(json.dumps(SOURCES if sources is None else sources))
    return root
