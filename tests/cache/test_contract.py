"""One contract, every backend: memory, disk, Redis, and the three tiered."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from gazemap.cache import Cache
from gazemap.errors import InvalidInputError
from tests.cache.conftest import MakeCache


def test_missing_key_is_a_miss(cache: Cache) -> None:
    found = cache.lookup("absent")
    assert found.value is None
    assert found.tier is None
    assert not found.failed
    assert cache.get("absent") is None


def test_set_then_get_returns_the_value_and_names_the_tier(cache: Cache) -> None:
    assert cache.set("k", b"value")
    found = cache.lookup("k")
    assert found.value == b"value"
    assert found.tier in {"memory", "disk", "redis"}


def test_overwrite_replaces_the_value(cache: Cache) -> None:
    cache.set("k", b"first")
    cache.set("k", b"second, longer")
    assert cache.get("k") == b"second, longer"


def test_delete_removes_only_that_key(cache: Cache) -> None:
    cache.set("a", b"1")
    cache.set("b", b"2")
    assert cache.delete("a")
    assert cache.get("a") is None
    assert cache.get("b") == b"2"
    assert cache.delete("never-set")


def test_clear_removes_everything(cache: Cache) -> None:
    for i in range(5):
        cache.set(f"k{i}", b"x")
    assert cache.clear()
    assert all(cache.get(f"k{i}") is None for i in range(5))


def test_empty_value_is_stored_and_distinct_from_a_miss(cache: Cache) -> None:
    cache.set("empty", b"")
    assert cache.get("empty") == b""


def test_every_byte_value_round_trips(cache: Cache) -> None:
    value = bytes(range(256)) * 4 + b"\x00\r\n\x00"
    cache.set("binary", value)
    assert cache.get("binary") == value


def test_large_value_round_trips(cache: Cache) -> None:
    value = np.random.default_rng(1).bytes(8 * 2**20)
    cache.set("large", value)
    assert cache.get("large") == value


def test_keys_with_odd_characters_are_distinct(cache: Cache) -> None:
    keys = ["a b", "a/b", "../a", "ключ", "a*", "a?", "[a]", "a:b", "x" * 2000]
    for i, key in enumerate(keys):
        cache.set(key, str(i).encode())
    assert [cache.get(k) for k in keys] == [str(i).encode() for i in range(len(keys))]


@pytest.mark.parametrize("key", ["", None, 42, b"k"])
def test_bad_key_is_refused(cache: Cache, key: object) -> None:
    with pytest.raises(InvalidInputError, match="key must be a non-empty str"):
        cache.set(key, b"v")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="key must be a non-empty str"):
        cache.get(key)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["text", bytearray(b"x"), memoryview(b"x"), None])
def test_non_bytes_value_is_refused(cache: Cache, value: object) -> None:
    with pytest.raises(InvalidInputError, match="value must be bytes"):
        cache.set("k", value)  # type: ignore[arg-type]


def test_counters_follow_operations(cache: Cache) -> None:
    cache.get("nope")
    cache.set("k", b"v")
    cache.get("k")
    stats = cache.stats.snapshot()
    assert (stats.hits, stats.misses, stats.sets, stats.errors) == (1, 1, 1, 0)


def test_bounded_backends_evict_by_bytes_not_entries(make_bounded_cache: MakeCache) -> None:
    with make_bounded_cache(max_bytes=100_000) as cache:
        for i in range(30):
            cache.set(f"k{i:02d}", bytes([i]) * 10_000)
        stats = cache.stats.snapshot()
        kept = [i for i in range(30) if cache.get(f"k{i:02d}") is not None]
        assert stats.bytes <= 100_000
        assert stats.evictions >= 20
        assert 0 < len(kept) < 10
        assert kept == list(range(30 - len(kept), 30))  # the most recent ones
        # many small values fit where few large ones did
        for i in range(200):
            cache.set(f"small{i}", b"s" * 100)
        assert all(cache.get(f"small{i}") is not None for i in range(150, 200))


def test_value_larger_than_the_bound_is_skipped_without_error(
    make_bounded_cache: MakeCache,
) -> None:
    with make_bounded_cache(max_bytes=1000) as cache:
        cache.set("small", b"s")
        assert cache.set("huge", b"h" * 5000)
        assert cache.get("huge") is None
        assert cache.get("small") == b"s"
        assert cache.stats.snapshot().errors == 0


def test_concurrent_writers_and_readers_never_see_a_torn_value(cache: Cache) -> None:
    values = [bytes([i]) * 200_000 for i in range(4)]
    bad: list[bytes] = []
    start = threading.Barrier(8)

    def writer(i: int) -> None:
        start.wait()
        for _ in range(15):
            cache.set("shared", values[i])
            cache.set(f"own{i}", values[i])

    def reader() -> None:
        start.wait()
        for _ in range(30):
            got = cache.get("shared")
            if got is not None and got not in values:
                bad.append(got)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)]
    threads += [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not bad
    assert cache.get("shared") in values
    assert [cache.get(f"own{i}") for i in range(4)] == values
