"""Fixtures of the cache tests: every backend behind one factory, Redis under a private prefix."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gazemap.cache import Cache, DiskCache, MemoryCache, RedisCache, TieredCache

BACKENDS = [
    pytest.param("memory", id="memory"),
    pytest.param("disk", id="disk"),
    pytest.param("redis", id="redis", marks=pytest.mark.redis),
    pytest.param("tiered", id="tiered", marks=pytest.mark.redis),
]

MakeCache = Callable[..., Cache]


def free_port() -> int:
    """A TCP port nobody listens on (bound once by the OS, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.fixture
def redis_prefix() -> str:
    """A key prefix no other test uses."""
    return f"gazemap-test:{uuid.uuid4().hex}:"


@pytest.fixture
def make_redis(redis_url: str, redis_prefix: str) -> Iterator[Callable[..., RedisCache]]:
    """Build RedisCaches under this test's prefix; their keys are deleted afterwards."""
    made: list[RedisCache] = []

    def make(**options: object) -> RedisCache:
        options.setdefault("ttl_seconds", 60)
        options.setdefault("prefix", redis_prefix)
        cache = RedisCache(redis_url, **options)  # type: ignore[arg-type]
        made.append(cache)
        return cache

    yield make
    if made:
        made[0].clear()
    for cache in made:
        cache.close()


def _factory(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> MakeCache:
    def make(max_bytes: int = 64 * 2**20) -> Cache:
        if kind == "memory":
            return MemoryCache(max_bytes)
        if kind == "disk":
            return DiskCache(tmp_path / "disk", max_bytes)
        make_redis = request.getfixturevalue("make_redis")
        if kind == "redis":
            return make_redis()  # type: ignore[no-any-return]
        return TieredCache(
            [MemoryCache(max_bytes), DiskCache(tmp_path / "tier-disk", max_bytes), make_redis()]
        )

    return make


@pytest.fixture(params=BACKENDS)
def make_cache(request: pytest.FixtureRequest, tmp_path: Path) -> MakeCache:
    """A factory of the parametrised backend: ``make_cache(max_bytes=...)``."""
    return _factory(request.param, request, tmp_path)


@pytest.fixture(params=["memory", "disk"])
def make_bounded_cache(request: pytest.FixtureRequest, tmp_path: Path) -> MakeCache:
    """A factory of the backends that keep a size bound themselves."""
    return _factory(request.param, request, tmp_path)


@pytest.fixture
def cache(make_cache: MakeCache) -> Iterator[Cache]:
    """One instance of the parametrised backend."""
    with make_cache() as c:
        yield c
