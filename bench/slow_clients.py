"""Benchmark: slow clients plus normal traffic, gunicorn alone vs nginx in front of it.

Not a test. The same load runs against the production gunicorn settings
(``geoapp.deploy.gunicorn``: 2 gthread workers of 4 threads) listening on loopback by
itself, then against ``python -m geoapp.deploy`` (``make serve-prod``: nginx in front of
the same gunicorn on a unix socket): ``--slow`` connections that send their request
head a byte per second and never finish it, reconnecting when cut, while ``--fast``
clients GET ``/api/layers`` and ``/`` back to back for ``--duration`` seconds. Every
fast request gets ``--timeout`` seconds; one that times out or fails counts as
infinitely slow in the percentiles. Everything stays on 127.0.0.1 and ends in bounded
time. Runs alternate between the two servers; the table pools every run's requests
and lists each run's p99.

    .venv/bin/python bench/slow_clients.py                     # 200 slow, 64 fast, 10 s, 3 runs
    .venv/bin/python bench/slow_clients.py --slow 8 --fast 16  # the 8 of issue 8
"""

from __future__ import annotations

import argparse
import functools
import math
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geoapp.deploy import GUNICORN_CONFIG, nginx_binary  # noqa: E402
from tests.load import LoadResult, run_load  # noqa: E402
from tests.servers import gunicorn, production  # noqa: E402

#: The goal of issue 8: normal requests keep answering, p99 under a second.
GOAL_P99 = 1.0


def seconds(value: float) -> str:
    return "never" if math.isinf(value) else f"{value:.3f} s"


def table(runs: dict[str, list[LoadResult]], timeout: float) -> str:
    """One column per server: every run's requests pooled, and each run's own p99."""
    pooled = {name: functools.reduce(LoadResult.merge, each) for name, each in runs.items()}
    rows: list[tuple[str, str, Callable[[LoadResult, list[LoadResult]], str]]] = [
        ("fast requests", "", lambda r, _: str(r.requests)),
        ("answered 200", "all", lambda r, _: str(r.ok)),
        (f"timed out (> {timeout:g} s)", "0", lambda r, _: str(r.timeouts)),
        ("failed (reset, refused)", "0", lambda r, _: str(sum(r.errors.values()))),
        ("p50", "", lambda r, _: seconds(r.percentile(50))),
        ("p99", f"< {GOAL_P99:g} s", lambda r, _: seconds(r.percentile(99))),
        ("p99 of each run (s)", "", lambda _, each: " / ".join(
            seconds(one.percentile(99)).removesuffix(" s") for one in each)),
        ("slowest answer", "", lambda r, _: seconds(max(r.latencies, default=math.inf))),
        ("slow clients open at once", "", lambda r, _: str(r.slow_peak)),
        ("slow clients cut by server", "", lambda r, _: str(r.slow_cut)),
        ("meets the goal", "", lambda r, _: "yes" if meets(r) else "NO"),
    ]  # fmt: skip
    names = list(runs)
    widths = [30, 10, *(max(22, len(n) + 2) for n in names)]
    lines = [
        "".join(h.ljust(w) for h, w in zip(["", "goal", *names], widths, strict=True)).rstrip()
    ]
    for label, goal, cell in rows:
        cells = [label, goal, *(cell(pooled[n], runs[n]) for n in names)]
        lines.append("".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
    return "\n".join(lines)


def meets(result: LoadResult) -> bool:
    return result.ok == result.requests and result.percentile(99) < GOAL_P99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--slow", type=int, default=200, help="slow connections (200)")
    parser.add_argument("--fast", type=int, default=64, help="fast clients (64)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of fast load (10)")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per request (5)")
    parser.add_argument("--runs", type=int, default=3, help="runs against each server (3)")
    parser.add_argument("--pause", type=float, default=0.0,
                        help="seconds each fast client waits between requests (0: back to back)")  # fmt: skip
    args = parser.parse_args()
    if nginx_binary() is None:
        sys.exit("slow_clients: nginx is not installed (apt-get install nginx)")
    load = {"slow": args.slow, "fast": args.fast, "duration": args.duration,
            "timeout": args.timeout, "pause": args.pause}  # fmt: skip
    results: dict[str, list[LoadResult]] = {"gunicorn alone": [], "nginx + gunicorn": []}
    with tempfile.TemporaryDirectory(prefix="geoapp-bench-") as tmp:
        for run in range(args.runs):
            env = {"GEOAPP_RUN_DIR": str(Path(tmp) / f"alone{run}")}
            with gunicorn("-c", GUNICORN_CONFIG, env=env) as url:
                port = int(url.rsplit(":", 1)[1])
                results["gunicorn alone"].append(run_load("127.0.0.1", port, **load))
            with production(Path(tmp) / f"prod{run}") as server:
                results["nginx + gunicorn"].append(run_load("127.0.0.1", server.port, **load))
    print(
        f"{args.slow} slow clients (request head at 1 byte/s, never finished) and "
        f"{args.fast} fast clients (GET /api/layers and /, "
        f"{'back to back' if not args.pause else f'{args.pause:g} s apart'}) for "
        f"{args.duration:g} s on 127.0.0.1, {args.runs} run(s) each; "
        "gunicorn: 2 gthread workers x 4 threads\n"
    )
    print(table(results, args.timeout))


if __name__ == "__main__":
    main()
