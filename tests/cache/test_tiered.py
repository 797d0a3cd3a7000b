"""The tiered composition: read order, promotion, writes to all."""

from __future__ import annotations

from pathlib import Path

import pytest

from gazemap.cache import DiskCache, MemoryCache, TieredCache
from gazemap.errors import InvalidInputError


@pytest.fixture
def tiers(tmp_path: Path) -> tuple[MemoryCache, DiskCache, TieredCache]:
    memory = MemoryCache(2**20)
    disk = DiskCache(tmp_path, 2**20)
    return memory, disk, TieredCache([memory, disk])


def test_writes_go_to_every_tier(tiers: tuple[MemoryCache, DiskCache, TieredCache]) -> None:
    memory, disk, cache = tiers
    cache.set("k", b"v")
    assert (memory.get("k"), disk.get("k")) == (b"v", b"v")


def test_hit_in_a_slow_tier_is_promoted_to_the_fast_ones(
    tiers: tuple[MemoryCache, DiskCache, TieredCache],
) -> None:
    memory, disk, cache = tiers
    disk.set("k", b"v")
    assert cache.lookup("k").tier == "disk"
    assert memory.get("k") == b"v"
    assert cache.lookup("k").tier == "memory"


def test_fast_tier_answers_without_asking_the_slow_one(
    tiers: tuple[MemoryCache, DiskCache, TieredCache],
) -> None:
    memory, disk, cache = tiers
    cache.set("k", b"v")
    cache.get("k")
    assert disk.stats.snapshot().hits == 0
    assert memory.stats.snapshot().hits == 1


def test_delete_and_clear_reach_every_tier(
    tiers: tuple[MemoryCache, DiskCache, TieredCache],
) -> None:
    memory, disk, cache = tiers
    cache.set("a", b"1")
    cache.set("b", b"2")
    cache.delete("a")
    assert memory.get("a") is None
    assert disk.get("a") is None
    cache.clear()
    assert memory.get("b") is None
    assert disk.get("b") is None


def test_no_tiers_never_hits() -> None:
    cache = TieredCache([])
    assert cache.set("k", b"v")
    assert cache.get("k") is None
    assert cache.flight_lock("k", timeout=1) is None


def test_tier_names_must_be_distinct() -> None:
    with pytest.raises(InvalidInputError, match="distinct names"):
        TieredCache([MemoryCache(10), MemoryCache(10)])


def test_tiers_lists_every_counter_once(
    tiers: tuple[MemoryCache, DiskCache, TieredCache],
) -> None:
    memory, disk, cache = tiers
    assert list(cache.tiers()) == [memory, disk, cache]
