"""Benchmark: geoapp's /ogc items against pygeoapi serving the same GeoJSON, under wrk.

Not a test. Both servers run under gunicorn with the same number of sync
workers on loopback; wrk hits the same page of the same collection for a
bounded time, runs alternate between the two, and the medians and ratios are
printed. pygeoapi lives in its own venv (``bench/.venv-pygeoapi``, created on
first use with ``--setup``) so that its pins never touch geoapp's.

    .venv/bin/python bench/api_wrk.py --setup            # once: venv + pygeoapi
    .venv/bin/python bench/api_wrk.py --runs 3 --duration 10
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from wrk import run as wrk_run  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PEER_VENV = ROOT / "bench" / ".venv-pygeoapi"
DATA_DIR = ROOT / "geodata"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup_peer() -> None:
    """Create the pygeoapi venv (pygeoapi and gunicorn from PyPI)."""
    subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
    pip = PEER_VENV / "bin" / "pip"
    subprocess.run([str(pip), "install", "-q", "pygeoapi", "gunicorn"], check=True)


def peer_dependencies() -> tuple[str, int, int]:
    """pygeoapi's version, the packages it pulls in, and how many of them geoapp lacks."""

    def names(venv: Path) -> dict[str, str]:
        out = subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pip", "list", "--format=json"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return {p["name"].lower(): p["version"] for p in json.loads(out)}

    theirs, ours = names(PEER_VENV), names(ROOT / ".venv")
    pulled = set(theirs) - {"pip", "setuptools", "wheel", "gunicorn", "pygeoapi"}
    return theirs["pygeoapi"], len(pulled), len(pulled - set(ours))


def pygeoapi_config(tmp: Path, port: int, collection: str, limit_max: int) -> Path:
    """Write a minimal pygeoapi config (JSON is YAML) serving one geodata/ file."""
    data = DATA_DIR / f"{collection}.geojson"
    site = {"name": "bench", "url": "https://example.org/"}
    config = {
        "server": {
            "bind": {"host": "127.0.0.1", "port": port},
            "url": f"http://127.0.0.1:{port}",
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "language": "en-US",
            "cors": True,
            "pretty_print": False,
            "limits": {"default_items": 10, "max_items": limit_max},
            "map": {"url": "http://127.0.0.1/{z}/{x}/{y}.png", "attribution": "none"},
        },
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {
                "title": "bench",
                "description": "bench",
                "keywords": ["bench"],
                "keywords_type": "theme",
                "terms_of_service": site["url"],
                "url": site["url"],
            },
            "license": {"name": "MIT", "url": site["url"]},
            "provider": site,
            "contact": {"name": "bench", "email": "bench@example.org", "url": site["url"]},
        },
        "resources": {
            collection: {
                "type": "collection",
                "title": collection,
                "description": collection,
                "keywords": [collection],
                "links": [],
                "extents": {
                    "spatial": {
                        "bbox": [-180, -90, 180, 90],
                        "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
                    }
                },
                "providers": [
                    {"type": "feature", "name": "GeoJSON", "data": str(data), "id_field": "id"}
                ],
            }
        },
    }
    path = tmp / "pygeoapi-config.yml"
    path.write_text(json.dumps(config, indent=1))
    return path


def start(cmd: list[str], env: dict, probe: str) -> subprocess.Popen:
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(probe, timeout=2):
                return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise SystemExit(f"server did not start: {' '.join(cmd)}") from None
            time.sleep(0.2)


def start_geoapp(
    port: int, env: dict, workers: int, threads: int, *options: str
) -> subprocess.Popen:
    """geoapp as it ships: gunicorn with ``geoapp.deploy.gunicorn`` (the data preloaded
    and the first view built in the master, the catalog frozen out of the cyclic GC),
    on a loopback port instead of its unix socket, its run files in a new folder.
    ``options`` are more of gunicorn's, after the config's (which they override)."""
    from geoapp.deploy import GUNICORN_CONFIG

    run_dir = tempfile.mkdtemp(prefix="geoapp-bench-run-")
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    return start(
        [gunicorn, "-c", GUNICORN_CONFIG, "--workers", str(workers), "--threads", str(threads),
         "--log-level", "warning", "--bind", f"127.0.0.1:{port}", *options],
        {**env, "GEOAPP_RUN_DIR": run_dir}, f"http://127.0.0.1:{port}/api/layers",
    )  # fmt: skip


def ids_at(url: str) -> list[str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return [str(f["id"]) for f in json.load(response)["features"]]


def wrk(url: str, args: argparse.Namespace) -> dict[str, float]:
    """One wrk run: requests per second and p50/p99 latency in milliseconds."""
    return wrk_run(url, duration=args.duration, connections=args.connections,
                   threads=args.threads, timeout=args.timeout)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setup", action="store_true", help="create bench/.venv-pygeoapi")
    parser.add_argument("--collection", default="basemap", help="layer id (default: basemap)")
    parser.add_argument("--limit", type=int, default=10, help="items per page requested")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers, each server")
    parser.add_argument(
        "--worker-threads",
        type=int,
        default=4,
        help="gunicorn threads per worker, each server (gthread, as in production); 1: sync",
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--runs", type=int, default=3, help="runs per server (alternating)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--timeout", type=int, default=30, help="wrk request timeout, seconds")
    args = parser.parse_args()

    if args.setup:
        setup_peer()
    if not (PEER_VENV / "bin" / "gunicorn").exists():
        raise SystemExit("no pygeoapi venv: run with --setup first")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install -y wrk")

    version, pulled, extra = peer_dependencies()
    print(f"pygeoapi {version}: pulls in {pulled} packages, {extra} of them not in geoapp's venv")

    procs = []
    with tempfile.TemporaryDirectory() as tmp:
        ours, theirs = free_port(), free_port()
        config = pygeoapi_config(Path(tmp), theirs, args.collection, 1000)
        openapi = Path(tmp) / "pygeoapi-openapi.yml"
        peer_env = {"PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}
        subprocess.run(
            [str(PEER_VENV / "bin" / "pygeoapi"), "openapi", "generate", str(config),
             "--output-file", str(openapi)],
            env={**os.environ, **peer_env}, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        gunicorn = ["--workers", str(args.workers), "--threads", str(args.worker_threads),
                    "--log-level", "warning"]  # fmt: skip
        query = f"items?limit={args.limit}&f=json"
        urls = {
            "geoapp": f"http://127.0.0.1:{ours}/ogc/collections/{args.collection}/{query}",
            "pygeoapi": f"http://127.0.0.1:{theirs}/collections/{args.collection}/{query}",
        }
        try:
            procs.append(
                start(
                    [str(ROOT / ".venv" / "bin" / "gunicorn"), *gunicorn,
                     "--bind", f"127.0.0.1:{ours}", "geoapp.wsgi:app"],
                    {"GEOAPP_DATA_DIR": str(DATA_DIR)},
                    urls["geoapp"],
                )
            )  # fmt: skip
            procs.append(
                start(
                    [str(PEER_VENV / "bin" / "gunicorn"), *gunicorn,
                     "--bind", f"127.0.0.1:{theirs}", "pygeoapi.flask_app:APP"],
                    peer_env,
                    urls["pygeoapi"],
                )
            )  # fmt: skip
            if ids_at(urls["geoapp"]) != ids_at(urls["pygeoapi"]):
                raise SystemExit("the two servers answer different features; not comparable")
            results: dict[str, list[dict]] = {"geoapp": [], "pygeoapi": []}
            for run in range(args.runs):
                order = ["geoapp", "pygeoapi"] if run % 2 == 0 else ["pygeoapi", "geoapp"]
                for name in order:
                    results[name].append(wrk(urls[name], args))
                    r = results[name][-1]
                    print(
                        f"run {run + 1} {name:9} {r['rps']:9.1f} req/s"
                        f"  p50 {r['p50']:7.2f} ms  p99 {r['p99']:7.2f} ms"
                    )
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(timeout=10)

    med = {
        name: {k: statistics.median(r[k] for r in runs) for k in ("rps", "p50", "p99")}
        for name, runs in results.items()
    }
    print(
        f"\n{args.collection} items, limit {args.limit}, {args.workers} workers x "
        f"{args.worker_threads} threads each, "
        f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s, {args.runs} runs each"
    )
    print(f"{'server':9} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}   (medians)")
    for name, m in med.items():
        print(f"{name:9} {m['rps']:9.1f} {m['p50']:8.2f} {m['p99']:8.2f}")
    g, p = med["geoapp"], med["pygeoapi"]
    print(
        f"ratio geoapp/pygeoapi: throughput {g['rps'] / p['rps']:.1f}x, "
        f"p99 {g['p99'] / p['p99']:.2f}x"
    )


if __name__ == "__main__":
    main()
