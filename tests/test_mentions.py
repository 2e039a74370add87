"""Features carry the passages that mention them, in ``/api/layers`` and ``/ogc`` items.

Generated from what ingest found, never by hand: which passages of our own article
name which feature is the gold set's (written by reading it). An ingest after the app
started shows at the next look at the articles (a new version: new ETags), and before
any ingest the features are the provider's, byte for byte.
"""

from __future__ import annotations

import time

from geoapp import create_app
from geoapp.data.query import Query
from tests import articles as fixtures
from tests.articles import GOLD, OWN, run_cli

gazetteer_db = fixtures.gazetteer_db
instance = fixtures.instance


def passage_order(client, article: str) -> list[str]:
    return [p["id"] for p in client.get(f"/api/articles/{article}").json["passages"]]


def expected(client, feature: str) -> list[dict]:
    """The gold set's passages of our article that name ``feature``, as mentions."""
    order = passage_order(client, "caspian-notes")
    links = GOLD["articles"]["caspian-notes"]["links"]
    return [
        {"article": "caspian-notes", "passage": order[int(i)]}
        for i in sorted(links, key=int)
        if feature in links[i]
    ]


def mentions(doc: dict, feature: str) -> list[dict]:
    (found,) = [f for f in doc["features"] if f["properties"]["id"] == feature]
    return [
        {"article": m["article"], "passage": m["passage"]}
        for m in found["properties"].get("mentions", [])
    ]


def test_layers_and_ogc_items_carry_the_gold_sets_mentions_after_an_ingest(instance, capsys):
    client = create_app({"TESTING": True}).test_client()
    before = client.get("/api/layers/ports")
    assert all("mentions" not in f["properties"] for f in before.json["features"])
    assert run_cli("ingest", str(OWN)) == 0
    capsys.readouterr()
    time.sleep(0.3)  # the index looks at the articles at most every 0.25 s
    after = client.get("/api/layers/ports")
    assert after.headers["ETag"] != before.headers["ETag"]
    want = expected(client, "port-aktau")
    assert want, "the gold set has passages about the Port of Aktau"
    assert mentions(after.json, "port-aktau") == want
    labels = [
        m["label"] for f in after.json["features"] for m in f["properties"].get("mentions", [])
    ]
    assert all(label for label in labels)
    items = client.get("/ogc/collections/ports/items?f=json&limit=100").json
    assert mentions(items, "port-aktau") == want
    one = client.get("/ogc/collections/ports/items/port-aktau?f=json").json
    assert [
        {"article": m["article"], "passage": m["passage"]} for m in one["properties"]["mentions"]
    ] == want
    # A feature no passage names carries none.
    unnamed = set(f["properties"]["id"] for f in after.json["features"]) - {
        f for links in GOLD["articles"]["caspian-notes"]["links"].values() for f in links
    }
    for feature in unnamed:
        assert mentions(after.json, feature) == []


def test_before_any_ingest_features_are_the_providers_bytes(instance):
    app = create_app({"TESTING": True})
    provider = app.extensions["geoapp.catalog"].provider
    body = app.test_client().get("/api/layers/pipelines").data
    direct = provider.query(Query(layers=("pipelines",)), "pipelines")
    assert body == b'{"type":"FeatureCollection","features":[' + b",".join(direct.encoded) + b"]}"
