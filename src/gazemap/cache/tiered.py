"""Several caches stacked fastest first: memory, then disk, then Redis."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from gazemap.cache.base import Cache, FlightLock, Lookup, _check_key, _check_value
from gazemap.errors import InvalidInputError

__all__ = ["TieredCache"]


class TieredCache(Cache):
    """Caches read top-down, hits promoted to the faster tiers, writes to all.

    Parameters
    ----------
    tiers:
        The caches, fastest first, with distinct ``tier`` names. An empty list
        makes a cache that never hits (every tier disabled by configuration).
    tier:
        Name of the composition in logs and metrics.

    Notes
    -----
    A lookup asks each tier in turn and stops at the first hit, which it then
    writes into every faster tier, so a value read once from Redis is served
    from memory afterwards. A failing tier is skipped: with Redis down the
    memory and disk tiers keep answering. The lock shared between processes
    (:meth:`flight_lock`) is the first one a tier offers.

    Examples
    --------
    >>> from gazemap.cache import MemoryCache
    >>> small, large = MemoryCache(100, tier="small"), MemoryCache(1000, tier="large")
    >>> cache = TieredCache([small, large])
    >>> _ = large.set("k", b"v")
    >>> cache.lookup("k").tier, small.get("k")
    ('large', b'v')
    """

    def __init__(self, tiers: Iterable[Cache], *, tier: str = "tiered") -> None:
        super().__init__(tier=tier)
        self.layers: tuple[Cache, ...] = tuple(tiers)
        names = [layer.tier for layer in self.layers]
        if len(set(names)) != len(names):
            raise InvalidInputError(f"tiers must have distinct names, got {names}", field="tiers")

    def __repr__(self) -> str:
        return f"<TieredCache {[layer.tier for layer in self.layers]}>"

    def lookup(self, key: str) -> Lookup:
        """Ask each tier in order; promote a hit into the tiers above it."""
        _check_key(key)
        failed = False
        for i, layer in enumerate(self.layers):
            found = layer.lookup(key)
            failed = failed or found.failed
            if found.value is not None:
                for faster in self.layers[:i]:
                    faster.set(key, found.value)
                self.stats.add("hits")
                return Lookup(found.value, found.tier, failed)
        self.stats.add("misses")
        return Lookup(None, None, failed)

    def set(self, key: str, value: bytes) -> bool:
        """Write to every tier; False if any of them failed."""
        _check_key(key)
        _check_value(value)
        ok = True
        for layer in self.layers:
            ok = layer.set(key, value) and ok
        self.stats.add("sets")
        return ok

    def delete(self, key: str) -> bool:
        """Delete from every tier; False if any of them failed."""
        _check_key(key)
        ok = True
        for layer in self.layers:
            ok = layer.delete(key) and ok
        return ok

    def clear(self) -> bool:
        """Clear every tier; False if any of them failed."""
        ok = True
        for layer in self.layers:
            ok = layer.clear() and ok
        return ok

    def flight_lock(self, key: str, *, timeout: float) -> FlightLock | None:
        """The first cross-process lock any tier offers, or ``None``."""
        for layer in self.layers:
            lock = layer.flight_lock(key, timeout=timeout)
            if lock is not None:
                return lock
        return None

    def tiers(self) -> Sequence[Cache]:
        """Every tier's own counters, then the composition's."""
        return (*(t for layer in self.layers for t in layer.tiers()), self)

    def close(self) -> None:
        """Close every tier."""
        for layer in self.layers:
            layer.close()
