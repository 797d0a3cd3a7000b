"""Building the configured cache from settings."""

from __future__ import annotations

from gazemap.cache.base import Cache
from gazemap.cache.disk import DiskCache
from gazemap.cache.memory import MemoryCache
from gazemap.cache.redis_cache import RedisCache
from gazemap.cache.tiered import TieredCache
from gazemap.config import Settings

__all__ = ["build_cache"]


def build_cache(settings: Settings) -> TieredCache:
    """The tiered cache the settings describe: memory, then disk, then Redis.

    Parameters
    ----------
    settings:
        ``cache.memory_bytes`` (0 leaves memory out), ``cache.disk_bytes`` and
        the folder ``resolved_cache_path`` (0 bytes leaves disk out),
        ``redis_url`` (unset leaves Redis out), ``cache.redis_ttl_seconds`` and
        ``cache.redis_prefix`` (keys of deployments sharing one Redis never meet).

    Returns
    -------
    TieredCache
        Possibly with no tiers at all, in which case every lookup misses.

    Notes
    -----
    Creates the disk folder; connects to nothing (Redis connects on first use).

    Examples
    --------
    >>> from gazemap.config import Settings, CacheSettings
    >>> build_cache(Settings(cache=CacheSettings(memory_bytes=1024, disk_bytes=0)))
    <TieredCache ['memory']>
    """
    tiers: list[Cache] = []
    if settings.cache.memory_bytes > 0:
        tiers.append(MemoryCache(settings.cache.memory_bytes))
    if settings.cache.disk_bytes > 0:
        tiers.append(DiskCache(settings.resolved_cache_path, settings.cache.disk_bytes))
    if settings.redis_url:
        tiers.append(
            RedisCache(
                settings.redis_url,
                ttl_seconds=settings.cache.redis_ttl_seconds,
                prefix=settings.cache.redis_prefix,
            )
        )
    return TieredCache(tiers)
