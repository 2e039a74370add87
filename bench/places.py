"""Benchmark: the places layer on both providers, against pygeoapi, in one run.

Not a test. Servers under gunicorn with the same workers and threads, on loopback:
geoapp on the files provider (the SQLite places store), geoapp on PostGIS (a fresh
database on the test cluster, ``geoapp db load``, which loads the places), pygeoapi
with its GeoJSON provider on the places exported to one file, and pygeoapi with its
PostgreSQL provider on the ``places`` table. Printed, as medians of ``--runs``:

1. ``/api/places`` at zooms 3, 6, 9 and 12 on a 1280x800 view centred on the
   Caspian: p50 and p99 (wrk at low concurrency, so latency is the server's time)
   and the answer's size; goals p50 <= 30 ms, p99 <= 100 ms, <= 200 KB;
2. OGC items on ``places`` with a 2x2 degree bbox (the Caucasus, 501 places) and
   ``limit=1000``: requests per second of each server and geoapp/pygeoapi ratios
   (goal 10x); the four answers are checked to hold the same places first;
3. resident memory per geoapp worker with places loaded, before and after a 60 s
   load run of places and OGC requests (it must not grow).

pygeoapi lives in ``bench/.venv-pygeoapi`` (``bench/providers_wrk.py --setup``).

    .venv/bin/python bench/places.py --runs 3 --duration 5 --load-seconds 60
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api_wrk  # noqa: E402  (bench/ is not a package: its siblings, for the shared setup)
import providers_wrk  # noqa: E402
from wrk import run as wrk_run  # noqa: E402

ROOT = api_wrk.ROOT
PEER_VENV = api_wrk.PEER_VENV
ZOOMS = (3, 6, 9, 12)
CENTRE = (51.0, 41.0)  # the Caspian
OGC_BOX = "44,40,46,42"  # 2 x 2 degrees: Tbilisi to Yerevan, 501 places
OGC_LIMIT = 1000
GOALS = {"p50": 30.0, "p99": 100.0, "kb": 200.0, "ratio": 10.0}


def view(zoom: int) -> str:
    """The box of a 1280x800 Web Mercator view at ``zoom`` on the Caspian, as ``bbox=``."""
    lon, lat = CENTRE
    w, h = 360 * 5 / 2**zoom, 360 * 3.2 / 2**zoom
    box = (max(-180, lon - w / 2), max(-90, lat - h / 2),
           min(180, lon + w / 2), min(90, lat + h / 2))  # fmt: skip
    return ",".join(f"{v:.4f}" for v in box)


def export_geojson(path: Path) -> int:
    """Every place as one FeatureCollection (what pygeoapi's GeoJSON provider reads): the
    records OGC items serve, alternate names included, so both sides send the same."""
    from geoapp.data.places_store import PlacesStore, default_path

    store = PlacesStore(default_path())
    _, docs = store.places(None, 0, 10**6, full=True)
    with open(path, "w", encoding="utf-8") as out:
        out.write('{"type":"FeatureCollection","features":[')
        out.write(",".join(docs))
        out.write("]}")
    return len(docs)


def peer_config(tmp: Path, port: int, geojson: Path, url: str) -> Path:
    """bench/api_wrk.py's config with two collections: the file and the table."""
    path = api_wrk.pygeoapi_config(tmp, port, "places", 10_000)
    config = json.loads(path.read_text())
    template = config["resources"]["places"]
    parts = providers_wrk.urlsplit(url)
    data = {"host": parts.hostname, "port": parts.port or 5432, "dbname": parts.path.lstrip("/"),
            "user": parts.username, "password": parts.password, "search_path": ["geoapp"]}  # fmt: skip
    file_resource = json.loads(json.dumps(template))
    file_resource["providers"] = [
        {"type": "feature", "name": "GeoJSON", "data": str(geojson), "id_field": "id"}
    ]
    table_resource = json.loads(json.dumps(template))
    table_resource.update(title="places_pg", description="places_pg")
    table_resource["providers"] = [
        {"type": "feature", "name": "PostgreSQL", "data": data, "id_field": "geonameid",
         "table": "places", "geom_field": "geom",
         "properties": ["name", "country", "population", "alternates"]}
    ]  # fmt: skip
    config["resources"] = {"places": file_resource, "places_pg": table_resource}
    path.write_text(json.dumps(config, indent=1))
    return path


def fetch(url: str) -> tuple[dict, int]:
    """A JSON answer and its size (pygeoapi's GeoJSON provider takes seconds: a long wait)."""
    return providers_wrk.fetch(url, timeout=120)


def wrk(url: str, duration: int, connections: int, timeout: int = 60) -> dict:
    return wrk_run(url, duration=duration, connections=connections, threads=2, timeout=timeout)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def workers(master: int) -> list[int]:
    return sorted(
        int(c) for c in Path(f"/proc/{master}/task/{master}/children").read_text().split()
    )


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def wait_idle(master: int, most: float = 120.0) -> None:
    """Wait until a server's workers stop using CPU (requests wrk gave up on still run)."""
    deadline = time.monotonic() + most
    last = cpu_seconds(workers(master))
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = cpu_seconds(workers(master))
        if now - last < 0.05:
            return
        last = now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setup", action="store_true", help="pygeoapi's venv and its PG needs")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--load-seconds", type=int, default=60, help="the memory load run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-threads", type=int, default=4)
    parser.add_argument("--connections", type=int, default=16, help="wrk connections, OGC")
    args = parser.parse_args()
    if args.setup:
        providers_wrk.setup_peer()
    if not (PEER_VENV / "bin" / "gunicorn").exists():
        raise SystemExit("no pygeoapi venv: run bench/providers_wrk.py --setup first")
    subprocess.run([sys.executable, "-m", "geoapp", "places", "build"], check=True)

    from geoapp.data.db import redact

    server = providers_wrk.cluster_url()
    url, dbname = providers_wrk.create_database(server)
    version, _, _ = api_wrk.peer_dependencies()
    print(f"pygeoapi {version}; database {redact(url)}", flush=True)
    procs: dict[str, subprocess.Popen] = {}
    try:
        providers_wrk.load(url)  # geoapp db load: the layers, then the places
        with tempfile.TemporaryDirectory() as tmp:
            geojson = Path(tmp) / "places.geojson"
            count = export_geojson(geojson)
            print(f"exported {count} places to {geojson.stat().st_size / 1e6:.0f} MB of GeoJSON")
            ports = {n: api_wrk.free_port() for n in ("files", "postgis", "pygeoapi", "peer_pg")}
            # One pygeoapi server per provider: a slow GeoJSON request still being parsed
            # must not hold the workers the PostgreSQL provider is measured on.
            config = peer_config(Path(tmp), ports["pygeoapi"], geojson, url)
            openapi = Path(tmp) / "pygeoapi-openapi.yml"
            peer_env = {"PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}
            subprocess.run(
                [str(PEER_VENV / "bin" / "pygeoapi"), "openapi", "generate", str(config),
                 "--output-file", str(openapi)],
                env={**os.environ, **peer_env}, check=True, capture_output=True,
            )  # fmt: skip
            gunicorn = ["--workers", str(args.workers), "--threads", str(args.worker_threads),
                        "--log-level", "warning"]  # fmt: skip
            base = {n: f"http://127.0.0.1:{p}" for n, p in ports.items()}
            env = {"files": {"GEOAPP_DATABASE_URL": ""}, "postgis": {"GEOAPP_DATABASE_URL": url}}
            for name in ("files", "postgis"):
                # Workers are not recycled (production's max_requests): a worker that grew
                # would be replaced by a fresh fork, and the memory figure would hide it.
                procs[name] = api_wrk.start_geoapp(
                    ports[name], env[name], args.workers, args.worker_threads,
                    "--max-requests", "0",
                )  # fmt: skip
            for name in ("pygeoapi", "peer_pg"):
                procs[name] = api_wrk.start(
                    [str(PEER_VENV / "bin" / "gunicorn"), *gunicorn,
                     "--bind", f"127.0.0.1:{ports[name]}", "pygeoapi.flask_app:APP"],
                    peer_env, base[name] + "/collections?f=json",
                )  # fmt: skip
            items = f"items?bbox={OGC_BOX}&limit={OGC_LIMIT}&f=json"
            ogc = {
                "files": f"{base['files']}/ogc/collections/places/{items}",
                "postgis": f"{base['postgis']}/ogc/collections/places/{items}",
                "pygeoapi-geojson": f"{base['pygeoapi']}/collections/places/{items}",
                "pygeoapi-pg": f"{base['peer_pg']}/collections/places_pg/{items}",
            }
            sets = {}
            for name, u in ogc.items():
                doc, size = fetch(u)
                sets[name] = {int(f["id"]) for f in doc["features"]}
                print(f"OGC {name:17} {len(sets[name])} places, {size / 1024:.0f} KB")
            if len({frozenset(s) for s in sets.values()}) != 1:
                raise SystemExit("the servers answer different places: not comparable")

            # 1. /api/places, each zoom, both providers.
            api = {(n, z): f"{base[n]}/api/places?bbox={view(z)}&zoom={z}"
                   for n in ("files", "postgis") for z in ZOOMS}  # fmt: skip
            sizes = {key: fetch(u)[1] for key, u in api.items()}
            lat: dict = {key: [] for key in api}
            rps: dict = {name: [] for name in ogc}
            for run in range(args.runs):
                for key, u in api.items():
                    lat[key].append(wrk(u, args.duration, 2))
                names = ["files", "postgis", "pygeoapi-pg"]
                names = names[run % 3 :] + names[: run % 3]
                if run == 0:  # once: it takes seconds a request (below)
                    names.append("pygeoapi-geojson")
                for name in names:
                    # pygeoapi's GeoJSON provider parses the 43 MB file on every request
                    # (about 12 s each here): one connection per worker and a longer run,
                    # or none would finish; then wait until its workers are idle again.
                    slow = name == "pygeoapi-geojson"
                    duration = max(args.duration, 40) if slow else args.duration
                    r = wrk(ogc[name], duration, args.workers if slow else args.connections)
                    if slow:
                        wait_idle(procs["pygeoapi"].pid)
                    rps[name].append(r)
                    print(f"run {run + 1} OGC {name:17} {r['rps']:8.1f} req/s  "
                          f"p99 {r['p99']:8.1f} ms", flush=True)  # fmt: skip

            # 3. memory: per worker, before and after a load run of everything above.
            memory = {}
            for name in ("files", "postgis"):
                pids = workers(procs[name].pid)
                before = [rss_mb(p) for p in pids]
                urls = [api[(name, z)] for z in ZOOMS] + [ogc[name]]
                load = [subprocess.Popen(
                    ["wrk", "-t1", "-c4", f"-d{args.load_seconds}s", u],
                    stdout=subprocess.DEVNULL) for u in urls]  # fmt: skip
                samples = []
                for _ in range(4):
                    time.sleep(args.load_seconds / 4)
                    samples.append([rss_mb(p) for p in pids])
                for proc in load:
                    proc.wait()
                after = [rss_mb(p) for p in workers(procs[name].pid)]
                memory[name] = (before, samples, after)
    finally:
        for proc in procs.values():
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:  # a pygeoapi worker still parsing its file
                proc.kill()
                proc.wait()
        providers_wrk.drop_database(server, dbname)

    print(f"\n/api/places on a 1280x800 view of the Caspian, gunicorn {args.workers}x"
          f"{args.worker_threads}, wrk -c2 -d{args.duration}s, {args.runs} runs, medians")  # fmt: skip
    print(
        f"{'provider':9} {'zoom':>4} {'p50 ms':>8} {'p99 ms':>8} {'KB':>7}  goal p50<=30 p99<=100 KB<=200"
    )
    for (name, z), runs in lat.items():
        p50 = statistics.median(r["p50"] for r in runs)
        p99 = statistics.median(r["p99"] for r in runs)
        kb = sizes[(name, z)] / 1024
        ok = p50 <= GOALS["p50"] and p99 <= GOALS["p99"] and kb <= GOALS["kb"]
        print(f"{name:9} {z:>4} {p50:8.2f} {p99:8.2f} {kb:7.1f}  {'met' if ok else 'MISSED'}")
    med = {n: statistics.median(r["rps"] for r in runs) for n, runs in rps.items()}
    p99 = {n: statistics.median(r["p99"] for r in runs) for n, runs in rps.items()}
    print(f"\nOGC places items bbox={OGC_BOX} limit={OGC_LIMIT} ({len(sets['files'])} places), "
          f"wrk -c{args.connections} (pygeoapi-geojson: -c{args.workers}, 40 s, one run), "
          "medians")  # fmt: skip
    for name in ogc:
        print(f"{name:17} {med[name]:9.2f} req/s  p99 {p99[name]:9.1f} ms")
    for ours_name, peer in (("files", "pygeoapi-geojson"), ("postgis", "pygeoapi-pg"),
                            ("files", "pygeoapi-pg")):  # fmt: skip
        if med[peer] == 0:
            print(f"ratio {ours_name}/{peer}: no {peer} request finished within its run")
            continue
        ratio = med[ours_name] / med[peer]
        print(
            f"ratio {ours_name}/{peer}: {ratio:.1f}x  (goal >= {GOALS['ratio']:.0f}x: "
            f"{'met' if ratio >= GOALS['ratio'] else 'MISSED'})"
        )
    print(f"\nresident memory per worker, MB (before / during {args.load_seconds} s load / after)")
    for name, (before, samples, after) in memory.items():
        during = " | ".join("/".join(f"{v:.0f}" for v in s) for s in samples)
        growth = max(a - b for a, b in zip(after, before, strict=False))
        print(
            f"{name:9} before {'/'.join(f'{v:.0f}' for v in before)}  during {during}  "
            f"after {'/'.join(f'{v:.0f}' for v in after)}  growth {growth:+.1f} MB"
        )


if __name__ == "__main__":
    main()
