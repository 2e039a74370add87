"""Benchmark: the goals of issue 8 ("Hardening"), each figure printed beside its goal.

Not a test. geoapp runs under the production command (gunicorn, ``--workers 2 --threads
4``, gthread) on 127.0.0.1, with the default settings, and two things are measured:

1. **Exports under load.** 16 clients ask at once, for ``--duration`` seconds, for the
   biggest PNG the pixel cap lets through (6000 x 4000 px), each request a map of its
   own (the view shifted by a thousandth of a degree, and its own title), so that no
   cache helps: the worst case, every request a new drawing. A client told 503 waits
   its ``Retry-After`` (at most 2 s) and asks again. Meanwhile
   ``wrk`` asks for the map page ``/`` and gives its p99, and the RSS of each gunicorn
   worker is read from ``/proc`` every 0.2 s. Goals: p99 under 0.5 s, worker RSS under
   600 MB.
2. **Layer answers.** ``wrk`` against ``/api/layers/basemap`` (1 MB, every page load
   fetches it) and ``/ogc/collections/ports/items?limit=10&f=json`` (a small page),
   alternating, ``--runs`` times, with and without ``Accept-Encoding: gzip``. Goal: the
   basemap within 2x of the ports page in requests a second (ratio ports / basemap <= 2).

    .venv/bin/python bench/hardening.py                   # ~2 minutes
    .venv/bin/python bench/hardening.py --duration 20 --runs 3
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIG = "6000x4000"  # the largest page EXPORT_MAX_PIXELS lets through by default
CLIENTS = 16
PAGE_P99_GOAL, RSS_GOAL_MB, RATIO_GOAL = 0.5, 600.0, 2.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    command = [str(Path(sys.executable).with_name("gunicorn")), "--workers", "2", "--threads",
               "4", "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "geoapp.wsgi:app"]  # fmt: skip
    env = {**os.environ, "GEOAPP_DATA_DIR": str(ROOT / "geodata")}
    proc = subprocess.Popen(command, env=env, cwd=ROOT)
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/layers", timeout=2):
                return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("gunicorn did not start") from None
            time.sleep(0.2)


def workers(master: int) -> list[int]:
    """The pids of gunicorn's workers (the master's children)."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


def wrk(url: str, duration: float, connections: int, gzip: bool = False) -> dict[str, float]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration:g}s", "--latency",
               "--timeout", "10s", url]  # fmt: skip
    if gzip:
        command[1:1] = ["-H", "Accept-Encoding: gzip"]
    text = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text)[1])
    timeouts = re.search(r"timeout (\d+)", text)
    return {
        "rps": rate,
        "p50": _latency(text, "50%"),
        "p99": _latency(text, "99%"),
        "timeouts": float(timeouts[1]) if timeouts else 0.0,
    }


def _latency(text: str, percent: str) -> float:
    """A latency line of wrk's ``--latency`` table, in seconds."""
    value, unit = re.search(rf"{percent}\s+([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 1e-6, "ms": 1e-3, "s": 1.0}[unit]


def exports_under_load(base: str, master: int, duration: float) -> dict[str, float]:
    """16 clients of big exports for ``duration`` s; the map page's p99 and workers' RSS."""
    stop = threading.Event()
    counts = {"200": 0, "503": 0, "other": 0}
    lock = threading.Lock()

    def client(i: int) -> None:
        n = 0
        while not stop.is_set():
            n += 1
            west = 44 + (i * 1000 + n) / 1000  # a new view each time: nothing cached
            url = f"{base}/export.png?size={BIG}&bbox={west:.3f},35,67,48&title=Load%20{i}-{n}"
            try:
                with urllib.request.urlopen(url, timeout=120) as response:
                    response.read()
                    key, wait = "200", 0.0
            except urllib.error.HTTPError as exc:
                key = "503" if exc.code == 503 else "other"
                wait = min(2.0, float(exc.headers.get("Retry-After") or 1))
            except OSError:
                key, wait = "other", 1.0
            with lock:
                counts[key] += 1
            stop.wait(wait)

    peak: dict[int, float] = {}

    def sample() -> None:
        while not stop.is_set():
            for pid in workers(master):
                peak[pid] = max(peak.get(pid, 0.0), rss_mb(pid))
            stop.wait(0.2)

    for _ in range(20):  # both workers render and cache the page first
        urllib.request.urlopen(base + "/").read()
    before = {pid: rss_mb(pid) for pid in workers(master)}
    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    threads.append(threading.Thread(target=sample))
    for t in threads:
        t.start()
    time.sleep(1.0)  # the exports are under way
    page = wrk(base + "/", duration, connections=4)
    stop.set()
    for t in threads:
        t.join()
    time.sleep(3.0)
    after = {pid: rss_mb(pid) for pid in workers(master)}
    return {
        "page_p99": page["p99"],
        "page_p50": page["p50"],
        "page_rps": page["rps"],
        "page_timeouts": page["timeouts"],
        "rss_before": max(before.values()),
        "rss_peak": max(peak.values()),
        "rss_after": max(after.values()),
        **{f"exports_{k}": float(v) for k, v in counts.items()},
    }


def layer_answers(base: str, runs: int, duration: float) -> dict[str, float]:
    urls = {
        "basemap": f"{base}/api/layers/basemap",
        "ports": f"{base}/ogc/collections/ports/items?limit=10&f=json",
    }
    results: dict[str, list[float]] = {}
    for gzip in (False, True):
        for run in range(runs):
            order = list(urls) if run % 2 == 0 else list(urls)[::-1]
            for name in order:
                key = f"{name}{'_gzip' if gzip else ''}"
                results.setdefault(key, []).append(
                    wrk(urls[name], duration, connections=16, gzip=gzip)["rps"]
                )
    return {key: statistics.median(values) for key, values in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=30, help="seconds of export load")
    parser.add_argument("--runs", type=int, default=3, help="wrk runs per layer URL")
    parser.add_argument("--wrk-duration", type=float, default=5, help="seconds per wrk run")
    args = parser.parse_args()

    port = free_port()
    server = start_server(port)
    base = f"http://127.0.0.1:{port}"
    try:
        load = exports_under_load(base, server.pid, args.duration)
        layers = layer_answers(base, args.runs, args.wrk_duration)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    print(f"\ngeoapp hardening, gunicorn --workers 2 --threads 4, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"\n{CLIENTS} clients of {BIG} px PNGs for {args.duration:g} s "
          f"({load['exports_200']:.0f} drawn, {load['exports_503']:.0f} told 503, "
          f"{load['exports_other']:.0f} other)")  # fmt: skip
    rows = [
        ("map page p99", f"{load['page_p99']:.3f} s", f"< {PAGE_P99_GOAL} s",
         load["page_p99"] < PAGE_P99_GOAL),
        ("map page p50", f"{load['page_p50'] * 1000:.1f} ms", "", None),
        ("map page timeouts", f"{load['page_timeouts']:.0f}", "0", load["page_timeouts"] == 0),
        ("worker RSS, peak", f"{load['rss_peak']:.0f} MB", f"< {RSS_GOAL_MB:.0f} MB",
         load["rss_peak"] < RSS_GOAL_MB),
        ("worker RSS, before / 3 s after", f"{load['rss_before']:.0f} / {load['rss_after']:.0f} MB",
         "", None),
    ]  # fmt: skip
    for gzip in ("", "_gzip"):
        basemap, ports = layers[f"basemap{gzip}"], layers[f"ports{gzip}"]
        ratio = ports / basemap
        label = " (gzip)" if gzip else " (identity)"
        rows += [
            (f"/api/layers/basemap{label}", f"{basemap:.0f} req/s", "", None),
            (f"/ogc/.../ports/items{label}", f"{ports:.0f} req/s", "", None),
            (f"ratio ports / basemap{label}", f"{ratio:.2f}x", f"<= {RATIO_GOAL:g}x",
             ratio <= RATIO_GOAL),
        ]  # fmt: skip
    width = max(len(r[0]) for r in rows)
    print(f"\n{'what':<{width}}  {'figure':>14}  {'goal':>10}  met")
    for what, figure, goal, met in rows:
        mark = "" if met is None else ("yes" if met else "NO")
        print(f"{what:<{width}}  {figure:>14}  {goal:>10}  {mark}")


if __name__ == "__main__":
    main()
