"""An in-process least-recently-used cache bounded in bytes."""

from __future__ import annotations

import threading
from collections import OrderedDict

from gazemap.cache.base import Cache
from gazemap.errors import InvalidInputError

__all__ = ["MemoryCache"]


class MemoryCache(Cache):
    """Least-recently-used cache in this process, bounded by the bytes it holds.

    Parameters
    ----------
    max_bytes:
        Upper bound of ``len(key) + len(value)`` summed over the entries. A value
        larger than the whole bound is not stored.
    tier:
        Name in outcomes, logs and metrics.

    Notes
    -----
    Heat-map values differ in size by orders of magnitude (a 64×64 density is
    32 KiB, a 4000×3000 one 96 MiB), so the bound is in bytes, not entries.
    Every operation is O(1) under one lock; values are immutable ``bytes``, so
    they are handed out without copying.

    Examples
    --------
    >>> cache = MemoryCache(max_bytes=10)
    >>> cache.set("a", b"12345")
    True
    >>> cache.set("b", b"12345")  # 12 bytes with both keys: "a" is evicted
    True
    >>> cache.get("a") is None, cache.get("b")
    (True, b'12345')
    """

    def __init__(self, max_bytes: int, *, tier: str = "memory") -> None:
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0:
            raise InvalidInputError(
                f"max_bytes must be an int >= 0, got {max_bytes!r}", field="max_bytes"
            )
        super().__init__(tier=tier)
        self.max_bytes = max_bytes
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._nbytes = 0
        self._lock = threading.Lock()

    def _load(self, key: str) -> bytes | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def _store(self, key: str, value: bytes) -> None:
        cost = len(key) + len(value)
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._nbytes -= len(key) + len(old)
            if cost <= self.max_bytes:
                self._entries[key] = value
                self._nbytes += cost
                evicted = 0
                while self._nbytes > self.max_bytes:
                    k, v = self._entries.popitem(last=False)
                    self._nbytes -= len(k) + len(v)
                    evicted += 1
                if evicted:
                    self.stats.add("evictions", evicted)
            self.stats.set_size(nbytes=self._nbytes, entries=len(self._entries))

    def _remove(self, key: str) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._nbytes -= len(key) + len(old)
            self.stats.set_size(nbytes=self._nbytes, entries=len(self._entries))

    def _clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._nbytes = 0
            self.stats.set_size(nbytes=0, entries=0)
