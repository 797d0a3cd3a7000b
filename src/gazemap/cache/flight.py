"""Single-flight: many requests for one missing value compute it once.

Two levels. Inside a process, the first caller of a missing key becomes its
*leader* and the others wait on it (a per-key :class:`~gazemap.cache.base.Flight`
in the cache's table). Across processes, the leader then takes the cache's
shared lock (Redis ``SET NX PX`` with a token); a leader that finds the lock
taken polls the lock until it is released or its lease expires, reads the value
its holder stored, and only computes itself if there is none.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import cast

from gazemap.cache.base import Cache, Flight
from gazemap.errors import InvalidInputError

__all__ = ["Outcome", "get_or_compute"]

Outcome = str
"""How :func:`get_or_compute` answered. ``hit-<tier>`` (``hit-memory``, ``hit-disk``,
``hit-redis``): found in that tier. ``miss``: computed here and stored.
``shared``: computed by another thread or process while this call waited.
``error``: computed here while a tier was failing (not cached, or not everywhere)."""

_POLL_FIRST = 0.01
_POLL_MAX = 0.25


def get_or_compute(
    cache: Cache,
    key: str,
    compute: Callable[[], bytes],
    *,
    lock_timeout: float = 60.0,
) -> tuple[bytes, Outcome]:
    """The value of ``key``, computing and storing it once if it is missing.

    Parameters
    ----------
    cache:
        Any cache; a :class:`~gazemap.cache.TieredCache` with a Redis tier also
        coordinates with other processes.
    key:
        The cache key (see :func:`~gazemap.cache.make_key`).
    compute:
        Produces the value; called at most once per process for concurrent
        callers of one key, and (with Redis) normally once across processes.
        Its exceptions propagate to the leader and every waiter; nothing is
        stored then.
    lock_timeout:
        Lease in seconds of the lock shared between processes: how long
        another process may compute before waiters stop waiting and compute
        themselves. Should exceed the slowest expected ``compute``.

    Returns
    -------
    tuple[bytes, Outcome]
        The value and how it was obtained; the outcome is also counted in
        ``cache.stats``.

    Raises
    ------
    InvalidInputError
        If ``lock_timeout`` is not > 0 or ``compute`` returns something other
        than bytes.

    Notes
    -----
    Cache failures never raise: a failing tier counts as a miss and the
    outcome says ``error``. Waiting uses polling with a delay doubling from
    10 ms to 250 ms; only the lock's existence is polled (one ``EXISTS``), the
    value is read once the lock is gone.

    Examples
    --------
    >>> from gazemap.cache import MemoryCache
    >>> cache = MemoryCache(1024)
    >>> get_or_compute(cache, "k", lambda: b"value")
    (b'value', 'miss')
    >>> get_or_compute(cache, "k", lambda: b"other")
    (b'value', 'hit-memory')
    """
    if isinstance(lock_timeout, bool) or not lock_timeout > 0:
        raise InvalidInputError(
            f"lock_timeout must be > 0, got {lock_timeout!r}", field="lock_timeout"
        )
    completed = cache.flights_completed
    found = cache.lookup(key)
    if found.value is not None:
        return _counted(cache, found.value, f"hit-{found.tier}")

    with cache.flights_lock:
        flight = cache.flights.get(key)
        leader = flight is None
        if flight is None:
            flight = cache.flights[key] = Flight()
        # a flight that ended between our lookup and now may have stored this very key
        recheck = cache.flights_completed != completed
    if not leader:
        flight.done.wait()
        if flight.error is not None:
            raise flight.error
        # the leader sets value before done whenever it sets no error
        return _counted(cache, cast("bytes", flight.value), "shared")

    try:
        if recheck:
            found = cache.lookup(key)
        if found.value is not None:
            value, outcome = found.value, f"hit-{found.tier}"
        else:
            value, outcome = _lead(
                cache, key, compute, failed=found.failed, lock_timeout=lock_timeout
            )
        flight.value = value
    except BaseException as exc:
        flight.error = exc
        raise
    finally:
        with cache.flights_lock:
            del cache.flights[key]
            cache.flights_completed += 1
        flight.done.set()
    return _counted(cache, value, outcome)


def _counted(cache: Cache, value: bytes, outcome: Outcome) -> tuple[bytes, Outcome]:
    cache.stats.record_outcome(outcome)
    return value, outcome


def _lead(
    cache: Cache,
    key: str,
    compute: Callable[[], bytes],
    *,
    failed: bool,
    lock_timeout: float,
) -> tuple[bytes, str]:
    """Compute ``key`` as this process's leader, coordinating with other processes."""
    lock = cache.flight_lock(key, timeout=lock_timeout)
    if lock is None:
        return _compute_and_store(cache, key, compute, failed=failed)
    deadline = time.monotonic() + lock_timeout
    while True:
        if lock.claim():
            try:
                # the previous holder may have stored it between our lookup and our claim
                found = cache.lookup(key)
                if found.value is not None:
                    return found.value, "shared"
                return _compute_and_store(cache, key, compute, failed=failed or found.failed)
            finally:
                lock.release()
        delay = _POLL_FIRST
        while lock.busy() and time.monotonic() < deadline:
            time.sleep(delay)
            delay = min(2 * delay, _POLL_MAX)
        found = cache.lookup(key)
        if found.value is not None:
            return found.value, "shared"
        if time.monotonic() >= deadline:
            # the holder kept the lock past our patience: answer rather than wait longer
            return _compute_and_store(cache, key, compute, failed=failed or found.failed)
        # the holder stopped without storing (its compute failed, or it died):
        # try to take the lock and compute ourselves


def _compute_and_store(
    cache: Cache, key: str, compute: Callable[[], bytes], *, failed: bool
) -> tuple[bytes, str]:
    value = compute()
    if not isinstance(value, bytes):
        raise InvalidInputError(
            f"compute must return bytes, got {type(value).__name__}", field="compute"
        )
    stored = cache.set(key, value)
    return value, "error" if failed or not stored else "miss"
