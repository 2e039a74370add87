"""Benchmark: nginx's cache in front of gunicorn vs nginx serving static files vs gunicorn alone.

Not a test. Issue 14's figure: the OGC items page and the map page, requested by
``wrk`` with ``Accept-Encoding: gzip`` (as browsers ask), from three servers in one run:

- **cache**: ``python -m geoapp.deploy`` (``make serve-prod``: nginx with the shipped
  ``geoapp/deploy/nginx.conf``, its ``proxy_cache``, in front of gunicorn on a unix
  socket); the answers are in the cache (``X-Cache-Status: HIT``) before the runs;
- **static**: nginx (same binary, same worker count, same buffered access log) serving
  the very bytes the app answered, gzipped, as files: the yardstick, what nginx can do
  with no proxy and no cache lookup;
- **gunicorn**: the production gunicorn settings (``geoapp.deploy.gunicorn``: 2 gthread
  workers of 4 threads) on a loopback port, nothing in front.

Runs alternate between the servers (``--runs`` rounds); the table gives the median
requests per second of each, p50/p99 latency, and the ratios cache/static (goal at
least 0.5) and cache/gunicorn. Everything runs on 127.0.0.1 in a temporary directory.

    .venv/bin/python bench/cache_wrk.py                      # 3 rounds of 5 s, 16 connections
    .venv/bin/python bench/cache_wrk.py --runs 5 --duration 10
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from wrk import run as wrk_run  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geoapp.deploy import GUNICORN_CONFIG, nginx_binary, nginx_command, nginx_user  # noqa: E402
from tests.servers import free_port, gunicorn, production  # noqa: E402

#: What is measured: name -> path on geoapp's servers.
PAGES = {
    "OGC items (ports, limit=10)": "/ogc/collections/ports/items?limit=10&f=json",
    "map page /": "/",
}
GZIP = "Accept-Encoding: gzip"


def fetch(url: str) -> tuple[dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return {k.lower(): v for k, v in response.headers.items()}, response.read()


STATIC_CONF = """\
{user}
worker_processes auto;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 4096; }}
http {{
    client_body_temp_path {prefix}/temp/client_body;
    proxy_temp_path {prefix}/temp/proxy;
    fastcgi_temp_path {prefix}/temp/fastcgi;
    uwsgi_temp_path {prefix}/temp/uwsgi;
    scgi_temp_path {prefix}/temp/scgi;
    access_log {prefix}/logs/access.log combined buffer=64k flush=5s;
    server_tokens off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 30s;
    keepalive_requests 1000;
    server {{
        listen 127.0.0.1:{port};
{locations}
    }}
}}
"""
LOCATION = """\
        location = /{name} {{
            alias {path};
            default_type "{mimetype}";
            add_header Content-Encoding gzip;
            add_header Vary Accept-Encoding;
        }}"""


@contextmanager
def static_nginx(prefix: Path, files: dict[str, tuple[str, bytes]]):
    """nginx serving each ``name -> (mimetype, gzipped bytes)`` at ``/name``; yields its URL."""
    for sub in ("temp", "logs", "files"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    locations = []
    for name, (mimetype, body) in files.items():
        path = prefix / "files" / name
        path.write_bytes(body)
        locations.append(LOCATION.format(name=name, path=path, mimetype=mimetype))
    port = free_port()
    user = nginx_user()
    conf = prefix / "nginx.conf"
    conf.write_text(STATIC_CONF.format(user=f"user {user};" if user else "", prefix=prefix,
                                       port=port, locations="\n".join(locations)))  # fmt: skip
    nginx = nginx_binary()
    command = nginx_command(nginx, prefix, conf, prefix / "nginx.pid", prefix / "logs/error.log")
    proc = subprocess.Popen(command)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                fetch(f"{url}/{next(iter(files))}")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the static nginx did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def wrk(url: str, args: argparse.Namespace) -> dict[str, float]:
    """One wrk run, gzip accepted: requests per second and p50/p99 latency in milliseconds."""
    return wrk_run(url, duration=args.duration, connections=args.connections,
                   threads=args.threads, headers=[GZIP])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="rounds over the three servers")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    args = parser.parse_args()
    for tool, hint in (("wrk", "apt-get install wrk"), ("nginx", "apt-get install nginx")):
        if (shutil.which(tool) if tool == "wrk" else nginx_binary()) is None:
            raise SystemExit(f"{tool} is not installed ({hint})")

    results: dict[tuple[str, str], list[dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="geoapp-cache-bench-") as tmp:
        tmp = Path(tmp)
        env = {"GEOAPP_RUN_DIR": str(tmp / "alone")}
        with production(tmp / "run") as cached, gunicorn("-c", GUNICORN_CONFIG, env=env) as alone:
            files, sizes = {}, {}
            for i, (label, path) in enumerate(PAGES.items()):
                for _ in range(2):  # the second answer comes from the cache
                    headers, body = fetch(cached.url + path)
                if headers.get("x-cache-status") != "HIT":
                    raise SystemExit(f"{path}: not cached ({headers.get('x-cache-status')})")
                if headers.get("content-encoding") != "gzip":
                    raise SystemExit(f"{path}: not gzipped by the app")
                files[f"f{i}"] = (headers["content-type"], body)
                sizes[label] = len(body)
            with static_nginx(tmp / "static", files) as static:
                servers = {
                    "cache": lambda p, _i: cached.url + p,
                    "static": lambda _p, i: f"{static}/f{i}",
                    "gunicorn": lambda p, _i: alone + p,
                }
                for _round in range(args.runs):
                    for i, (label, path) in enumerate(PAGES.items()):
                        for name, url in servers.items():
                            results.setdefault((label, name), []).append(wrk(url(path, i), args))
            status = fetch(cached.url + PAGES["map page /"])[0].get("x-cache-status")

    print(f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s -H '{GZIP}', "
          f"{args.runs} rounds alternating; medians; CPUs: {os.cpu_count()}; "
          f"after the runs the map page was a cache {status}")  # fmt: skip
    print(f"{'answer':30} {'server':9} {'req/s':>9} {'(min-max)':>15} {'p50 ms':>8} {'p99 ms':>8}")
    for label in PAGES:
        median = {}
        for name in ("cache", "static", "gunicorn"):
            runs = results[(label, name)]
            median[name] = statistics.median(r["rps"] for r in runs)
            p50 = statistics.median(r["p50"] for r in runs)
            p99 = statistics.median(r["p99"] for r in runs)
            spread = f"({min(r['rps'] for r in runs):.0f}-{max(r['rps'] for r in runs):.0f})"
            print(f"{label:30} {name:9} {median[name]:9.0f} {spread:>15} {p50:8.2f} {p99:8.2f}")
        print(f"{'':30} cache/static {median['cache'] / median['static']:.2f} (goal >= 0.5), "
              f"cache/gunicorn {median['cache'] / median['gunicorn']:.1f}, "
              f"{sizes[label]} bytes gzipped")  # fmt: skip


if __name__ == "__main__":
    main()
