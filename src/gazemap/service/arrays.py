"""The in-process cache of decoded gaze arrays, fixations and stimulus images.

Building a heat map reads every selected recording's gaze blob; inflating them costs
more than the density itself. :class:`ArrayCache` keeps decoded values in memory, least
recently used first out, bounded by their size in bytes
(``settings.cache.array_cache_bytes``). Keys are content addresses (the blob key, plus
what was derived from it), so an entry can never go stale: new data has new keys.

One cache belongs to one :class:`~gazemap.service.context.ServiceContext`
(``ctx.arrays``); it is shared by the threads of that process.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import numpy as np

from gazemap.errors import InvalidInputError
from gazemap.gaze import Recording

__all__ = ["ArrayCache", "recording_nbytes"]

T = TypeVar("T")


def recording_nbytes(recording: Recording) -> int:
    """Bytes held by the arrays of ``recording`` (the size the cache charges for it)."""
    arrays: list[np.ndarray] = [recording.t, recording.x, recording.y, recording.valid]
    if recording.duration is not None:
        arrays.append(recording.duration)
    arrays.extend(recording.extra.values())
    return sum(int(a.nbytes) for a in arrays)


class ArrayCache:
    """A thread-safe LRU of decoded values, bounded by bytes.

    Parameters
    ----------
    max_bytes:
        Capacity; ``0`` disables caching (every :meth:`get_or_load` loads). A value
        larger than the capacity is returned but not kept.

    Notes
    -----
    Concurrent misses of one key load it once: the first caller loads while the others
    wait on a per-key lock, then find the value. Loads of different keys run in
    parallel. Cached values are shared between callers and must be treated as read-only.

    Examples
    --------
    >>> cache = ArrayCache(100)
    >>> cache.get_or_load("a", lambda: ("first", 60))
    'first'
    >>> cache.get_or_load("a", lambda: ("second", 60))
    'first'
    >>> cache.put("b", "other", 60)  # 120 bytes do not fit: "a" goes
    >>> "a" in cache, cache.nbytes
    (False, 60)
    """

    def __init__(self, max_bytes: int) -> None:
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0:
            raise InvalidInputError(
                f"max_bytes must be an integer >= 0, got {max_bytes!r}", field="max_bytes"
            )
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._loading: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()
        self._nbytes = 0
        self.hits = 0
        self.misses = 0

    @property
    def nbytes(self) -> int:
        """Bytes currently held."""
        return self._nbytes

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._entries

    def get(self, key: Hashable) -> Any | None:
        """The cached value of ``key`` (now most recently used), or ``None``."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def put(self, key: Hashable, value: Any, nbytes: int) -> None:
        """Keep ``value`` under ``key``, charging ``nbytes``; evict the oldest to fit."""
        if nbytes > self.max_bytes:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._nbytes -= old[1]
            self._entries[key] = (value, nbytes)
            self._nbytes += nbytes
            while self._nbytes > self.max_bytes:
                _, (_, size) = self._entries.popitem(last=False)
                self._nbytes -= size

    def get_or_load(self, key: Hashable, load: Callable[[], tuple[T, int]]) -> T:
        """The value of ``key``, calling ``load() -> (value, nbytes)`` once if missing.

        Parameters
        ----------
        key:
            Any hashable key.
        load:
            Produces the value and its size in bytes; its exceptions propagate and
            nothing is cached.

        Returns
        -------
        object
            The cached or freshly loaded value.
        """
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return entry[0]  # type: ignore[no-any-return]
            gate = self._loading.setdefault(key, threading.Lock())
        with gate:
            # another thread may have loaded it while this one waited at the gate
            found = self.get(key)
            if found is not None:
                with self._lock:
                    self.hits += 1
                return found  # type: ignore[no-any-return]
            try:
                value, nbytes = load()
                self.put(key, value, nbytes)
            finally:
                with self._lock:
                    if self._loading.get(key) is gate:
                        del self._loading[key]
            with self._lock:
                self.misses += 1
            return value

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._entries.clear()
            self._nbytes = 0
