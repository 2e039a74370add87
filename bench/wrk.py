"""One ``wrk`` run and its figures, for every bench that loads a server (one parser).

Not a test. ``run`` returns requests per second, p50 and p99 latency in milliseconds,
how many requests timed out, and the errors wrk reported (non-2xx answers, socket
errors); with ``strict`` any error stops the bench, since an answer that failed would
be counted as a fast one.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence


def run(
    url: str,
    *,
    duration: float,
    connections: int,
    threads: int = 1,
    timeout: float = 10,
    headers: Sequence[str] = (),
    strict: bool = True,
) -> dict:
    """``wrk --latency`` on ``url``: {rps, p50, p99 (ms), timeouts, errors}."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration:g}s", f"--timeout={timeout:g}s",
           "--latency"]  # fmt: skip
    for header in headers:
        cmd += ["-H", header]
    text = subprocess.run(
        [*cmd, url], capture_output=True, text=True, check=True, timeout=duration + timeout + 60
    ).stdout
    errors = []
    if found := re.search(r"Non-2xx or 3xx responses: (\d+)", text):
        errors.append(f"{found.group(1)} non-2xx")
    if found := re.search(r"Socket errors: (.*)", text):
        errors.append(f"socket errors: {found.group(1)}")
    if strict and errors:
        raise SystemExit(f"errors while benchmarking {url}:\n{text}")
    timeouts = re.search(r"timeout (\d+)", text)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),
        "p50": latency(text, "50%"),
        "p99": latency(text, "99%"),
        "timeouts": float(timeouts.group(1)) if timeouts else 0.0,
        "errors": "; ".join(errors),
    }


def latency(text: str, percent: str) -> float:
    """A line of wrk's ``--latency`` table, in milliseconds."""
    value, unit = re.search(rf"^\s+{percent}\s+([\d.]+)(us|ms|s)\s*$", text, re.M).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
