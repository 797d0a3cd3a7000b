"""Single-flight: concurrent requests for one missing value compute it once."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable

import pytest
import redis

from gazemap.cache import MemoryCache, RedisCache, TieredCache, get_or_compute
from gazemap.errors import InvalidInputError
from tests.cache import workers


class Counted:
    """A compute function that counts its calls and can be slowed down."""

    def __init__(self, value: bytes = b"value", *, delay: float = 0.0) -> None:
        self.value = value
        self.delay = delay
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self) -> bytes:
        with self._lock:
            self.calls += 1
        time.sleep(self.delay)
        return self.value


def run_threads(
    n: int, fn: Callable[[], tuple[bytes, str]]
) -> list[tuple[bytes, str] | BaseException]:
    results: list[tuple[bytes, str] | BaseException] = [b"" for _ in range(n)]  # type: ignore[misc]
    start = threading.Barrier(n)

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = fn()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_twenty_threads_asking_one_missing_key_compute_once() -> None:
    cache = MemoryCache(2**20)
    compute = Counted(delay=0.2)
    results = run_threads(20, lambda: get_or_compute(cache, "k", compute))
    assert compute.calls == 1
    assert all(r[0] == b"value" for r in results if isinstance(r, tuple))
    outcomes = [r[1] for r in results if isinstance(r, tuple)]
    assert outcomes.count("miss") == 1
    assert set(outcomes) <= {"miss", "shared", "hit-memory"}
    assert sum(cache.stats.snapshot().outcomes.values()) == 20


def test_different_keys_do_not_wait_for_each_other() -> None:
    cache = MemoryCache(2**20)
    compute = Counted(delay=0.05)
    results = run_threads(8, lambda: get_or_compute(cache, uuid.uuid4().hex, compute))
    assert compute.calls == 8
    assert {r[1] for r in results if isinstance(r, tuple)} == {"miss"}


def test_a_failing_compute_fails_every_waiter_and_caches_nothing() -> None:
    cache = MemoryCache(2**20)
    calls = []

    def compute() -> bytes:
        calls.append(1)
        time.sleep(0.2)
        raise InvalidInputError("bandwidth must be > 0, got -3")

    results = run_threads(5, lambda: get_or_compute(cache, "k", compute))
    assert all(isinstance(r, InvalidInputError) for r in results)
    assert len(calls) == 1
    assert cache.get("k") is None
    assert not cache.flights
    assert get_or_compute(cache, "k", lambda: b"ok") == (b"ok", "miss")


def test_compute_must_return_bytes() -> None:
    with pytest.raises(InvalidInputError, match="compute must return bytes, got str"):
        get_or_compute(MemoryCache(100), "k", lambda: "text")  # type: ignore[arg-type,return-value]


@pytest.mark.parametrize("timeout", [0, -1.0])
def test_lock_timeout_must_be_positive(timeout: float) -> None:
    with pytest.raises(InvalidInputError, match="lock_timeout must be > 0"):
        get_or_compute(MemoryCache(100), "k", lambda: b"", lock_timeout=timeout)


@pytest.mark.redis
def test_two_processes_compute_once_through_the_redis_lock(
    redis_url: str, redis_prefix: str, make_redis: Callable[..., RedisCache]
) -> None:
    make_redis()  # its teardown deletes what the processes stored under the prefix
    counter = f"{redis_prefix}counter"
    outcomes = workers.run_in_processes(
        workers.compute_once_via_redis, [(redis_url, redis_prefix, "k", counter)] * 2
    )
    client = redis.Redis.from_url(redis_url)
    try:
        assert int(client.get(counter) or 0) == 1
        assert sorted(outcomes) in (["miss", "shared"], ["hit-redis", "miss"])
    finally:
        client.delete(counter)
        client.close()


@pytest.mark.redis
def test_waiter_takes_the_value_its_lock_holder_stored(
    make_redis: Callable[..., RedisCache],
) -> None:
    shared = make_redis()
    cache = TieredCache([MemoryCache(2**20), shared])
    holder = shared.client.lock(shared.lock_key("k"), timeout=30)
    assert holder.acquire(blocking=False)
    compute = Counted()
    result: list[tuple[bytes, str]] = []
    waiter = threading.Thread(target=lambda: result.append(get_or_compute(cache, "k", compute)))
    waiter.start()
    time.sleep(0.2)  # let the waiter find the lock taken (correctness does not depend on it)
    shared.set("k", b"from the holder")
    holder.release()
    waiter.join()
    assert compute.calls == 0
    assert result[0][0] == b"from the holder"
    assert result[0][1] in {"shared", "hit-redis"}


@pytest.mark.redis
def test_waiter_computes_itself_when_the_holder_dies(
    make_redis: Callable[..., RedisCache],
) -> None:
    shared = make_redis()
    # a lock whose holder vanished: it frees itself when its lease runs out
    shared.client.set(shared.lock_key("k"), b"dead-token", px=300)
    compute = Counted()
    assert get_or_compute(shared, "k", compute, lock_timeout=30) == (b"value", "miss")
    assert compute.calls == 1
    assert shared.get("k") == b"value"
    assert not shared.client.exists(shared.lock_key("k"))


@pytest.mark.redis
def test_waiter_stops_waiting_after_lock_timeout(make_redis: Callable[..., RedisCache]) -> None:
    shared = make_redis()
    shared.client.set(shared.lock_key("k"), b"stuck-holder", px=60_000)
    compute = Counted()
    assert get_or_compute(shared, "k", compute, lock_timeout=0.3) == (b"value", "miss")
    assert compute.calls == 1
    assert shared.client.get(shared.lock_key("k")) == b"stuck-holder"  # not ours to delete


class PausedLookup(MemoryCache):
    """Holds the first lookup of the thread named 'late' until ``gate`` opens."""

    def __init__(self) -> None:
        super().__init__(2**20)
        self.gate = threading.Event()
        self.paused = threading.Event()

    def _load(self, key: str) -> bytes | None:
        value = super()._load(key)
        if threading.current_thread().name == "late" and not self.paused.is_set():
            self.paused.set()
            self.gate.wait()
        return value


def test_a_caller_whose_miss_went_stale_does_not_compute_again() -> None:
    cache = PausedLookup()
    compute = Counted()
    late: list[tuple[bytes, str]] = []
    thread = threading.Thread(
        target=lambda: late.append(get_or_compute(cache, "k", compute)), name="late"
    )
    thread.start()
    cache.paused.wait()  # the late caller has seen its miss
    assert get_or_compute(cache, "k", compute) == (b"value", "miss")
    cache.gate.set()
    thread.join()
    assert late == [(b"value", "hit-memory")]
    assert compute.calls == 1
