"""The catalog: loads a data directory once and answers queries by layer, sector, status, bbox."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest

from geoapp import create_app
from geoapp.catalog import Catalog, DataError, QueryError
from tests.factories import make_feature, write_data_dir


@pytest.fixture
def small(tmp_path) -> Catalog:
    point = {"type": "Point", "coordinates": [51.17, 43.6]}
    far = {"type": "Point", "coordinates": [58.38, 37.95]}
    ports = [
        make_feature("ports", "port-a", point, name="Port of Aktau", sector="trade",
                     sectors=["trade"], expected_completion="2027", completion_date="2027-12-31"),
        make_feature("ports", "port-b", far, name="Inland port", sector="energy",
                     sectors=["energy", "security"], status="proposed",
                     expected_completion="Q4 2025", completion_date="2025-12-31"),
    ]  # fmt: skip
    return Catalog(write_data_dir(tmp_path, {"ports": ports}))


def ids(features):
    return [f["properties"]["id"] for f in features]


def test_every_layer_is_loaded_with_its_bbox_and_sectors(small):
    ports = small.layer("ports")
    assert ids(ports.features) == ["port-a", "port-b"]
    assert ports.bbox == (51.17, 37.95, 58.38, 43.6)
    assert ports.sectors == ("energy", "security", "trade")
    assert ports.frame.crs.to_epsg() == 4326
    assert list(ports.frame["id"]) == ["port-a", "port-b"]


def test_filters_by_sector_status_bbox_completion_and_name(small):
    assert ids(small.features("ports", sectors=["security"])) == ["port-b"]
    assert ids(small.features("ports", sectors=["security", "trade"])) == ["port-a", "port-b"]
    assert ids(small.features("ports", statuses=["operating"])) == ["port-a"]
    assert ids(small.features("ports", bbox=(50, 43, 52, 44))) == ["port-a"]
    assert ids(small.features("ports", bbox=(0, 0, 1, 1))) == []
    assert ids(small.features("ports", completed_by=date(2026, 1, 1))) == ["port-b"]
    assert ids(small.features("ports", q="aktau")) == ["port-a"]


def test_the_basemap_ignores_sector_filters(small):
    assert len(small.features("basemap", sectors=["trade"])) == 1


def test_unknown_values_raise_query_errors_naming_the_valid_ones(small):
    with pytest.raises(QueryError, match="valid: energy, security, trade"):
        small.features("ports", sectors=["fishing"])
    with pytest.raises(QueryError, match="invalid layer 'nope'; valid: caspian, pipelines"):
        small.layer("nope")
    with pytest.raises(QueryError, match="invalid status"):
        small.features("ports", statuses=["planned"])


def test_feature_lookup_by_id(small):
    assert small.feature("port-b")["properties"]["name"] == "Inland port"
    assert small.feature("missing") is None


def test_broken_data_stops_loading_with_the_validator_lines(tmp_path, capsys):
    write_data_dir(tmp_path, {"ports": [make_feature("ports", status="planned")]})
    with pytest.raises(DataError) as exc:
        Catalog(tmp_path)
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
    from geoapp.catalog import parse_list

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
