"""/api/layers/<id> answers from bytes encoded once per catalog, never stale after a reload."""

from __future__ import annotations

import gzip
import json

from geoapp import create_app, load_catalog
from geoapp.api.layers import layer_answer
from geoapp.data.schema import LAYERS
from tests.data import features
from tests.factories import make_feature, write_data_dir

GZIP = {"Accept-Encoding": "gzip"}


def test_every_answer_is_the_encoded_json_of_the_features(client, catalog):
    for layer_id in LAYERS:
        plain = client.get(f"/api/layers/{layer_id}")
        zipped = client.get(f"/api/layers/{layer_id}", headers=GZIP)
        every = features(catalog, layer_id)
        assert json.loads(plain.data) == {"type": "FeatureCollection", "features": every}
        if len(plain.data) > 512:
            assert zipped.headers["Content-Encoding"] == "gzip"
            assert gzip.decompress(zipped.data) == plain.data
            assert zipped.headers["ETag"] == plain.headers["ETag"][:-1] + '-gzip"'
        assert not plain.headers["ETag"].startswith("W/")
        assert client.get(f"/api/layers/{layer_id}").data == plain.data


def test_the_basemap_is_encoded_and_gzipped_once(client, catalog):
    client.get("/api/layers/basemap", headers=GZIP)
    encoded = layer_answer(catalog, "basemap", {})
    first_body, first_zip = encoded.body, encoded.gzipped()
    for _ in range(3):
        response = client.get("/api/layers/basemap", headers=GZIP)
        assert response.data == first_zip
    assert layer_answer(catalog, "basemap", {}) is encoded
    assert encoded.body is first_body and encoded.gzipped() is first_zip


def test_filtered_answers_are_joins_of_the_same_features(client, catalog):
    for query, kwargs in [
        ("sector=security", {"sectors": ["security"]}),
        ("status=operating,construction", {"statuses": ["operating", "construction"]}),
        ("bbox=50,38,55,42", {"bbox": (50.0, 38.0, 55.0, 42.0)}),
        ("q=port", {"text": "port"}),
    ]:
        for layer_id in ("ports", "pipelines", "basemap"):
            doc = client.get(f"/api/layers/{layer_id}?{query}").get_json(force=True)
            expected = features(catalog, layer_id, **kwargs)
            assert doc["features"] == expected, (layer_id, query)
    a = client.get("/api/layers/ports?sector=trade")
    b = client.get("/api/layers/ports?sector=energy")
    assert a.headers["ETag"] != b.headers["ETag"] and a.data != b.data


def names_in(response) -> list[str]:
    body = response.data
    if response.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return [f["properties"]["name"] for f in json.loads(body)["features"]]


def test_a_reloaded_catalog_never_gets_the_old_bytes(tmp_path):
    """Swapping the catalog (``geoapp reload``) answers the new data, with a new ETag."""
    old = write_data_dir(tmp_path / "old", {"ports": [make_feature("ports", name="Old port")]})
    new = write_data_dir(tmp_path / "new", {"ports": [make_feature("ports", name="New port")]})
    app = create_app({"TESTING": True, "DATA_DIR": str(old)})
    client = app.test_client()
    urls = ["/api/layers/ports", "/api/layers/ports?sector=energy"]
    before = {}
    for url in urls:
        for headers in ({}, GZIP):
            response = client.get(url, headers=headers)
            assert names_in(response) == ["Old port"]
            before[url, tuple(headers.items())] = response.headers["ETag"]

    app.extensions["geoapp.catalog"] = load_catalog({"DATA_DIR": str(new)})
    for (url, headers), old_tag in before.items():
        response = client.get(url, headers=dict(headers))
        assert names_in(response) == ["New port"], url
        assert response.headers["ETag"] != old_tag
        again = client.get(url, headers={**dict(headers), "If-None-Match": old_tag})
        assert again.status_code == 200 and names_in(again) == ["New port"]


def test_a_reloaded_catalog_never_gets_old_exports(tmp_path):
    """Exports are kept per catalog too: after a swap, a download shows the new data."""
    old = write_data_dir(tmp_path / "old", {"ports": [make_feature("ports", "port-old")]})
    new = write_data_dir(tmp_path / "new", {"ports": [make_feature("ports", "port-new")]})
    app = create_app({"TESTING": True, "DATA_DIR": str(old)})
    client = app.test_client()
    urls = ["/export.csv?layers=ports", "/export.svg?layers=ports&title=t&size=600x400"]
    for url in urls:
        assert b"port-old" in client.get(url).data  # the svg names features by id (gid)
    app.extensions["geoapp.catalog"] = load_catalog({"DATA_DIR": str(new)})
    for url in urls:
        body = client.get(url).data
        assert b"port-new" in body and b"port-old" not in body, url
