"""build_cache: the tiers the settings ask for."""

from __future__ import annotations

from pathlib import Path

import pytest

from gazemap.cache import DiskCache, MemoryCache, RedisCache, build_cache, get_or_compute
from gazemap.config import Settings


def test_defaults_give_memory_then_disk_under_home(gazemap_home: Path) -> None:
    cache = build_cache(Settings())
    assert [type(t) for t in cache.layers] == [MemoryCache, DiskCache]
    memory, disk = cache.layers
    assert isinstance(memory, MemoryCache)
    assert memory.max_bytes == 256 * 2**20
    assert isinstance(disk, DiskCache)
    assert disk.path == gazemap_home / "cache"
    assert disk.path.is_dir()


def test_environment_variables_size_and_place_the_tiers(
    gazemap_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GAZEMAP_CACHE__MEMORY_BYTES", "0")
    monkeypatch.setenv("GAZEMAP_CACHE__DISK_BYTES", "12345")
    monkeypatch.setenv("GAZEMAP_CACHE__DISK_PATH", str(tmp_path / "elsewhere"))
    cache = build_cache(Settings())
    (disk,) = cache.layers
    assert isinstance(disk, DiskCache)
    assert (disk.path, disk.max_bytes) == (tmp_path / "elsewhere", 12345)


def test_everything_disabled_still_answers(
    gazemap_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GAZEMAP_CACHE__MEMORY_BYTES", "0")
    monkeypatch.setenv("GAZEMAP_CACHE__DISK_BYTES", "0")
    cache = build_cache(Settings())
    assert cache.layers == ()
    assert get_or_compute(cache, "k", lambda: b"v") == (b"v", "miss")


@pytest.mark.redis
def test_redis_url_adds_a_redis_tier_with_the_configured_ttl(
    gazemap_home: Path, monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    monkeypatch.setenv("GAZEMAP_REDIS_URL", redis_url)
    monkeypatch.setenv("GAZEMAP_CACHE__REDIS_TTL_SECONDS", "90")
    cache = build_cache(Settings())
    redis_tier = cache.layers[-1]
    assert isinstance(redis_tier, RedisCache)
    assert redis_tier.ttl_ms == 90_000
    assert redis_tier.prefix == "gazemap:cache:"
    assert redis_tier.client.ping()
    cache.close()


@pytest.mark.redis
def test_redis_prefix_setting_namespaces_the_redis_tier(
    gazemap_home: Path, monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    monkeypatch.setenv("GAZEMAP_REDIS_URL", redis_url)
    monkeypatch.setenv("GAZEMAP_CACHE__REDIS_PREFIX", "lab-a:")
    cache = build_cache(Settings())
    try:
        redis_tier = cache.layers[-1]
        assert isinstance(redis_tier, RedisCache)
        assert redis_tier.prefix == "lab-a:"
    finally:
        cache.close()
