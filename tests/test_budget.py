"""The export budget: a bounded number of image exports at once, a clear 503 past it,
a pixel cap, and the memory of a drawing given back when it ends."""

from __future__ import annotations

import gc
import io
import json
import threading
import time
import urllib.error
import urllib.request

import pytest

from geoapp import create_app
from geoapp.cli import main
from geoapp.config import DEFAULTS
from geoapp.data.query import Query
from geoapp.errors import BusyError
from geoapp.export.budget import ExportBudget
from geoapp.export.formats import export_query
from geoapp.maps.printed import figure as render
from geoapp.maps.printed.page import parse_page
from geoapp.web import export
from tests.servers import gunicorn

JSON = {"Accept": "application/json"}


def held(budget: ExportBudget) -> tuple[threading.Event, threading.Thread]:
    """Hold one slot of ``budget`` in another thread until the event is set."""
    entered, release = threading.Event(), threading.Event()

    def hold() -> None:
        with budget.slot():
            entered.set()
            release.wait(30)

    thread = threading.Thread(target=hold)
    thread.start()
    assert entered.wait(10)
    return release, thread


def test_a_full_budget_refuses_at_once_with_a_time_to_retry():
    budget = ExportBudget(1, queue=0)
    release, thread = held(budget)
    start = time.monotonic()
    with pytest.raises(BusyError) as busy, budget.slot():
        pass
    assert time.monotonic() - start < 0.5
    assert busy.value.retry_after >= 1
    assert "drawing 1 image export at once" in str(busy.value)
    release.set()
    thread.join()
    with budget.slot():  # free again
        assert budget.running == 1
    assert budget.running == 0


def test_the_queue_waits_for_a_slot_and_is_bounded():
    budget = ExportBudget(1, queue=1, wait=10)
    release, holder = held(budget)
    got = []

    def wait_then_draw() -> None:
        with budget.slot():
            got.append((budget.running, budget.waiting))

    waiter = threading.Thread(target=wait_then_draw)
    waiter.start()
    deadline = time.monotonic() + 5
    while budget.waiting == 0:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    with pytest.raises(BusyError), budget.slot():  # one running, one waiting: full
        pass
    release.set()
    holder.join()
    waiter.join(5)
    assert got == [(1, 0)] and budget.running == 0


def test_a_wait_that_runs_out_is_a_busy_error():
    budget = ExportBudget(1, queue=1, wait=0.2)
    release, holder = held(budget)
    start = time.monotonic()
    with pytest.raises(BusyError), budget.slot():
        pass
    assert 0.15 < time.monotonic() - start < 5
    release.set()
    holder.join()


@pytest.fixture
def one_slot_app():
    app = create_app(
        {"TESTING": True, "DATA_DIR": DEFAULTS["DATA_DIR"], "EXPORT_CONCURRENCY": 1,
         "EXPORT_QUEUE": 0}
    )  # fmt: skip
    with app.app_context():
        budget = export.budget()
    return app, budget


@pytest.mark.parametrize("accept", ["application/json", "text/html"])
def test_a_busy_worker_answers_503_with_retry_after(one_slot_app, accept):
    app, budget = one_slot_app
    client = app.test_client()
    release, holder = held(budget)
    try:
        response = client.get("/export.png?size=600x400&title=busy", headers={"Accept": accept})
        assert response.status_code == 503
        assert int(response.headers["Retry-After"]) >= 1
        assert response.headers["Cache-Control"] == "no-store"
        assert response.mimetype == accept
        text = response.get_data(as_text=True)
        assert "try again in" in text and "Traceback" not in text
        if accept == "application/json":
            doc = json.loads(text)
            assert doc["code"] == 503 and doc["title"] == "Service unavailable"
        # Data exports are not images: no slot needed.
        assert client.get("/export.csv?layers=ports").status_code == 200
    finally:
        release.set()
        holder.join()
    assert client.get("/export.png?size=600x400&title=busy").status_code == 200


def test_a_cached_image_needs_no_slot(one_slot_app):
    app, budget = one_slot_app
    client = app.test_client()
    first = client.get("/export.svg?size=600x400&title=cached")
    release, holder = held(budget)
    try:
        again = client.get("/export.svg?size=600x400&title=cached")
        assert again.status_code == 200 and again.data == first.data
    finally:
        release.set()
        holder.join()


def test_the_pixel_cap_is_a_400_naming_the_maximum(client, backend):
    response = client.get("/export.png?size=6000x6000", headers=JSON)
    assert response.status_code == 400
    assert "24000000 px in all" in response.get_json()["description"]
    small = create_app({"TESTING": True, **backend, "EXPORT_MAX_PIXELS": 1_000_000}).test_client()
    response = small.get("/export.png?size=1500x1050", headers=JSON)
    assert response.status_code == 400
    assert "1000000 px in all" in response.get_json()["hint"]
    assert small.get("/export.png?size=1000x1000").status_code == 200


def test_the_pixel_cap_holds_on_the_command_line(capsys, tmp_path, monkeypatch):
    with pytest.raises(SystemExit) as stop:
        main(["export", "--out", str(tmp_path / "m.png"), "--size", "6000x6000"])
    err = capsys.readouterr().err
    assert stop.value.code == 2
    assert err.count("\n") == 1 and "24000000 px in all" in err
    monkeypatch.setenv("GEOAPP_EXPORT_MAX_PIXELS", "500000")
    with pytest.raises(SystemExit) as stop:
        main(["export", "--out", str(tmp_path / "m.png"), "--size", "1000x600"])
    assert stop.value.code == 2
    assert "500000 px in all" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("config", "message"),
    [({"EXPORT_CONCURRENCY": 0}, "EXPORT_CONCURRENCY=0: must be a whole number >= 1"),
     ({"EXPORT_QUEUE": -1}, "EXPORT_QUEUE=-1: must be a whole number >= 0"),
     ({"EXPORT_MAX_PIXELS": 10**9},
      "EXPORT_MAX_PIXELS=1000000000: must be a whole number from 240000 to 36000000")],
)  # fmt: skip
def test_bad_budget_settings_stop_the_app(config, message, capsys):
    with pytest.raises(SystemExit) as stop:
        create_app(config)
    assert stop.value.code == 3
    assert capsys.readouterr().err.splitlines()[0] == f"geoapp: {message}"


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_a_large_drawing_gives_its_raster_back_without_the_garbage_collector(catalog):
    """Each 6000 x 4000 px PNG draws a 92 MB raster; none of them may outlive its export."""
    page = parse_page("6000x4000")
    everything = export_query(Query())  # what `/export.png` shows
    render.render_map(catalog, everything, io.BytesIO(), "png", page=parse_page("600x400"))
    gc.collect()
    before = rss_mb()
    gc.disable()
    try:
        for _ in range(3):
            render.render_map(catalog, everything, io.BytesIO(), "png", page=page)
    finally:
        gc.enable()
    assert rss_mb() - before < 60, "a raster outlived its export"


@pytest.mark.timed
def test_under_a_burst_of_big_exports_a_real_worker_answers_503s_and_the_map(tmp_path):
    """gunicorn, one worker of 4 threads, one export drawn at a time: other maps are told
    to retry; other titles of the map being drawn wait for it and get their file."""
    env = {"GEOAPP_DATA_DIR": DEFAULTS["DATA_DIR"], "GEOAPP_EXPORT_CONCURRENCY": "1",
           "GEOAPP_EXPORT_QUEUE": "0"}  # fmt: skip
    with gunicorn("--workers", "1", "--threads", "4", env=env) as url:

        def burst(paths: list[str]) -> tuple[list[tuple[int, str | None]], float]:
            statuses: list[tuple[int, str | None]] = []

            def fetch(path: str) -> None:
                try:
                    with urllib.request.urlopen(url + path, timeout=120) as response:
                        statuses.append((response.status, None))
                except urllib.error.HTTPError as exc:
                    statuses.append((exc.code, exc.headers.get("Retry-After")))

            threads = [threading.Thread(target=fetch, args=(p,)) for p in paths]
            for t in threads:
                t.start()
            time.sleep(0.3)
            start = time.monotonic()
            with urllib.request.urlopen(url + "/", timeout=30) as page:
                assert page.status == 200
            map_time = time.monotonic() - start
            for t in threads:
                t.join()
            return statuses, map_time

        maps, map_time = burst([f"/export.png?size={3000 + i}x2000&title=b" for i in range(3)])
        titles, _ = burst([f"/export.png?size=3100x2000&title=t{i}" for i in range(3)])
    assert sorted(s for s, _ in maps) == [200, 503, 503]
    assert all(int(retry) >= 1 for s, retry in maps if s == 503)
    assert map_time < 2.0
    assert [s for s, _ in titles] == [200, 200, 200]
