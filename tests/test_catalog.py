"""The catalog: one door to the data over either provider, answering a Query by layer, sector,
status, bbox, completion and name, one feature by id, and what each layer holds."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import date

import pytest

from geoapp import create_app, load_catalog
from geoapp.data.catalog import Catalog
from geoapp.data.query import Query, parse_list, parse_query
from geoapp.data.schema import THEMATIC_LAYERS
from geoapp.errors import DataError, QueryError
from tests.data import features
from tests.factories import make_feature, write_data_dir

POINT = {"type": "Point", "coordinates": [51.17, 43.6]}
FAR = {"type": "Point", "coordinates": [58.38, 37.95]}


@pytest.fixture(params=["files", "postgis"])
def small(request, tmp_path) -> Catalog:
    """Two ports (and one feature in every other layer), through each provider."""
    ports = [
        make_feature("ports", "port-a", POINT, name="Port of Aktau", sector="trade",
                     sectors=["trade"], expected_completion="2027", completion_date="2027-12-31"),
        make_feature("ports", "port-b", FAR, name="Inland port", sector="energy",
                     sectors=["energy", "security"], status="proposed",
                     expected_completion="Q4 2025", completion_date="2025-12-31"),
    ]  # fmt: skip
    data_dir = write_data_dir(tmp_path, {"ports": ports})
    if request.param == "files":
        return load_catalog({"DATA_DIR": str(data_dir)})
    from geoapp.data import db

    url = request.getfixturevalue("new_database")()
    db.load(url, data_dir)
    catalog = load_catalog({"DATA_DIR": str(data_dir), "DATABASE_URL": url})
    request.addfinalizer(catalog.provider.close)
    return catalog


def ids(features):
    return [f["properties"]["id"] for f in features]


def test_every_layer_is_described_with_its_count_bbox_and_sectors(small):
    ports = small.layer("ports")
    assert ports.id == "ports" and ports.layer.title == "Ports"
    assert ports.count == 2
    assert ports.bbox == pytest.approx((51.17, 37.95, 58.38, 43.6), abs=1e-12)
    assert ports.sectors == ("energy", "security", "trade")
    assert ids(features(small, "ports")) == ["port-a", "port-b"]
    assert list(small.layers()) == [*THEMATIC_LAYERS, "basemap"]
    assert small.layer("basemap").sectors == ()
    assert small.layer("basemap").vocabularies["iso_a3"] == ["TKM"]


def test_filters_by_sector_status_bbox_completion_and_name(small):
    assert ids(features(small, "ports", sectors=["security"])) == ["port-b"]
    assert ids(features(small, "ports", sectors=["security", "trade"])) == ["port-a", "port-b"]
    assert ids(features(small, "ports", statuses=["operating"])) == ["port-a"]
    assert ids(features(small, "ports", bbox=(50, 43, 52, 44))) == ["port-a"]
    assert ids(features(small, "ports", bbox=(0, 0, 1, 1))) == []
    assert ids(features(small, "ports", completed_by=date(2026, 1, 1))) == ["port-b"]
    assert ids(features(small, "ports", text="aktau")) == ["port-a"]


def test_a_query_is_answered_per_layer_in_layer_order(small):
    answer = small.query(Query(layers=("ports", "basemap"), sectors=("trade",)))
    assert list(answer) == ["ports", "basemap"]
    assert ids(answer["ports"]) == ["port-a"]
    assert ids(answer["basemap"]) == ["basemap-one"]
    assert small.query(Query(layers=())) == {}


def test_a_page_says_how_many_match_and_carries_the_encoded_features(small):
    every = Query(layers=("ports",))
    first = small.page(every, "ports", limit=1)
    assert (first.layer, first.matched, ids(first.features)) == ("ports", 2, ["port-a"])
    assert len(first.encoded) == 1 and b'"id":"port-a"' in first.encoded[0]
    second = small.page(every, "ports", limit=1, offset=1)
    assert (second.matched, ids(second.features)) == (2, ["port-b"])
    assert small.page(every, "ports", offset=2).features == []
    assert small.page(every.replace(statuses=("retired",)), "ports").matched == 0


def test_the_basemap_ignores_sector_filters(small):
    assert len(features(small, "basemap", sectors=["trade"])) == 1


def test_unknown_values_raise_query_errors_naming_the_valid_ones():
    with pytest.raises(QueryError, match="valid: energy, security, trade"):
        parse_query({"sectors": "fishing"}, "map")
    with pytest.raises(QueryError, match="invalid layers 'nope'; valid: caspian, pipelines"):
        parse_query({"layers": "nope"}, "map")
    with pytest.raises(QueryError, match="invalid status"):
        parse_query({"status": "planned"}, "map")


def test_feature_lookup_by_id(small):
    assert small.get("port-b")["properties"]["name"] == "Inland port"
    assert small.get("basemap-one")["properties"]["layer"] == "basemap"
    assert small.get("missing") is None


def test_sources_and_build_info_come_from_the_data(small):
    assert set(small.sources) == {"rt-2025", "ref"}
    assert small.sources["ref"]["url"] == "https://example.org/"
    assert dict(small.build_info) == {}  # the small directory has no build.json


def test_memo_builds_once_per_data_version_and_key(small):
    calls: list[str] = []

    def build(value: str):
        def make():
            calls.append(value)
            return [value]

        return make

    first = small.memo("key", build("a"))
    assert small.memo("key", build("b")) is first and first == ["a"]
    assert small.memo("other", build("c")) == ["c"]
    assert calls == ["a", "c"]


def test_concurrent_misses_build_once(small):
    started, calls = threading.Event(), []

    def slow():
        calls.append(1)
        started.wait(5)
        return object()

    results = []
    threads = [
        threading.Thread(target=lambda: results.append(small.memo("slow", slow))) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.1)  # every thread is in memo() by now, waiting for the first build
    started.set()
    for thread in threads:
        thread.join(10)
    assert len(calls) == 1 and len({id(r) for r in results}) == 1 and len(results) == 4


def test_broken_data_stops_loading_with_the_validator_lines(tmp_path, capsys):
    write_data_dir(tmp_path, {"ports": [make_feature("ports", status="planned")]})
    with pytest.raises(DataError) as exc:
        load_catalog({"DATA_DIR": str(tmp_path)})
    assert str(exc.value).startswith("ports.geojson: ports-one: unknown status 'planned'")
    with pytest.raises(SystemExit) as stop:
        create_app({"DATA_DIR": str(tmp_path)})
    assert stop.value.code == 3
    assert capsys.readouterr().err.splitlines() == [
        str(exc.value),
        "geoapp: refusing to start: the data does not validate",
    ]


def test_serve_refuses_to_start_on_broken_data_without_a_traceback(tmp_path):
    write_data_dir(tmp_path, {"ports": [make_feature("ports", sector="fishing")]})
    done = subprocess.run(
        [sys.executable, "-m", "geoapp", "serve", "--data-dir", str(tmp_path), "--port", "0"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 3
    assert "ports.geojson: ports-one: unknown sector 'fishing'" in done.stderr
    assert "refusing to start" in done.stderr
    assert "Traceback" not in done.stderr


def test_one_comma_list_rule_for_every_interface():
    valid = ["energy", "security", "trade"]
    assert parse_list("sectors", None, valid) is None  # absent: all
    assert parse_list("sectors", "", valid) == ()  # empty: none
    assert parse_list("sectors", " trade , energy,trade,", valid) == ("energy", "trade")
    with pytest.raises(QueryError, match="invalid sectors 'oil'; valid: energy, security, trade"):
        parse_list("sectors", "energy,oil", valid)


@pytest.mark.parametrize("path", ["/?sectors=%20energy", "/api/layers/ports?sector=%20energy",
                                  "/export.geojson?sectors=%20energy"])  # fmt: skip
def test_blanks_around_list_values_mean_the_same_everywhere(client, path):
    assert client.get(path).status_code == 200
