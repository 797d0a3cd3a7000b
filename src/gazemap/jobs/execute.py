"""Running one job by id: the lifecycle every runner shares.

``queued → running → done | failed``, all in the database:

1. load the row; a row already ``done`` or ``failed`` is left alone (a duplicate
   delivery after a worker crash, see ``docs/jobs.md``);
2. mark it ``running``, stamp ``started_at``, ``attempts += 1``, commit;
3. call the registered task function with the row's JSON params and a progress callback
   that writes ``progress`` in short transactions of its own;
4. store the result key, ``progress = 1``, ``done`` and ``finished_at`` — or the error
   message, ``failed`` and ``finished_at``.

A task may instead return :class:`FanOut`: the job is split into child jobs (one row
each, committed, then submitted to the runner); the parent stays ``running`` with
``progress`` = finished children / children and ends when the last child ends.

Transient errors (:data:`TRANSIENT_ERRORS`: database or blob store unreachable) put the
job back to ``queued`` and raise :class:`RetryJob` unless this is the final attempt, so
the runner can retry with backoff; every other error fails the job.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from gazemap.errors import GazemapError, NotFoundError, StorageError
from gazemap.jobs.base import FanOut, JobContext, JobRunner, JobStatus
from gazemap.jobs.registry import get_task
from gazemap.store.models import Job
from gazemap.store.models.base import utcnow

__all__ = ["TRANSIENT_ERRORS", "FanOut", "RetryJob", "new_job_id", "run_job", "settle_parent"]

log = logging.getLogger(__name__)

#: Errors worth retrying: the database, blob store or network were briefly unavailable.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    StorageError,
    OperationalError,
    ConnectionError,
    TimeoutError,
)

#: Progress is written when it moved by at least this much (and always at the end).
PROGRESS_STEP = 0.01


class RetryJob(Exception):  # noqa: N818 (a signal to the runner, not an error to report)
    """Raised by :func:`run_job` when a transient error should be retried by the runner."""


def new_job_id() -> str:
    """A fresh job id (a random UUID as text)."""
    return str(uuid.uuid4())


def _message(exc: BaseException) -> str:
    # named errors carry a message meant for users; anything else is a bug worth naming
    if isinstance(exc, GazemapError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _claim(session: Session, job_id: str) -> int:
    """Take the job row's write lock before reading it; returns the rows matched.

    Writing first matters on SQLite: a transaction that read and then writes fails at
    once with "database is locked" when another writer committed in between (the busy
    timeout does not apply to that case). On PostgreSQL it serialises concurrent
    updates of one job (two children settling their parent).
    """
    result = session.execute(update(Job).where(Job.id == job_id).values(progress=Job.progress))
    return int(getattr(result, "rowcount", 0) or 0)


def _start(ctx: JobContext, job_id: str) -> tuple[str, dict[str, Any]] | None:
    with ctx.session() as session:
        if not _claim(session, job_id):
            raise NotFoundError(f"job {job_id} not found")
        job = session.get(Job, job_id)
        if job is None:
            raise NotFoundError(f"job {job_id} not found")
        if job.status in ("done", "failed"):
            return None
        job.status = "running"
        job.started_at = utcnow()
        job.finished_at = None
        job.error = None
        job.attempts += 1
        return job.kind, dict(job.params or {})


def _finish(
    ctx: JobContext,
    job_id: str,
    status: JobStatus,
    *,
    result_key: str | None = None,
    error: str | None = None,
) -> None:
    with ctx.session() as session:
        job = session.get(Job, job_id) if _claim(session, job_id) else None
        if job is None:  # deleted with its study while running: nothing to record
            return
        job.status = status
        job.error = error
        if status == "done":
            job.progress = 1.0
            job.result_key = result_key
        if status in ("done", "failed"):
            job.finished_at = utcnow()
        parent_id = (job.params or {}).get("parent_id")
    if parent_id and status in ("done", "failed"):
        settle_parent(ctx, str(parent_id))


class _Progress:
    """The progress callback of one run: clamps, skips tiny steps, writes in its own transaction."""

    def __init__(self, ctx: JobContext, job_id: str) -> None:
        self.ctx = ctx
        self.job_id = job_id
        self.written = 0.0

    def __call__(self, fraction: float) -> None:
        value = min(1.0, max(0.0, float(fraction)))
        if value < 1.0 and abs(value - self.written) < PROGRESS_STEP:
            return
        with self.ctx.session() as session:
            session.execute(
                update(Job)
                .where(Job.id == self.job_id, Job.status == "running")
                .values(progress=value)
            )
        self.written = value


def run_job(
    ctx: JobContext,
    job_id: str,
    *,
    runner: JobRunner | None = None,
    final_attempt: bool = True,
) -> JobStatus:
    """Run job ``job_id`` to its end and record the outcome in its row.

    Parameters
    ----------
    ctx:
        Context with sessions (a :class:`~gazemap.service.context.ServiceContext`); passed
        on to the task function.
    job_id:
        Id of a committed job row.
    runner:
        Where child jobs of a :class:`FanOut` are submitted; required only for tasks that
        fan out.
    final_attempt:
        When false, a transient error re-queues the job and raises :class:`RetryJob`.

    Returns
    -------
    str
        The job's status afterwards: ``done``, ``failed``, or ``running`` for a parent
        waiting for its children.

    Raises
    ------
    NotFoundError
        No job row has this id.
    RetryJob
        A transient error on a non-final attempt; the row is ``queued`` again.
    """
    started = _start(ctx, job_id)
    if started is None:
        log.info("job %s already finished; duplicate delivery ignored", job_id)
        return _status(ctx, job_id)
    kind, params = started
    if params.get("sub_jobs"):
        # a parent re-delivered after it fanned out: never split twice, only re-check
        return settle_parent(ctx, job_id)
    try:
        spec = get_task(kind)
        result = spec.function(ctx, params, _Progress(ctx, job_id))
    except TRANSIENT_ERRORS as exc:
        if final_attempt:
            log.warning("job %s (%s) failed after retries: %s", job_id, kind, exc)
            _finish(ctx, job_id, "failed", error=_message(exc))
            return "failed"
        log.warning("job %s (%s) hit a transient error, will retry: %s", job_id, kind, exc)
        _finish(ctx, job_id, "queued", error=f"retrying after: {_message(exc)}")
        raise RetryJob(_message(exc)) from exc
    except Exception as exc:  # a job must record every failure, not lose it in a thread
        log.exception("job %s (%s) failed", job_id, kind)
        _finish(ctx, job_id, "failed", error=_message(exc))
        return "failed"
    if isinstance(result, FanOut):
        return _fan_out(ctx, job_id, result, runner)
    _finish(ctx, job_id, "done", result_key=result)
    return "done"


def _status(ctx: JobContext, job_id: str) -> JobStatus:
    with ctx.session() as session:
        job = session.get(Job, job_id)
        if job is None:
            raise NotFoundError(f"job {job_id} not found")
        status: JobStatus = job.status  # type: ignore[assignment]
        return status


def _fan_out(ctx: JobContext, job_id: str, fan: FanOut, runner: JobRunner | None) -> JobStatus:
    if not fan.children:
        _finish(ctx, job_id, "done")
        return "done"
    if runner is None:
        _finish(ctx, job_id, "failed", error="this job splits into sub-jobs but has no runner")
        return "failed"
    ids = [new_job_id() for _ in fan.children]
    with ctx.session() as session:
        parent = session.get(Job, job_id) if _claim(session, job_id) else None
        if parent is None:
            return "failed"
        for child_id, (kind, params) in zip(ids, fan.children, strict=True):
            session.add(
                Job(
                    id=child_id,
                    kind=kind,
                    status="queued",
                    params={**params, "parent_id": job_id},
                    owner_id=parent.owner_id,
                    study_id=parent.study_id,
                )
            )
        parent.params = {**(parent.params or {}), "sub_jobs": ids}
    for child_id in ids:  # after the commit: a worker must find the row
        runner.submit(child_id)
    return "running"


def settle_parent(ctx: JobContext, parent_id: str) -> JobStatus:
    """Update a fanned-out job from its children: progress, and its end when all ended.

    Every child calls this after committing its own outcome, so the last child to
    commit always sees every sibling finished; two children settling at once write the
    same values.

    Parameters
    ----------
    ctx:
        Context with sessions.
    parent_id:
        The parent job.

    Returns
    -------
    str
        The parent's status afterwards.
    """
    with ctx.session() as session:
        parent = session.get(Job, parent_id) if _claim(session, parent_id) else None
        if parent is None:
            return "failed"
        ids = list((parent.params or {}).get("sub_jobs") or [])
        rows = session.execute(select(Job.status, Job.error).where(Job.id.in_(ids))).all()
        finished = [r for r in rows if r.status in ("done", "failed")]
        failed = [r for r in rows if r.status == "failed"]
        if parent.status in ("done", "failed"):
            status: JobStatus = parent.status  # type: ignore[assignment]
            return status
        parent.progress = len(finished) / len(ids) if ids else 1.0
        if len(finished) < len(ids):
            return "running"
        now: datetime = utcnow()
        parent.finished_at = now
        if failed:
            parent.status = "failed"
            parent.error = f"{len(failed)} of {len(ids)} sub-jobs failed; first: {failed[0].error}"
            return "failed"
        parent.status = "done"
        parent.progress = 1.0
        return "done"
