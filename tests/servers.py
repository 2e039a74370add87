"""Start the real app on a free loopback port, for tests that need a server: under
gunicorn alone, or as production runs it (``make serve-prod``: nginx in front)."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from geoapp.deploy import RunFiles

#: Where servers' ports are picked: below the kernel's ephemeral range, which clients'
#: connections draw from (one could take a port between its pick and the server's bind).
PORTS = range(10_000, 32_768)


def free_port() -> int:
    """A loopback port that nothing listens on, for a server to bind.

    Under pytest-xdist each worker picks in a slice of :data:`PORTS` of its own, so that
    two workers never hand out the same port; the bind check skips what others hold.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    count = max(1, int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))
    index = int(worker.removeprefix("gw") or 0) % count
    size = len(PORTS) // count
    ours = PORTS[index * size : (index + 1) * size]
    for port in random.SystemRandom().sample(ours, 50):
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers bind
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free loopback port in {ours}")


@contextmanager
def gunicorn(*options: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run ``gunicorn OPTIONS geoapp.wsgi:app`` until the block ends; yield its base URL."""
    port = free_port()
    command = [str(Path(sys.executable).with_name("gunicorn")), *options,
               "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "geoapp.wsgi:app"]  # fmt: skip
    proc = subprocess.Popen(command, env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(url + "/api/layers", proc, "gunicorn", timeout=60)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _wait_for(url: str, proc: subprocess.Popen, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not start") from None
            time.sleep(0.2)


@dataclass(frozen=True)
class Production:
    """A running ``python -m geoapp.deploy``: nginx's URL, its run files, the launcher."""

    url: str
    port: int
    files: RunFiles
    process: subprocess.Popen

    def master_pid(self) -> int:
        """gunicorn's master, from the pid file its config writes."""
        return int(self.files.gunicorn_pid.read_text())

    def worker_pids(self) -> set[int]:
        """gunicorn's workers: the master's children."""
        return children(self.master_pid())


def children(pid: int) -> set[int]:
    """The processes ``pid`` started (gunicorn's workers, for its master), from /proc."""
    return {int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


@contextmanager
def production(run_dir: Path, env: dict[str, str] | None = None) -> Iterator[Production]:
    """Run ``python -m geoapp.deploy`` (what ``make serve-prod`` runs: gunicorn from
    ``geoapp.deploy.gunicorn`` behind nginx from ``geoapp/deploy/nginx.conf``) with nginx
    on a free loopback port until the block ends; stop it as Ctrl-C does."""
    port = free_port()
    command = [sys.executable, "-m", "geoapp.deploy", "--host", "127.0.0.1",
               "--port", str(port), "--run-dir", str(run_dir)]  # fmt: skip
    proc = subprocess.Popen(command, env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(url + "/api/layers", proc, "nginx and gunicorn")
        yield Production(url, port, RunFiles(Path(run_dir).absolute()), proc)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
