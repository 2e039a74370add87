"""One Query, parsed once: the same values and the same messages on every face."""

from __future__ import annotations

from datetime import date

import pytest

from geoapp.data.query import FACES, Query, parse_query
from geoapp.data.schema import LAYERS, SECTORS, THEMATIC_LAYERS
from geoapp.errors import QueryError


def test_no_query_shows_every_sector_and_thematic_layer():
    query = parse_query({}, "map")
    assert query == Query()
    assert query.shown_sectors == tuple(SECTORS) and query.layers == THEMATIC_LAYERS
    assert query.canonical() == ""


def test_lists_are_normalised_to_vocabulary_order_so_equal_queries_share_a_key():
    a = parse_query({"sectors": "trade,energy", "layers": "ports,pipelines"}, "map")
    b = parse_query({"sectors": "energy,trade,trade", "layers": "pipelines,ports"}, "map")
    assert a == b and hash(a) == hash(b)
    assert a.sectors == ("energy", "trade")
    assert a.canonical() == "layers=pipelines,ports&sectors=energy,trade"


def test_an_empty_list_switches_everything_off():
    query = parse_query({"sectors": "", "layers": ""}, "map")
    assert query.sectors == () and query.layers == ()


def test_centre_and_zoom_are_parsed_and_rounded():
    query = parse_query({"lat": "41.123456", "lon": "52.5", "zoom": "7"}, "map")
    assert query.centre == (41.1235, 52.5)
    assert query.zoom == 7
    assert "lat=41.1235&lon=52.5000&zoom=7" in query.canonical()


def test_time_window_takes_years_months_and_days_as_whole_periods():
    query = parse_query({"from": "2012", "to": "2017-10"}, "map")
    assert query.time == (date(2012, 1, 1), date(2017, 10, 31))
    assert parse_query({"to": "2026-12-31"}, "map").time == (None, date(2026, 12, 31))


def test_the_same_filter_has_the_same_meaning_on_every_face():
    from_map = parse_query({"sectors": "energy", "status": "proposed"}, "map")
    from_api = parse_query({"sector": "energy", "status": "proposed"}, "api")
    from_export = parse_query({"sectors": "energy", "status": "proposed"}, "export")
    assert from_map.sectors == from_api.sectors == from_export.sectors == ("energy",)
    assert from_map.statuses == from_api.statuses == from_export.statuses == ("proposed",)


def test_ogc_properties_become_where_filters_checked_against_their_type():
    layer = LAYERS["pipelines"]
    query = parse_query({"status": "operating", "year_started": "2010"}, "ogc", layer=layer)
    assert query.where == (("status", "operating"), ("year_started", "2010"))
    assert query.layers == ("pipelines",)
    with pytest.raises(QueryError, match="a whole number"):
        parse_query({"year_started": "0.5"}, "ogc", layer=layer)
    with pytest.raises(QueryError, match="valid: proposed"):
        parse_query({"status": "imaginary"}, "ogc", layer=layer)


def test_towns_are_on_unless_switched_off_and_only_off_is_written():
    assert parse_query({}, "map").towns and parse_query({"towns": "on"}, "map") == Query()
    off = parse_query({"towns": "off", "sectors": "energy"}, "export")
    assert off.towns is False and off.canonical() == "sectors=energy&towns=off"
    assert parse_query(off.to_args(), "view") == off  # a shared link reproduces it
    assert off.describe() == ["Energy"]  # a view setting, not a filter
    with pytest.raises(QueryError):
        parse_query({"towns": "off"}, "api")  # providers take no towns


def test_an_empty_datetime_filters_nothing():
    assert parse_query({"datetime": ""}, "ogc", layer=LAYERS["events"]).time is None


@pytest.mark.parametrize(
    ("args", "parameter", "valid"),
    [
        ({"sectors": "energy,culture"}, "sectors", "energy, security, trade"),
        ({"layers": "ports,airports"}, "layers", ", ".join(THEMATIC_LAYERS)),
        ({"layers": "basemap"}, "layers", ", ".join(THEMATIC_LAYERS)),
        ({"lat": "41"}, "lon", "lat and lon together"),
        ({"lat": "95", "lon": "50"}, "lat", "from -90 to 90"),
        ({"lat": "x", "lon": "50"}, "lat", "a number"),
        ({"lat": "40", "lon": "nan"}, "lon", "a number"),
        ({"zoom": "7.5"}, "zoom", "whole number"),
        ({"zoom": "40"}, "zoom", "from 2 to 18"),
        ({"from": "2012-13"}, "from", "YYYY"),
        ({"status": "done"}, "status", "proposed, construction"),
        ({"country": "XXX"}, "country", "TKM"),
        ({"sectors_match": "most"}, "sectors_match", "any, all"),
        ({"towns": "no"}, "towns", "on, off"),
        ({"towns": "OFF"}, "towns", "on, off"),
        ({"sector": "energy"}, "parameter", ", ".join(FACES["map"])),
    ],
)
def test_bad_values_raise_query_error_naming_the_valid_ones(args, parameter, valid):
    with pytest.raises(QueryError) as info:
        parse_query(args, "map")
    assert info.value.parameter == parameter
    assert valid in str(info.value)


def test_a_bad_value_gets_the_same_message_from_every_face():
    messages = set()
    for face in ("map", "export", "api"):
        name = "sector" if face == "api" else "sectors"
        with pytest.raises(QueryError) as info:
            parse_query({name: "culture"}, face)
        messages.add(str(info.value).replace("sector ", "sectors ", 1))
    assert len(messages) == 1


def test_sectors_match_all_keeps_only_features_with_every_sector():
    layer = LAYERS["ports"]
    both = {"sectors": ["energy", "trade"]}
    one = {"sectors": ["trade"]}
    query = Query(sectors=("energy", "trade"), sectors_match="all")
    assert query.matches(both, layer) and not query.matches(one, layer)
    assert Query(sectors=("energy", "trade")).matches(one, layer)


def test_a_nul_in_any_value_is_a_400_and_in_an_id_a_404_on_every_provider(client):
    """Found by the fuzz test on PostGIS, which refuses NUL in text: one answer everywhere."""
    for url in ("/api/layers/ports?q=a%00b", "/ogc/collections/ports/items?name=%00", "/?q=%00"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert "NUL" in response.get_data(as_text=True)
    assert client.get("/ogc/collections/ports/items/port%00").status_code == 404


@pytest.mark.parametrize(
    "tags", ["utm_source=newsletter", "fbclid=IwAR0x", "gclid=abc&utm_medium=mail", "_ga=1.2"]
)
def test_tracking_tags_of_a_forwarded_link_are_ignored(client, tags):
    plain = client.get("/?sectors=energy")
    tagged = client.get(f"/?sectors=energy&{tags}")
    assert tagged.status_code == 200 and tagged.data == plain.data
    assert client.get(f"/api/view?sectors=energy&{tags}").status_code == 200


def test_other_unknown_parameters_keep_their_400(client):
    assert client.get("/?colour=red").status_code == 400
    assert client.get("/?utm=1").status_code == 400  # not a tracking tag: utm_ is


# -- source: the data's vocabulary (registry ids and the articles' tables) -------------------

SECURITY_TABLE = {"area-maritime-safety", "border-tkm-caspian-coast", "programme-cyber-defense"}


def _ids(catalog, query) -> set[str]:
    return {f["properties"]["id"] for fs in catalog.query(query).values() for f in fs}


def test_source_values_are_the_registry_ids_and_the_article_tables(catalog):
    values = catalog.source_values()
    assert set(catalog.sources) <= set(values)
    assert [v for v in values if ":" in v] == [
        "rt-2025:energy",
        "rt-2025:security",
        "rt-2025:trade",
    ]
    assert values.index("rt-2025:energy") == values.index("rt-2025") + 1


def test_a_table_keeps_its_rows_and_an_article_every_feature_citing_it(catalog):
    values = catalog.source_values()
    security = parse_query({"source": "rt-2025:security"}, "map", sources=values)
    assert security.sources == ("rt-2025:security",)
    assert security.canonical() == "source=rt-2025:security"
    assert _ids(catalog, security) == SECURITY_TABLE
    tables = parse_query({"source": "rt-2025:trade,rt-2025:energy"}, "map", sources=values)
    assert tables.sources == ("rt-2025:energy", "rt-2025:trade")  # vocabulary order
    rows = _ids(catalog, tables)
    assert len(rows) == 6 and not rows & SECURITY_TABLE
    article = _ids(catalog, Query(sources=("rt-2025",)))
    assert rows | SECURITY_TABLE < article  # the article is cited beyond its tables
    either = _ids(catalog, Query(sources=("rt-2025:security", "arabnews-hazar-2012")))
    assert either == SECURITY_TABLE | {"event-2012-turkmen-naval-drill"}
    assert _ids(catalog, Query(sources=())) == set()


@pytest.mark.parametrize("raw", ["nope", "rt-2025:cyber", "natural-earth:security", "RT-2025"])
def test_an_unknown_source_is_refused_naming_the_valid_ones(catalog, raw):
    values = catalog.source_values()
    with pytest.raises(QueryError) as caught:
        parse_query({"source": raw}, "map", sources=values)
    assert caught.value.parameter == "source" and list(caught.value.valid) == list(values)


def test_source_is_a_filter_of_every_face_but_ogc(client):
    for url in ("/?source=nope", "/api/view?source=nope", "/export.csv?source=nope",
                "/api/layers/ports?source=nope"):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 400, url
        assert "rt-2025:security" in response.get_data(as_text=True), url
    rows = client.get("/api/layers/programmes?source=rt-2025:security").get_json()["features"]
    assert [f["properties"]["id"] for f in rows] == ["programme-cyber-defense"]
    view = client.get("/api/view?source=rt-2025:security").get_json()
    assert set(view["features"]) == SECURITY_TABLE and view["query"] == "source=rt-2025:security"
    assert "source=rt-2025:security" in view["exports"]["csv"]
    assert client.get("/ogc/collections/ports/items?source=rt-2025").status_code == 400


def test_describe_names_the_source_filter():
    query = Query(sources=("rt-2025:security", "diplomat-2017"))
    assert query.describe() == ["source rt-2025 security table, diplomat-2017"]


def test_a_face_taking_source_must_pass_the_vocabulary():
    with pytest.raises(TypeError):
        parse_query({"source": "rt-2025"}, "map")
