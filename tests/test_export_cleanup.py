"""What killed exports leave is removed by the next export; ``geoapp export`` reads GEOAPP_*."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time

import pytest

from geoapp import create_app
from geoapp.export import formats as exporters
from tests.factories import make_feature, write_data_dir
from tests.test_export_cli import GEOAPP, run


def dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.fixture
def live_pid():
    """The id of another process that runs for the length of the test."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield proc.pid
    proc.kill()
    proc.wait()


def test_export_reads_the_data_dir_from_the_environment(capsys, tmp_path, monkeypatch):
    data = write_data_dir(
        tmp_path / "data", {"ports": [make_feature("ports", "port-env", name="From the env")]}
    )
    monkeypatch.setenv("GEOAPP_DATA_DIR", str(data))
    out = tmp_path / "ports.geojson"
    code, stdout, _ = run(capsys, "--out", str(out), "--layers", "ports", "--towns", "off")
    assert (code, stdout.strip()) == (0, str(out))
    names = [f["properties"]["name"] for f in json.loads(out.read_text())["features"]]
    assert names == ["From the env"]
    # --data-dir still wins over the environment, as the server's config does.
    code, _, _ = run(capsys, "--out", str(out), "--layers", "ports", "--towns", "off",
                     "--data-dir", str(write_data_dir(tmp_path / "other")))  # fmt: skip
    assert code == 0
    assert [f["properties"]["name"] for f in json.loads(out.read_text())["features"]] == [
        "Ports one"
    ]


def test_a_bad_environment_setting_is_one_line_and_exit_2(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("GEOAPP_CACHE_MAX_AGE", "soon")
    code, stdout, stderr = run(capsys, "--out", str(tmp_path / "m.csv"))
    assert code == 2 and stdout == ""
    assert stderr == "geoapp: error: GEOAPP_CACHE_MAX_AGE='soon': must be a whole number\n"
    assert list(tmp_path.iterdir()) == []


def test_a_killed_export_leaves_a_part_folder_that_the_next_export_removes(
    capsys, tmp_path, live_pid
):
    """SIGKILL cannot be caught: the hidden folder stays until the next export beside it."""
    proc = subprocess.Popen(
        [str(GEOAPP), "export", "--out", str(tmp_path / "big.png"), "--size", "6000x4000"],
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 90
    while not list(tmp_path.glob(".big.png.*.part")):
        assert proc.poll() is None, "the export ended before it could be killed"
        assert time.monotonic() < deadline, "the export never started writing"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    (left,) = tmp_path.glob(".big.png.*.part")
    assert left.name.startswith(f".big.png.{proc.pid}-")
    # Another process's export in progress, and an unnamed folder too young to judge: kept.
    live = tmp_path / f".other.png.{live_pid}-abc123.part"
    young = tmp_path / ".old-style.png.abc123.part"
    old = tmp_path / ".older.png.xyz789.part"
    for folder in (live, young, old):
        folder.mkdir()
        (folder / "x").write_bytes(b"partial")
    os.utime(old, (time.time() - 2 * exporters.STALE_AFTER,) * 2)

    code, _, _ = run(capsys, "--out", str(tmp_path / "next.csv"))
    assert code == 0
    assert not left.exists() and not old.exists()
    assert live.exists() and young.exists()
    assert not (tmp_path / "big.png").exists()


def test_web_exports_remove_folders_of_dead_workers_only(tmp_path, monkeypatch, live_pid):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(exporters, "_last_sweep", -math.inf)  # as in a fresh worker
    dead = tmp_path / f"geoapp-export-{dead_pid()}-k2j_a9xq"
    live = tmp_path / f"geoapp-export-{live_pid}-k2j_a9xq"
    mine = tmp_path / f"geoapp-export-{os.getpid()}-k2j_a9xq"
    other = tmp_path / "geoapp-exports-of-someone"
    for folder in (dead, live, mine, other):
        folder.mkdir()
        (folder / "export.png").write_bytes(b"partial")
    app = create_app({"TESTING": True, "DATA_DIR": str(write_data_dir(tmp_path / "data"))})
    assert app.test_client().get("/export.csv").status_code == 200
    assert not dead.exists()
    assert live.exists() and mine.exists() and other.exists()
    # And the export itself left nothing behind.
    assert sorted(p.name for p in tmp_path.glob("geoapp-export-*")) == sorted(
        [live.name, mine.name]
    )
