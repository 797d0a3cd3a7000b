"""The cache interface every backend implements, and the counters each one keeps.

A cache maps a text key to a ``bytes`` value. That is all a backend has to know;
what the bytes mean (a density array and its resolved parameters, a PNG) is decided
by :mod:`gazemap.cache.entry`, and how keys are made by :mod:`gazemap.cache.keys`.

The public methods (:meth:`Cache.lookup`, :meth:`Cache.set`, …) are written once
here. A backend fills in four small hooks (``_load``, ``_store``, ``_remove``,
``_clear``) and lists in ``failures`` the exception types that mean *the backend is
unavailable* (``OSError`` for a folder, ``RedisError`` for Redis). Those are caught,
counted and logged on the ``gazemap.cache`` logger, and the operation answers as a
miss: a cache that is down makes gazemap slower, never wrong and never failing.
Every other exception is a bug and propagates.
"""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import NamedTuple, Self

from gazemap.errors import InvalidInputError

__all__ = ["Cache", "CacheStats", "Flight", "FlightLock", "Lookup", "StatsSnapshot"]

logger = logging.getLogger("gazemap.cache")


class Lookup(NamedTuple):
    """What one :meth:`Cache.lookup` found.

    Attributes
    ----------
    value:
        The stored bytes, or ``None`` on a miss.
    tier:
        Name of the tier that answered (``"memory"``, ``"disk"``, ``"redis"``), or
        ``None`` on a miss.
    failed:
        True when a tier could not be asked because it failed; the lookup then
        went on (or answered a miss) without it.
    """

    value: bytes | None
    tier: str | None
    failed: bool


@dataclass(frozen=True)
class StatsSnapshot:
    """The counters of one tier at one moment; see :class:`CacheStats`."""

    tier: str
    hits: int
    misses: int
    errors: int
    sets: int
    evictions: int
    bytes: int
    entries: int
    outcomes: dict[str, int] = field(default_factory=dict)


class CacheStats:
    """Thread-safe counters of one cache tier, read by the metrics exporter.

    ``hits``, ``misses``, ``errors``, ``sets`` and ``evictions`` only grow;
    ``bytes`` and ``entries`` are the current size where the backend knows it
    (memory and disk) and stay 0 where it does not (Redis). ``outcomes`` counts
    the answers of :func:`gazemap.cache.get_or_compute` made through this cache.
    """

    def __init__(self, tier: str) -> None:
        self.tier = tier
        self._lock = threading.Lock()
        self._counts = collections.Counter[str]()
        self._outcomes = collections.Counter[str]()
        self._bytes = 0
        self._entries = 0

    def add(self, name: str, n: int = 1) -> None:
        """Add ``n`` to the counter ``name`` (``hits``, ``misses``, ``errors``, …)."""
        with self._lock:
            self._counts[name] += n

    def record_outcome(self, outcome: str) -> None:
        """Count one :func:`~gazemap.cache.get_or_compute` answer."""
        with self._lock:
            self._outcomes[outcome] += 1

    def set_size(self, *, nbytes: int, entries: int) -> None:
        """Record the current stored size of the tier."""
        with self._lock:
            self._bytes = nbytes
            self._entries = entries

    def snapshot(self) -> StatsSnapshot:
        """A consistent copy of every counter."""
        with self._lock:
            c = self._counts
            return StatsSnapshot(
                tier=self.tier,
                hits=c["hits"],
                misses=c["misses"],
                errors=c["errors"],
                sets=c["sets"],
                evictions=c["evictions"],
                bytes=self._bytes,
                entries=self._entries,
                outcomes=dict(self._outcomes),
            )


class FlightLock:
    """A lock shared between processes, held by whoever computes a missing value.

    Returned by :meth:`Cache.flight_lock` for backends that several processes
    share (Redis). Every method swallows backend failures: when the lock service
    is down, :meth:`claim` answers True so the caller computes on its own.
    """

    def claim(self) -> bool:
        """Try once, without blocking; True if the caller should compute now.

        True when this caller now holds the lock, or when the lock service is
        unavailable (so waiting would be pointless).
        """
        raise NotImplementedError("FlightLock.claim must be implemented")  # pragma: no cover

    def busy(self) -> bool:
        """True while another holder has the lock (and the service answers)."""
        raise NotImplementedError("FlightLock.busy must be implemented")  # pragma: no cover

    def release(self) -> None:
        """Release the lock if this caller still holds it; never raises."""
        raise NotImplementedError("FlightLock.release must be implemented")  # pragma: no cover


class Flight:
    """One computation in progress in this process, awaited by its followers."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: bytes | None = None
        self.outcome = "miss"
        self.error: BaseException | None = None


class Cache:
    """Base class of every cache backend: bytes values under text keys.

    Parameters
    ----------
    tier:
        Short name of the backend, used in outcomes (``"hit-memory"``), logs and
        metric labels. Keep it to a fixed, small set of names.

    Notes
    -----
    Subclasses implement ``_load``, ``_store``, ``_remove`` and ``_clear``, and
    set ``failures``. A cache is also a context manager that calls :meth:`close`.
    Each instance carries its own table of in-flight computations, so
    single-flight (:func:`gazemap.cache.get_or_compute`) is scoped to one cache.
    """

    failures: tuple[type[BaseException], ...] = ()

    def __init__(self, *, tier: str) -> None:
        self.tier = tier
        self.stats = CacheStats(tier)
        # in-process single-flight table, used by gazemap.cache.flight
        self.flights_lock = threading.Lock()
        self.flights: dict[str, Flight] = {}
        self.flights_completed = 0

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} tier={self.tier!r}>"

    # -- public interface ---------------------------------------------------------

    def lookup(self, key: str) -> Lookup:
        """Look ``key`` up, reporting which tier answered and whether one failed."""
        _check_key(key)
        try:
            value = self._load(key)
        except self.failures as exc:
            self._failed("get", key, exc)
            return Lookup(None, None, True)
        self.stats.add("misses" if value is None else "hits")
        return Lookup(value, None if value is None else self.tier, False)

    def get(self, key: str) -> bytes | None:
        """The bytes stored under ``key``, or ``None`` if absent or unreachable."""
        return self.lookup(key).value

    def set(self, key: str, value: bytes) -> bool:
        """Store ``value`` under ``key``, replacing any previous value.

        Returns
        -------
        bool
            False when the backend failed (the failure is counted and logged),
            True otherwise, including when a value too large for the tier was
            skipped on purpose.
        """
        _check_key(key)
        _check_value(value)
        try:
            self._store(key, value)
        except self.failures as exc:
            self._failed("set", key, exc)
            return False
        self.stats.add("sets")
        return True

    def delete(self, key: str) -> bool:
        """Remove ``key`` if present; False only when the backend failed."""
        _check_key(key)
        try:
            self._remove(key)
        except self.failures as exc:
            self._failed("delete", key, exc)
            return False
        return True

    def clear(self) -> bool:
        """Remove every entry of this cache (Redis: only under its prefix)."""
        try:
            self._clear()
        except self.failures as exc:
            self._failed("clear", "*", exc)
            return False
        return True

    def flight_lock(self, key: str, *, timeout: float) -> FlightLock | None:
        """A lock shared between processes for computing ``key``, if the backend has one.

        ``timeout`` is the lease in seconds: the lock frees itself after it even
        if its holder died. Backends local to one process return ``None``.
        """
        return None

    def tiers(self) -> Sequence[Cache]:
        """The caches whose counters describe this one (itself, or its tiers and itself)."""
        return (self,)

    def close(self) -> None:
        """Release connections or handles; the default has none."""

    # -- backend hooks ------------------------------------------------------------

    def _load(self, key: str) -> bytes | None:
        raise NotImplementedError(f"{type(self).__name__}._load")  # pragma: no cover

    def _store(self, key: str, value: bytes) -> None:
        raise NotImplementedError(f"{type(self).__name__}._store")  # pragma: no cover

    def _remove(self, key: str) -> None:
        raise NotImplementedError(f"{type(self).__name__}._remove")  # pragma: no cover

    def _clear(self) -> None:
        raise NotImplementedError(f"{type(self).__name__}._clear")  # pragma: no cover

    def _failed(self, op: str, key: str, exc: BaseException) -> None:
        """Count and log a backend failure; subclasses may quieten repeats."""
        self.stats.add("errors")
        logger.warning(
            "cache tier %s failed on %s of %s: %s: %s",
            self.tier,
            op,
            key,
            type(exc).__name__,
            exc,
        )


def _check_key(key: str) -> None:
    if not isinstance(key, str) or not key:
        raise InvalidInputError(f"key must be a non-empty str, got {key!r}", field="key")


def _check_value(value: bytes) -> None:
    if not isinstance(value, bytes):
        raise InvalidInputError(f"value must be bytes, got {type(value).__name__}", field="value")
