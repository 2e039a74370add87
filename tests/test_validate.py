"""Each validation rule, proved on a small bad file written in tmp_path."""

from __future__ import annotations

import json

import pytest

from geoapp.cli import main
from geoapp.data.validate import validate_dir
from tests.factories import make_feature, write_data_dir


def messages(path) -> list[str]:
    return [str(p) for p in validate_dir(path)]


def test_a_clean_directory_has_no_problems(tmp_path):
    assert messages(write_data_dir(tmp_path)) == []


def test_the_bundled_data_is_clean():
    from geoapp.config import DEFAULTS

    assert messages(DEFAULTS["DATA_DIR"]) == []


@pytest.mark.parametrize(
    ("layer", "overrides", "expected"),
    [
        ("ports", {"sector": "fishing"}, "ports.geojson: ports-one: unknown sector 'fishing'"),
        ("ports", {"sectors": ["energy", "spying"]}, "unknown sector 'spying' in 'sectors'"),
        ("ports", {"sector": "security"}, "'sectors' must include the primary sector 'security'"),
        ("ports", {"sectors": ["trade", "trade"]}, "'sectors' lists a sector twice"),
        ("ports", {"status": "planned"}, "unknown status 'planned'; valid: proposed"),
        ("ports", {"status": "event"}, "an event needs a 'date'"),
        ("ports", {"name": None}, "missing required property 'name'"),
        ("ports", {"summary": ""}, "'summary' must be a non-empty string"),
        ("ports", {"colour": "red"}, "unknown property 'colour'"),
        ("ports", {"layer": "pipelines"}, "layer 'pipelines' does not match its file"),
        ("ports", {"country": ["XXX"]}, "unknown country code 'XXX'"),
        ("ports", {"length_km": -3}, "'length_km' must be a positive number"),
        ("ports", {"year_started": "1970"}, "'year_started' must be a year"),
        ("events", {"status": "event", "date": "Oct 2017"}, "bad 'date'"),
        ("ports", {"expected_completion": "Q4 2025"},
         "completion_date must be 2025-12-31 for expected_completion 'Q4 2025'"),
        ("ports", {"expected_completion": "Q4 2025", "completion_date": "2025-10-01"},
         "completion_date must be 2025-12-31"),
        ("ports", {"expected_completion": "someday", "completion_date": "2025-12-31"},
         "unrecognised expected completion 'someday'"),
        ("ports", {"completion_date": "2025-12-31"}, "completion_date without expected_completion"),
        ("ports", {"sources": []}, "'sources' must be a non-empty list"),
        ("ports", {"sources": [{"article": "rt-2025"}]}, "each source must be {article, section}"),
        ("ports", {"sources": [{"article": "nowhere", "section": "x"}]},
         "source 'nowhere' is not in sources.json"),
        ("ports", {"sources": [{"article": "rt-2025", "section": "x"}] * 2},
         "source listed twice: rt-2025 / x"),
        ("ports", {"id": "Port Aktau"}, "id 'Port Aktau' must be lowercase"),
        ("ports", {"aliases": "Aqtau"}, "'aliases' must be a non-empty list of strings"),
        ("ports", {"aliases": ["Aqtau", ""]}, "'aliases' must be a non-empty list of strings"),
        ("ports", {"aliases": ["Aqtau", "AQTAU"]}, "'aliases' lists a name twice"),
        ("ports", {"aliases": ["Ports one"]}, "'aliases' repeats the name"),
    ],
)  # fmt: skip
def test_property_rules(tmp_path, layer, overrides, expected):
    write_data_dir(tmp_path, {layer: [make_feature(layer, **overrides)]})
    found = messages(tmp_path)
    assert any(expected in m for m in found), found


@pytest.mark.parametrize(
    ("layer", "geometry", "expected"),
    [
        ("ports", {"type": "LineString", "coordinates": [[50, 40], [51, 41]]},
         "geometry type 'LineString' not allowed in layer 'ports'; allowed: Point, MultiPoint"),
        ("ports", {"type": "Point", "coordinates": [40.0, 200.0]}, "coordinate out of range"),
        ("ports", {"type": "Point", "coordinates": [40.0]}, "malformed coordinates"),
        ("ports", {"type": "Point", "coordinates": []}, "empty geometry"),
        ("caspian", {"type": "Polygon", "coordinates": [[[50, 40], [52, 42], [52, 40], [50, 42],
                                                         [50, 40]]]},
         "invalid geometry: Self-intersection"),
        ("pipelines", None, "no geometry"),
    ],
)  # fmt: skip
def test_geometry_rules(tmp_path, layer, geometry, expected):
    feature = make_feature(layer)
    feature["geometry"] = geometry
    write_data_dir(tmp_path, {layer: [feature]})
    found = messages(tmp_path)
    assert any(expected in m for m in found), found


def test_ids_must_be_unique_across_layers(tmp_path):
    write_data_dir(
        tmp_path,
        {
            "ports": [make_feature("ports", "same-id")],
            "events": [make_feature("events", "same-id")],
        },
    )
    assert "events.geojson: same-id: duplicate id: also in ports.geojson" in messages(tmp_path)


def test_file_level_problems(tmp_path):
    write_data_dir(tmp_path, {"events": []})
    (tmp_path / "ports.geojson").write_text("{not json")
    (tmp_path / "pipelines.geojson").write_text(json.dumps({"type": "Feature"}))
    doc = {
        "type": "FeatureCollection",
        "crs": {"type": "name"},
        "features": [make_feature("borders")],
    }
    (tmp_path / "borders.geojson").write_text(json.dumps(doc))
    (tmp_path / "naval_bases.geojson").unlink()
    (tmp_path / "extra.geojson").write_text("{}")
    found = messages(tmp_path)
    assert "events.geojson: *: layer is empty" in found
    assert any(m.startswith("ports.geojson: *: not valid JSON") for m in found)
    assert "pipelines.geojson: *: not a GeoJSON FeatureCollection" in found
    assert "borders.geojson: *: has a 'crs' member; RFC 7946 data is WGS84 only" in found
    assert "naval_bases.geojson: *: missing: every layer needs its file" in found
    assert any(m.startswith("extra.geojson: *: unknown layer file") for m in found)


def test_source_registry_is_checked(tmp_path):
    write_data_dir(tmp_path, sources={"rt-2025": {"kind": "blog", "title": "x"}, "ref": {}})
    found = messages(tmp_path)
    assert "sources.json: rt-2025: 'kind' must be one of article, reference, dataset" in found
    assert "sources.json: ref: each source needs a 'title' string" in found


def test_basemap_features_have_their_own_schema(tmp_path):
    write_data_dir(
        tmp_path, {"basemap": [make_feature("basemap", iso_a3="tkm", name=None, sector="energy")]}
    )
    found = messages(tmp_path)
    assert "basemap.geojson: basemap-one: missing required property 'name'" in found
    assert (
        "basemap.geojson: basemap-one: 'iso_a3' must be an ISO 3166-1 alpha-3 code or null, "
        "got 'tkm'"
    ) in found
    assert "basemap.geojson: basemap-one: unknown property 'sector'" in found


def test_cli_validate_exits_0_when_clean(tmp_path, capsys):
    main(["validate", str(write_data_dir(tmp_path))])  # returns: exit status 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip().endswith(": valid")


def test_cli_validate_prints_one_line_per_problem_and_exits_1(tmp_path, capsys):
    write_data_dir(tmp_path, {"ports": [make_feature("ports", sector="fishing", status="x")]})
    with pytest.raises(SystemExit) as exc:
        main(["validate", str(tmp_path)])
    assert exc.value.code == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "ports.geojson: ports-one: unknown sector 'fishing'; valid: energy, security, trade",
        "ports.geojson: ports-one: unknown status 'x'; valid: proposed, construction, operating, "
        "shelved, cancelled, mothballed, retired, event, area, boundary",
    ]


def test_cli_validate_on_a_missing_directory_exits_1(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["validate", str(tmp_path / "nope")])
    assert exc.value.code == 1
    assert "no such directory" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "expected"),
    [("{bad", "build.json: *: not valid JSON"), ("[1, 2]", "build.json: *: must be a JSON object")],
)
def test_build_info_must_be_a_json_object(tmp_path, text, expected):
    write_data_dir(tmp_path)
    (tmp_path / "build.json").write_text(text)
    assert any(m.startswith(expected) for m in messages(tmp_path))
