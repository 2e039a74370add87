"""The countries the map draws zoomed out: simplified to a pixel, still the same map.

Checked against the stored layer, read from the data file (not through the code under
test): the same features with the same properties, far fewer vertices, no vertex more
than four pixels of its zoom from the stored border, and still a coverage
(neighbours share their borders: no gap, no overlap). Through the API on both
providers, and in the settings the page reads.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import shapely
from shapely.geometry import shape

from geoapp.config import DEFAULTS

STORED = json.loads((Path(DEFAULTS["DATA_DIR"]) / "basemap.geojson").read_text(encoding="utf-8"))


def web_pixel(zoom: int) -> float:
    """A Web Mercator pixel at the equator, in degrees (256 px tiles): the textbook value."""
    return 360 / 256 / 2**zoom


def vertices(features: list[dict]) -> int:
    return sum(shapely.get_num_coordinates(shape(f["geometry"])) for f in features)


@pytest.mark.parametrize("zoom", [3, 5])
def test_a_level_keeps_every_country_and_its_border_within_four_pixels(client, zoom):
    doc = client.get(f"/api/layers/basemap?simplify={zoom}").get_json(force=True)
    stored = {f["properties"]["id"]: f for f in STORED["features"]}
    got = {f["properties"]["id"]: f for f in doc["features"]}
    assert got.keys() == stored.keys()
    for fid, feature in got.items():
        assert feature["properties"] == stored[fid]["properties"], fid
        a, b = shape(feature["geometry"]), shape(stored[fid]["geometry"])
        assert a.is_valid and not a.is_empty, fid
        assert a.hausdorff_distance(b) <= 4 * web_pixel(zoom), fid
    assert shapely.coverage_is_valid([shape(f["geometry"]) for f in doc["features"]])


def test_zoomed_out_the_countries_have_far_fewer_vertices(client):
    full = vertices(STORED["features"])
    at = {
        z: vertices(client.get(f"/api/layers/basemap?simplify={z}").get_json()["features"])
        for z in (3, 5, 8)
    }
    assert at[3] < at[5] < at[8] < full
    assert at[5] * 2.5 < full, (at, full)


def test_simplified_coordinates_are_rounded_to_four_places(client):
    body = client.get("/api/layers/basemap?simplify=5").get_data(as_text=True)
    numbers = json.loads(body)["features"][0]["geometry"]["coordinates"]
    flat = list(_flatten(numbers))
    assert flat and all(math.isclose(v, round(v, 4), abs_tol=1e-12) for v in flat)


def _flatten(value):
    if isinstance(value, list):
        for v in value:
            yield from _flatten(v)
    else:
        yield value


def test_a_level_is_cached_and_tagged_apart_from_the_stored_layer(client):
    gzip = {"Accept-Encoding": "gzip"}
    full = client.get("/api/layers/basemap", headers=gzip)
    level = client.get("/api/layers/basemap?simplify=5", headers=gzip)
    again = client.get("/api/layers/basemap?simplify=5", headers=gzip)
    assert level.status_code == 200 and level.headers["ETag"] != full.headers["ETag"]
    assert again.headers["ETag"] == level.headers["ETag"] and again.data == level.data
    assert len(level.data) * 2 < len(full.data)
    revalidated = client.get(
        "/api/layers/basemap?simplify=5", headers={**gzip, "If-None-Match": level.headers["ETag"]}
    )
    assert revalidated.status_code == 304


def test_simplify_goes_with_the_layers_filters(client):
    doc = client.get("/api/layers/basemap?simplify=4&bbox=50,35,60,45").get_json(force=True)
    ids = {f["properties"]["id"] for f in doc["features"]}
    assert "country-tkm" in ids and "country-chn" not in ids


@pytest.mark.parametrize("raw", ["x", "", "23", "-1", "5.5", "\u0666", " 5"])
def test_a_bad_simplify_is_a_400_naming_the_range(client, raw):
    response = client.get("/api/layers/basemap", query_string={"simplify": raw})
    assert response.status_code == 400
    body = response.get_json(force=True)
    assert "simplify" in body["description"] and "0 to 22" in body["description"]


def test_the_page_lists_a_level_for_each_zoom_below_the_stored_layer(client):
    page = client.get("/").get_data(as_text=True)
    start = page.index('id="geoapp-settings">') + len('id="geoapp-settings">')
    settings = json.loads(page[start : page.index("</script>", start)])
    countries = next(p for p in settings["basemap"] if p["layer"] == "basemap")
    assert [level["maxZoom"] for level in countries["levels"]] == [3, 4, 5, 6, 7, 8]
    assert all(
        level["url"].endswith(f"simplify={level['maxZoom']}") for level in countries["levels"]
    )
    sea = next(p for p in settings["basemap"] if p["layer"] == "caspian")
    assert "levels" not in sea
