"""More than one server (issue 14): two gunicorn servers share one PostGIS database.

Each server is what production runs (gunicorn with ``geoapp.deploy.gunicorn``: the app
loaded in the master, two forked workers), on a loopback port of its own, with the
same ``GEOAPP_DATABASE_URL``. New data loaded beside one of them (``geoapp db load``)
must be served by the other at its first request once the data version's one-second
cache (``PostGISProvider(version_ttl=1.0)``) has passed, with no restart and no signal.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from geoapp.data import db
from geoapp.deploy import GUNICORN_CONFIG
from tests.factories import make_feature, write_data_dir
from tests.servers import gunicorn
from tests.test_reload import get

GEOAPP = Path(sys.executable).with_name("geoapp")
#: The PostGIS provider's default version_ttl: how long a server trusts the version it read.
VERSION_TTL = 1.0
PATH = "/ogc/collections/ports/items?limit=10"


def names(body: bytes) -> list[str]:
    return sorted(f["properties"]["name"] for f in json.loads(body)["features"])


def ports(*names: str) -> list[dict]:
    return [make_feature("ports", f"ports-{i}", name=name) for i, name in enumerate(names)]


def test_a_load_beside_one_server_is_served_by_the_other_at_its_next_request(
    new_database, tmp_path
):
    url = new_database()
    data = write_data_dir(tmp_path / "data", {"ports": ports("Aktau", "Baku")})
    db.load(url, data)

    def server(name: str):
        env = {"GEOAPP_DATABASE_URL": url, "GEOAPP_RUN_DIR": str(tmp_path / name)}
        return gunicorn("-c", GUNICORN_CONFIG, env=env)

    with server("a") as a, server("b") as b:
        for base in (a, b):  # both have read the version and hold answers built from it
            for _ in range(4):
                status, _headers, body = get(base + PATH)
                assert status == 200 and names(body) == ["Aktau", "Baku"]
        _, before, _ = get(b + PATH)
        _, _, old_page = get(b + "/?layers=ports")
        assert get(b + "/?layers=ports")[2] == old_page  # the same data, the same page

        # An operator on server a's machine loads changed files into the shared database.
        write_data_dir(data, {"ports": ports("Aktau", "Baku", "Turkmenbashi")})
        done = subprocess.run(
            # The layers only: the places' 234,908 rows are another test's (test_places.py).
            [str(GEOAPP), "db", "load", "--database-url", url, "--data-dir", str(data),
             "--no-places"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        loaded = time.monotonic()

        # Server b was not told anything. Once the version's cache has passed, its
        # next requests (whichever worker takes them) answer from the new data.
        time.sleep(max(0.0, loaded + VERSION_TTL + 0.05 - time.monotonic()))
        for _ in range(6):
            status, headers, body = get(b + PATH)
            assert status == 200 and names(body) == ["Aktau", "Baku", "Turkmenbashi"]
        assert headers["ETag"] != before["ETag"]
        # The ETag of the old data does not revalidate the new.
        status, _, body = get(b + PATH, **{"If-None-Match": before["ETag"]})
        assert status == 200 and names(body) == ["Aktau", "Baku", "Turkmenbashi"]
        # b's map page of the old data (its legend counted two ports) was kept in
        # memory: it must not survive the new version.
        status, _, page = get(b + "/?layers=ports")
        assert status == 200 and page != old_page
        status, _, body = get(a + PATH)
        assert status == 200 and names(body) == ["Aktau", "Baku", "Turkmenbashi"]
