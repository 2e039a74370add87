"""Names on the map (web and print): stacks at each zoom, towns the summaries name, countries.

Expected names are facts read from the data's own words or known geography (TAPI's
summary names Kandahar, Quetta, Multan and Fazilka; Kandahar is near 31.6° N, 65.7° E),
never what the code under test returns.
"""

from __future__ import annotations

import math

from geoapp.data.query import Query
from geoapp.maps import names
from geoapp.maps.printed import figure as render
from geoapp.maps.printed.page import Page
from tests.factories import make_feature

TAPI_TOWNS = {"Kandahar": (65.71, 31.61), "Quetta": (67.0, 30.18), "Multan": (71.48, 30.2)}


def near(a: tuple[float, float], b: tuple[float, float], km: float) -> bool:
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371 * math.asin(math.sqrt(h)) <= km


def test_the_towns_tapis_summary_names_are_in_the_data_where_they_are(catalog):
    places = {p["name"]: p for p in catalog.build_info["named_places"]["places"]}
    for town, where in TAPI_TOWNS.items():
        assert town in places, sorted(places)
        assert near((places[town]["lon"], places[town]["lat"]), where, 15)
        assert "pipeline-tapi" in places[town]["named_by"]
    assert catalog.build_info["named_places"]["source"].startswith("Places: GeoNames")


def test_no_town_is_a_word_of_its_features_name_nor_stands_under_a_point_feature(catalog):
    points = [
        tuple(c[:2])
        for fs in catalog.query(Query()).values()
        for f in fs
        if f["geometry"]["type"] in ("Point", "MultiPoint")
        for c in (
            [f["geometry"]["coordinates"]]
            if f["geometry"]["type"] == "Point"
            else f["geometry"]["coordinates"]
        )
    ]
    for place in catalog.build_info["named_places"]["places"]:
        assert not any(near((place["lon"], place["lat"]), xy, 12) for xy in points), place["name"]
        for feature_id in place["named_by"]:
            name = catalog.get(feature_id)["properties"]["name"]
            assert place["name"] not in name.split(), (place["name"], name)
    # The Dostluk field is not the village of Dostluk, nor the town of Serdar.
    named = {p["name"] for p in catalog.build_info["named_places"]["places"]}
    assert not named & {"Dostluk", "Serdar"}


def test_a_town_shows_only_while_a_feature_that_names_it_does():
    info = {
        "named_places": {
            "places": [
                {
                    "name": "Big",
                    "lon": 60,
                    "lat": 40,
                    "population": 2_000_000,
                    "geonameid": 1,
                    "named_by": ["a"],
                },
                {
                    "name": "Small",
                    "lon": 61,
                    "lat": 40,
                    "population": 900,
                    "geonameid": 2,
                    "named_by": ["b", "c"],
                },
            ]  # fmt: skip
        }
    }
    shown = names.place_labels(info, ["c"])
    assert [(p["text"], p["namedBy"]) for p in shown] == [("Small", ["c"])]
    both = names.place_labels(info, ["a", "b"])
    assert [p["text"] for p in both] == ["Big", "Small"]
    assert both[0]["minZoom"] < both[1]["minZoom"]  # the city shows from further out


def test_points_that_touch_share_one_label_until_a_zoom_parts_them():
    here = {"type": "Point", "coordinates": [52.96, 40.02]}
    there = {"type": "Point", "coordinates": [52.97, 40.03]}  # about 1.4 km away
    port = make_feature("ports", "p", name="Port T", geometry=here, place="T")
    base = make_feature("naval_bases", "n", name="Base T", geometry=there, place="T")
    labels = names.feature_labels([port, base], zooms=range(4, 15))
    shared = [label for label in labels if label["ids"] == ["p", "n"]]
    alone = [label for label in labels if label["ids"] == ["p"]]
    assert shared and shared[0]["text"] == "T: port, naval base"
    assert alone and min(alone[0]["zooms"]) > max(shared[0]["zooms"])
    # Web Mercator's ground resolution is 156,543 m · cos(lat) / 2**zoom a pixel: 1.4 km at
    # 40° N is ~12 px at zoom 10 and ~24 px at zoom 11; two 20 px symbols touch under 20 px.
    assert max(shared[0]["zooms"]) == 10


def test_each_country_is_named_inside_its_part_in_view(catalog):
    labels = {c["text"]: c for c in names.country_labels(catalog, (45.0, 35.0, 65.0, 48.0))}
    assert {"Turkmenistan", "Kazakhstan", "Russia", "Iran"} <= set(labels)
    russia = labels["Russia"]
    assert 45.0 <= russia["lon"] <= 65.0 and 35.0 <= russia["lat"] <= 48.0


def test_the_printed_map_names_the_towns_too(catalog):
    fig, info = render.draw_map(
        catalog, Query(bbox=(58.0, 28.0, 76.0, 40.0)), page=Page.from_pixels(1500, 1050)
    )
    render.close(fig)
    assert {"Kandahar", "Quetta", "Multan"} <= set(info.labels)
