"""Task kinds used by the job tests; each records what it saw so tests can check it."""

from __future__ import annotations

import threading
from collections import defaultdict
from typing import Any

from gazemap.errors import InvalidInputError, StorageError
from gazemap.jobs import FanOut, ProgressFn, register_task
from gazemap.store.models import Job

#: job marker -> what the task observed (progress values as stored, statuses).
seen: dict[str, list[Any]] = defaultdict(list)
#: marker -> event the ``test_gate`` task waits for.
gates: dict[str, threading.Event] = {}
#: marker -> how many more times ``test_flaky`` raises a transient error.
flaky_left: dict[str, int] = {}


def _stored(ctx: Any, job_id: str) -> tuple[str, float]:
    with ctx.session() as session:
        job = session.get(Job, job_id)
        return job.status, job.progress


def echo(ctx: Any, params: dict[str, Any], progress: ProgressFn) -> str:
    """Reports progress in quarters, recording the stored (status, progress) after each."""
    for step in (0.25, 0.5, 0.75):
        progress(step)
        seen[params["marker"]].append(_stored(ctx, params["job_id"]))
    return f"result:{params['marker']}"


def fail(ctx: Any, params: dict[str, Any], progress: ProgressFn) -> str:
    progress(0.5)
    raise InvalidInputError(f"bandwidth must be > 0, got {params.get('bandwidth', -3)}")


def crash(ctx: Any, params: dict[str, Any], progress: ProgressFn) -> str:
    raise ZeroDivisionError("division by zero")


def flaky(ctx: Any, params: dict[str, Any], progress: ProgressFn) -> str:
    marker = params["marker"]
    seen[marker].append("attempt")
    if flaky_left.get(marker, 0) > 0:
        flaky_left[marker] -= 1
        raise StorageError("blob store unreachable")
    return "ok"


def gate(ctx: Any, params: dict[str, Any], progress: ProgressFn) -> str:
    marker = params["marker"]
    seen[marker].append(_stored(ctx, params["job_id"]))
    gates[marker].wait(60)
    return "opened"


def once(ctx: Any, params: dict[str, Any], progress: ProgressFn) -> str:
    seen[params["marker"]].append("ran")
    return "once"


def split(ctx: Any, params: dict[str, Any], progress: ProgressFn) -> FanOut:
    return FanOut([(kind, child) for kind, child in params["plan"]])


def register_test_tasks() -> None:
    """Register every kind above (idempotent; ``test_once`` is not)."""
    register_task("test_echo")(echo)
    register_task("test_fail")(fail)
    register_task("test_crash")(crash)
    register_task("test_flaky")(flaky)
    register_task("test_gate")(gate)
    register_task("test_once", idempotent=False)(once)
    register_task("test_split")(split)
