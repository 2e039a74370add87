"""Exports write valid files with every attribute, atomically (never a partial file)."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET

import pyogrio
import pytest
import shapely
from shapely.geometry import shape

from geoapp.data.query import Query, parse_query
from geoapp.export import formats as exporters
from geoapp.maps.printed import figure as render
from geoapp.maps.printed.page import Page

SMALL = exporters.ExportOptions(page=Page.from_pixels(800, 560, dpi=100))
KML = "{http://www.opengis.net/kml/2.2}"


def parse_selection(
    sectors: str | None = None, layers: str | None = None, towns: str | None = None
) -> Query:
    """What an export with these ``sectors`` and ``layers`` shows (the Caspian region)."""
    given = {"sectors": sectors, "layers": layers, "towns": towns}
    return exporters.export_query(
        parse_query({k: v for k, v in given.items() if v is not None}, "export")
    )


def selected(catalog, selection) -> list[dict]:
    return [f for fs in catalog.query(selection).values() for f in fs]


def thematic(features: list[dict]) -> list[dict]:
    """The features of a data export without its towns (the ``places`` layer)."""
    return [f for f in features if f["properties"]["layer"] != "places"]


def same_value(written, authored) -> bool:
    """A written cell equals the authored property (lists and objects travel as JSON text)."""
    if isinstance(authored, list | dict):
        return json.loads(written) == authored
    if authored is None:
        return (
            written is None or written == "" or (isinstance(written, float) and math.isnan(written))
        )
    if isinstance(authored, int | float) and not isinstance(authored, bool):
        return float(written) == pytest.approx(float(authored))
    return str(written) == str(authored)


def assert_same_attributes(rows: list[dict], features: list[dict]) -> None:
    by_id = {r["id"]: r for r in rows}
    assert sorted(by_id) == sorted(f["properties"]["id"] for f in features)
    for feature in features:
        row = by_id[feature["properties"]["id"]]
        for name, value in feature["properties"].items():
            assert same_value(row[name], value), (feature["properties"]["id"], name)


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_image_formats_write_valid_files(catalog, tmp_path, fmt):
    path = exporters.write_export(catalog, parse_selection(), fmt, tmp_path / f"map.{fmt}", SMALL)
    data = path.read_bytes()
    assert len(data) > 10_000
    if fmt == "png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
    elif fmt == "pdf":
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    else:
        assert ET.fromstring(data).tag == "{http://www.w3.org/2000/svg}svg"


def test_geojson_holds_the_selected_features_as_authored(catalog, tmp_path):
    selection = parse_selection("security")
    path = exporters.write_export(catalog, selection, "geojson", tmp_path / "m.geojson")
    doc = json.loads(path.read_text(encoding="utf-8"))
    features = selected(catalog, selection)
    assert features and doc["features"][: len(features)] == features  # the towns come after
    assert thematic(doc["features"]) == features
    assert all("security" in f["properties"]["sectors"] for f in features)
    cited = {s["article"] for f in features for s in f["properties"]["sources"]}
    assert set(doc["sources"]) == cited
    frame = pyogrio.read_dataframe(path)  # and GDAL reads it
    assert list(frame["id"])[: len(features)] == [f["properties"]["id"] for f in features]


def test_geopackage_reads_back_with_every_attribute(catalog, tmp_path):
    selection = parse_selection()
    path = exporters.write_export(catalog, selection, "gpkg", tmp_path / "m.gpkg")
    by_layer = catalog.query(selection)
    layers = [name for name, _ in pyogrio.list_layers(path)]
    assert layers == [*(layer for layer, fs in by_layer.items() if fs), "places"]
    for layer in layers[:-1]:
        frame = pyogrio.read_dataframe(path, layer=layer)
        assert frame.crs.to_epsg() == 4326
        assert_same_attributes(frame.drop(columns="geometry").to_dict("records"), by_layer[layer])
        for geom, feature in zip(frame.geometry, by_layer[layer], strict=True):
            assert geom.equals_exact(shape(feature["geometry"]), 1e-9)


def test_csv_has_wkt_geometry_and_every_attribute(catalog, tmp_path):
    selection = parse_selection("trade", "ports,corridors")
    path = exporters.write_export(catalog, selection, "csv", tmp_path / "m.csv")
    features = selected(catalog, selection)
    frame = pyogrio.read_dataframe(path)  # GDAL's CSV driver takes the WKT column as geometry
    rows = [
        {k: (v or None) for k, v in r.items()}
        for r in frame.drop(columns="geometry").to_dict("records")
        if r["layer"] != "places"
    ]
    assert_same_attributes(rows, features)
    assert frame.geometry.iloc[0].equals_exact(shape(features[0]["geometry"]), 1e-6)


def test_kml_parses_with_a_placemark_per_feature(catalog, tmp_path):
    selection = parse_selection("energy")
    path = exporters.write_export(catalog, selection, "kml", tmp_path / "m.kml")
    root = ET.parse(path).getroot()
    placemarks = [p for p in root.iter(f"{KML}Placemark") if not p.get("id").startswith("place-")]
    ids = [p.get("id") for p in placemarks]
    assert sorted(ids) == sorted(f["properties"]["id"] for f in selected(catalog, selection))
    names = {p.findtext(f"{KML}name") for p in placemarks}
    assert names == {f["properties"]["name"] for f in selected(catalog, selection)}


def test_empty_selection_still_writes_a_valid_file(catalog, tmp_path):
    selection = parse_selection(sectors="", towns="off")
    for fmt in ("geojson", "gpkg", "kml", "csv"):
        path = exporters.write_export(catalog, selection, fmt, tmp_path / f"empty.{fmt}")
        assert path.stat().st_size > 0
    assert json.loads((tmp_path / "empty.geojson").read_text())["features"] == []
    assert len(pyogrio.read_dataframe(tmp_path / "empty.gpkg")) == 0


def test_export_bytes_match_the_written_file(catalog, tmp_path):
    selection = parse_selection("energy")
    path = exporters.write_export(catalog, selection, "csv", tmp_path / "m.csv")
    assert exporters.export_bytes(catalog, selection, "csv") == path.read_bytes()


@pytest.mark.parametrize("error", [RuntimeError("disk on fire"), KeyboardInterrupt()])
def test_failing_midway_keeps_the_old_file_and_leaves_no_temp(
    catalog, tmp_path, monkeypatch, error
):
    target = tmp_path / "map.png"
    target.write_bytes(b"the previous map")

    def half_then_fail(catalog, selection, out, fmt, **kwargs):
        with open(out, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n half a map")
        raise error

    monkeypatch.setattr(render, "render_map", half_then_fail)
    with pytest.raises(type(error)):
        exporters.write_export(catalog, parse_selection(), "png", target, SMALL)
    assert target.read_bytes() == b"the previous map"
    assert [p.name for p in tmp_path.iterdir()] == ["map.png"]


def test_failing_drawing_creates_no_file(catalog, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("a style went wrong")

    monkeypatch.setattr(render, "draw_labels", broken)
    with pytest.raises(ValueError):
        exporters.write_export(catalog, parse_selection(), "svg", tmp_path / "m.svg", SMALL)
    assert list(tmp_path.iterdir()) == []


def test_success_replaces_the_old_file(catalog, tmp_path):
    target = tmp_path / "m.geojson"
    target.write_text("old")
    exporters.write_export(catalog, parse_selection(), "geojson", target)
    assert json.loads(target.read_text())["type"] == "FeatureCollection"
    assert [p.name for p in tmp_path.iterdir()] == ["m.geojson"]


def test_format_is_named_by_the_extension():
    assert exporters.format_of("a/map.PNG") == "png"
    assert exporters.format_of("x.json") == "geojson"
    assert exporters.format_of("x.txt") is None


def test_attribute_table_keeps_numbers_numeric():
    from tests.factories import make_feature

    feature = make_feature("pipelines", length_km=1814.5, year_started=2015)
    table = exporters.attribute_table([feature])
    assert table["length_km"].dtype.kind == "f" and table["year_started"].iloc[0] == 2015
    assert shapely.get_num_points(table.geometry.iloc[0]) == 2
