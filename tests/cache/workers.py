"""Functions run in child processes by the multi-process cache tests (spawn start method)."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any


def hammer_disk_key(path: str, key: str, marker: int, rounds: int, barrier: Barrier) -> int:
    """Write ``key`` with a value made of ``marker`` and read it back; count torn reads."""
    from gazemap.cache import DiskCache

    cache = DiskCache(path, 2**30)
    mine = bytes([marker]) * 300_000
    torn = 0
    barrier.wait()
    for _ in range(rounds):
        cache.set(key, mine)
        got = cache.get(key)
        # any complete value is fine (another process may have won); a mix is not
        if got is None or len(got) != len(mine) or got.count(got[:1]) != len(got):
            torn += 1
    return torn + cache.stats.snapshot().errors


def compute_once_via_redis(
    redis_url: str, prefix: str, key: str, counter: str, barrier: Barrier
) -> str:
    """Ask a memory+Redis cache for ``key``; computing increments ``counter`` in Redis."""
    import redis

    from gazemap.cache import MemoryCache, RedisCache, TieredCache, get_or_compute

    client = redis.Redis.from_url(redis_url)
    cache = TieredCache([MemoryCache(2**20), RedisCache(client, ttl_seconds=60, prefix=prefix)])

    def compute() -> bytes:
        client.incr(counter)
        time.sleep(0.5)  # holds the lock long enough that the other process must wait
        return b"computed once"

    barrier.wait()
    value, outcome = get_or_compute(cache, key, compute, lock_timeout=30)
    client.close()
    if value != b"computed once":
        return f"wrong value {value!r}"
    return outcome


def _report(
    queue: Queue[tuple[int, Any]], index: int, fn: Callable[..., Any], args: tuple[Any, ...]
) -> None:
    queue.put((index, fn(*args)))


def run_in_processes(fn: Callable[..., Any], arg_tuples: list[tuple[Any, ...]]) -> list[Any]:
    """Run ``fn(*args, barrier)`` in one spawned process per tuple; their results in order.

    The processes share a barrier (the last argument) so they start their work together.
    """
    ctx = multiprocessing.get_context("spawn")
    queue: Queue[tuple[int, Any]] = ctx.Queue()
    barrier = ctx.Barrier(len(arg_tuples))
    procs = [
        ctx.Process(target=_report, args=(queue, i, fn, (*args, barrier)))
        for i, args in enumerate(arg_tuples)
    ]
    for p in procs:
        p.start()
    try:
        results = dict(queue.get(timeout=120) for _ in procs)
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
    return [results[i] for i in range(len(procs))]
