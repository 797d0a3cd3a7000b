"""Choosing the job runner from settings: :func:`build_job_runner`."""

from __future__ import annotations

from gazemap.jobs.base import JobContext, JobRunner
from gazemap.jobs.celery_runner import DEFAULT_QUEUE, CeleryJobRunner, create_celery_app
from gazemap.jobs.local import LocalJobRunner

__all__ = ["build_job_runner"]


def build_job_runner(
    ctx: JobContext, *, queue: str = DEFAULT_QUEUE, recover: bool = True
) -> JobRunner:
    """The runner ``ctx.settings.jobs.backend`` asks for.

    Parameters
    ----------
    ctx:
        The process's context (settings, sessions); the local runner runs tasks with it.
    queue:
        Celery queue name (ignored by the local runner).
    recover:
        Local runner only: take over jobs a previous process left ``running`` or
        ``queued`` (see :meth:`LocalJobRunner.recover`). Call it after the task kinds
        are registered (import :mod:`gazemap.service.jobs` first).

    Returns
    -------
    JobRunner
        :class:`LocalJobRunner` for ``local``, :class:`CeleryJobRunner` for ``celery``.

    Raises
    ------
    InvalidInputError
        The Celery backend without ``GAZEMAP_REDIS_URL``.
    """
    if ctx.settings.jobs.backend == "celery":
        return CeleryJobRunner(create_celery_app(ctx.settings, queue=queue), queue=queue)
    runner = LocalJobRunner(ctx)
    if recover:
        runner.recover()
    return runner
