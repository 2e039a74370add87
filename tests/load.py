"""Slow and fast HTTP clients at once, on loopback: the load of issue 8's finding 2.

Slow clients send a request head a byte at a time, every ``slow_interval`` seconds,
and never finish it (a slowloris); when the server closes one, it opens another, so
``slow`` connections stay open all along. Meanwhile ``fast`` clients each send normal
GETs one after another over a keep-alive connection and time every answer. Used by
``tests/test_deploy.py`` and ``bench/slow_clients.py``; one asyncio loop drives all of
them, so a few hundred connections cost the client little CPU.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import itertools
import math
from collections import Counter
from dataclasses import dataclass, field

#: A request head that never ends: the request line, Host, then one endless header.
SLOW_HEAD = b"GET /api/layers HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "


@dataclass
class LoadResult:
    """What the fast clients saw, and what happened to the slow ones."""

    latencies: list[float] = field(default_factory=list)  # seconds, answers of any status
    statuses: Counter = field(default_factory=Counter)
    timeouts: int = 0
    errors: Counter = field(default_factory=Counter)  # exception names: resets, refusals
    slow_peak: int = 0  # slow connections open at once, at most
    slow_cut: int = 0  # slow connections the server closed
    _slow_open: int = 0

    @property
    def requests(self) -> int:
        return len(self.latencies) + self.timeouts + sum(self.errors.values())

    @property
    def ok(self) -> int:
        return self.statuses[200]

    def percentile(self, q: float) -> float:
        """The ``q``-th percentile of every request's time; a request that timed out or
        failed counts as infinitely slow, so it can never hide in the tail."""
        times = sorted(self.latencies) + [math.inf] * (self.timeouts + sum(self.errors.values()))
        if not times:
            return math.nan
        return times[min(len(times) - 1, math.ceil(q / 100 * len(times)) - 1)]

    def merge(self, other: LoadResult) -> LoadResult:
        """Both runs' requests in one result (the slow clients' figures are the worse)."""
        return LoadResult(
            latencies=self.latencies + other.latencies,
            statuses=self.statuses + other.statuses,
            timeouts=self.timeouts + other.timeouts,
            errors=self.errors + other.errors,
            slow_peak=min(self.slow_peak, other.slow_peak) if self.requests else other.slow_peak,
            slow_cut=self.slow_cut + other.slow_cut,
        )

    def summary(self) -> str:
        return (
            f"{self.requests} requests, {self.ok} answered 200, {self.timeouts} timed out, "
            f"errors {dict(self.errors) or 0}, statuses {dict(self.statuses)}, "
            f"p50 {self.percentile(50):.3f} s, p99 {self.percentile(99):.3f} s; "
            f"slow clients: {self.slow_peak} open at once, {self.slow_cut} cut by the server"
        )


async def _slow_client(host: str, port: int, interval: float, stop: asyncio.Event, result):
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            await asyncio.sleep(interval)
            continue
        result._slow_open += 1
        result.slow_peak = max(result.slow_peak, result._slow_open)
        try:
            for byte in itertools.chain(SLOW_HEAD, itertools.repeat(ord("a"))):
                writer.write(bytes([byte]))
                await writer.drain()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), interval)
                if stop.is_set():
                    break
                if reader.at_eof():
                    result.slow_cut += 1
                    break
        except OSError:
            result.slow_cut += 1
        finally:
            result._slow_open -= 1
            writer.close()


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one HTTP/1.1 answer; return its status and whether the connection stays open."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    version, status = lines[0].split(" ", 2)[:2]
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip().lower()
    if headers.get("transfer-encoding") == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    elif "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    else:
        await reader.read()
        return int(status), False
    return int(status), version == "HTTP/1.1" and headers.get("connection") != "close"


async def _fast_client(host, port, paths, timeout, pause, stop: asyncio.Event, result):
    loop = asyncio.get_running_loop()
    connection = None
    for path in itertools.cycle(paths):
        if stop.is_set():
            break
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Accept-Encoding: gzip\r\nUser-Agent: geoapp-load\r\n\r\n"
        ).encode()
        start = loop.time()
        try:
            async with asyncio.timeout(timeout):  # connecting counts: a queue may be there
                if connection is None:
                    connection = await asyncio.open_connection(host, port)
                connection[1].write(request)
                status, keep = await _read_response(connection[0])
        except TimeoutError:
            result.timeouts += 1
            keep = False
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            result.errors[type(exc).__name__] += 1
            keep = False
        else:
            result.latencies.append(loop.time() - start)
            result.statuses[status] += 1
        if not keep and connection is not None:
            connection[1].close()
            connection = None
        if pause:
            await asyncio.sleep(pause)
    if connection is not None:
        connection[1].close()


async def _run(host, port, slow, fast, duration, ramp, slow_interval, timeout, paths, pause):
    result = LoadResult()
    stop_slow, stop_fast = asyncio.Event(), asyncio.Event()
    slow_tasks = [
        asyncio.create_task(_slow_client(host, port, slow_interval, stop_slow, result))
        for _ in range(slow)
    ]
    await asyncio.sleep(ramp)  # every slow connection open and sending before the fast start
    fast_tasks = [
        asyncio.create_task(_fast_client(host, port, paths, timeout, pause, stop_fast, result))
        for _ in range(fast)
    ]
    await asyncio.sleep(duration)
    stop_fast.set()
    await asyncio.gather(*fast_tasks)  # requests in flight finish or time out
    stop_slow.set()
    await asyncio.gather(*slow_tasks)
    return result


def run_load(
    host: str,
    port: int,
    *,
    slow: int = 200,
    fast: int = 64,
    duration: float = 10.0,
    ramp: float = 2.0,
    slow_interval: float = 1.0,
    timeout: float = 5.0,
    paths: tuple[str, ...] = ("/api/layers", "/"),
    pause: float = 0.0,
) -> LoadResult:
    """Hold ``slow`` slow connections open while ``fast`` clients GET ``paths`` for
    ``duration`` seconds (after ``ramp`` seconds for the slow ones to connect); every
    fast request gets ``timeout`` seconds, connecting included. Bounded: it ends after
    about ``ramp + duration + timeout`` seconds whatever the server does."""
    load = _run(host, port, slow, fast, duration, ramp, slow_interval, timeout, paths, pause)
    # A thread of its own, with its own event loop: the caller's thread may be running one
    # already (Playwright's sync API does, for the whole session of the browser tests).
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, load).result()
