"""The web app while its database goes away and comes back: a 503, then answers again.

No worker dies and nothing is restarted: the pool reconnects by itself, and the
first request after the database returns is answered from it.
"""

from __future__ import annotations

import time

from geoapp import create_app
from geoapp.data import db
from tests.postgis import with_database
from tests.test_postgis import own_server, password_of, small_data  # noqa: F401 - fixture

PATHS = ("/ogc/collections/ports/items", "/api/layers/ports", "/api/view", "/")


def test_the_app_answers_503_while_the_database_is_away_and_recovers(own_server, tmp_path):  # noqa: F811
    url, script = own_server
    url = with_database(url, "geoapp_test")
    db.load(url, small_data(tmp_path / "data"))
    app = create_app({"TESTING": True, "DATABASE_URL": url})
    client = app.test_client()
    assert all(client.get(path).status_code == 200 for path in PATHS)

    script("stop")
    # Past the version's one-second cache, every data answer needs the database.
    time.sleep(1.2)
    response = client.get("/ogc/collections/ports/items?limit=2")
    assert response.status_code == 503
    assert response.is_json and response.get_json()["code"] == 503
    assert response.headers["Retry-After"] and response.headers["Cache-Control"] == "no-store"
    assert password_of(url) not in response.get_data(as_text=True)
    page = client.get("/?layers=ports")
    assert page.status_code == 503 and page.mimetype == "text/html"

    script("start")
    deadline = time.monotonic() + 30
    while client.get("/api/layers/ports").status_code != 200:
        assert time.monotonic() < deadline, "the app did not recover"
        time.sleep(0.3)
    assert all(client.get(path).status_code == 200 for path in PATHS)
