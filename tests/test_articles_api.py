"""``/api/articles``: the documented shapes, 404s naming valid ids, 400s, search, and the
two calls the map's faces use (``mentions_of``, ``search_passages``)."""

from __future__ import annotations

import json

import pytest

from geoapp import create_app
from geoapp.data.articles.lookup import mentions_of, search_passages
from tests import articles as fixtures
from tests.articles import OWN, run_cli

gazetteer_db = fixtures.gazetteer_db
instance = fixtures.instance


@pytest.fixture
def client(instance):
    return create_app({"TESTING": True}).test_client()


@pytest.fixture
def ingested(instance, capsys):
    assert run_cli("ingest", str(OWN)) == 0
    capsys.readouterr()
    return instance


def test_with_nothing_ingested_the_list_is_empty_and_ids_unknown(client, instance):
    assert client.get("/api/articles").json == []
    answer = client.get("/api/articles/caspian-notes")
    assert answer.status_code == 404 and answer.json["valid"] == []
    assert mentions_of("port-aktau", instance) == []


def test_the_list(ingested, client):
    (doc,) = client.get("/api/articles").json
    assert set(doc) == {"id", "title", "date", "sha256", "passages", "features"}
    assert doc["id"] == "caspian-notes"
    assert doc["title"] == "Notes from the eastern Caspian shore"
    assert doc["passages"] == 15
    assert "port-kuryk" in doc["features"] and doc["features"] == sorted(doc["features"])


def test_one_article_with_spans_dates_features_and_places(ingested, client):
    doc = client.get("/api/articles/caspian-notes").json
    assert {"id", "title", "date", "text", "passages", "places"} <= set(doc)
    text = doc["text"]
    for p in doc["passages"]:
        assert set(p) >= {"id", "kind", "start", "end", "dates", "features"}
        assert 0 <= p["start"] < p["end"] <= len(text)
    row = next(p for p in doc["passages"] if p["kind"] == "row")
    assert text[row["start"] : row["end"]].startswith("Turkmenbashi – Makhachkala")
    assert row["features"] == ["corridor-shipping-turkmenbashi-makhachkala"]
    assert row["dates"] == [["2021-01-01", "2021-12-31"]]
    last = doc["passages"][-1]
    assert last["dates"] == [["2026-01-01", "2026-06-30"]]  # "mid 2026", as completion_date
    places = {p["name"]: p for p in doc["places"]}
    assert places["Balkanabat"]["feature"] is None
    assert abs(places["Balkanabat"]["lat"] - 39.51) < 0.05
    assert text[places["Rasht"]["start"] : places["Rasht"]["end"]] == "Rasht"
    assert places["Kuryk"]["feature"] == "port-kuryk"


def test_unknown_id_is_a_404_naming_the_valid_ones(ingested, client):
    answer = client.get("/api/articles/no-such-article")
    assert answer.status_code == 404
    assert answer.json["valid"] == ["caspian-notes"]
    assert client.get("/api/articles/..%2Fetc").status_code == 404


@pytest.mark.parametrize(
    "url",
    ["/api/articles?sort=title", "/api/articles/caspian-notes?x=1", "/api/articles/search",
     "/api/articles/search?q=", "/api/articles/search?q=port&limit=0",
     "/api/articles/search?q=port&limit=many", "/api/articles/search?q=port&bogus=1"],
)  # fmt: skip
def test_bad_parameters_are_400s(ingested, client, url):
    answer = client.get(url)
    assert answer.status_code == 400
    assert answer.json["title"] == "Bad request"


def test_search_finds_passages_with_the_matched_words(ingested, client):
    hits = client.get("/api/articles/search?q=naval+base").json
    assert hits and hits[0]["article"] == "caspian-notes"
    assert "[naval] [base]" in hits[0]["snippet"]
    # FTS5 syntax in the words is just words: no error.
    assert client.get('/api/articles/search?q=NEAR("x"%20OR').status_code == 200
    assert search_passages("Türkmenbaşy", 5, ingested)
    assert search_passages("turkmenbasy", 5, ingested) == search_passages(
        "Türkmenbaşy", 5, ingested
    )


def test_mentions_of_a_feature(ingested):
    found = mentions_of("port-kuryk", ingested)
    assert found == [
        {"article": "caspian-notes", "passage": found[0]["passage"], "kind": "paragraph",
         "label": "paragraph 2"}
    ]  # fmt: skip


def test_text_reaches_json_as_data(instance, tmp_path, capsys):
    page = tmp_path / "hostile.html"
    page.write_text(
        '<p>Port of Aktau &lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; "quoted"</p>',
        encoding="utf-8",
    )
    assert run_cli("ingest", str(page)) == 0
    client = create_app({"TESTING": True}).test_client()
    answer = client.get("/api/articles/hostile")
    assert answer.mimetype == "application/json"
    doc = json.loads(answer.data)
    assert '</script><img src=x onerror=alert(1)> "quoted"' in doc["text"]
