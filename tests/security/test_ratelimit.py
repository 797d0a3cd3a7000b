"""The sliding-window rate limiters: in-process and Redis behave alike."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from gazemap.api.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from gazemap.errors import InvalidInputError


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_memory_window_slides_rather_than_resets() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(clock=clock)
    assert limiter.hit("k", limit=3, window=60) is None
    clock.now += 30
    assert limiter.hit("k", limit=3, window=60) is None
    assert limiter.hit("k", limit=3, window=60) is None
    assert limiter.hit("k", limit=3, window=60) == pytest.approx(30.0)
    clock.now += 30  # the first event leaves the window, the other two stay
    assert limiter.hit("k", limit=3, window=60) is None
    assert limiter.hit("k", limit=3, window=60) == pytest.approx(30.0)


def test_memory_refusals_are_not_counted() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(clock=clock)
    limiter.hit("k", limit=1, window=10)
    for _ in range(100):
        assert limiter.hit("k", limit=1, window=10) is not None
    clock.now += 10
    assert limiter.hit("k", limit=1, window=10) is None


def test_memory_keys_are_independent_and_pruned() -> None:
    clock = FakeClock()
    limiter = MemoryRateLimiter(clock=clock, max_keys=10)
    for i in range(10):
        assert limiter.hit(f"user-{i}", limit=1, window=5) is None
    clock.now += 6
    limiter.hit("fresh", limit=1, window=5)
    assert len(limiter._events) <= 2


@pytest.mark.parametrize(("limit", "window"), [(0, 10.0), (1, 0.0), (1, -1.0)])
def test_bad_limits_are_refused(limit: int, window: float) -> None:
    with pytest.raises(InvalidInputError):
        MemoryRateLimiter().hit("k", limit=limit, window=window)


@pytest.fixture
def redis_limiter(redis_url: str) -> Iterator[RedisRateLimiter]:
    limiter = RedisRateLimiter(redis_url, prefix=f"gazemap-test:{secrets.token_hex(4)}:")
    yield limiter
    limiter.close()


@pytest.mark.redis
def test_redis_limits_like_memory(redis_limiter: RedisRateLimiter) -> None:
    assert [redis_limiter.hit("k", limit=2, window=60) for _ in range(2)] == [None, None]
    wait = redis_limiter.hit("k", limit=2, window=60)
    assert wait is not None
    assert 0 < wait <= 60
    assert redis_limiter.hit("other", limit=2, window=60) is None


@pytest.mark.redis
def test_redis_counts_are_shared_between_instances(
    redis_url: str, redis_limiter: RedisRateLimiter
) -> None:
    prefix = redis_limiter._prefix
    second = RedisRateLimiter(redis_url, prefix=prefix)
    try:
        assert redis_limiter.hit("shared", limit=2, window=60) is None
        assert second.hit("shared", limit=2, window=60) is None
        assert redis_limiter.hit("shared", limit=2, window=60) is not None
        assert second.hit("shared", limit=2, window=60) is not None
    finally:
        second.close()


@pytest.mark.redis
def test_redis_key_expires_with_the_window(redis_limiter: RedisRateLimiter) -> None:
    redis_limiter.hit("ttl", limit=5, window=30)
    ttl = redis_limiter._client.pttl(redis_limiter._prefix + "ttl")
    assert 0 < ttl <= 30_000


def test_both_are_rate_limiters() -> None:
    assert issubclass(MemoryRateLimiter, RateLimiter)
    assert issubclass(RedisRateLimiter, RateLimiter)
