"""Hostile text in every field of the data, in real Chromium: shown as typed, never run.

The served page and the standalone HTML export both draw data whose names,
summaries, notes, sections and source titles end with :data:`tests.hostile.PAYLOAD`
(template syntax, a closing script tag, an ``onerror`` handler, a ``javascript:`` URL).
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from tests.hostile import CANARY, PAYLOAD, hostile_data_dir
from tests.servers import gunicorn

READY = "body[data-ready=true]"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    return hostile_data_dir(tmp_path_factory.mktemp("hostile") / "data")


@pytest.fixture(scope="module")
def hostile_server(hostile):
    with gunicorn("--workers", "1", "--threads", "4", env={"GEOAPP_DATA_DIR": str(hostile)}) as url:
        yield url


def port_of_aktau(data_dir: Path) -> dict:
    doc = json.loads((data_dir / "ports.geojson").read_text(encoding="utf-8"))
    return next(f["properties"] for f in doc["features"] if f["properties"]["id"] == "port-aktau")


def assert_shown_as_typed(page, props: dict, search: str = "Port of Aktau") -> None:
    """Search the port, open its popup, and read back every text exactly as typed."""
    page.fill("#search-input", search)
    page.press("#search-input", "Enter")
    page.wait_for_selector(".popup-name", timeout=10_000)
    assert page.text_content(".popup-name") == props["name"]
    assert page.text_content("dd.field-summary") == props["summary"]
    sections = page.eval_on_selector_all(".source-section", "els => els.map(e => e.textContent)")
    assert any(PAYLOAD in s for s in sections)
    titles = page.eval_on_selector_all(".source-title", "els => els.map(e => e.textContent)")
    assert titles and all(t.endswith(PAYLOAD) for t in titles)
    # Nothing ran and no element was made from the text.
    assert page.evaluate("window.__pwned") is None
    assert page.locator("img[src=x]").count() == 0
    assert page.locator(".popup b").count() == 0


def test_served_page_shows_hostile_text_as_typed(watched_page, hostile_server, hostile):
    page, _ = watched_page
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(hostile_server + "/")
    page.wait_for_selector(READY, timeout=20_000)
    assert page.locator(".feature").count() > 0
    assert_shown_as_typed(page, port_of_aktau(hostile))
    assert dialogs == []
    assert not (Path.cwd() / CANARY).exists()


def test_standalone_export_shows_hostile_text_as_typed(
    watched_page, hostile_server, hostile, tmp_path
):
    page, _ = watched_page
    with urllib.request.urlopen(hostile_server + "/export.html") as response:
        body = response.read()
    path = tmp_path / "map.html"
    path.write_bytes(body)
    page.goto(path.as_uri())
    page.wait_for_selector(READY, timeout=20_000)
    # A file has no search rule: its box goes to a name picked from its list, whole.
    props = port_of_aktau(hostile)
    assert_shown_as_typed(page, props, search=props["name"])
    assert not (Path.cwd() / CANARY).exists()


def test_the_policy_blocks_a_script_the_page_did_not_ship(watched_page, live_server):
    """Were text ever to become a script element, the browser would refuse to run it."""
    page, watch = watched_page
    page.goto(live_server + "/")
    page.wait_for_selector(READY, timeout=20_000)
    assert watch.errors == []
    ran = page.evaluate(
        """() => new Promise((done) => {
            const s = document.createElement("script");
            s.textContent = "window.__injected = 1";
            document.body.append(s);
            setTimeout(() => done(window.__injected === 1), 200);
        })"""
    )
    assert ran is False
    violations = page.evaluate("window.__cspViolations.splice(0)")
    assert violations and violations[0].startswith("script-src")
    # The console error Chromium logs for the refusal is the expected one: drop it.
    assert len(watch.errors) == 1 and "Content Security Policy" in watch.errors[0]
    watch.errors.clear()
