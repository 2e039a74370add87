"""Data is never code (issue 8): hostile text in every field is shown as typed, nowhere run.

The data copy comes from :mod:`tests.hostile`. Browser-side checks live in
``tests/browser/test_hostile_page.py``; these check the server side: the app
starts, ``validate`` accepts text and refuses hostile ids and URLs, and every
export format carries the text exactly, with no template evaluated.
"""

from __future__ import annotations

import csv
import html
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pyogrio
import pytest

from geoapp import create_app
from geoapp.data.validate import validate_dir
from geoapp.export.formats import FORMATS
from tests.factories import make_feature, write_data_dir
from tests.hostile import CANARY, PAYLOAD, hostile_data_dir


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    return hostile_data_dir(tmp_path_factory.mktemp("hostile") / "data")


@pytest.fixture(scope="module")
def hostile_client(hostile):
    app = create_app({"TESTING": True, "DATA_DIR": str(hostile)})
    return app.test_client()


def typed_names(data_dir: Path, layer: str) -> dict[str, str]:
    doc = json.loads((data_dir / f"{layer}.geojson").read_text(encoding="utf-8"))
    return {f["properties"]["id"]: f["properties"]["name"] for f in doc["features"]}


def test_hostile_text_validates_because_it_is_only_text(hostile):
    assert validate_dir(hostile) == []
    assert PAYLOAD in next(iter(typed_names(hostile, "ports").values()))


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_export_format_carries_hostile_text_without_running_it(
    hostile_client, hostile, fmt, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    response = hostile_client.get(f"/export.{fmt}?layers=ports,pipelines")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    body = response.data
    names = {**typed_names(hostile, "ports"), **typed_names(hostile, "pipelines")}
    if fmt == "geojson":
        features = json.loads(body)["features"]
        got = {f["properties"]["id"]: f["properties"]["name"] for f in features}
        # The box's towns follow the features (real GeoNames names; their own hostile
        # case: tests/test_export_places.py).
        assert {i: n for i, n in got.items() if not i.startswith("place-")} == names
    elif fmt == "gpkg":
        path = tmp_path / "x.gpkg"
        path.write_bytes(body)
        got = {}
        for layer in ("ports", "pipelines"):
            frame = pyogrio.read_dataframe(path, layer=layer)
            got.update(zip(frame["id"], frame["name"], strict=True))
        assert got == names
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
        assert {r["id"]: r["name"] for r in rows if r["layer"] != "places"} == names
    elif fmt == "kml":
        root = ET.fromstring(body)
        texts = [e.text for e in root.iter() if e.tag.endswith("}name")]
        # KML viewers show names as HTML, so the file carries them HTML-escaped: shown as
        # typed, never run (tests/test_export_safety.py).
        assert {html.escape(name, quote=False) for name in names.values()} <= set(texts)
    elif fmt == "svg":
        ET.fromstring(body)  # well-formed: no text broke out of its element
    elif fmt == "pdf":
        assert body.startswith(b"%PDF")
    elif fmt == "png":
        assert body.startswith(b"\x89PNG")
    elif fmt == "html":
        text = body.decode("utf-8")
        # The text is in the JSON data block, escaped for a script element, as typed.
        assert json.dumps("{{7*7}}")[1:-1] in text
        assert "</script><img" not in text
    assert not (tmp_path / CANARY).exists() and not (Path.cwd() / CANARY).exists()


def test_cli_html_export_of_hostile_data_runs_no_template(hostile, tmp_path, runner, monkeypatch):
    from geoapp.cli import cli

    monkeypatch.chdir(tmp_path)
    out = tmp_path / "map.html"
    result = runner.invoke(
        cli, ["export", "--out", str(out), "--data-dir", str(hostile), "--title", PAYLOAD]
    )
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "{{7*7}}" in text and "<title>" in text
    assert not (tmp_path / CANARY).exists()


def test_summary_with_a_template_comment_opener_exports(tmp_path, runner):
    from geoapp.cli import cli

    data = write_data_dir(
        tmp_path / "d", {"ports": [make_feature("ports", summary="{#2 in table}")]}
    )
    out = tmp_path / "m.html"
    result = runner.invoke(cli, ["export", "--out", str(out), "--data-dir", str(data)])
    assert result.exit_code == 0, result.output
    assert "{#2 in table}" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "fid", ["{{7*7}}", "a b", "x</script>", "UPPER", "dash--dash", "-lead", "ünï"]
)
def test_validate_refuses_hostile_ids_in_every_layer(tmp_path, fid):
    data = write_data_dir(
        tmp_path / "d",
        {
            "ports": [make_feature("ports", fid=fid)],
            "basemap": [make_feature("basemap", fid=fid + "-b" if fid[-1].isalnum() else fid)],
        },
    )
    problems = [str(p) for p in validate_dir(data)]
    assert any(p.startswith("ports.geojson:") and "must be lowercase" in p for p in problems)
    assert any(p.startswith("basemap.geojson:") and "must be lowercase" in p for p in problems)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "//example.org/x",
        "https://",
        " https://example.org/",
        "https://exa\nmple.org/",
        "vbscript:msgbox",
    ],
)
def test_validate_refuses_source_urls_that_are_not_http(tmp_path, url):
    sources = {
        "rt-2025": {"kind": "article", "title": "Test article 2025"},
        "ref": {"kind": "reference", "title": "Reference", "url": url, "accessed": "2026-12-01"},
    }
    data = write_data_dir(tmp_path / "d", sources=sources)
    problems = [str(p) for p in validate_dir(data)]
    assert problems == [f"sources.json: ref: 'url' must be an http or https URL, got {url!r}"]


def test_validate_accepts_http_and_https_source_urls(tmp_path):
    sources = {
        "rt-2025": {
            "kind": "article",
            "title": "A",
            "url": "http://example.org/a?b=c#d",
            "accessed": "2026-12-01",
        },
        "ref": {
            "kind": "reference",
            "title": "B",
            "url": "https://example.org/",
            "accessed": "2026-12-01",
        },
    }
    assert validate_dir(write_data_dir(tmp_path / "d", sources=sources)) == []
