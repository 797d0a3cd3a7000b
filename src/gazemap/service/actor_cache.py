"""A short in-process cache of the actor behind an access token.

Every authenticated request used to read the user row (deleted? disabled? role?) and
the sign-in family (logged out?) from the database: two transactions before any work,
a large share of a cached heat map's cost. :class:`ActorCache` keeps the answer for a
few seconds (:data:`ACTOR_TTL_SECONDS`), keyed by the token's user id and ``jti``
(unique per token), so the decision is per token and never shared between tokens.

Consequences, documented in ``docs/security.md``: a change made in this process
(:func:`gazemap.service.accounts.update_user`, logout, refresh-token reuse) calls
:func:`invalidate_actors` and applies at once; a change made by another instance or
directly in the database reaches this instance within the TTL (a disabled user or an
ended sign-in keeps access for at most that long; access tokens live 15 minutes anyway).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable

from gazemap.errors import InvalidInputError
from gazemap.service.actor import Actor

__all__ = ["ACTOR_TTL_SECONDS", "ActorCache", "actor_cache", "invalidate_actors"]

#: How long a token's actor is reused without asking the database, in seconds.
ACTOR_TTL_SECONDS = 5.0

_lock = threading.Lock()
_generation = 0


def invalidate_actors() -> None:
    """Forget every cached actor of this process (a user or a sign-in changed)."""
    global _generation
    with _lock:
        _generation += 1


class ActorCache:
    """Actors by key for ``ttl`` seconds, at most ``max_entries`` of them.

    Parameters
    ----------
    ttl:
        Seconds an entry is answered; > 0.
    max_entries:
        Bound on the entries; when full, the whole cache is dropped (simple, and
        each token's next request refills it).
    clock:
        Monotonic seconds (tests pass a fake clock).

    Examples
    --------
    >>> from gazemap.service.actor import SYSTEM
    >>> now = [0.0]
    >>> cache = ActorCache(ttl=5.0, clock=lambda: now[0])
    >>> cache.put("k", SYSTEM)
    >>> cache.get("k") is SYSTEM
    True
    >>> now[0] = 5.1
    >>> cache.get("k") is None
    True
    """

    def __init__(
        self,
        *,
        ttl: float = ACTOR_TTL_SECONDS,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not ttl > 0:
            raise InvalidInputError(f"ttl must be > 0, got {ttl!r}", field="ttl")
        if max_entries < 1:
            raise InvalidInputError(
                f"max_entries must be >= 1, got {max_entries!r}", field="max_entries"
            )
        self.ttl, self.max_entries, self.clock = ttl, max_entries, clock
        self._entries: dict[Hashable, tuple[float, int, Actor]] = {}

    def get(self, key: Hashable) -> Actor | None:
        """The actor stored under ``key``, or ``None`` when absent, expired or invalidated."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, generation, actor = entry
        if generation != _generation or self.clock() >= expires:
            self._entries.pop(key, None)
            return None
        return actor

    def put(self, key: Hashable, actor: Actor) -> None:
        """Remember ``actor`` under ``key`` for ``ttl`` seconds."""
        with _lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = (self.clock() + self.ttl, _generation, actor)


_shared = ActorCache()


def actor_cache() -> ActorCache:
    """The process's cache (keys hold the token's ``jti``, unique across apps)."""
    return _shared
