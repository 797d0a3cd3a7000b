"""The job runner interface: what every backend (local pool, Celery) provides.

A job is a row of :class:`gazemap.store.models.Job` (id, kind, JSON params, status,
progress, result key, error, timestamps). Callers commit the row first and then hand
its id to :meth:`JobRunner.submit`; the runner eventually calls
:func:`gazemap.jobs.execute.run_job` with that id in some thread or process. Nothing
but the id travels: parameters are read back from the database, never arrays.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from sqlalchemy.orm import Session

from gazemap.config import Settings

__all__ = ["FanOut", "JobContext", "JobRunner", "JobStatus", "ProgressFn", "TaskFunction"]

JobStatus = Literal["queued", "running", "done", "failed"]

#: Reports how far a task is, a fraction in [0, 1].
ProgressFn = Callable[[float], None]


class JobContext(Protocol):
    """What a runner needs from its context: settings and transactional sessions.

    :class:`gazemap.service.context.ServiceContext` satisfies it; the jobs package never
    imports the service layer (tasks do, when they are registered).
    """

    @property
    def settings(self) -> Settings:
        """The process settings."""

    def session(self) -> AbstractContextManager[Session]:
        """A session in one transaction, committed when the block ends."""


@dataclass(frozen=True)
class FanOut:
    """A task's answer meaning "split me": run these child jobs, finish when they finish.

    Attributes
    ----------
    children:
        ``(kind, params)`` of each child job; children inherit the parent's owner and
        study, and get ``parent_id`` in their params.
    """

    children: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


#: A task kind's implementation: ``(ctx, params, progress) -> result key, FanOut or None``.
TaskFunction = Callable[[Any, dict[str, Any], ProgressFn], "str | FanOut | None"]


class JobRunner(ABC):
    """Executes committed jobs somewhere else than the caller's thread.

    Subclasses: :class:`~gazemap.jobs.local.LocalJobRunner` (a thread pool in this
    process) and :class:`~gazemap.jobs.celery_runner.CeleryJobRunner` (Celery workers
    behind Redis).
    """

    #: Short backend name (``"local"``, ``"celery"``), for logs and health output.
    backend: str = "abstract"

    @abstractmethod
    def submit(self, job_id: str) -> None:
        """Schedule the job ``job_id``; call only after its row has been committed.

        Parameters
        ----------
        job_id:
            Id of a committed :class:`~gazemap.store.models.Job` row in status ``queued``.
        """

    @abstractmethod
    def shutdown(self, *, wait: bool = True) -> None:
        """Stop accepting jobs and release threads or connections.

        Parameters
        ----------
        wait:
            Wait for running jobs to finish (the local pool); jobs not yet started stay
            ``queued`` in the database and are picked up again by the next start.
        """
