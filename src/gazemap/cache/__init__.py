"""Heat-map cache: memory LRU, disk, Redis and a tiered composition behind one interface.

Values are ``bytes`` under text keys. :func:`make_key` builds keys from the
stimulus, its data version and the canonical request; :func:`encode_density`
and :func:`pack_entry` turn arrays, PNGs and their metadata into values;
:func:`get_or_compute` answers from the cache or computes once; and
:func:`build_cache` assembles the tiers the settings ask for. Prometheus export
of the counters lives in :mod:`gazemap.cache.metrics` (imported on demand).
See ``docs/cache.md``.
"""

from gazemap.cache.base import Cache, CacheStats, FlightLock, Lookup, StatsSnapshot
from gazemap.cache.disk import DiskCache
from gazemap.cache.entry import Entry, decode_density, encode_density, pack_entry, unpack_entry
from gazemap.cache.factory import build_cache
from gazemap.cache.flight import Outcome, get_or_compute
from gazemap.cache.keys import KEY_VERSION, CacheKey, canonical, canonical_json, make_key
from gazemap.cache.memory import MemoryCache
from gazemap.cache.redis_cache import RedisCache
from gazemap.cache.tiered import TieredCache

__all__ = [
    "KEY_VERSION",
    "Cache",
    "CacheKey",
    "CacheStats",
    "DiskCache",
    "Entry",
    "FlightLock",
    "Lookup",
    "MemoryCache",
    "Outcome",
    "RedisCache",
    "StatsSnapshot",
    "TieredCache",
    "build_cache",
    "canonical",
    "canonical_json",
    "decode_density",
    "encode_density",
    "get_or_compute",
    "make_key",
    "pack_entry",
    "unpack_entry",
]
