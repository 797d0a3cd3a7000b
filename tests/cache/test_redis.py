"""The Redis backend: expiry, prefixes, and answering through an outage."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
import redis

from gazemap.cache import MemoryCache, RedisCache, TieredCache, get_or_compute
from gazemap.errors import InvalidInputError
from tests.cache.conftest import free_port

pytestmark = pytest.mark.redis

MakeRedis = Callable[..., RedisCache]


def test_entries_expire_after_the_ttl(make_redis: MakeRedis) -> None:
    cache = make_redis(ttl_seconds=30)
    cache.set("k", b"v")
    remaining = cache.client.pttl(cache.data_key("k"))
    assert 0 < remaining <= 30_000


def test_expired_entry_is_a_miss(make_redis: MakeRedis) -> None:
    cache = make_redis()
    cache.set("k", b"v")
    cache.client.pexpire(cache.data_key("k"), 1)
    while cache.client.exists(cache.data_key("k")):
        pass  # expiry is Redis's clock; wait for it rather than sleep a guess
    assert cache.get("k") is None


def test_clear_keeps_keys_of_other_prefixes(make_redis: MakeRedis, redis_prefix: str) -> None:
    cache = make_redis()
    neighbour = make_redis(prefix=redis_prefix + "[x]*")
    cache.set("k", b"mine")
    neighbour.set("k", b"theirs")
    neighbour.clear()
    assert cache.get("k") == b"mine"
    assert neighbour.get("k") is None
    cache.clear()
    assert cache.get("k") is None


def test_a_decoding_client_is_refused(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    with pytest.raises(InvalidInputError, match="decode_responses"):
        RedisCache(client, ttl_seconds=1)
    client.close()


@pytest.mark.parametrize("ttl", [0, -1, True])
def test_bad_ttl_is_refused(ttl: object) -> None:
    with pytest.raises(InvalidInputError, match="ttl_seconds must be > 0"):
        RedisCache("redis://127.0.0.1:1/0", ttl_seconds=ttl)  # type: ignore[arg-type]


def down_cache(**options: object) -> RedisCache:
    """A RedisCache pointed at a port where nothing listens."""
    return RedisCache(
        f"redis://127.0.0.1:{free_port()}/0",
        ttl_seconds=60,
        socket_timeout=0.5,
        **options,  # type: ignore[arg-type]
    )


def test_unreachable_redis_answers_misses_counts_and_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    cache = down_cache(retry_seconds=0)
    with caplog.at_level(logging.WARNING, logger="gazemap.cache"):
        assert cache.get("k") is None
        assert cache.set("k", b"v") is False
        assert cache.delete("k") is False
        assert cache.lookup("k").failed
    assert cache.stats.snapshot().errors == 4
    records = [r for r in caplog.records if r.name == "gazemap.cache"]
    assert len(records) == 4
    assert "redis failed on get of k" in records[0].getMessage()


def test_get_or_compute_answers_through_an_outage(caplog: pytest.LogCaptureFixture) -> None:
    cache = down_cache(retry_seconds=0)
    calls: list[int] = []

    def compute() -> bytes:
        calls.append(1)
        return b"fresh"

    with caplog.at_level(logging.WARNING, logger="gazemap.cache"):
        assert get_or_compute(cache, "k", compute) == (b"fresh", "error")
        assert get_or_compute(cache, "k", compute) == (b"fresh", "error")
    assert len(calls) == 2
    assert cache.stats.snapshot().errors >= 4  # lookup, lock, set; twice
    assert cache.stats.snapshot().outcomes == {"error": 2}
    assert any(r.levelno == logging.WARNING for r in caplog.records)


def test_after_a_failure_redis_is_left_alone_for_retry_seconds(
    caplog: pytest.LogCaptureFixture,
) -> None:
    cache = down_cache(retry_seconds=3600)
    with caplog.at_level(logging.WARNING, logger="gazemap.cache"):
        for _ in range(5):
            assert cache.get("k") is None
    assert cache.stats.snapshot().errors == 5
    assert len([r for r in caplog.records if r.name == "gazemap.cache"]) == 1


def test_tiered_cache_keeps_serving_from_memory_while_redis_is_down() -> None:
    memory = MemoryCache(2**20)
    cache = TieredCache([memory, down_cache(retry_seconds=0)])
    assert get_or_compute(cache, "k", lambda: b"v") == (b"v", "error")
    assert get_or_compute(cache, "k", lambda: b"other") == (b"v", "hit-memory")
    assert memory.get("k") == b"v"


def test_recovery_after_an_outage_is_logged_once(
    make_redis: MakeRedis, caplog: pytest.LogCaptureFixture
) -> None:
    cache = make_redis(retry_seconds=0)
    cache._failed("get", "k", redis.ConnectionError("gone"))
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="gazemap.cache"):
        cache.set("k", b"v")
        cache.get("k")
    messages = [r.getMessage() for r in caplog.records if r.name == "gazemap.cache"]
    assert messages == ["cache tier redis answers again"]
