"""Start the real app under gunicorn on a free loopback port, for tests that need a server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(*options: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run ``gunicorn OPTIONS geoapp.wsgi:app`` until the block ends; yield its base URL."""
    port = free_port()
    command = [str(Path(sys.executable).with_name("gunicorn")), *options,
               "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "geoapp.wsgi:app"]  # fmt: skip
    proc = subprocess.Popen(command, env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                with urllib.request.urlopen(url + "/api/layers", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
