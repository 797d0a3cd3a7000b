"""The default runner: a thread pool inside the API process, with jobs kept in the database.

Jobs survive a restart because their state is in the ``jobs`` table, not in the pool:
:meth:`LocalJobRunner.recover` (called on start) re-queues jobs a previous process left
``running`` when their kind is idempotent (heat maps are: results land in the cache under
a key derived from their inputs, so a re-run at worst recomputes the same value) and
marks the others ``failed`` with "interrupted by a restart"; then every ``queued`` job
is submitted again, oldest first.

Recovery belongs to one process per ``GAZEMAP_HOME`` (a lock file), so the processes
of ``gazemap serve --workers N`` do not re-run each other's jobs. Several hosts sharing
one database should use the Celery backend: a lock file does not span hosts.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from typing import BinaryIO

from sqlalchemy import select, update

from gazemap.errors import InvalidInputError
from gazemap.jobs.base import JobContext, JobRunner
from gazemap.jobs.execute import RetryJob, run_job
from gazemap.jobs.registry import get_task, registered_kinds
from gazemap.store.models import Job
from gazemap.store.models.base import utcnow

__all__ = ["INTERRUPTED", "LocalJobRunner"]

log = logging.getLogger(__name__)

#: Error of a non-idempotent job that was running when its process stopped.
INTERRUPTED = "interrupted by a restart"


class LocalJobRunner(JobRunner):
    """Runs jobs on ``workers`` threads of this process.

    Parameters
    ----------
    ctx:
        Context passed to every task (the API's service context).
    workers:
        Threads; default ``settings.jobs.local_workers``.
    max_retries:
        Retries of a job after a transient error (database or blob store unavailable).
    retry_delay:
        Seconds before the first retry; doubled for each further one.

    Examples
    --------
    Used through :func:`gazemap.jobs.build_job_runner`; tests drive it directly::

        runner = LocalJobRunner(ctx, workers=2)
        runner.recover()
        runner.submit(job_id)
        runner.drain()
        runner.shutdown()
    """

    backend = "local"

    def __init__(
        self,
        ctx: JobContext,
        *,
        workers: int | None = None,
        max_retries: int = 3,
        retry_delay: float = 0.5,
    ) -> None:
        count = ctx.settings.jobs.local_workers if workers is None else workers
        if count < 1:
            raise InvalidInputError(f"workers must be >= 1, got {count}", field="workers")
        if max_retries < 0:
            raise InvalidInputError(
                f"max_retries must be >= 0, got {max_retries}", field="max_retries"
            )
        self.ctx = ctx
        self.workers = count
        self.max_retries = max_retries
        self.retry_delay = retry_delay
        self._pool = ThreadPoolExecutor(max_workers=count, thread_name_prefix="gazemap-job")
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._futures: set[Future[None]] = set()
        self._lock_file: BinaryIO | None = None

    def submit(self, job_id: str) -> None:
        """Run ``job_id`` on the next free thread (its row must be committed)."""
        if self._stopping.is_set():
            # the row stays queued; the next start recovers it
            log.warning("job %s submitted during shutdown; left queued", job_id)
            return
        try:
            future = self._pool.submit(self._run, job_id)
        except RuntimeError:  # the pool shut down between the check and the submit
            log.warning("job %s submitted during shutdown; left queued", job_id)
            return
        with self._lock:
            self._futures.add(future)
        future.add_done_callback(self._forget)

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._futures.discard(future)

    def _run(self, job_id: str) -> None:
        attempt = 0
        while not self._stopping.is_set():
            try:
                run_job(self.ctx, job_id, runner=self, final_attempt=attempt >= self.max_retries)
            except RetryJob:
                delay = self.retry_delay * 2**attempt
                attempt += 1
                if self._stopping.wait(delay):
                    return  # left queued for the next start
                continue
            except Exception:  # a worker thread must survive anything and say why
                log.exception("job %s could not be run", job_id)
            return

    def recover(self) -> list[str]:
        """Take over the jobs a previous process left behind; submit every queued job.

        Returns
        -------
        list of str
            Ids of the jobs submitted, oldest first.

        Notes
        -----
        Jobs left ``running`` are re-queued when their kind is registered as idempotent,
        else marked ``failed`` with :data:`INTERRUPTED`. Kinds not registered in this
        process are re-queued; running them then fails with "unknown job kind".

        Only one process per ``GAZEMAP_HOME`` recovers: the first to take the lock file
        ``jobs.lock`` there, held until :meth:`shutdown`. So with ``gazemap serve
        --workers N`` the other processes do not re-run jobs their siblings are running;
        they return an empty list.
        """
        if not self._own_recovery():
            log.info("another process owns the local job queue; not recovering jobs")
            return []
        fragile = [k for k in registered_kinds() if not get_task(k).idempotent]
        with self.ctx.session() as session:
            # updates before any read: see gazemap.jobs.execute._claim
            if fragile:
                session.execute(
                    update(Job)
                    .where(Job.status == "running", Job.kind.in_(fragile))
                    .values(status="failed", error=INTERRUPTED, finished_at=utcnow())
                )
            session.execute(
                update(Job).where(Job.status == "running").values(status="queued", error=None)
            )
            ids = list(
                session.scalars(
                    select(Job.id).where(Job.status == "queued").order_by(Job.created_at, Job.id)
                )
            )
        for job_id in ids:
            self.submit(job_id)
        if ids:
            log.info("re-submitted %d jobs left from a previous run", len(ids))
        return ids

    def _own_recovery(self) -> bool:
        if self._lock_file is not None:
            return True
        try:
            import fcntl
        except ImportError:  # not POSIX: no lock, every process recovers
            return True
        home = self.ctx.settings.home
        home.mkdir(parents=True, exist_ok=True)
        handle = (home / "jobs.lock").open("a+b")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._lock_file = handle
        return True

    def drain(self, timeout: float | None = None) -> bool:
        """Wait until every submitted job (and the jobs they submitted) has ended.

        Parameters
        ----------
        timeout:
            Seconds to wait at most; ``None`` waits as long as it takes.

        Returns
        -------
        bool
            True when nothing is pending any more.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                pending = set(self._futures)
            if not pending:
                return True
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            _, not_done = wait_futures(pending, timeout=left)
            if not_done:
                return False

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop: running jobs finish when ``wait``; jobs not started stay queued in the database."""
        self._stopping.set()
        self._pool.shutdown(wait=wait, cancel_futures=True)
        if self._lock_file is not None:
            self._lock_file.close()  # releases the recovery lock
            self._lock_file = None
