"""No request, however malformed, makes /api or /ogc answer 500 (hypothesis)."""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geoapp.api.ogc import ITEM_PARAMETERS
from geoapp.data.query import queryables
from geoapp.data.schema import LAYERS, SECTORS, STATUSES

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
NUMBER = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
NAMES = sorted({*ITEM_PARAMETERS, *queryables(LAYERS["ports"]), "completed_by", "q", "status"})
VALUES = st.one_of(
    TEXT,
    NUMBER,
    st.sampled_from([*SECTORS, *STATUSES, "..", "/", "2017-10-02", "2017-10-02T00:00:00Z/.."]),
    st.lists(NUMBER, min_size=0, max_size=7).map(",".join),
)
QUERY = st.dictionaries(st.one_of(st.sampled_from(NAMES), TEXT), VALUES, max_size=4)
COLLECTION = st.one_of(st.sampled_from(list(LAYERS)), TEXT.filter(bool))
PATHS = st.one_of(
    st.builds(lambda c: f"/ogc/collections/{quote(c, safe='')}/items", COLLECTION),
    st.builds(
        lambda c, f: f"/ogc/collections/{quote(c, safe='')}/items/{quote(f, safe='')}",
        COLLECTION,
        TEXT.filter(bool),
    ),
    st.builds(lambda c: f"/ogc/collections/{quote(c, safe='')}", COLLECTION),
    st.builds(lambda c: f"/api/layers/{quote(c, safe='')}", COLLECTION),
    st.sampled_from(["/ogc", "/ogc/conformance", "/ogc/collections", "/ogc/api", "/api/layers"]),
)
ACCEPT = st.sampled_from(["*/*", "text/html", "application/json", "application/geo+json", "x/y"])
METHOD = st.sampled_from(["GET", "GET", "GET", "HEAD", "POST", "DELETE"])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=PATHS, query=QUERY, accept=ACCEPT, method=METHOD)
def test_no_request_gets_a_500(app, path, query, accept, method):
    response = app.test_client().open(
        path, method=method, query_string=query, headers={"Accept": accept}
    )
    # 308 is werkzeug merging the double slash a decoded %2F can make; never a 5xx.
    assert response.status_code in (200, 308, 400, 404, 405), (path, query, response.data[:300])
    if response.status_code >= 400:
        assert response.headers["Cache-Control"] == "no-store"
        if method == "HEAD":
            return
        doc = response.get_json(force=True)
        assert doc["code"] == response.status_code and doc["description"]
        # What would have been valid: a list of values, or one sentence; never both.
        assert not ("valid" in doc and "hint" in doc)
        if "valid" in doc:
            assert all(isinstance(v, str) for v in doc["valid"])
        if "hint" in doc:
            assert isinstance(doc["hint"], str) and doc["description"].endswith(doc["hint"])
    if response.status_code == 405:
        assert "GET" in response.headers["Allow"]
