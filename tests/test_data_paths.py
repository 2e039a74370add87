"""A data path that cannot be read is one line from every entry point, never a traceback.

Each case breaks a small valid data directory in one way a disk or an operator can:
the directory missing or a file, a layer file that is a directory, a FIFO or
unreadable, the source registry or build.json a directory. ``geoapp validate``,
``geoapp serve``, ``geoapp export`` and gunicorn (the production settings, which load
the data in the master) must each print the same one line for it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from geoapp.cli import main
from geoapp.deploy import GUNICORN_CONFIG
from tests.factories import write_data_dir


def _replace_with_dir(name: str) -> Callable[[Path], None]:
    def broken(data: Path) -> None:
        (data / name).unlink()
        (data / name).mkdir()

    return broken


def _fifo(data: Path) -> None:
    # Opening a FIFO for reading blocks until a writer comes: the server would hang.
    (data / "ports.geojson").unlink()
    os.mkfifo(data / "ports.geojson")


def _symlink_loop(data: Path) -> None:
    # Unreadable even for root (the tests run as root, where chmod 000 does not bite).
    (data / "ports.geojson").unlink()
    (data / "ports.geojson").symlink_to("ports.geojson")


def _no_permission(data: Path) -> None:
    (data / "ports.geojson").chmod(0)


#: case -> (how to break the data directory, the one line every entry point prints)
CASES: dict[str, tuple[Callable[[Path], None], str]] = {
    "layer file is a directory": (
        _replace_with_dir("ports.geojson"),
        "ports.geojson: *: cannot read: a directory, not a file",
    ),
    "layer file is a FIFO": (_fifo, "ports.geojson: *: cannot read: not a regular file"),
    "layer file is a symlink loop": (
        _symlink_loop,
        "ports.geojson: *: cannot read: Too many levels of symbolic links",
    ),
    "layer file has no read permission": (
        _no_permission,
        "ports.geojson: *: cannot read: Permission denied",
    ),
    "sources.json is a directory": (
        _replace_with_dir("sources.json"),
        "sources.json: *: cannot read: a directory, not a file",
    ),
    "build.json is a directory": (
        lambda data: (data / "build.json").mkdir(),
        "build.json: *: cannot read: a directory, not a file",
    ),
}


@pytest.fixture(params=list(CASES))
def broken(request, tmp_path) -> tuple[Path, str]:
    """A data directory broken as the case says, and the line that must report it."""
    case = request.param
    if case == "layer file has no read permission" and os.geteuid() == 0:
        pytest.skip("root reads any file; the symlink loop and the FIFO stand in for it")
    data = write_data_dir(tmp_path / "data")
    breaker, line = CASES[case]
    breaker(data)
    return data, line


@pytest.fixture(params=["no such directory", "not a directory"])
def not_a_dir(request, tmp_path) -> tuple[Path, str]:
    """A data path that is missing, or a file: the line names the path itself."""
    path = tmp_path / "data"
    if request.param == "not a directory":
        path.write_text("{}")
    return path, f"{path}: *: {request.param}"


def test_validate_names_the_unreadable_file_in_one_line(broken, capsys):
    data, line = broken
    with pytest.raises(SystemExit) as exc:
        main(["validate", str(data)])
    assert exc.value.code == 1
    assert capsys.readouterr().out.splitlines() == [line]


def test_validate_names_a_data_path_that_is_no_directory(not_a_dir, capsys):
    path, line = not_a_dir
    with pytest.raises(SystemExit) as exc:
        main(["validate", str(path)])
    assert exc.value.code == 1
    assert capsys.readouterr().out.splitlines() == [line]


def test_serve_refuses_to_start_with_the_one_line(broken, capsys):
    data, line = broken
    with pytest.raises(SystemExit) as exc:
        main(["serve", "--port", "0", "--data-dir", str(data)])
    assert exc.value.code == 3
    assert capsys.readouterr().err.splitlines() == [
        line,
        "geoapp: refusing to start: the data does not validate",
    ]


def test_serve_and_export_refuse_a_data_path_that_is_no_directory(not_a_dir, tmp_path, capsys):
    path, line = not_a_dir
    out = tmp_path / "map.geojson"
    for argv in (["serve", "--port", "0"], ["export", "--out", str(out)]):
        with pytest.raises(SystemExit) as exc:
            main([*argv, "--data-dir", str(path)])
        err = capsys.readouterr().err.splitlines()
        if path.is_file():  # click refuses the option itself: a bad command line
            assert exc.value.code == 2
            assert len(err) == 1 and "is a file" in err[0] and "--data-dir" in err[0], err
        else:
            assert exc.value.code in (1, 3)
            assert err[0] == line and len(err) == 2, err
    assert not out.exists()


def test_export_stops_with_the_one_line(broken, tmp_path, capsys):
    data, line = broken
    out = tmp_path / "map.geojson"
    with pytest.raises(SystemExit) as exc:
        main(["export", "--out", str(out), "--data-dir", str(data)])
    assert exc.value.code == 1
    assert capsys.readouterr().err.splitlines() == [
        line,
        "geoapp: error: the data does not validate",
    ]
    assert not out.exists()


def test_gunicorn_refuses_to_start_with_the_one_line(broken, tmp_path):
    """The production settings load the data in the master: it exits 3, one line, no
    traceback, before binding anything."""
    data, line = broken
    done = subprocess.run(
        [str(Path(sys.executable).with_name("gunicorn")), "-c", GUNICORN_CONFIG,
         "--bind", "127.0.0.1:0"],
        env={**os.environ, "GEOAPP_DATA_DIR": str(data), "GEOAPP_RUN_DIR": str(tmp_path / "run")},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 3, done.stderr
    assert line in done.stderr.splitlines()
    assert "geoapp: refusing to start: the data does not validate" in done.stderr
    assert "Traceback" not in done.stderr
