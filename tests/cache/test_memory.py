"""The in-process LRU: order of eviction, byte accounting, thread safety."""

from __future__ import annotations

import threading

import pytest

from gazemap.cache import MemoryCache
from gazemap.errors import InvalidInputError


def test_reading_an_entry_protects_it_from_eviction() -> None:
    cache = MemoryCache(max_bytes=3 * 102)
    for k in ("a", "b", "c"):
        cache.set(k, b"x" * 101)
    cache.get("a")
    cache.set("d", b"x" * 101)
    assert cache.get("b") is None
    assert [cache.get(k) is not None for k in ("a", "c", "d")] == [True, True, True]
    assert cache.stats.snapshot().evictions == 1


def test_size_counts_keys_and_values_and_shrinks_on_overwrite_and_delete() -> None:
    cache = MemoryCache(max_bytes=10_000)
    cache.set("key", b"v" * 100)
    assert cache.stats.snapshot().bytes == 103
    cache.set("key", b"v" * 10)
    assert cache.stats.snapshot().bytes == 13
    cache.delete("key")
    snap = cache.stats.snapshot()
    assert (snap.bytes, snap.entries) == (0, 0)


def test_zero_bound_stores_nothing() -> None:
    cache = MemoryCache(max_bytes=0)
    cache.set("k", b"")
    assert cache.get("k") is None


@pytest.mark.parametrize("bad", [-1, 1.5, "10", True])
def test_bad_bound_is_refused(bad: object) -> None:
    with pytest.raises(InvalidInputError, match="max_bytes must be an int >= 0"):
        MemoryCache(bad)  # type: ignore[arg-type]


def test_byte_total_stays_exact_under_concurrent_writes() -> None:
    cache = MemoryCache(max_bytes=50_000)
    start = threading.Barrier(6)

    def work(t: int) -> None:
        start.wait()
        for i in range(400):
            cache.set(f"{t}-{i % 37}", bytes(i % 500))
            cache.get(f"{(t + 1) % 6}-{i % 37}")
            if i % 11 == 0:
                cache.delete(f"{t}-{(i + 3) % 37}")

    threads = [threading.Thread(target=work, args=(t,)) for t in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    held = sum(len(k) + len(v) for k, v in cache._entries.items())
    assert cache.stats.snapshot().bytes == held <= 50_000
