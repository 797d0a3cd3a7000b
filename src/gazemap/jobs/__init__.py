"""Background jobs: a local worker pool and a Celery runner behind one interface.

- :class:`JobRunner` — ``submit(job_id)`` after the job row is committed, ``shutdown()``.
- :class:`LocalJobRunner` — a thread pool in this process (the default backend).
- :class:`CeleryJobRunner` — Celery workers behind Redis (``GAZEMAP_JOBS__BACKEND=celery``).
- :func:`build_job_runner` — the runner the settings ask for.
- :func:`register_task` — the service layer registers its task kinds with it.
- :func:`run_job` — the lifecycle every runner executes (``queued → running → done|failed``).

This package never imports :mod:`gazemap.service`; task functions live there and are
registered when :mod:`gazemap.service.jobs` is imported. ``docs/jobs.md`` has the rest.
"""

from gazemap.jobs.base import FanOut, JobContext, JobRunner, JobStatus, ProgressFn, TaskFunction
from gazemap.jobs.celery_runner import CeleryJobRunner, create_celery_app, run_worker
from gazemap.jobs.execute import TRANSIENT_ERRORS, RetryJob, new_job_id, run_job, settle_parent
from gazemap.jobs.factory import build_job_runner
from gazemap.jobs.local import INTERRUPTED, LocalJobRunner
from gazemap.jobs.registry import TaskSpec, get_task, register_task, registered_kinds

__all__ = [
    "INTERRUPTED",
    "TRANSIENT_ERRORS",
    "CeleryJobRunner",
    "FanOut",
    "JobContext",
    "JobRunner",
    "JobStatus",
    "LocalJobRunner",
    "ProgressFn",
    "RetryJob",
    "TaskFunction",
    "TaskSpec",
    "build_job_runner",
    "create_celery_app",
    "get_task",
    "new_job_id",
    "register_task",
    "registered_kinds",
    "run_job",
    "run_worker",
    "settle_parent",
]
