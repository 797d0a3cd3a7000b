"""The team-server runner: jobs go through Redis to ``gazemap worker`` processes (Celery).

Only the job id travels (JSON); the worker reads the row, runs it with
:func:`gazemap.jobs.execute.run_job` and writes the outcome to the database. The Celery
app is built by :func:`create_celery_app` from settings, never at import.

Delivery settings and why (``docs/jobs.md``):

``task_acks_late=True``
    The message is acknowledged after the task ran, not when it was received, so a
    worker killed mid-job (OOM, deploy, lost node) does not lose the job: Redis
    redelivers it after the visibility timeout. Safe because every kind is idempotent
    (results land in the cache by key; a duplicate delivery of a finished job is a no-op).
``task_reject_on_worker_lost=True``
    When the pool process dies, the message is requeued at once instead of being
    acknowledged as failed.
``worker_prefetch_multiplier=1``
    Heat-map jobs are long and uneven; a worker reserves one message per process, so
    an idle worker is never starved while another hoards a backlog.
``broker_transport_options.visibility_timeout``
    ``settings.jobs.visibility_timeout_seconds`` (6 h by default): how long Redis waits
    for the acknowledgement before handing the message to another worker. With late
    acknowledgement that is the whole run of the job, and for a retry its countdown
    too (the worker holds the delayed message unacknowledged), so it must exceed both;
    :func:`create_celery_app` refuses one not above :data:`RETRY_MAX_DELAY` and
    :func:`run_worker` one not above the worker's time limits.
Retries
    Transient errors (database or blob store unreachable) re-queue the row and retry the
    task with exponential backoff (:data:`RETRY_DELAY` · 2^n s, at most
    :data:`RETRY_MAX_DELAY`), :data:`MAX_RETRIES` times; then the job fails.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from gazemap.config import Settings
from gazemap.errors import InvalidInputError, NotFoundError, StorageError
from gazemap.jobs.base import JobContext, JobRunner
from gazemap.jobs.execute import RetryJob, run_job

if TYPE_CHECKING:
    from celery import Celery

__all__ = [
    "DEFAULT_QUEUE",
    "MAX_RETRIES",
    "TASK_NAME",
    "CeleryJobRunner",
    "create_celery_app",
    "run_worker",
]

log = logging.getLogger(__name__)

#: Name of the one Celery task: ``run_job(job_id)``.
TASK_NAME = "gazemap.run_job"
#: Queue used unless another is given (tests use one per run).
DEFAULT_QUEUE = "gazemap"
#: Retries after transient errors before a job fails.
MAX_RETRIES = 5
#: First retry delay in seconds; doubled each time, capped at :data:`RETRY_MAX_DELAY`.
RETRY_DELAY = 2.0
RETRY_MAX_DELAY = 120.0
#: ``celery worker`` options that set a time limit, and the Celery settings they map to.
_TIME_LIMIT_OPTIONS = {
    "--time-limit": "task_time_limit",
    "--soft-time-limit": "task_soft_time_limit",
}
_VISIBILITY_SETTING = "GAZEMAP_JOBS__VISIBILITY_TIMEOUT_SECONDS"


def create_celery_app(
    settings: Settings,
    *,
    queue: str = DEFAULT_QUEUE,
    context_factory: Callable[[], JobContext] | None = None,
) -> Celery:
    """A Celery app on ``settings.redis_url`` (broker and result backend).

    Parameters
    ----------
    settings:
        Needs ``redis_url``; ``jobs.visibility_timeout_seconds`` becomes the broker's
        visibility timeout.
    queue:
        Queue the jobs are sent to and the worker consumes.
    context_factory:
        Builds the context the tasks run with; given only in workers (the sending side
        needs no task code). Called once per worker process, after the fork.

    Returns
    -------
    celery.Celery

    Raises
    ------
    InvalidInputError
        ``GAZEMAP_REDIS_URL`` is not set, the queue name is empty, or the visibility
        timeout is not above :data:`RETRY_MAX_DELAY` (a retry waiting for its countdown
        would be delivered a second time).
    """
    from celery import Celery

    if not settings.redis_url:
        raise InvalidInputError(
            "the celery job backend needs GAZEMAP_REDIS_URL (broker and result backend), "
            "which is not set",
            field="redis_url",
        )
    if not queue.strip():
        raise InvalidInputError(f"queue must be a non-empty name, got {queue!r}", field="queue")
    visibility = settings.jobs.visibility_timeout_seconds
    if visibility <= RETRY_MAX_DELAY:
        raise InvalidInputError(
            f"{_VISIBILITY_SETTING} must be more than {RETRY_MAX_DELAY:g} s (the longest retry "
            f"delay) and than the longest job, got {visibility}: a job still waiting or running "
            "when it expires is delivered to another worker and runs twice",
            field="jobs.visibility_timeout_seconds",
        )
    app = Celery("gazemap", broker=settings.redis_url, backend=settings.redis_url)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=queue,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        # job state lives in the jobs table; Celery's own results would be a second copy
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": visibility},
        enable_utc=True,
    )
    if context_factory is not None:
        _register_task(app, queue, context_factory)
    return app


def _register_task(app: Celery, queue: str, context_factory: Callable[[], JobContext]) -> None:
    contexts: dict[int, JobContext] = {}

    def context() -> JobContext:
        # engines and connection pools must not cross a fork: one context per process
        pid = os.getpid()
        if pid not in contexts:
            contexts.clear()
            contexts[pid] = context_factory()
        return contexts[pid]

    # shared=False: a shared task would be added to every app built later in this process
    @app.task(name=TASK_NAME, bind=True, max_retries=MAX_RETRIES, shared=False)  # type: ignore[untyped-decorator]
    def run(self: Any, job_id: str) -> str:
        retries = int(self.request.retries or 0)
        try:
            return run_job(
                context(),
                job_id,
                runner=CeleryJobRunner(app, queue=queue),
                final_attempt=retries >= MAX_RETRIES,
            )
        except RetryJob as exc:
            delay = min(RETRY_MAX_DELAY, RETRY_DELAY * 2**retries)
            raise self.retry(countdown=delay) from exc
        except NotFoundError:
            # the row went with its study (or a test database) before the message came
            log.warning("job %s no longer exists; message dropped", job_id)
            return "missing"


class CeleryJobRunner(JobRunner):
    """Sends job ids to Celery workers over Redis.

    Parameters
    ----------
    app:
        From :func:`create_celery_app`.
    queue:
        Queue the workers consume (``gazemap worker --queue``).
    """

    backend = "celery"

    def __init__(self, app: Celery, *, queue: str = DEFAULT_QUEUE) -> None:
        self.app = app
        self.queue = queue

    def submit(self, job_id: str) -> None:
        """Send ``job_id`` to the queue (after its row has been committed).

        Raises
        ------
        StorageError
            The broker cannot be reached; the row stays ``queued``.
        """
        from kombu.exceptions import OperationalError

        try:
            self.app.send_task(TASK_NAME, args=[job_id], queue=self.queue)
        except OperationalError as exc:
            raise StorageError(f"the job broker cannot be reached: {exc}") from exc

    def shutdown(self, *, wait: bool = True) -> None:
        """Close the broker connections of this process (workers are not affected)."""
        self.app.close()


def run_worker(
    app: Celery,
    *,
    queue: str = DEFAULT_QUEUE,
    concurrency: int | None = None,
    pool: str = "prefork",
    loglevel: str = "INFO",
    extra_args: Sequence[str] = (),
) -> None:
    """Run a Celery worker for ``app`` in this process until it is stopped (SIGTERM, Ctrl-C).

    Parameters
    ----------
    app:
        From :func:`create_celery_app` with a ``context_factory``.
    queue:
        Queue to consume.
    concurrency:
        Worker processes or threads; default: the number of CPUs.
    pool:
        ``prefork`` (processes, the default), ``threads`` or ``solo``.
    loglevel:
        Celery log level.
    extra_args:
        Further ``celery worker`` options.

    Raises
    ------
    InvalidInputError
        ``concurrency`` below 1, an unknown pool, or a time limit (``--time-limit``,
        ``--soft-time-limit`` in ``extra_args``, or ``task_time_limit``,
        ``task_soft_time_limit`` in ``app.conf``) not below the visibility timeout: a
        job allowed to run that long would be delivered again while still running.
    """
    _check_time_limits(app, extra_args)
    if concurrency is not None and concurrency < 1:
        raise InvalidInputError(f"concurrency must be >= 1, got {concurrency}", field="concurrency")
    if pool not in ("prefork", "threads", "solo"):
        raise InvalidInputError(
            f"pool must be 'prefork', 'threads' or 'solo', got {pool!r}", field="pool"
        )
    argv = [
        "worker",
        f"--queues={queue}",
        f"--pool={pool}",
        f"--loglevel={loglevel}",
        # a unique node name, so two workers on one host do not clash
        f"--hostname=gazemap-{os.getpid()}@%h",
        "--without-gossip",
        "--without-mingle",
    ]
    if concurrency is not None:
        argv.append(f"--concurrency={concurrency}")
    app.worker_main([*argv, *extra_args])


def _check_time_limits(app: Celery, extra_args: Sequence[str]) -> None:
    visibility = (app.conf.broker_transport_options or {}).get("visibility_timeout")
    if visibility is None:
        return  # not an app of create_celery_app: the transport's own default applies
    limits: dict[str, float] = {}
    for setting in _TIME_LIMIT_OPTIONS.values():
        if app.conf.get(setting) is not None:
            limits[setting] = float(app.conf.get(setting))
    args = list(extra_args)
    for i, arg in enumerate(args):
        name, _, value = arg.partition("=")
        if name not in _TIME_LIMIT_OPTIONS:
            continue
        if not value and i + 1 < len(args):
            value = args[i + 1]
        try:
            limits[name] = float(value)
        except ValueError:
            raise InvalidInputError(
                f"{name} must be a number of seconds, got {value!r}", field="extra_args"
            ) from None
    for name, limit in limits.items():
        if limit >= visibility:
            raise InvalidInputError(
                f"{name} is {limit:g} s but {_VISIBILITY_SETTING} is {visibility:g} s: set the "
                "visibility timeout above the longest time a job may run, or a job still "
                "running is delivered to another worker and runs twice",
                field="jobs.visibility_timeout_seconds",
            )
