"""The short in-process cache of token actors: expiry, invalidation, bounds."""

from __future__ import annotations

import pytest

from gazemap.errors import InvalidInputError
from gazemap.service.actor import SYSTEM, Actor
from gazemap.service.actor_cache import ActorCache, invalidate_actors


def _clocked(ttl: float = 5.0, **kw: int) -> tuple[ActorCache, list[float]]:
    now = [100.0]
    return ActorCache(ttl=ttl, clock=lambda: now[0], **kw), now


def test_an_entry_expires_after_the_ttl() -> None:
    cache, now = _clocked()
    actor = Actor(7, "v", "viewer")
    cache.put((7, "jti-1"), actor)
    now[0] += 4.9
    assert cache.get((7, "jti-1")) is actor
    now[0] += 0.2
    assert cache.get((7, "jti-1")) is None
    assert cache.get((7, "jti-2")) is None  # another token of the same user: its own entry


def test_invalidation_forgets_every_entry() -> None:
    cache, _ = _clocked()
    cache.put("a", SYSTEM)
    invalidate_actors()
    assert cache.get("a") is None
    cache.put("a", SYSTEM)  # entries made after the invalidation are answered
    assert cache.get("a") is SYSTEM


def test_the_cache_is_bounded() -> None:
    cache, _ = _clocked(max_entries=2)
    for key in ("a", "b", "c"):
        cache.put(key, SYSTEM)
    assert cache.get("c") is SYSTEM
    assert cache.get("a") is None


@pytest.mark.parametrize(("ttl", "max_entries"), [(0.0, 1), (-1.0, 1), (1.0, 0)])
def test_bad_settings_are_refused(ttl: float, max_entries: int) -> None:
    with pytest.raises(InvalidInputError, match=r"(ttl|max_entries) must be"):
        ActorCache(ttl=ttl, max_entries=max_entries)
