"""Search on the web, on both providers: ``/api/search`` (the rule's answer as JSON, its
bounds as 400s) and the page opened with ``/?q=`` (its matches listed before any script)."""

from __future__ import annotations

import re

import pytest

from geoapp.data.search import MAX_LIMIT, MAX_QUERY, search_catalog


def test_search_answers_every_match_best_first_with_why(client, catalog):
    response = client.get("/api/search?q=Krasnovodsk")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    found = response.get_json()
    assert found[0] == {
        "kind": "feature",
        "id": "port-turkmenbashi",
        "name": catalog.get("port-turkmenbashi")["properties"]["name"],
        "layer": "ports",
        "field": "aliases",
        "match": "exact",
        "snippet": "Krasnovodsk",
    }
    features = [m["id"] for m in found if m["kind"] == "feature"]
    assert features == [m.id for m in search_catalog(catalog, "Krasnovodsk")]


@pytest.mark.parametrize("text", ["Makhachkala", "turkmenbashy", "AŞGABAT", "port"])
def test_search_is_the_rule_on_the_providers_features(client, catalog, text):
    found = client.get("/api/search", query_string={"q": text}).get_json()
    assert found, text
    found = [m for m in found if m["kind"] == "feature"]  # places follow (test_places.py)
    assert [(m["id"], m["field"]) for m in found] == [
        (m.id, m.field) for m in search_catalog(catalog, text)
    ]
    for m in found:
        assert catalog.get(m["id"])["properties"]["layer"] == m["layer"]


def test_limit_keeps_the_best_and_nothing_found_is_an_empty_list(client):
    every = client.get("/api/search?q=port").get_json()
    assert len(every) > 2
    assert client.get("/api/search?q=port&limit=2").get_json() == every[:2]
    assert client.get("/api/search?q=qwxzv").get_json() == []


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("", f"1 to {MAX_QUERY} characters"),
        ("q=", f"1 to {MAX_QUERY} characters"),
        ("q=%20%20", f"1 to {MAX_QUERY} characters"),
        (f"q={'a' * (MAX_QUERY + 1)}", f"1 to {MAX_QUERY} characters"),
        ("q=aktau&limit=0", f"from 1 to {MAX_LIMIT}"),
        (f"q=aktau&limit={MAX_LIMIT + 1}", f"from 1 to {MAX_LIMIT}"),
        ("q=aktau&limit=ten", f"from 1 to {MAX_LIMIT}"),
        ("q=aktau&layer=ports", "limit"),
    ],
)
def test_bad_search_is_a_json_400_naming_the_rule(client, query, says):
    response = client.get(f"/api/search?{query}")
    assert response.status_code == 400
    doc = response.get_json()
    assert doc["code"] == 400
    assert says in (doc.get("hint") or "") + " ".join(doc.get("valid") or [])


def test_tracking_tags_are_ignored(client):
    assert client.get("/api/search?q=aktau&utm_source=mail").status_code == 200


def test_the_page_opened_with_q_lists_every_match_and_draws_everything(client, catalog):
    """The search form submits ``/?q=`` before the scripts load: a page, with its list."""
    response = client.get("/?q=Turkmenbashy")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    listed = re.findall(r'<button type="button" data-feature-id="([^"]+)">', html)
    assert listed == [m.id for m in search_catalog(catalog, "Turkmenbashy")]
    assert listed[0] == "port-turkmenbashi"
    assert 'value="Turkmenbashy"' in html
    # q is the box's text, not a filter: the script is told to draw every layer, unfiltered.
    settings = re.search(r'id="geoapp-settings">(.*?)</script>', html, re.S)[1]
    assert '"filters":""' in settings.replace(" ", "")
    assert client.get("/?q=xqzvw").status_code == 200
    assert "No feature matches" in client.get("/?q=xqzvw").get_data(as_text=True)
