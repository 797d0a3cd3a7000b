"""Prometheus export of the cache counters, read at scrape time.

Nothing is registered at import. The monitoring code registers one collector per
cache it built (``registry.register(CacheCollector(cache))``); each scrape then
reads the live :class:`~gazemap.cache.CacheStats` of every tier. Labels are
bounded: ``tier`` is one of the configured tier names and ``outcome`` one of a
fixed handful, never a key.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from gazemap.cache.base import Cache

__all__ = ["CacheCollector"]


class CacheCollector(Collector):
    """Metrics of one cache and its tiers.

    Parameters
    ----------
    cache:
        Usually the :class:`~gazemap.cache.TieredCache` from
        :func:`~gazemap.cache.build_cache`.

    Notes
    -----
    Exposes ``gazemap_cache_operations_total{tier,outcome}`` with outcome
    ``hit``/``miss``/``error``/``set``, ``gazemap_cache_evictions_total{tier}``,
    ``gazemap_cache_bytes{tier}``, ``gazemap_cache_entries{tier}`` and
    ``gazemap_cache_requests_total{outcome}`` for the answers of
    :func:`~gazemap.cache.get_or_compute` (``hit-memory``, ``miss``, ``shared``, …).

    Examples
    --------
    >>> from prometheus_client import CollectorRegistry, generate_latest
    >>> from gazemap.cache import MemoryCache
    >>> registry = CollectorRegistry()
    >>> registry.register(CacheCollector(MemoryCache(1024)))
    >>> b'gazemap_cache_bytes{tier="memory"} 0.0' in generate_latest(registry)
    True
    """

    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    def collect(self) -> Iterator[Metric]:
        """One sample per tier and counter, read now."""
        ops = CounterMetricFamily(
            "gazemap_cache_operations",
            "Cache operations by tier and outcome.",
            labels=["tier", "outcome"],
        )
        evictions = CounterMetricFamily(
            "gazemap_cache_evictions", "Entries evicted to respect a size bound.", labels=["tier"]
        )
        size = GaugeMetricFamily("gazemap_cache_bytes", "Bytes held by a tier.", labels=["tier"])
        entries = GaugeMetricFamily(
            "gazemap_cache_entries", "Entries held by a tier.", labels=["tier"]
        )
        requests = CounterMetricFamily(
            "gazemap_cache_requests",
            "get_or_compute answers by outcome.",
            labels=["outcome"],
        )
        top = self.cache.stats.snapshot()
        for outcome, n in sorted(top.outcomes.items()):
            requests.add_metric([outcome], n)
        for tier in self.cache.tiers():
            s = tier.stats.snapshot()
            for outcome, n in (
                ("hit", s.hits),
                ("miss", s.misses),
                ("error", s.errors),
                ("set", s.sets),
            ):
                ops.add_metric([s.tier, outcome], n)
            evictions.add_metric([s.tier], s.evictions)
            size.add_metric([s.tier], s.bytes)
            entries.add_metric([s.tier], s.entries)
        yield from (ops, evictions, size, entries, requests)
