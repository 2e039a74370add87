"""The three ways to start the app, and the CLI's one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


def test_python_m_geoapp_is_the_cli():
    done = run(sys.executable, "-m", "geoapp", "--help")
    assert done.returncode == 0
    for command in ("serve", "validate", "export"):
        assert command in done.stdout


def test_flask_finds_the_application_factory():
    done = run(str(BIN / "flask"), "--app", "geoapp", "routes")
    assert done.returncode == 0, done.stderr
    for rule in ("/api/layers/<layer_id>", "/ogc/collections", "/export.<fmt>"):
        assert rule in done.stdout


def test_an_unknown_command_is_one_line_and_exit_2():
    done = run(str(BIN / "geoapp"), "frobnicate")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["geoapp: error: No such command 'frobnicate'."]


def test_a_bad_option_value_is_one_line_and_exit_2():
    done = run(str(BIN / "geoapp"), "serve", "--port", "http")
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "--port" in lines[0] and "Traceback" not in done.stderr


def test_flask_run_refuses_broken_data_without_a_traceback(tmp_path):
    from tests.factories import make_feature, write_data_dir

    write_data_dir(tmp_path, {"events": [make_feature("events", status="event")]})
    done = subprocess.run(
        [str(BIN / "flask"), "--app", "geoapp", "run", "--port", "0"],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "GEOAPP_DATA_DIR": str(tmp_path)},
    )  # fmt: skip
    assert done.returncode == 3
    assert "events.geojson: events-one: an event needs a 'date'" in done.stderr
    assert "Traceback" not in done.stderr
