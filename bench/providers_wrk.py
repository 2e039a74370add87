"""Benchmark: /ogc items on the files provider, the PostGIS provider and pygeoapi on PostgreSQL.

Not a test. In one run, three servers under gunicorn with the same workers and
threads on loopback:

- ``files``: geoapp on the files provider (``geodata/``);
- ``postgis``: geoapp on the PostGIS provider (``GEOAPP_DATABASE_URL``), after
  ``geoapp db load`` into a fresh database on the test cluster (``tools/postgres.sh``);
- ``pygeoapi``: pygeoapi with its PostgreSQL provider (``name: PostgreSQL``) on the
  same database.

pygeoapi cannot read geoapp's layer tables as they are (``geoapp.<layer>`` keeps the
feature as authored in ``doc`` and only the filtered properties in columns; pygeoapi
answers with every column but the geometry as a property and orders by the id), so
each table is copied, in the same database, into schema ``pygeoapi``: one column per
property of the layer's features (text, bigint, double precision, or jsonb for lists),
``ord``, ``geom``; and pygeoapi is asked for ``sortby=ord`` so that it pages in the
same order. Before timing, the three answers are checked to hold the same features
(ids in order, properties, geometries).

wrk hits ``…/collections/<id>/items?limit=10&f=json`` on each server for a bounded
time; each round goes through every collection, the servers in an order that rotates
from round to round; medians and ratios are printed. The database is dropped at the
end. pygeoapi lives in ``bench/.venv-pygeoapi`` (``bench/api_wrk.py --setup``);
``--setup`` here also creates it when missing and adds SQLAlchemy, GeoAlchemy2 and
psycopg2-binary, which its PostgreSQL provider needs.

    .venv/bin/python bench/providers_wrk.py --setup            # once
    .venv/bin/python bench/providers_wrk.py --runs 3 --duration 5 \\
        --collections ports,pipelines,basemap
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.request
import uuid
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api_wrk  # noqa: E402  (bench/ is not a package: its sibling, for the shared setup)
from wrk import run as wrk_run  # noqa: E402

ROOT = api_wrk.ROOT
PEER_VENV = api_wrk.PEER_VENV
DATA_DIR = api_wrk.DATA_DIR
#: What pygeoapi's PostgreSQL provider (pygeoapi.provider.sql) imports, not in its base install.
PEER_PG_PACKAGES = ["SQLAlchemy", "GeoAlchemy2", "psycopg2-binary"]
TEMPLATE = "geoapp_template"  # made by tools/postgres.sh: PostGIS, ready to copy
PEER_SCHEMA = "pygeoapi"
SERVERS = ("files", "postgis", "pygeoapi")
DEFAULT_COLLECTIONS = "ports,pipelines,basemap,borders,caspian"


def setup_peer() -> None:
    """bench/.venv-pygeoapi (as bench/api_wrk.py makes it) plus the PostgreSQL provider's needs."""
    if not (PEER_VENV / "bin" / "pygeoapi").exists():
        api_wrk.setup_peer()
    pip = PEER_VENV / "bin" / "pip"
    subprocess.run([str(pip), "install", "-q", *PEER_PG_PACKAGES], check=True)


def cluster_url() -> str:
    """The test cluster's URL: $GEOAPP_TEST_DATABASE_URL, else ``tools/postgres.sh start``."""
    url = os.environ.get("GEOAPP_TEST_DATABASE_URL")
    if url:
        return url
    out = subprocess.run(
        ["sh", str(ROOT / "tools" / "postgres.sh"), "start"],
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    found = re.search(r"^export GEOAPP_TEST_DATABASE_URL=(\S+)$", out.stdout, re.M)
    if out.returncode != 0 or not found:
        raise SystemExit(f"no PostgreSQL test cluster (tools/postgres.sh start):\n{out.stderr}")
    return found.group(1)


def with_database(url: str, name: str) -> str:
    return urlsplit(url)._replace(path=f"/{name}").geturl()


def admin(url: str):
    import psycopg

    return psycopg.connect(with_database(url, "postgres"), autocommit=True, connect_timeout=10)


def create_database(url: str) -> tuple[str, str]:
    """A fresh database with PostGIS (a copy of the cluster's template): its URL and name."""
    from psycopg import sql

    name = f"geoapp_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with closing(admin(url)) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(TEMPLATE)
            )
        )
    return with_database(url, name), name


def drop_database(url: str, name: str) -> None:
    from psycopg import sql

    with closing(admin(url)) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def load(url: str) -> None:
    """``geoapp db load`` of the bundled data, as an operator runs it."""
    geoapp = Path(sys.executable).with_name("geoapp")
    out = subprocess.run(
        [str(geoapp), "db", "load", "--database-url", url, "--data-dir", str(DATA_DIR)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if out.returncode != 0:
        raise SystemExit(f"geoapp db load failed:\n{out.stdout}{out.stderr}")
    print(out.stdout.strip() or out.stderr.strip())


def copy_for_pygeoapi(url: str, layers: list[str]) -> dict[str, list[str]]:
    """Copy each ``geoapp.<layer>`` into ``pygeoapi.<layer>``, one column per property.

    The properties are read out of ``doc`` (the feature as authored) once, here; their
    SQL type is the JSON type they have in every feature that has them (integers as
    bigint, other numbers as double precision, lists and objects as jsonb). Returns
    the property columns of each layer, in order of first appearance.
    """
    import psycopg
    from psycopg import sql

    columns: dict[str, list[str]] = {}
    with closing(psycopg.connect(url, autocommit=True)) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(PEER_SCHEMA)))
        for layer in layers:
            source = sql.Identifier("geoapp", layer)
            kinds: dict[str, set[str]] = {}
            for key, kind in conn.execute(
                sql.SQL(
                    "SELECT p.key, CASE WHEN jsonb_typeof(p.value) = 'number' "
                    "AND p.value::text ~ '^-?[0-9]+$' THEN 'integer' "
                    "ELSE jsonb_typeof(p.value) END "
                    "FROM {} AS t, jsonb_each(t.doc::jsonb -> 'properties') "
                    "WITH ORDINALITY AS p(key, value, n) ORDER BY t.ord, p.n"
                ).format(source)
            ):
                kinds.setdefault(key, set()).add(kind)
            names = [key for key in kinds if key != "id"]
            selected = []
            for key in names:
                found = kinds[key] - {"null"}
                value = sql.SQL("t.doc::jsonb -> 'properties' -> {}").format(sql.Literal(key))
                text = sql.SQL("t.doc::jsonb -> 'properties' ->> {}").format(sql.Literal(key))
                if found <= {"string"}:
                    expr = text
                elif found == {"integer"}:
                    expr = sql.SQL("({})::bigint").format(text)
                elif found <= {"integer", "number"}:
                    expr = sql.SQL("({})::double precision").format(text)
                else:
                    expr = sql.SQL("NULLIF({}, 'null'::jsonb)").format(value)
                selected.append(sql.SQL("{} AS {}").format(expr, sql.Identifier(key)))
            target = sql.Identifier(PEER_SCHEMA, layer)
            conn.execute(
                sql.SQL("CREATE TABLE {} AS SELECT t.id, t.ord, {}, t.geom FROM {} AS t").format(
                    target, sql.SQL(", ").join(selected), source
                )
            )
            conn.execute(sql.SQL("ALTER TABLE {} ADD PRIMARY KEY (id)").format(target))
            conn.execute(sql.SQL("CREATE UNIQUE INDEX ON {} (ord)").format(target))
            conn.execute(sql.SQL("CREATE INDEX ON {} USING gist (geom)").format(target))
            conn.execute(sql.SQL("ANALYZE {}").format(target))
            columns[layer] = names
    return columns


def pygeoapi_config(tmp: Path, port: int, url: str, columns: dict[str, list[str]]) -> Path:
    """bench/api_wrk.py's config, with one PostgreSQL collection per layer."""
    path = api_wrk.pygeoapi_config(tmp, port, next(iter(columns)), 1000)
    config = json.loads(path.read_text())
    template = next(iter(config["resources"].values()))
    parts = urlsplit(url)
    data = {
        "host": parts.hostname,
        "port": parts.port or 5432,
        "dbname": parts.path.lstrip("/"),
        "user": parts.username,
        "password": parts.password,
        "search_path": [PEER_SCHEMA],
    }
    config["resources"] = {}
    for layer, names in columns.items():
        resource = json.loads(json.dumps(template))
        resource.update(title=layer, description=layer, keywords=[layer])
        resource["providers"] = [
            {
                "type": "feature",
                "name": "PostgreSQL",
                "data": data,
                "id_field": "id",
                "table": layer,
                "geom_field": "geom",
                # Every property but ord (kept for sortby=ord): what geoapp answers.
                "properties": names,
            }
        ]
        config["resources"][layer] = resource
    path.write_text(json.dumps(config, indent=1))
    return path


def fetch(url: str, timeout: float = 30) -> tuple[dict, int]:
    """A JSON answer and its size in bytes."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        body = response.read()
    return json.loads(body), len(body)


def check_same(urls: dict[str, str], collection: str) -> str:
    """Exit unless the three answers hold the same features; a line of page sizes."""
    import shapely
    from shapely.geometry import shape

    pages = {name: fetch(url) for name, url in urls.items()}
    files, postgis = pages["files"][0]["features"], pages["postgis"][0]["features"]
    if files != postgis:
        raise SystemExit(f"{collection}: files and PostGIS answer different features")
    peer = pages["pygeoapi"][0]["features"]
    ids = [f["id"] for f in files]
    if [str(f["id"]) for f in peer] != ids:
        raise SystemExit(f"{collection}: pygeoapi pages other features: {[f['id'] for f in peer]}")
    for ours, theirs in zip(files, peer, strict=True):
        # A table has a column for every property of the layer: pygeoapi sends null for
        # those a feature lacks, which geoapp leaves out.
        kept = ours["properties"]
        props = {k: v for k, v in theirs["properties"].items() if v is not None or k in kept}
        if {**props, "id": theirs["id"]} != ours["properties"]:
            raise SystemExit(f"{collection}: {ours['id']}: pygeoapi's properties differ")
        if not shapely.equals_exact(
            shape(ours["geometry"]), shape(theirs["geometry"]), tolerance=0
        ):
            raise SystemExit(f"{collection}: {ours['id']}: pygeoapi's geometry differs")
    sizes = ", ".join(f"{name} {size / 1024:.1f}" for name, (_, size) in pages.items())
    return f"{collection}: the same {len(ids)} features on all three; page KB: {sizes}"


def wrk(url: str, args: argparse.Namespace) -> dict:
    """One wrk run: req/s, p50/p99 in ms, and errors (non-2xx, socket errors) if any."""
    return wrk_run(url, duration=args.duration, connections=args.connections,
                   threads=args.threads, timeout=args.timeout, strict=False)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setup", action="store_true", help="pygeoapi's venv and its PG needs")
    parser.add_argument(
        "--collections",
        default=DEFAULT_COLLECTIONS,
        help=f"comma-separated ({DEFAULT_COLLECTIONS})",
    )
    parser.add_argument("--limit", type=int, default=10, help="items per page requested")
    parser.add_argument("--runs", type=int, default=3, help="rounds (each server, each collection)")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers, each server")
    parser.add_argument("--worker-threads", type=int, default=4, help="gunicorn threads/worker")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--timeout", type=int, default=10, help="wrk request timeout, seconds")
    args = parser.parse_args()
    collections = [c.strip() for c in args.collections.split(",") if c.strip()]

    if args.setup:
        setup_peer()
    if not (PEER_VENV / "bin" / "gunicorn").exists():
        raise SystemExit("no pygeoapi venv: run with --setup first")
    missing = subprocess.run(
        [str(PEER_VENV / "bin" / "python"), "-c", "import sqlalchemy, geoalchemy2, psycopg2"],
        capture_output=True, check=False,
    )  # fmt: skip
    if missing.returncode != 0:
        raise SystemExit(f"pygeoapi's venv lacks {', '.join(PEER_PG_PACKAGES)}: run with --setup")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install -y wrk")

    from geoapp.data.db import redact
    from geoapp.data.schema import LAYERS

    unknown = [c for c in collections if c not in LAYERS]
    if unknown:
        raise SystemExit(f"unknown collection(s) {', '.join(unknown)}; layers: {', '.join(LAYERS)}")
    version, _, _ = api_wrk.peer_dependencies()
    server = cluster_url()
    url, dbname = create_database(server)
    print(f"pygeoapi {version}; database {redact(url)}")
    procs = []
    try:
        load(url)
        columns = copy_for_pygeoapi(url, collections)
        with tempfile.TemporaryDirectory() as tmp:
            ports = {name: api_wrk.free_port() for name in SERVERS}
            config = pygeoapi_config(Path(tmp), ports["pygeoapi"], url, columns)
            openapi = Path(tmp) / "pygeoapi-openapi.yml"
            peer_env = {"PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}
            generated = subprocess.run(
                [str(PEER_VENV / "bin" / "pygeoapi"), "openapi", "generate", str(config),
                 "--output-file", str(openapi)],
                env={**os.environ, **peer_env}, capture_output=True, text=True, check=False,
            )  # fmt: skip
            if generated.returncode != 0:  # its warnings (column types) only when it fails
                raise SystemExit(f"pygeoapi openapi generate failed:\n{generated.stderr}")
            query = f"items?limit={args.limit}&f=json"
            urls = {
                c: {
                    "files": f"http://127.0.0.1:{ports['files']}/ogc/collections/{c}/{query}",
                    "postgis": f"http://127.0.0.1:{ports['postgis']}/ogc/collections/{c}/{query}",
                    "pygeoapi": f"http://127.0.0.1:{ports['pygeoapi']}/collections/{c}/{query}"
                    "&sortby=ord",
                }
                for c in collections
            }
            gunicorn = ["--workers", str(args.workers), "--threads", str(args.worker_threads),
                        "--log-level", "warning"]  # fmt: skip
            ours = str(Path(sys.executable).with_name("gunicorn"))
            theirs = str(PEER_VENV / "bin" / "gunicorn")
            env = {
                "files": {"GEOAPP_DATA_DIR": str(DATA_DIR)},
                "postgis": {"GEOAPP_DATABASE_URL": url},
                "pygeoapi": peer_env,
            }
            for name in SERVERS:
                app = "pygeoapi.flask_app:APP" if name == "pygeoapi" else "geoapp.wsgi:app"
                cmd = [theirs if name == "pygeoapi" else ours, *gunicorn,
                       "--bind", f"127.0.0.1:{ports[name]}", app]  # fmt: skip
                procs.append(api_wrk.start(cmd, env[name], urls[collections[0]][name]))
            for c in collections:
                print(check_same(urls[c], c))

            results = {c: {name: [] for name in SERVERS} for c in collections}
            for run in range(args.runs):
                order = SERVERS[run % 3 :] + SERVERS[: run % 3]
                for c in collections:
                    for name in order:
                        r = wrk(urls[c][name], args)
                        results[c][name].append(r)
                        print(
                            f"run {run + 1} {c:12} {name:8} {r['rps']:9.1f} req/s"
                            f"  p50 {r['p50']:8.2f} ms  p99 {r['p99']:8.2f} ms"
                            + (f"  ERRORS: {r['errors']}" if r["errors"] else ""),
                            flush=True,
                        )
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=10)
        drop_database(server, dbname)

    print(
        f"\n/items?limit={args.limit}, gunicorn {args.workers} workers x {args.worker_threads} "
        f"threads each, wrk -t{args.threads} -c{args.connections} -d{args.duration}s, "
        f"{args.runs} runs each, medians"
    )
    head = ("collection", "files", "PostGIS", "pygeoapi-PG", "PG/files", "PG/pygeoapi",
            "p99 files", "p99 PG", "p99 pygeoapi")  # fmt: skip
    print(f"{head[0]:12} {'':>1}" + "".join(f"{h:>13}" for h in head[1:]))
    print(f"{'':12} {'':>1}" + "".join(f"{u:>13}" for u in ["req/s"] * 3 + [""] * 2 + ["ms"] * 3))
    for c in collections:
        med = {
            name: {k: statistics.median(r[k] for r in runs) for k in ("rps", "p99")}
            for name, runs in results[c].items()
        }
        flagged = any(r["errors"] for runs in results[c].values() for r in runs)
        cells = [f"{med[n]['rps']:.1f}" for n in SERVERS]
        cells += [
            f"{med['postgis']['rps'] / med['files']['rps']:.2f}x",
            f"{med['postgis']['rps'] / med['pygeoapi']['rps']:.2f}x",
        ]
        cells += [f"{med[n]['p99']:.1f}" for n in SERVERS]
        print(f"{c:12} {'!' if flagged else ' '}" + "".join(f"{x:>13}" for x in cells))
    if any(r["errors"] for res in results.values() for runs in res.values() for r in runs):
        print("! some runs had errors (see ERRORS above)")


if __name__ == "__main__":
    main()
