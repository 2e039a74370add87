"""``geoapp ingest``: what it links and reports, refused input, re-ingest, and validate."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3

import pytest

from tests import articles as fixtures
from tests.articles import OWN, SHARED, need_shared, run_cli

gazetteer_db = fixtures.gazetteer_db
instance = fixtures.instance
file_catalog = fixtures.file_catalog


def db_digest(folder) -> str | None:
    path = folder / "articles.sqlite3"
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


def test_ingest_links_our_article_and_lists_places_not_on_the_map(instance, capsys):
    assert run_cli("ingest", str(OWN)) == 0
    out = capsys.readouterr().out
    assert out.startswith("caspian-notes: new, 15 passages")
    assert "port-turkmenbashi" in out and "corridor-shipping-turkmenbashi-makhachkala" in out
    line = next(x for x in out.splitlines() if "places mentioned, not mapped" in x)
    # Balkanabat (39.51 N, 54.37 E), Rasht (37.28 N, 49.58 E): towns the map does not have.
    assert "Balkanabat (54.3" in line and "Rasht (49.5" in line
    # Turkmenbashi and Aktau are on the map, under their other spellings.
    assert "Türkmenbaşy" not in line and "Aqtau" not in line


def test_the_source_articles_are_recognised_by_their_sha256(instance, capsys):
    need_shared()
    paths = sorted(str(p) for p in SHARED.glob("*.txt"))
    assert run_cli("ingest", *paths) == 0
    out = capsys.readouterr().out
    assert "rt-2025: new, 28 passages" in out
    assert "diplomat-2017: new, 27 passages" in out


def test_the_same_file_twice_changes_nothing(instance, capsys):
    assert run_cli("ingest", str(OWN)) == 0
    before = db_digest(instance)
    assert run_cli("ingest", str(OWN)) == 0
    assert "caspian-notes: unchanged" in capsys.readouterr().out
    assert db_digest(instance) == before


def test_a_changed_file_is_relinked_and_the_report_says_what_changed(instance, tmp_path, capsys):
    copy = tmp_path / "caspian-notes.md"
    shutil.copy(OWN, copy)
    assert run_cli("ingest", str(copy)) == 0
    copy.write_text(OWN.read_text(encoding="utf-8") + "\nA new line about the port of Kuryk.\n")
    assert run_cli("ingest", str(copy)) == 0
    out = capsys.readouterr().out
    assert "caspian-notes: changed, 16 passages" in out
    assert "passages: 1 new, 0 gone" in out


def write_bad(tmp_path, kind: str):
    if kind == "empty":
        path = tmp_path / "empty.txt"
        path.write_bytes(b"")
    elif kind == "binary":
        path = tmp_path / "image.txt"
        path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    elif kind == "cp1251":
        path = tmp_path / "notes.txt"
        path.write_bytes("Порт Туркменбаши и порт Актау.".encode("cp1251"))
    elif kind == "huge":
        path = tmp_path / "huge.txt"
        with path.open("wb") as f:
            f.truncate(50 * 1024 * 1024)
    else:
        path = tmp_path / "notes.pdf"
        path.write_bytes(b"%PDF-1.4\n")
    return path


@pytest.mark.parametrize(
    ("kind", "says"),
    [("empty", "empty file"), ("binary", "binary file"), ("cp1251", "not UTF-8"),
     ("huge", "MB, over the"), ("pdf", "not an article file")],
)  # fmt: skip
def test_bad_input_is_one_line_non_zero_and_the_database_untouched(
    instance, tmp_path, capsys, kind, says
):
    assert run_cli("ingest", str(OWN)) == 0
    before = db_digest(instance)
    capsys.readouterr()
    assert run_cli("ingest", str(write_bad(tmp_path, kind))) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and says in err[0] and "Traceback" not in err[0]
    assert db_digest(instance) == before


def test_bad_input_first_creates_no_database(instance, tmp_path, capsys):
    assert run_cli("ingest", str(OWN), str(write_bad(tmp_path, "cp1251"))) == 2
    assert not (instance / "articles.sqlite3").exists()


def test_html_script_is_dropped_and_markup_in_text_stays_text(instance, tmp_path, capsys):
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>Aktau note</title></head><body>"
        "<p>The port of Aktau grows.<script>document.title='pwned'</script></p>"
        "<p>Literal &lt;script&gt;alert(1)&lt;/script&gt; stays words.</p></body></html>",
        encoding="utf-8",
    )
    assert run_cli("ingest", str(page)) == 0
    conn = sqlite3.connect(instance / "articles.sqlite3")
    (text,) = conn.execute("SELECT text FROM articles WHERE id = 'page'").fetchone()
    assert "pwned" not in text
    assert "Literal <script>alert(1)</script> stays words." in text
    features = {r[0] for r in conn.execute("SELECT feature FROM mentions WHERE article = 'page'")}
    assert "port-aktau" in features


def test_validate_reports_a_passage_whose_text_no_longer_matches(instance, capsys):
    assert run_cli("ingest", str(OWN)) == 0
    assert run_cli("validate") == 0
    conn = sqlite3.connect(instance / "articles.sqlite3")
    with conn:
        conn.execute("UPDATE articles SET text = replace(text, 'ferry', 'FERRY')")
    conn.close()
    capsys.readouterr()
    assert run_cli("validate") == 1
    out = capsys.readouterr().out
    assert "articles: caspian-notes: passage p-" in out and "no longer matches its hash" in out


def test_validate_warns_of_a_cited_section_with_no_mention(instance, capsys):
    need_shared()
    assert run_cli("ingest", *sorted(str(p) for p in SHARED.glob("*.txt"))) == 0
    capsys.readouterr()
    assert run_cli("validate") == 0
    err = capsys.readouterr().err
    # The data cites the 2017 article's Caspian section for the Dostluk field, which the
    # article describes only as "a disputed area": no passage names it.
    assert "warning: articles: area-dostluk-field: cites diplomat-2017 'Caspian section'" in err


@pytest.mark.timed
def test_a_2000_word_article_ingests_in_under_a_second(instance, tmp_path, file_catalog):
    """Once the gazetteer table exists (the session's), analysis and storage of ~2,000 words."""
    import time

    from geoapp.data.articles.ingest import ingest_files

    paragraphs = [line for line in OWN.read_text(encoding="utf-8").splitlines() if line.strip()]
    text, n = [], 0
    while sum(len(p.split()) for p in text) < 2000:
        n += 1
        text += [f"{p} ({n})" if not p.startswith("|") else p for p in paragraphs]
    best = float("inf")
    for run in range(3):
        path = tmp_path / f"long-{run}.md"
        path.write_text("\n\n".join(text) + "\n", encoding="utf-8")
        started = time.perf_counter()
        ingest_files([path], file_catalog, instance)
        best = min(best, time.perf_counter() - started)
    assert best < 1.0, f"{best:.2f} s"


def test_gazetteer_prefers_the_catalogs_region_then_population(gazetteer_db):
    """Three Aktaus and two Herāts: the Caspian port town, and the Afghan city."""
    import sqlite3

    from geoapp.data.articles.gazetteer import Region, find_places

    conn = sqlite3.connect(gazetteer_db)
    region = Region((44.0, 34.0, 63.0, 48.0), frozenset({"KAZ", "TKM", "AFG", "IRN", "RUS"}))
    found = find_places(conn, "Ships sail from Aktau; the road runs to Herāt.", region, frozenset())
    got = {p.name: (p.lat, p.lon, p.country) for p in found}
    # Aktau on the Caspian, 43.65 N 51.20 E; Herat, 34.35 N 62.20 E (Afghanistan).
    assert got == {
        "Aktau": (pytest.approx(43.65, abs=0.1), pytest.approx(51.2, abs=0.1), "KAZ"),
        "Herāt": (pytest.approx(34.35, abs=0.1), pytest.approx(62.2, abs=0.1), "AFG"),
    }
    # Words the article writes in lower case, and countries, are never places.
    assert find_places(conn, "Key. Turkmenistan.", region, frozenset({"key"})) == []
