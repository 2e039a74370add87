"""``geoapp export``: formats, series, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from geoapp.cli import main
from geoapp.data.schema import SECTORS
from geoapp.maps.printed.page import MAX_TITLE, PAGE_HINT

#: What a page-size error says: the whole rule, inches, pixels and dpi.
PAGE_RULE = PAGE_HINT

GEOAPP = Path(sys.executable).with_name("geoapp")


def run(capsys, *args: str) -> tuple[int, str, str]:
    """Run the CLI in-process as the console script does; return (code, stdout, stderr)."""
    try:
        main(["export", *args])
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    out = capsys.readouterr()
    return code, out.out, out.err


def test_png_from_the_out_extension_at_the_requested_size(capsys, tmp_path):
    out = tmp_path / "caspian.png"
    code, stdout, _ = run(capsys, "--out", str(out), "--size", "640x480")
    assert code == 0 and stdout.strip() == str(out)
    with Image.open(out) as image:
        assert image.size == (640, 480)


def test_width_and_height_in_inches_times_dpi(capsys, tmp_path):
    out = tmp_path / "m.png"
    code, _, _ = run(capsys, "--out", str(out), "--width", "8", "--height", "5", "--dpi", "100")
    assert code == 0
    with Image.open(out) as image:
        assert image.size == (800, 500)


def test_format_option_writes_data_with_the_selected_sector(capsys, tmp_path, monkeypatch, backend):
    for key, value in backend.items():  # the command reads its provider from GEOAPP_*
        monkeypatch.setenv(f"GEOAPP_{key}", value)
    out = tmp_path / "trade"
    code, _, _ = run(capsys, "--format", "geojson", "--out", str(out), "--sectors", "trade")
    assert code == 0
    features = json.loads(out.read_text())["features"]
    features = [f for f in features if f["properties"]["layer"] != "places"]  # the towns
    assert features and all("trade" in f["properties"]["sectors"] for f in features)


def test_each_sector_writes_one_file_per_sector(capsys, tmp_path):
    out = tmp_path / "map.csv"
    code, stdout, _ = run(capsys, "--out", str(out), "--each", "sector")
    assert code == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == sorted(f"map-{s}.csv" for s in SECTORS)
    assert stdout.split() == [str(tmp_path / f"map-{s}.csv") for s in SECTORS]


def test_each_layer_follows_the_selected_layers(capsys, tmp_path):
    out = tmp_path / "m.geojson"
    code, _, _ = run(capsys, "--out", str(out), "--layers", "ports,pipelines", "--each", "layer")
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m-pipelines.geojson", "m-ports.geojson"]
    layers = {
        f["properties"]["layer"]
        for f in json.loads((tmp_path / "m-ports.geojson").read_text())["features"]
    }
    assert layers == {"ports", "places"}  # each file has the box's towns


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "map.xyz"], "give --format"),
        ([], "give --format"),
        (
            ["--format", "jpeg", "--out", "m.jpeg"],
            "valid: png, svg, pdf, html, geojson, gpkg, kml, csv",
        ),
        (["--format", "svg", "--out", "m.png"], "names png"),
        (["--out", "m.png", "--sectors", "oil"], "valid: energy, security, trade"),
        (["--out", "m.png", "--layers", "roads"], "valid: caspian, pipelines"),
        (["--out", "m.png", "--bbox", "60,40,50,45"], "minlon,minlat,maxlon,maxlat"),
        (["--out", "m.png", "--bbox", "a,b,c,d"], "minlon,minlat,maxlon,maxlat"),
        (["--out", "m.png", "--size", "big"], "WIDTHxHEIGHT"),
        (["--out", "m.png", "--size", "10x10"], "WIDTHxHEIGHT"),
        (["--out", "m.png", "--size", "²00x300"], "WIDTHxHEIGHT"),
        (["--out", "m.png", "--size", "٣00x300"], "WIDTHxHEIGHT"),
        (["--out", "m.png", "--tiles", "nope"], "'osm', 'esri'"),
        (["--out", "m.png", "--size", "800x600", "--width", "5"], "not both"),
        (["--out", "m.csv", "--size", "800x600"], "applies to png, svg and pdf"),
        (["--out", "m.gpkg", "--title", "T"], "applies to png, svg, pdf and html"),
        (["--out", "m.png", "--each", "country"], "'country' is not one of 'sector', 'layer'"),
        (["--out", "m.png", "--source", "nope"], "valid: ady-baku-port-2018,"),
        (["--out", "m.png", "--source", "rt-2025:cyber"], "rt-2025:security"),
        (["--out", "m.png", "--sectors", "", "--each", "sector"], "no sector is selected"),
        (["--out", "no/such/folder/m.png"], "does not exist"),
        (["--out", "m.png", "--dpi", "5"], "--dpi"),
        (["--out", "m.png", "--size", "200x200", "--dpi", "600"], PAGE_RULE),
        (["--out", "m.png", "--size", "300x300", "--dpi", "1200"], PAGE_RULE),
        (["--out", "m.png", "--size", "599x400"], PAGE_RULE),
        (["--out", "m.png", "--size", "6001x4000"], PAGE_RULE),
        (["--out", "m.png", "--width", "1", "--height", "1", "--dpi", "30"], PAGE_RULE),
        (["--out", "m.png", "--width", "5.9"], PAGE_RULE),
        (["--out", "m.png", "--width", "nan"], PAGE_RULE),
        (["--out", "m.png", "--width", "60", "--height", "40"], PAGE_RULE),
        (["--out", "m.png", "--title", "x" * (MAX_TITLE + 1)], f"at most {MAX_TITLE} characters"),
    ],
)
def test_bad_options_are_one_line_and_exit_2(capsys, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    code, stdout, stderr = run(capsys, *args)
    assert code == 2
    assert stderr.startswith("geoapp: error: ") and stderr.count("\n") == 1
    assert message in stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("title", ["$x^$", "Price $10 and $20"])
def test_titles_with_dollar_signs_export(capsys, tmp_path, title):
    out = tmp_path / "m.svg"
    code, _, stderr = run(capsys, "--out", str(out), "--size", "600x400", "--title", title)
    assert (code, stderr) == (0, "")
    assert title in out.read_text()


@pytest.mark.parametrize(
    ("args", "pixels"),
    [
        (["--size", "600x400"], (600, 400)),  # the smallest page: 6 x 4 in at 100 dpi
        (["--size", "1200x800", "--dpi", "200"], (1200, 800)),
        (["--width", "6", "--height", "4", "--dpi", "1000"], (6000, 4000)),
    ],
)
def test_pages_within_the_rule_export_at_their_size(capsys, tmp_path, args, pixels):
    out = tmp_path / "m.png"
    code, _, stderr = run(capsys, "--out", str(out), *args)
    assert (code, stderr) == (0, "")
    with Image.open(out) as image:
        assert image.size == pixels


@pytest.mark.parametrize("fmt", ["png", "html", "csv"])
def test_an_empty_title_is_the_default_as_on_the_web(capsys, tmp_path, fmt):
    out = tmp_path / f"m.{fmt}"
    code, _, stderr = run(capsys, "--out", str(out), "--title", "")
    assert (code, stderr) == (0, "")
    assert out.stat().st_size > 0


def test_a_title_of_the_longest_length_exports(capsys, tmp_path):
    out = tmp_path / "m.svg"
    code, _, stderr = run(capsys, "--out", str(out), "--title", "T" * MAX_TITLE)
    assert (code, stderr) == (0, "")


def test_an_unexpected_rendering_error_is_one_line_and_exit_1(capsys, tmp_path, monkeypatch):
    from geoapp.maps.printed import figure as render

    def broken(*args, **kwargs):
        raise ZeroDivisionError("float division by zero")

    monkeypatch.setattr(render, "draw_map", broken)
    monkeypatch.delenv("GEOAPP_DEBUG", raising=False)
    code, stdout, stderr = run(capsys, "--out", str(tmp_path / "m.png"))
    assert code == 1 and stdout == ""
    assert stderr.startswith("geoapp: error: ") and stderr.count("\n") == 1
    assert "float division by zero" in stderr
    assert list(tmp_path.iterdir()) == []


def test_tiles_choices_are_the_style_modules_providers(monkeypatch):
    import importlib

    from geoapp import cli, styles

    monkeypatch.setitem(styles.TILE_PROVIDERS, "topo", "OpenTopoMap")
    try:
        fresh = importlib.reload(cli)
        (tiles,) = [p for p in fresh.export.params if p.name == "tiles"]
        assert list(tiles.type.choices) == list(styles.TILE_PROVIDERS)
    finally:
        monkeypatch.undo()
        importlib.reload(cli)


def test_tiles_without_contextily_exit_1_with_one_line(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "contextily", None)
    target = tmp_path / "m.png"
    target.write_bytes(b"old")
    code, _, stderr = run(capsys, "--out", str(target), "--tiles", "osm")
    assert code == 1
    assert stderr == "geoapp: error: online tiles need contextily: pip install 'geoapp[tiles]'\n"
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["m.png"]


def test_console_script_end_to_end(tmp_path):
    """The installed ``geoapp`` command: a file on success, one line and exit 2 on error."""
    ok = subprocess.run(
        [str(GEOAPP), "export", "--out", str(tmp_path / "m.pdf"), "--sectors", "energy"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "m.pdf").read_bytes().startswith(b"%PDF-")
    bad = subprocess.run(
        [str(GEOAPP), "export", "--out", str(tmp_path / "m.png"), "--layers", "nope"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr


def test_source_keeps_one_article_table(capsys, tmp_path):
    out = tmp_path / "security.geojson"
    code, _, stderr = run(
        capsys, "--out", str(out), "--source", "rt-2025:security", "--towns", "off"
    )
    assert (code, stderr) == (0, "")
    ids = {f["properties"]["id"] for f in json.loads(out.read_text())["features"]}
    assert ids == {"area-maritime-safety", "border-tkm-caspian-coast", "programme-cyber-defense"}
