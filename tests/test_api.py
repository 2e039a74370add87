"""The JSON API the web map reads: /api/layers and /api/layers/<id> with its filters."""

from __future__ import annotations

from datetime import date

import pytest
import shapely
from shapely.geometry import shape

from geoapp.data.schema import FIELD_NAMES, LAYERS, SECTORS, STATUSES
from tests.data import features


def ids(doc: dict) -> list[str]:
    return [f["properties"]["id"] for f in doc["features"]]


def test_catalog_lists_every_layer_with_count_bbox_and_fields(client, catalog):
    doc = client.get("/api/layers").get_json()
    assert [entry["id"] for entry in doc["layers"]] == list(LAYERS)
    for entry in doc["layers"]:
        layer = LAYERS[entry["id"]]
        every = features(catalog, entry["id"])
        carried = {s for f in every for s in f["properties"].get("sectors", ())}
        bounds = shapely.total_bounds([shape(f["geometry"]) for f in every])
        assert entry["title"] == layer.title
        assert entry["description"] == layer.description
        assert entry["count"] == len(every)
        assert entry["bbox"] == [float(v) for v in bounds]
        assert entry["sectors"] == [s for s in SECTORS if s in carried]
        if layer.thematic:
            assert entry["fields"] == list(FIELD_NAMES)
        assert client.get(entry["href"]).status_code == 200


def test_layer_is_the_feature_collection_of_the_file(client, catalog):
    for layer_id in LAYERS:
        response = client.get(f"/api/layers/{layer_id}")
        assert response.mimetype == "application/geo+json"
        doc = response.get_json(force=True)
        assert doc["type"] == "FeatureCollection"
        assert doc["features"] == features(catalog, layer_id)


@pytest.mark.parametrize("sector", list(SECTORS))
def test_sector_filter_keeps_features_with_any_matching_sector(client, catalog, sector):
    for layer_id in ("pipelines", "ports", "events"):
        expected = [
            f["properties"]["id"]
            for f in features(catalog, layer_id)
            if sector in f["properties"]["sectors"]
        ]
        doc = client.get(f"/api/layers/{layer_id}?sector={sector}").get_json(force=True)
        assert ids(doc) == expected


def test_status_filter_accepts_several_statuses(client, catalog):
    wanted = {"operating", "construction"}
    every = features(catalog, "pipelines")
    expected = [f["properties"]["id"] for f in every if f["properties"]["status"] in wanted]
    doc = client.get("/api/layers/pipelines?status=operating,construction").get_json(force=True)
    assert ids(doc) == expected


def test_completed_by_keeps_projects_due_on_or_before(client, catalog):
    cutoff = date(2026, 12, 31)
    for layer_id in ("ports", "corridors", "pipelines"):
        expected = [
            f["properties"]["id"]
            for f in features(catalog, layer_id)
            if f["properties"].get("completion_date")
            and date.fromisoformat(f["properties"]["completion_date"]) <= cutoff
        ]
        url = f"/api/layers/{layer_id}?completed_by={cutoff.isoformat()}"
        assert ids(client.get(url).get_json(force=True)) == expected


def test_q_is_a_case_insensitive_name_search(client, catalog):
    first = features(catalog, "ports")[0]["properties"]
    word = first["name"].split()[-1]
    doc = client.get(f"/api/layers/ports?q={word.upper()}").get_json(force=True)
    assert first["id"] in ids(doc)
    assert all(word.casefold() in f["properties"]["name"].casefold() for f in doc["features"])


def test_bbox_filter_drops_features_outside(client):
    assert client.get("/api/layers/ports?bbox=0,0,1,1").get_json(force=True)["features"] == []


def test_unknown_layer_is_404_naming_the_valid_ids(client):
    response = client.get("/api/layers/nope")
    assert response.status_code == 404
    assert response.get_json()["valid"] == list(LAYERS)


@pytest.mark.parametrize(
    ("query", "valid"),
    [
        ("sector=nuclear", list(SECTORS)),
        ("status=dreaming", list(STATUSES)),
        ("bbox=1,2,3", None),
        ("completed_by=soon", None),
        ("colour=red", None),
    ],
)
def test_bad_filter_is_a_json_400(client, query, valid):
    response = client.get(f"/api/layers/pipelines?{query}")
    assert response.status_code == 400
    doc = response.get_json()
    assert doc["code"] == 400 and doc["description"]
    if valid:
        assert doc["valid"] == valid
