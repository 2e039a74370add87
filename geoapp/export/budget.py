"""The export budget: how many image exports a worker process draws at once.

Drawing a large PNG, SVG or PDF takes one core for seconds and a raster of 4 bytes a
pixel. Unbounded, sixteen 6000 x 6000 px exports took 1.7 GB in a worker and held the
map page's answers behind them. So each worker draws at most ``EXPORT_CONCURRENCY``
image exports at once, lets at most ``EXPORT_QUEUE`` more wait (for ``QUEUE_WAIT``
seconds at most), and answers the rest at once with a 503 and ``Retry-After``
(:class:`BusyError`, mapped in :mod:`geoapp.errors`). A waiting export holds a server
thread, so ``EXPORT_CONCURRENCY + EXPORT_QUEUE`` should stay below gunicorn's
``--threads``: the map page then always has a thread.

When the last export in progress ends, the memory it used goes back to the system
(:func:`release_memory`), so a worker does not keep the peak of a burst of exports.

Flask-free: the export view holds one budget per app and asks it for a slot.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from geoapp.errors import BusyError

log = logging.getLogger(__name__)

#: The longest an export waits for a slot before it gets a 503 (seconds).
QUEUE_WAIT = 20.0
#: Retry-After when no export has been timed yet, and its bounds (seconds).
RETRY_DEFAULT, RETRY_MIN, RETRY_MAX = 5, 1, 60


class ExportBudget:
    """A bounded semaphore with a bounded queue, safe across a worker's threads."""

    def __init__(self, concurrency: int, queue: int = 0, wait: float = QUEUE_WAIT):
        self.concurrency = concurrency
        self.queue = queue
        self.wait = wait
        self.running = 0
        self.waiting = 0
        self._recent: deque[float] = deque(maxlen=8)
        self._cond = threading.Condition()

    def retry_after(self) -> int:
        """Seconds until a slot is likely free: the recent exports' mean time, per slot."""
        with self._cond:
            if not self._recent:
                return RETRY_DEFAULT
            mean = sum(self._recent) / len(self._recent)
            ahead = (self.waiting + 1) / self.concurrency
        return max(RETRY_MIN, min(RETRY_MAX, math.ceil(mean * ahead)))

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold one of the slots for the block; raise BusyError when none can be had."""
        with self._cond:
            if self.running >= self.concurrency:
                if self.waiting >= self.queue:
                    busy = True
                else:
                    self.waiting += 1
                    try:
                        got = self._cond.wait_for(
                            lambda: self.running < self.concurrency, timeout=self.wait
                        )
                    finally:
                        self.waiting -= 1
                    busy = not got
            else:
                busy = False
            if not busy:
                self.running += 1
        if busy:
            raise BusyError(self.retry_after(), self.concurrency)
        start = time.monotonic()
        try:
            yield
        finally:
            with self._cond:
                self.running -= 1
                self._recent.append(time.monotonic() - start)
                idle = self.running == 0 and self.waiting == 0
                self._cond.notify()
            if idle:
                release_memory()


@cache
def _malloc_trim():
    """glibc's malloc_trim, or None where there is no glibc (macOS, musl)."""
    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None
    if trim is not None:
        trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def release_memory() -> None:
    """Give freed heap memory back to the system.

    A drawing frees its raster at once (:func:`geoapp.maps.printed.figure.close`), but glibc keeps
    the smaller blocks it freed in per-thread arenas, so a worker's RSS stayed near
    the peak of a burst of exports (0.7 to 1.5 GB). ``malloc_trim(0)`` returns them;
    it takes well under a millisecond.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
