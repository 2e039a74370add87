"""Articles on PostGIS: with the data served from a database, ingest writes the same tables
there (schema ``geoapp_articles``), and the API, search and mentions read them back."""

from __future__ import annotations

import pytest

from geoapp import create_app
from geoapp.config import DEFAULTS
from geoapp.data.articles.lookup import mentions_of, search_passages
from tests import articles as fixtures
from tests.articles import OWN, run_cli
from tests.postgis import new_database, pg_server  # noqa: F401 - fixtures

gazetteer_db = fixtures.gazetteer_db
instance = fixtures.instance


@pytest.fixture
def pg_data(new_database, monkeypatch) -> str:  # noqa: F811
    """A database of this test with the bundled data loaded, served by the app and CLI."""
    from geoapp.data import db

    url = new_database()
    db.load(url, DEFAULTS["DATA_DIR"])
    monkeypatch.setenv("GEOAPP_DATABASE_URL", url)
    return url


def test_ingest_writes_to_postgis_and_the_api_reads_it(instance, pg_data, capsys):
    assert run_cli("ingest", str(OWN)) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("caspian-notes: new, 15 passages")
    assert "in the PostGIS database" in captured.err
    assert not (instance / "articles.sqlite3").exists()
    assert run_cli("ingest", str(OWN)) == 0
    assert "caspian-notes: unchanged" in capsys.readouterr().out

    client = create_app({"TESTING": True}).test_client()
    (doc,) = client.get("/api/articles").json
    assert doc["id"] == "caspian-notes" and doc["passages"] == 15
    one = client.get("/api/articles/caspian-notes").json
    row = next(p for p in one["passages"] if p["kind"] == "row")
    assert one["text"][row["start"] : row["end"]].startswith("Turkmenbashi – Makhachkala")
    assert row["features"] == ["corridor-shipping-turkmenbashi-makhachkala"]
    assert client.get("/api/articles/nope").json["valid"] == ["caspian-notes"]

    assert mentions_of("port-kuryk", instance, pg_data)[0]["label"] == "paragraph 2"
    hits = search_passages("turkmenbasy ferry", 5, instance, pg_data)
    assert hits and hits[0]["article"] == "caspian-notes"
    assert "[Türkmenbaşy]" in hits[0]["snippet"] or "[ferry]" in hits[0]["snippet"]


def test_a_refused_file_leaves_postgis_untouched(instance, pg_data, tmp_path, capsys):
    bad = tmp_path / "notes.txt"
    bad.write_bytes("Порт Актау".encode("cp1251"))
    assert run_cli("ingest", str(bad)) == 2
    client = create_app({"TESTING": True}).test_client()
    assert client.get("/api/articles").json == []
