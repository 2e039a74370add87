"""A small thread-safe LRU that builds each missing value once.

Map pages, exports and projected basemaps are pure functions of their key while
the data stays loaded (a reload drops the caches with it), and each is expensive to build. When
several threads miss the same key at once, the first builds and the others wait
for its result instead of building it again.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Generic, TypeVar

V = TypeVar("V")


class BuildOnceCache(Generic[V]):
    """Keep the ``size`` most recently used values; build a missing one once, outside the lock."""

    def __init__(self, size: int):
        self.size = max(0, int(size))
        self.builds = 0
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self._pending: dict[Hashable, Future] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], V]) -> V:
        """Return the value for ``key``, calling ``build`` only if no one has or is."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            pending = self._pending.get(key)
            owner = pending is None
            if owner:
                pending = self._pending[key] = Future()
        if not owner:
            return pending.result()
        try:
            value = build()
        except BaseException as exc:
            with self._lock:
                del self._pending[key]
            pending.set_exception(exc)
            raise
        with self._lock:
            del self._pending[key]
            self.builds += 1
            if self.size:
                self._values[key] = value
                while len(self._values) > self.size:
                    self._values.popitem(last=False)
        pending.set_result(value)
        return value

    def clear(self) -> None:
        """Forget every kept value (builds under way finish for their waiters)."""
        with self._lock:
            self._values.clear()

    def __len__(self) -> int:
        return len(self._values)


class PerOwner(Generic[V]):
    """One BuildOnceCache per owner object (a catalog), dropped with its owner.

    For values that belong to one loaded data set: a reload makes a new catalog, so
    its caches start empty and the old ones go with the old catalog.
    """

    def __init__(self, size: int):
        self.size = size
        self._caches: weakref.WeakKeyDictionary[object, BuildOnceCache[V]] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def of(self, owner: object) -> BuildOnceCache[V]:
        """The cache of ``owner``, made on first use."""
        with self._lock:
            found = self._caches.get(owner)
            if found is None:
                found = self._caches[owner] = BuildOnceCache(self.size)
        return found
