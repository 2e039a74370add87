"""Towns in exports and the ``towns`` switch: data files carry the map's towns, on both
providers, unless ``towns=off``; the print and the page follow the switch.

Expected towns come from ``/api/places`` for the same box and zoom (another face, read
back from the file by GDAL), the zoom from a hand computation of the printed map's scale.
"""

from __future__ import annotations

import json
import logging
import math
import xml.etree.ElementTree as ET

import pyogrio
import pytest

from geoapp.data.places import ATTRIBUTION, LICENSE_URL
from geoapp.data.query import parse_query
from geoapp.export.formats import export_query
from geoapp.maps.printed.figure import draw_map, towns_zoom
from geoapp.maps.printed.page import Page
from tests.test_export_cli import run

#: A 10° x 6° box over the south Caspian, Baku and Turkmenbashi in it.
BOX = "46,38,56,44"
#: The printed map's zoom for it: the default page's map is 10 in x 150 dpi x 0.97 wide =
#: 1455 px; 360° x 1455 / (256 px x 10°) = 204.6 = 2**7.68, the nearest zoom 8, one out 7.
ZOOM = 7
KML = "{http://www.opengis.net/kml/2.2}"


def api_ids(client, box: str = BOX, zoom: int = ZOOM) -> list[int]:
    doc = client.get(f"/api/places?bbox={box}&zoom={zoom}").get_json(force=True)
    return [f["id"] for f in doc["features"]]


def test_the_print_zoom_of_the_box_is_the_hand_computed_one():
    width_px = 10 * 150 * 0.97
    assert round(math.log2(360 * width_px / (256 * 10))) - 1 == ZOOM
    assert towns_zoom((46.0, 38.0, 56.0, 44.0)) == ZOOM


def test_a_geopackage_has_a_places_table_of_the_maps_towns(client, tmp_path):
    response = client.get(f"/export.gpkg?bbox={BOX}")
    assert response.status_code == 200
    path = tmp_path / "m.gpkg"
    path.write_bytes(response.data)
    assert "places" in [name for name, _ in pyogrio.list_layers(path)]
    frame = pyogrio.read_dataframe(path, layer="places")
    expected = api_ids(client)
    assert len(expected) > 20 and list(frame["geonameid"]) == expected
    baku = frame[frame["geonameid"] == 587084].iloc[0]
    assert (baku["name"], baku["country"], baku["class"]) == ("Baku", "AZ", 1)
    assert baku["population"] > 2_000_000 and baku["attribution"] == ATTRIBUTION
    # GeoNames' alternate names, as JSON text (a GeoPackage column holds no list).
    assert {"Bakou", "Baki"} <= set(json.loads(baku["alternatenames"]))
    assert frame.crs.to_epsg() == 4326


def test_geojson_lists_the_towns_after_the_features_and_credits_geonames(client):
    doc = json.loads(client.get(f"/export.geojson?bbox={BOX}").data)
    layers = [f["properties"]["layer"] for f in doc["features"]]
    first = layers.index("places")
    assert first > 0 and set(layers[first:]) == {"places"}  # the features, then the towns
    places = [f["properties"] for f in doc["features"][first:]]
    assert [p["geonameid"] for p in places] == api_ids(client)
    assert {"geonameid", "name", "country", "population", "class"} <= set(places[0])
    assert doc["attribution"] == ATTRIBUTION and doc["license"] == LICENSE_URL


def test_csv_and_kml_carry_the_same_towns(client, tmp_path):
    expected = api_ids(client)
    csv = tmp_path / "m.csv"
    csv.write_bytes(client.get(f"/export.csv?bbox={BOX}").data)
    rows = pyogrio.read_dataframe(csv)
    assert [int(g) for g in rows[rows["layer"] == "places"]["geonameid"]] == expected
    root = ET.fromstring(client.get(f"/export.kml?bbox={BOX}").data)
    # One container per layer (LIBKML writes each as a Document in the root one).
    layers = {d.get("id"): d for d in root.iter(f"{KML}Document")}
    ids = [p.get("id") for p in layers["places"].iter(f"{KML}Placemark")]
    assert ids == [f"place-{i}" for i in expected]


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "kml", "csv"])
def test_towns_off_exports_no_towns(client, tmp_path, fmt):
    response = client.get(f"/export.{fmt}?bbox={BOX}&towns=off")
    assert response.status_code == 200
    body = response.data
    assert b"place-" not in body and b"GeoNames" not in body
    if fmt == "gpkg":
        path = tmp_path / "m.gpkg"
        path.write_bytes(body)
        assert "places" not in [name for name, _ in pyogrio.list_layers(path)]


@pytest.mark.parametrize("url", ["/export.geojson", "/export.png", "/", "/api/view"])
def test_a_bad_towns_value_is_a_400_naming_on_and_off(client, url):
    response = client.get(f"{url}?towns=yes")
    assert response.status_code == 400
    assert "on, off" in response.get_data(as_text=True)


def test_the_command_line_takes_towns_on_or_off(capsys, tmp_path):
    out = tmp_path / "m.geojson"
    code, _, err = run(capsys, "--out", str(out), "--bbox", BOX, "--towns", "maybe")
    assert code == 2 and "on, off" in err and "--towns" in err
    assert not out.exists()
    code, _, _ = run(capsys, "--out", str(out), "--bbox", BOX, "--towns", "off")
    assert code == 0
    doc = json.loads(out.read_text())
    assert doc["features"] and all(f["properties"]["layer"] != "places" for f in doc["features"])
    code, _, _ = run(capsys, "--out", str(out), "--bbox", BOX)
    assert code == 0
    assert any(
        f["properties"]["layer"] == "places" for f in json.loads(out.read_text())["features"]
    )


def test_the_print_draws_no_towns_when_they_are_off(catalog):
    page = Page.from_pixels(800, 560, dpi=100)
    drawn, credits = {}, {}
    for towns in ("on", "off"):
        query = export_query(parse_query({"bbox": "48,34,56,40", "towns": towns}, "export"))
        fig, info = draw_map(catalog, query, page=page)
        drawn[towns] = info.labels
        credits[towns] = info.attribution
    assert {"Tehran", "Qom"} <= set(drawn["on"])
    assert not {"Tehran", "Qom", "Rasht", "Sari"} & set(drawn["off"])
    # GeoNames is credited for the towns drawn, and only then.
    assert "GeoNames" in credits["on"] and "GeoNames" not in credits["off"]
    assert all(label in drawn["on"] for label in drawn["off"][:3])  # the features' labels stay


def test_the_page_and_its_view_answer_follow_the_switch(client):
    on = client.get("/?towns=on")
    assert on.status_code == 200 and 'name="towns" value="on" checked' in on.text
    off = client.get("/?towns=off")
    assert 'name="towns" value="on">' in off.text  # the switch is drawn unticked
    # The view answer names no town (not even those summaries name) and keeps towns=off
    # in the query the address bar shows and in every export link.
    answer = client.get("/api/view?towns=off").get_json()
    assert answer["placeLabels"] == [] and "towns=off" in answer["query"]
    assert all("towns=off" in url for url in answer["exports"].values())
    assert client.get("/api/view").get_json()["placeLabels"]
    # The standalone html carries the switch, ticked off and disabled.
    html = client.get(f"/export.html?bbox={BOX}&towns=off").get_data(as_text=True)
    assert 'name="towns" value="on" disabled>' in html


def test_a_cached_export_is_keyed_by_the_towns_version_when_it_holds_towns(catalog):
    from geoapp.data.query import Query
    from geoapp.web.export import places_version

    assert places_version(catalog, Query()) == catalog.places_version() != ""
    assert places_version(catalog, Query(towns=False)) == ""


# -- without places, and hostile places (the files provider, a store of our own) ----------


def hostile_store(tmp_path):
    """A places store of three towns near Balkanabat, two with hostile names."""
    from geoapp.data.places_store import build

    cities = {
        "1": ['=HYPERLINK("http://x","y")', 900_000, 54.1, 39.6],
        "2": ['<img src=x onerror="window.__pwned=1"> & co', 800_000, 54.3, 39.4],
        "3": ["Plain", 700_000, 54.5, 39.5],
    }
    source = tmp_path / "cities500.json"
    source.write_text(json.dumps({
        key: {"geonameid": key, "name": name, "countrycode": "TM", "population": people,
              "longitude": lon, "latitude": lat, "alternatenames": []}
        for key, (name, people, lon, lat) in cities.items()
    }))  # fmt: skip
    store = tmp_path / "places.sqlite3"
    build(store, source)
    return store


def test_hostile_town_names_are_neutralised_in_csv_and_escaped_in_kml(tmp_path):
    from geoapp import create_app

    store = hostile_store(tmp_path)
    client = create_app(
        {"TESTING": True, "DATABASE_URL": "", "PLACES_DB": str(store)}
    ).test_client()
    csv = client.get("/export.csv?bbox=53,38,56,41").get_data(as_text=True)
    rows = [line for line in csv.splitlines() if ",places," in line]
    assert len(rows) == 3
    assert ',"\'=HYPERLINK(""http://x"",""y"")",' in csv  # a quote first: text, not a formula
    assert ",=" not in csv and ',"=' not in csv
    kml = client.get("/export.kml?bbox=53,38,56,41").get_data(as_text=True)
    assert "<img" not in kml  # a balloon shows the name as typed, never an element
    names = {p.findtext(f"{KML}name") for p in ET.fromstring(kml).iter(f"{KML}Placemark")}
    assert '&lt;img src=x onerror="window.__pwned=1"&gt; &amp; co' in names


def test_without_places_a_data_export_is_the_features_and_a_log_line(tmp_path, caplog):
    from geoapp import create_app

    app = create_app(
        {"TESTING": True, "DATABASE_URL": "", "PLACES_DB": str(tmp_path / "none.sqlite3")}
    )
    with caplog.at_level(logging.WARNING, logger="geoapp.export.formats"):
        response = app.test_client().get(f"/export.geojson?bbox={BOX}")
    assert response.status_code == 200
    doc = json.loads(response.data)
    assert doc["features"] and all(f["properties"]["layer"] != "places" for f in doc["features"])
    assert "attribution" not in doc
    assert any("without towns" in r.getMessage() for r in caplog.records)
