"""Sliding-window rate limits: in-process, or shared by every instance through Redis.

A limit of ``limit`` events per ``window`` seconds under one key is a sliding log: the
times of the accepted events in the last ``window`` seconds are kept, and an event is
refused while ``limit`` of them remain. A refused event is not recorded, so a client
that keeps hammering is let in again exactly when its oldest accepted event leaves the
window (the ``retry_after`` returned). Unlike fixed windows, there is no boundary at
which ``2 × limit`` events pass in a short time.

:class:`MemoryRateLimiter` serves one process; with several API instances behind a
load balancer each would count only its share, so :func:`build_rate_limiter` returns a
:class:`RedisRateLimiter` whenever ``settings.redis_url`` is set. Its check-and-record
is one Lua script, atomic on the server.
"""

from __future__ import annotations

import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from gazemap.errors import InvalidInputError, StorageError

if TYPE_CHECKING:
    from gazemap.config import Settings

__all__ = ["MemoryRateLimiter", "RateLimiter", "RedisRateLimiter", "build_rate_limiter"]

Clock = Callable[[], float]


def _check(limit: int, window: float) -> None:
    if limit < 1:
        raise InvalidInputError(f"limit must be >= 1, got {limit}", field="limit")
    if not window > 0:
        raise InvalidInputError(f"window must be > 0 seconds, got {window}", field="window")


class RateLimiter(ABC):
    """Counts events per key in a sliding window."""

    @abstractmethod
    def hit(self, key: str, *, limit: int, window: float) -> float | None:
        """Record one event under ``key`` unless ``limit`` events already fall in the window.

        Parameters
        ----------
        key:
            What is limited (``"login:ip:<hash>"``).
        limit:
            Events allowed per window, >= 1.
        window:
            Window length in seconds, > 0.

        Returns
        -------
        float or None
            ``None`` when the event was accepted (and recorded); otherwise the seconds
            until one would be accepted.

        Raises
        ------
        InvalidInputError
            For ``limit < 1`` or ``window <= 0``.
        """

    def close(self) -> None:  # noqa: B027 (optional hook, nothing to release in memory)
        """Release connections, if any."""


class MemoryRateLimiter(RateLimiter):
    """The sliding log in a dict of deques, for one process.

    Parameters
    ----------
    clock:
        Monotonic seconds (``time.monotonic``); tests pass a fake one.
    max_keys:
        Above this many keys, keys whose events have all expired are dropped, so an
        attacker cycling usernames cannot grow memory without bound.

    Examples
    --------
    >>> now = [0.0]
    >>> limiter = MemoryRateLimiter(clock=lambda: now[0])
    >>> [limiter.hit("k", limit=2, window=10) for _ in range(3)]
    [None, None, 10.0]
    >>> now[0] = 10.0
    >>> limiter.hit("k", limit=2, window=10) is None
    True
    """

    def __init__(self, *, clock: Clock = time.monotonic, max_keys: int = 100_000) -> None:
        self._clock = clock
        self._max_keys = max_keys
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, *, limit: int, window: float) -> float | None:
        """See :meth:`RateLimiter.hit`."""
        _check(limit, window)
        with self._lock:
            now = self._clock()
            events = self._events.setdefault(key, deque())
            while events and events[0] <= now - window:
                events.popleft()
            if len(events) >= limit:
                return float(events[0] + window - now)
            events.append(now)
            if len(self._events) > self._max_keys:
                self._prune(now, window)
            return None

    def _prune(self, now: float, window: float) -> None:
        stale = [k for k, v in self._events.items() if not v or v[-1] <= now - window]
        for k in stale:
            del self._events[k]


# KEYS[1] = the sorted set; ARGV = now (ms), window (ms), limit, member.
# Scores are event times; the member is unique so equal times do not collide.
_SCRIPT = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) >= limit then
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return tonumber(oldest[2]) + window - now
end
redis.call('ZADD', key, now, ARGV[4])
redis.call('PEXPIRE', key, window)
return -1
"""


class RedisRateLimiter(RateLimiter):
    """The sliding log as one Redis sorted set per key, shared by every instance.

    Parameters
    ----------
    url:
        ``redis://`` URL.
    prefix:
        Prepended to every key.
    client:
        A ready ``redis.Redis`` (tests); built from ``url`` otherwise.

    Notes
    -----
    Times come from the Redis server (``TIME``) so instances with skewed clocks share
    one timeline. An unreachable Redis raises :class:`~gazemap.errors.StorageError`
    (503): sign-in fails closed rather than without limits.
    """

    def __init__(
        self, url: str, *, prefix: str = "gazemap:ratelimit:", client: Any | None = None
    ) -> None:
        if client is None:
            import redis

            client = redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
        self._client = client
        self._prefix = prefix
        self._script = client.register_script(_SCRIPT)

    def hit(self, key: str, *, limit: int, window: float) -> float | None:
        """See :meth:`RateLimiter.hit`."""
        _check(limit, window)
        import redis

        try:
            seconds, micros = self._client.time()
            now_ms = int(seconds) * 1000 + int(micros) // 1000
            wait = self._script(
                keys=[self._prefix + key],
                args=[now_ms, max(1, int(window * 1000)), limit, uuid.uuid4().hex],
            )
        except redis.RedisError as exc:
            raise StorageError(f"the rate limiter's Redis is unavailable: {exc}") from exc
        wait_ms = int(wait)
        return None if wait_ms < 0 else max(wait_ms, 1) / 1000.0

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()


def build_rate_limiter(settings: Settings) -> RateLimiter:
    """The limiter ``settings`` ask for: Redis when ``redis_url`` is set, else in-process."""
    if settings.redis_url:
        return RedisRateLimiter(settings.redis_url)
    return MemoryRateLimiter()
