"""OWSLib's OGC API – Features client lists the collections and pages through items."""

from __future__ import annotations

import pytest
from owslib.ogcapi.features import Features

from geoapp.api.ogc import CONFORMANCE
from geoapp.data.schema import LAYERS
from tests.data import features as stored


@pytest.fixture(scope="module")
def features(live_server) -> Features:
    return Features(f"{live_server}/ogc")


def test_owslib_lists_every_collection(features):
    assert features.feature_collections() == [*LAYERS, "places"]
    assert set(features.conformance()["conformsTo"]) == set(CONFORMANCE)


@pytest.mark.parametrize("layer_id", list(LAYERS))
def test_owslib_pages_through_every_item(features, catalog, layer_id):
    expected = [f["properties"]["id"] for f in stored(catalog, layer_id)]
    seen, offset = [], 0
    while True:
        page = features.collection_items(layer_id, limit=3, offset=offset)
        assert page["numberMatched"] == len(expected)
        seen += [f["id"] for f in page["features"]]
        if not any(link["rel"] == "next" for link in page["links"]):
            break
        offset += page["numberReturned"]
    assert seen == expected


def test_owslib_fetches_one_item_and_the_openapi_document(features, catalog):
    fid = stored(catalog, "ports")[0]["properties"]["id"]
    assert features.collection_item("ports", fid)["id"] == fid
    assert "/collections/ports/items" in features.api()["paths"]


@pytest.mark.parametrize("sector", ["energy", "trade"])
def test_owslib_sector_filter_keeps_features_with_that_sector_among_theirs(
    features, catalog, sector
):
    for layer_id in ("ports", "borders", "events"):
        props = [f["properties"] for f in stored(catalog, layer_id)]
        expected = [p["id"] for p in props if sector in p["sectors"]]
        for name in ("sector", "sectors"):
            page = features.collection_items(layer_id, limit=1000, **{name: sector})
            assert [f["id"] for f in page["features"]] == expected, (layer_id, name)
            assert page["numberMatched"] == len(expected)
