"""Fixtures and helpers for the article tests: one gazetteer per session, an instance
folder per test (``GEOAPP_INSTANCE`` = ``tmp_path``), the source articles if present."""

from __future__ import annotations

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


@pytest.fixture(scope="session")
def gazetteer_db(tmp_path_factory) -> Path:
    """The GeoNames table, loaded once for the session (the first-run cost, paid once)."""
    path = tmp_path_factory.mktemp("gazetteer") / GAZETTEER_FILE
    conn = sqlite3.connect(path)
    gazetteer.load(conn)
    conn.close()
    return path


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
