"""The in-process array cache: byte bound, LRU order, one load per key, per-context instance."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from gazemap.errors import InvalidInputError, StorageError
from gazemap.gaze import Recording
from gazemap.service.arrays import ArrayCache, recording_nbytes
from gazemap.service.context import ServiceContext
from tests.service.fixtures import service_settings


def test_least_recently_used_goes_first_when_bytes_run_out() -> None:
    cache = ArrayCache(300)
    cache.put("a", "A", 100)
    cache.put("b", "B", 100)
    cache.put("c", "C", 100)
    assert cache.get("a") == "A"  # now b is the oldest
    cache.put("d", "D", 100)
    assert "b" not in cache
    assert [k for k in ("a", "c", "d") if k in cache] == ["a", "c", "d"]
    assert cache.nbytes == 300
    assert len(cache) == 3


def test_replacing_a_key_recounts_its_bytes() -> None:
    cache = ArrayCache(1000)
    cache.put("a", "small", 10)
    cache.put("a", "large", 500)
    assert cache.nbytes == 500
    assert cache.get("a") == "large"


def test_values_larger_than_the_capacity_are_returned_but_not_kept() -> None:
    cache = ArrayCache(50)
    assert cache.get_or_load("big", lambda: ("value", 51)) == "value"
    assert "big" not in cache
    assert cache.nbytes == 0
    zero = ArrayCache(0)
    assert zero.get_or_load("k", lambda: ("v", 1)) == "v"
    assert len(zero) == 0


def test_capacity_must_be_a_non_negative_integer() -> None:
    with pytest.raises(InvalidInputError, match="max_bytes must be an integer >= 0, got -1"):
        ArrayCache(-1)


def test_concurrent_misses_of_one_key_load_once() -> None:
    cache = ArrayCache(10_000)
    loads: list[int] = []
    results: list[str] = []
    barrier = threading.Barrier(6)

    def load() -> tuple[str, int]:
        loads.append(1)
        time.sleep(0.05)  # keep the other threads waiting at the gate
        return "value", 10

    def worker() -> None:
        barrier.wait()
        results.append(cache.get_or_load("key", load))

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(loads) == 1
    assert results == ["value"] * 6
    assert (cache.misses, cache.hits) == (1, 5)


def test_a_failed_load_caches_nothing_and_the_next_call_retries() -> None:
    cache = ArrayCache(100)

    def broken() -> tuple[str, int]:
        raise StorageError("blob missing")

    with pytest.raises(StorageError):
        cache.get_or_load("k", broken)
    assert "k" not in cache
    assert cache.get_or_load("k", lambda: ("ok", 1)) == "ok"


def test_recording_nbytes_counts_every_array() -> None:
    n = 1000
    rec = Recording(
        "fixations",
        np.arange(n),
        np.zeros(n),
        np.zeros(n),
        np.ones(n, bool),
        duration=np.ones(n),
        extra={"pupil": np.zeros(n, np.float32)},
    )
    assert recording_nbytes(rec) == 4 * 8 * n + n + 4 * n


def test_each_context_has_one_cache_sized_by_settings(tmp_path: Path, sqlite_database: str) -> None:
    settings = service_settings(tmp_path, sqlite_database, array_cache_bytes=12345)
    first = ServiceContext.from_settings(settings)
    second = ServiceContext.from_settings(settings)
    try:
        assert first.arrays is first.arrays
        assert first.arrays is not second.arrays
        assert first.arrays.max_bytes == 12345
    finally:
        first.close()
        second.close()
