"""Benchmark: the map page's first view on both providers, in headless Chromium.

Not a test. geoapp under gunicorn (files, and PostGIS loaded with ``geoapp db load``),
a fresh browser context a run (no cache): the time from navigation until every
thematic feature is drawn and the towns of the view are named, and the bytes that
crossed the wire (Chromium's own count of encoded bytes, headers included). Goals
(issue 14): at most 1 MB and 1 s on loopback. Printed as medians of ``--runs``, with
the towns' share of the bytes (/api/places), and the ratio of each figure to its goal.
Each provider twice: gunicorn alone, and as ``make serve-prod`` runs it (nginx in front,
serving the static files and caching the answers); all four taken in turns.

    .venv/bin/python bench/first_view.py --runs 5
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api_wrk  # noqa: E402  (bench/ is not a package: its siblings, for the shared setup)
import providers_wrk  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.servers import production  # noqa: E402

GOAL_BYTES = 1_000_000
GOAL_SECONDS = 1.0
CHROMIUM = "/usr/bin/chromium"
#: Every thematic feature drawn and at least one town of the view named.
DONE = (
    "() => document.body.dataset.ready === 'true'"
    " && geoapp.entries.length > 0 && geoapp.entries.every(e => e.leaflet !== null)"
    " && document.querySelectorAll('.map-name-town').length > 0"
)


def first_view(browser, url: str) -> tuple[float, int, int]:
    """(seconds to the done state, bytes transferred, bytes of /api/places)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    sizes: dict[str, int] = {}
    urls: dict[str, str] = {}
    cdp.on(
        "Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"])
    )
    cdp.on(
        "Network.loadingFinished",
        lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]),
    )
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_function(DONE, timeout=30_000, polling=10)
    seconds = time.perf_counter() - start
    page.wait_for_timeout(300)  # a move's late answers count too
    total = sum(sizes.values())
    places = sum(n for rid, n in sizes.items() if "/api/places" in urls.get(rid, ""))
    context.close()
    return seconds, total, places


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from geoapp.data.db import redact

    server = providers_wrk.cluster_url()
    url, dbname = providers_wrk.create_database(server)
    print(f"database {redact(url)}", flush=True)
    procs = {}
    try:
        providers_wrk.load(url)
        base = {}
        envs = {"files": {"GEOAPP_DATABASE_URL": ""}, "postgis": {"GEOAPP_DATABASE_URL": url}}
        for name, env in envs.items():
            port = api_wrk.free_port()
            base[name] = f"http://127.0.0.1:{port}"
            procs[name] = api_wrk.start_geoapp(port, env, args.workers, 4)
        with contextlib.ExitStack() as stack, sync_playwright() as p:
            # And as `make serve-prod` ships it: nginx in front (static files, the cache).
            for name, env in envs.items():
                run_dir = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "run"
                base[f"{name}+nginx"] = stack.enter_context(production(run_dir, env)).url
            browser = p.chromium.launch(executable_path=CHROMIUM)
            for name in base:
                first_view(browser, base[name] + "/")  # warm the server's caches
            print(f"{'server':13} {'median s':>9} {'min-max s':>13} {'MB':>6} {'towns KB':>9}"
                  f" {'s/goal':>7} {'MB/goal':>8}")  # fmt: skip
            # Taken in turns, so that the machine's drift (other sessions) falls on both.
            results: dict[str, list] = {name: [] for name in base}
            for _ in range(args.runs):
                for name in base:
                    results[name].append(first_view(browser, base[name] + "/"))
            for name in base:
                runs = results[name]
                secs = [r[0] for r in runs]
                mb = statistics.median(r[1] for r in runs) / 1e6
                towns = statistics.median(r[2] for r in runs) / 1024
                med = statistics.median(secs)
                print(f"{name:13} {med:9.3f} {min(secs):6.3f}-{max(secs):.3f} {mb:6.3f} {towns:9.1f}"
                      f" {med / GOAL_SECONDS:7.2f} {mb * 1e6 / GOAL_BYTES:8.2f}")  # fmt: skip
            browser.close()
    finally:
        for proc in procs.values():
            proc.terminate()
            proc.wait(timeout=10)
        providers_wrk.drop_database(server, dbname)


if __name__ == "__main__":
    main()
