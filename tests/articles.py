"""Fixtures and helpers for the article tests: one gazetteer per session, an instance
folder per test (``GEOAPP_INSTANCE`` = ``tmp_path``), the source articles if present."""

from __future__ import annotations

import fcntl
import json
import sqlite3
from pathlib import Path

import pytest

from geoapp import load_catalog
from geoapp.config import DEFAULTS
from geoapp.data.articles import gazetteer
from geoapp.data.articles.store import GAZETTEER_FILE

ROOT = Path(__file__).resolve().parent.parent
#: The user's articles live beside the checkout, never in it.
SHARED = ROOT.parent / "shared" / "articles"
GOLD = json.loads((ROOT / "tests" / "data" / "articles_gold.json").read_text(encoding="utf-8"))
OWN = ROOT / "tests" / "data" / "articles" / "caspian-notes.md"


def article_path(entry: dict) -> Path:
    """Where a gold-set article is: ../shared/articles/ or tests/data/articles/."""
    rel = entry["file"]
    return SHARED / Path(rel).name if rel.startswith("../") else ROOT / rel


def need_shared() -> None:
    """Skip, saying why, when the user's source articles are not beside the checkout."""
    if not SHARED.is_dir() or not any(SHARED.glob("*.txt")):
        pytest.skip(f"the source articles are not in {SHARED} (they are never in the repository)")


@pytest.fixture(scope="session")
def file_catalog():
    """The catalog over the bundled files."""
    return load_catalog(dict(DEFAULTS))


#: The GeoNames table the tests share (derived data, like the places store): loaded once
#: for every worker and run while the package's version stays the same.
SHARED_GAZETTEER = ROOT / "instance" / "test-gazetteer.sqlite3"


@pytest.fixture(scope="session")
def gazetteer_db() -> Path:
    """The GeoNames table, loaded once (the first-run cost, paid once; workers wait on a
    lock, and a table of this package version is reused)."""
    SHARED_GAZETTEER.parent.mkdir(parents=True, exist_ok=True)
    with open(SHARED_GAZETTEER.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            conn = sqlite3.connect(SHARED_GAZETTEER)
            gazetteer.ensure(conn)
            conn.close()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return SHARED_GAZETTEER


@pytest.fixture
def instance(tmp_path, monkeypatch, gazetteer_db) -> Path:
    """An empty instance folder for one test, sharing the session's gazetteer."""
    folder = tmp_path / "instance"
    folder.mkdir()
    (folder / GAZETTEER_FILE).symlink_to(gazetteer_db)
    monkeypatch.setenv("GEOAPP_INSTANCE", str(folder))
    return folder


def run_cli(*args: str) -> int:
    """Run the geoapp CLI in this process; its exit status."""
    from geoapp.cli import main

    try:
        main(list(args))
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0
