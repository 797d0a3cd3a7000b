"""A cache in Redis, shared by every API instance and worker.

Values live at ``<prefix>data:<key>`` with an expiry (``SET … PX``); the lock
that makes one process compute a missing value while the others wait lives at
``<prefix>lock:<key>`` (redis-py's :class:`redis.lock.Lock`: ``SET NX PX`` with a
random token, released by a compare-and-delete Lua script, so a holder whose
lease ran out cannot delete its successor's lock).

When Redis is unreachable every operation answers as a miss; the failure is
counted and logged, and for ``retry_seconds`` afterwards the cache does not even
try (each skipped operation still counts as an error), so an outage costs one
connection timeout per interval rather than one per request.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from typing import TYPE_CHECKING, cast

from gazemap.cache.base import Cache, FlightLock
from gazemap.errors import InvalidInputError

if TYPE_CHECKING:
    import redis
    import redis.lock

__all__ = ["RedisCache"]

logger = logging.getLogger("gazemap.cache")


class _SkippedError(Exception):
    """Redis failed recently; this operation was not attempted."""


class RedisCache(Cache):
    """Cache entries in Redis with an expiry, under a key prefix.

    Parameters
    ----------
    url_or_client:
        A ``redis://`` URL (``GAZEMAP_REDIS_URL``) or a ready :class:`redis.Redis`
        client. A client must not decode responses: values are bytes.
    ttl_seconds:
        Expiry of every entry, > 0. Entries never need invalidating (the data
        version is part of the key), so the expiry only reclaims space.
    prefix:
        Prepended to every Redis key, so several deployments (or tests) can share
        one database; :meth:`clear` removes only keys under it.
    tier:
        Name in outcomes, logs and metrics.
    retry_seconds:
        After a failure, operations are skipped (answered as misses) for this
        long before Redis is tried again. 0 tries every time.
    socket_timeout:
        Connect and read timeout in seconds when built from a URL.

    Notes
    -----
    Nothing connects at construction; the first operation does. The client's
    connection pool is thread-safe and re-creates its connections after a fork.
    """

    def __init__(
        self,
        url_or_client: str | redis.Redis,
        *,
        ttl_seconds: float,
        prefix: str = "gazemap:cache:",
        tier: str = "redis",
        retry_seconds: float = 2.0,
        socket_timeout: float = 1.0,
    ) -> None:
        import redis as redis_lib

        if isinstance(ttl_seconds, bool) or not ttl_seconds > 0:
            raise InvalidInputError(
                f"ttl_seconds must be > 0, got {ttl_seconds!r}", field="ttl_seconds"
            )
        if retry_seconds < 0:
            raise InvalidInputError(
                f"retry_seconds must be >= 0, got {retry_seconds!r}", field="retry_seconds"
            )
        super().__init__(tier=tier)
        if isinstance(url_or_client, str):
            self.client = redis_lib.Redis.from_url(
                url_or_client, socket_connect_timeout=socket_timeout, socket_timeout=socket_timeout
            )
        else:
            self.client = url_or_client
        if self.client.get_connection_kwargs().get("decode_responses"):
            raise InvalidInputError(
                "url_or_client must not decode responses (decode_responses=True): values are bytes",
                field="url_or_client",
            )
        self.ttl_ms = max(1, round(ttl_seconds * 1000))
        self.prefix = prefix
        self.retry_seconds = retry_seconds
        self.failures = (redis_lib.RedisError, OSError, _SkippedError)
        self._state_lock = threading.Lock()
        self._down_until: float | None = None

    def data_key(self, key: str) -> str:
        """The Redis key holding the value of ``key``."""
        return f"{self.prefix}data:{key}"

    def lock_key(self, key: str) -> str:
        """The Redis key of the compute lock of ``key``."""
        return f"{self.prefix}lock:{key}"

    def flight_lock(self, key: str, *, timeout: float) -> FlightLock:
        """A Redis lock with a lease of ``timeout`` seconds for computing ``key``."""
        return _RedisFlightLock(self, key, timeout=timeout)

    def close(self) -> None:
        """Close the client's connections."""
        self.client.close()

    # -- hooks --------------------------------------------------------------------

    def _load(self, key: str) -> bytes | None:
        self.guard()
        value = cast("bytes | None", self.client.get(self.data_key(key)))
        self.succeeded()
        return value

    def _store(self, key: str, value: bytes) -> None:
        self.guard()
        self.client.set(self.data_key(key), value, px=self.ttl_ms)
        self.succeeded()

    def _remove(self, key: str) -> None:
        self.guard()
        self.client.delete(self.data_key(key))
        self.succeeded()

    def _clear(self) -> None:
        self.guard()
        pattern = _glob_escape(self.prefix) + "*"
        batch: list[bytes] = []
        for name in self.client.scan_iter(match=pattern, count=500):
            batch.append(name)
            if len(batch) >= 500:
                self.client.unlink(*batch)
                batch.clear()
        if batch:
            self.client.unlink(*batch)
        self.succeeded()

    # -- failure handling ---------------------------------------------------------

    def guard(self) -> None:
        """Raise the internal skip marker while Redis is considered down."""
        with self._state_lock:
            down_until = self._down_until
        if down_until is not None and time.monotonic() < down_until:
            raise _SkippedError(f"skipped: {self.tier} failed less than {self.retry_seconds} s ago")

    def succeeded(self) -> None:
        """Note that Redis answered; log the recovery after an outage."""
        if self._down_until is None:
            return
        with self._state_lock:
            was_down, self._down_until = self._down_until is not None, None
        if was_down:
            logger.info("cache tier %s answers again", self.tier)

    def _failed(self, op: str, key: str, exc: BaseException) -> None:
        if isinstance(exc, _SkippedError):
            self.stats.add("errors")
            return
        with self._state_lock:
            self._down_until = time.monotonic() + self.retry_seconds
        super()._failed(op, key, exc)


class _RedisFlightLock(FlightLock):
    """redis-py's ``Lock`` behind the :class:`FlightLock` interface, failures swallowed."""

    def __init__(self, cache: RedisCache, key: str, *, timeout: float) -> None:
        import redis.lock

        self._cache = cache
        self._key = key
        self._lock = redis.lock.Lock(
            cache.client, cache.lock_key(key), timeout=timeout, blocking=False, thread_local=False
        )
        self._held = False

    def claim(self) -> bool:
        try:
            self._cache.guard()
            self._held = bool(self._lock.acquire(blocking=False))
        except self._cache.failures as exc:
            self._cache._failed("lock", self._key, exc)
            return True
        self._cache.succeeded()
        return self._held

    def busy(self) -> bool:
        try:
            self._cache.guard()
            return bool(self._lock.locked())
        except self._cache.failures as exc:
            self._cache._failed("lock", self._key, exc)
            return False

    def release(self) -> None:
        if not self._held:
            return
        self._held = False
        import redis.exceptions

        try:
            self._lock.release()
        except redis.exceptions.LockNotOwnedError:
            pass  # the lease ran out while computing; the lock is already someone else's or gone
        except self._cache.failures as exc:
            self._cache._failed("unlock", self._key, exc)


def _glob_escape(text: str) -> str:
    """Escape Redis glob metacharacters so ``text`` matches only itself."""
    return re.sub(r"([\\*?\[\]])", r"\\\1", text)
