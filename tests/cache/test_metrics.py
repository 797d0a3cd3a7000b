"""Prometheus export of the cache counters."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest

from gazemap.cache import DiskCache, MemoryCache, TieredCache, get_or_compute
from gazemap.cache.metrics import CacheCollector


def test_scrape_reports_each_tier_and_each_answer(tmp_path: Path) -> None:
    cache = TieredCache([MemoryCache(300), DiskCache(tmp_path, 10**6)])
    registry = CollectorRegistry()
    registry.register(CacheCollector(cache))
    get_or_compute(cache, "a", lambda: b"x" * 200)
    get_or_compute(cache, "a", lambda: b"")
    get_or_compute(cache, "b", lambda: b"y" * 200)  # evicts "a" from memory
    get_or_compute(cache, "a", lambda: b"")  # from disk

    text = generate_latest(registry).decode()
    lines = set(text.splitlines())
    assert 'gazemap_cache_requests_total{outcome="miss"} 2.0' in lines
    assert 'gazemap_cache_requests_total{outcome="hit-memory"} 1.0' in lines
    assert 'gazemap_cache_requests_total{outcome="hit-disk"} 1.0' in lines
    assert 'gazemap_cache_evictions_total{tier="memory"} 2.0' in lines
    assert 'gazemap_cache_operations_total{outcome="hit",tier="disk"} 1.0' in lines
    assert 'gazemap_cache_entries{tier="disk"} 2.0' in lines
    assert any(line.startswith('gazemap_cache_bytes{tier="memory"}') for line in lines)
