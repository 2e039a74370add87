"""Serving on bad disks: the data loaded at start stays served until a reload validates.

In-process, ``reload_data`` swaps the catalog and drops every answer cached from the
old data. Under real gunicorn with the production settings (``geoapp.deploy.gunicorn``:
the data loaded in the master, workers forked from it), on loopback and a tmp_path
copy of geodata/: a worker killed after the data went bad comes back serving the old
data; ``geoapp reload`` refuses bad data with one line per problem and leaves the
server alone; fixed data is served after ``geoapp reload``, with no stale page or ETag.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from geoapp import create_app, reload_data
from geoapp.cli import main
from geoapp.config import DEFAULTS
from geoapp.deploy import GUNICORN_CONFIG
from geoapp.errors import DataError
from tests.factories import make_feature, write_data_dir
from tests.servers import children, gunicorn

GEOAPP = Path(sys.executable).with_name("geoapp")


# -- in process ------------------------------------------------------------------------


def test_reload_data_serves_the_new_data_and_no_answer_cached_from_the_old(tmp_path):
    data = write_data_dir(tmp_path / "data")
    app = create_app({"TESTING": True, "DATA_DIR": str(data)})
    client = app.test_client()
    zipped = {"Accept-Encoding": "gzip"}
    old_layer = client.get("/api/layers/ports", headers=zipped)
    old_page = client.get("/")
    old_export = client.get("/export.geojson?layers=ports")
    assert old_layer.status_code == old_page.status_code == old_export.status_code == 200

    ports = [make_feature("ports", name="Renamed port"), make_feature("ports", "ports-two")]
    write_data_dir(data, {"ports": ports})
    # The app never reads the disk by itself: until the reload, the old data is served.
    assert client.get("/api/layers/ports", headers=zipped).data == old_layer.data

    reload_data(app)
    layer = client.get(
        "/api/layers/ports", headers={**zipped, "If-None-Match": old_layer.headers["ETag"]}
    )
    assert layer.status_code == 200, "the old ETag must not revalidate the new data"
    names = [f["properties"]["name"] for f in json.loads(gzip.decompress(layer.data))["features"]]
    assert names == ["Renamed port", "Ports one"]
    page = client.get("/")
    assert (
        page.data != old_page.data and page.headers["ETag"] != old_page.headers["ETag"]
    )  # the legend counts 2 ports
    export = json.loads(client.get("/export.geojson?layers=ports&towns=off").data)
    assert [f["properties"]["name"] for f in export["features"]] == names


def test_reload_data_keeps_the_old_data_when_the_new_does_not_validate(tmp_path):
    data = write_data_dir(tmp_path / "data")
    app = create_app({"TESTING": True, "DATA_DIR": str(data)})
    client = app.test_client()
    before = client.get("/api/layers/ports").data
    (data / "ports.geojson").write_text("{not json")
    with pytest.raises(DataError) as exc:
        reload_data(app)
    assert str(exc.value).startswith("ports.geojson: *: not valid JSON")
    assert client.get("/api/layers/ports").data == before
    assert client.get("/").status_code == 200


# -- geoapp reload's command line, no server needed -------------------------------------


def test_reload_without_a_running_server_is_one_line_and_exit_1(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(
            ["reload", "--pid", str(tmp_path / "gunicorn.pid"), "--data-dir", DEFAULTS["DATA_DIR"]]
        )
    assert exc.value.code == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [f"geoapp: error: the server is not running: no pid file {tmp_path}/gunicorn.pid"]


@pytest.mark.parametrize("content", ["", "soon", "0", "-1", "1"])
def test_reload_refuses_a_pid_file_without_a_pid_as_a_bad_command_line(tmp_path, capsys, content):
    # 0 and -1 would signal a whole process group, 1 is init: never sent.
    pid_file = tmp_path / "gunicorn.pid"
    pid_file.write_text(content)
    with pytest.raises(SystemExit) as exc:
        main(["reload", "--pid", str(pid_file), "--data-dir", DEFAULTS["DATA_DIR"]])
    assert exc.value.code == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "--pid" in err[0] and "holds no pid" in err[0], err


def test_reload_never_signals_a_process_that_is_not_gunicorn(tmp_path, capsys):
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        pid_file = tmp_path / "gunicorn.pid"
        pid_file.write_text(str(sleeper.pid))
        with pytest.raises(SystemExit) as exc:
            main(["reload", "--pid", str(pid_file), "--data-dir", DEFAULTS["DATA_DIR"]])
        assert exc.value.code == 1
        assert "is not gunicorn" in capsys.readouterr().err
        assert sleeper.poll() is None, "SIGHUP would have killed it"
    finally:
        sleeper.kill()
        sleeper.wait()


# -- under gunicorn ------------------------------------------------------------------------


def get(url: str, **headers: str) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, dict(exc.headers), exc.read()


def wait_for(condition, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


@pytest.fixture
def data_dir(tmp_path) -> Path:
    """A copy of the bundled geodata/ that the test may break."""
    return Path(shutil.copytree(DEFAULTS["DATA_DIR"], tmp_path / "data"))


@pytest.fixture
def server(data_dir, tmp_path):
    """gunicorn with the production settings on loopback: (URL, master pid, log file)."""
    run = tmp_path / "run"
    log = tmp_path / "gunicorn.log"
    env = {"GEOAPP_DATA_DIR": str(data_dir), "GEOAPP_RUN_DIR": str(run)}
    with gunicorn("-c", GUNICORN_CONFIG, "--error-logfile", str(log), env=env) as url:
        master = int((run / "gunicorn.pid").read_text())
        wait_for(lambda: len(children(master)) == 2, "two workers")
        yield url, master, log


def reload(data_dir: Path, master: int, tmp_path: Path) -> subprocess.CompletedProcess:
    """``geoapp reload`` as an operator types it, with the server's pid file and data."""
    pid_file = tmp_path / "run" / "gunicorn.pid"
    assert int(pid_file.read_text()) == master
    return subprocess.run(
        [str(GEOAPP), "reload", "--pid", str(pid_file), "--data-dir", str(data_dir)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_a_worker_killed_after_the_data_went_bad_comes_back_with_the_old_data(server, data_dir):
    url, master, _ = server
    status, _, before = get(url + "/api/layers/ports")
    assert status == 200
    (data_dir / "ports.geojson").write_text("{not json")
    (data_dir / "sources.json").unlink()
    (data_dir / "sources.json").mkdir()

    workers = children(master)
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    wait_for(lambda: len(children(master)) == 2 and not children(master) & workers, "respawn")

    answers = [get(url + "/api/layers/ports") for _ in range(12)]
    assert [status for status, _, _ in answers] == [200] * 12
    assert {body for _, _, body in answers} == {before}
    assert get(url + "/")[0] == 200
    os.kill(master, 0)  # the master is still there


def test_reload_refuses_bad_data_and_then_serves_fixed_data_with_no_stale_answer(
    server, data_dir, tmp_path
):
    url, master, log = server
    _, headers, before = get(url + "/api/layers/ports")
    _, page_headers, page = get(url + "/")
    ports = json.loads((data_dir / "ports.geojson").read_text())
    workers = children(master)

    # (b) Bad data: one line per problem, exit 1, and the server is not even signalled.
    good = (data_dir / "ports.geojson").read_text()
    (data_dir / "ports.geojson").write_text("{not json")
    (data_dir / "naval_bases.geojson").unlink()
    (data_dir / "naval_bases.geojson").mkdir()
    done = reload(data_dir, master, tmp_path)
    assert done.returncode == 1, done.stderr
    assert done.stdout.splitlines() == [
        "ports.geojson: *: not valid JSON: Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1)",
        "naval_bases.geojson: *: cannot read: a directory, not a file",
    ]
    assert done.stderr.splitlines() == [
        f"geoapp: not reloaded: 2 problem(s) in {data_dir}; "
        "the server keeps serving the data it has"
    ]
    assert children(master) == workers
    assert get(url + "/api/layers/ports")[2] == before

    # Data that breaks between the check and the reload: the master checks again, logs
    # one line and forks its new workers with the data it had.
    os.kill(master, signal.SIGHUP)
    wait_for(lambda: len(children(master)) == 2 and not children(master) & workers, "new workers")
    assert get(url + "/api/layers/ports")[2] == before
    refusals = [line for line in log.read_text().splitlines() if "geoapp: not reloaded" in line]
    assert len(refusals) == 1 and "2 problem(s)" in refusals[0], refusals

    # (c) Fixed data with a new name and one port fewer: served after the reload.
    (data_dir / "naval_bases.geojson").rmdir()
    shutil.copy(DEFAULTS["DATA_DIR"] + "/naval_bases.geojson", data_dir / "naval_bases.geojson")
    (data_dir / "ports.geojson").write_text(good)
    aktau = next(f for f in ports["features"] if f["properties"]["id"] == "port-aktau")
    aktau["properties"]["name"] = "Port of Aktau, renamed"
    ports["features"] = [f for f in ports["features"] if f["properties"]["id"] != "port-olya"]
    (data_dir / "ports.geojson").write_text(json.dumps(ports))
    done = reload(data_dir, master, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == ""

    def renamed_everywhere() -> bool:  # both workers: a run of answers all new
        return all(b"Port of Aktau, renamed" in get(url + "/api/layers/ports")[2] for _ in range(8))

    wait_for(renamed_everywhere, "the new name")
    status, _, body = get(url + "/api/layers/ports", **{"If-None-Match": headers["ETag"]})
    assert status == 200, "the old ETag must not revalidate the new data"
    assert b"port-olya" not in body and b"port-olya" in before
    status, new_page_headers, new_page = get(url + "/", **{"If-None-Match": page_headers["ETag"]})
    assert status == 200 and new_page != page  # the legend counts one port fewer
    assert new_page_headers["ETag"] != page_headers["ETag"]
    assert os.getpid() and children(master)  # still serving, same master
    os.kill(master, 0)
