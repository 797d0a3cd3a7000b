"""Collectors that read live state at scrape time: the database pool, the jobs table, the audit journal.

Registered by :meth:`gazemap.obs.GazemapMetrics.watch`. Nothing is counted between
scrapes: each scrape asks the pool and the database, so the numbers are right however
many processes (API instances, Celery workers) changed the jobs table.

The jobs table is shared by every API instance, so every instance reports the same
job numbers; dashboards and alerts take ``max without (instance)`` of them, never a
sum (``docs/observability.md``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import Engine, case, func, select
from sqlalchemy.exc import SQLAlchemyError

from gazemap.store.models import Job

__all__ = [
    "JOB_DURATION_BUCKETS",
    "JOB_STATES",
    "AuditBacklog",
    "AuditJournalCollector",
    "DatabasePoolCollector",
    "JobCollector",
]

log = logging.getLogger(__name__)

#: The states a job row can be in (``gazemap.jobs.JobStatus``); other values are skipped.
JOB_STATES = ("queued", "running", "done", "failed")

#: Job run time buckets in seconds: a cached map in milliseconds, a study pre-render in minutes.
JOB_DURATION_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)


class DatabasePoolCollector(Collector):
    """Connections of one SQLAlchemy engine's pool.

    Parameters
    ----------
    engine:
        The app's engine.

    Notes
    -----
    ``gazemap_db_pool_size`` (configured connections), ``gazemap_db_pool_connections
    {state="in_use"|"idle"}`` and ``gazemap_db_pool_overflow`` (connections beyond the
    size; negative while the pool is not yet full, as SQLAlchemy reports it). Pools
    without these counters (SQLite in memory) report nothing.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        """The pool's numbers, read now."""
        pool: Any = self.engine.pool
        if not all(hasattr(pool, name) for name in ("size", "checkedin", "checkedout", "overflow")):
            return
        size = GaugeMetricFamily("gazemap_db_pool_size", "Connections the pool keeps.")
        size.add_metric([], pool.size())
        conns = GaugeMetricFamily(
            "gazemap_db_pool_connections", "Pooled connections by state.", labels=["state"]
        )
        conns.add_metric(["in_use"], pool.checkedout())
        conns.add_metric(["idle"], pool.checkedin())
        overflow = GaugeMetricFamily(
            "gazemap_db_pool_overflow", "Connections opened beyond the pool size."
        )
        overflow.add_metric([], pool.overflow())
        yield from (size, conns, overflow)


class AuditBacklog(Protocol):
    """What :class:`AuditJournalCollector` reads (``gazemap.service.audit_journal.AuditJournal``)."""

    @property
    def pending(self) -> int:
        """Entries journalled but not yet in the database."""

    @property
    def flush_errors(self) -> int:
        """Failed insert rounds so far."""


class AuditJournalCollector(Collector):
    """The audit journal of this process: its backlog and its failed inserts.

    Parameters
    ----------
    journal:
        The context's audit journal (``ctx.audit``).

    Notes
    -----
    - ``gazemap_audit_pending_entries``: read entries journalled (answered) but not yet
      in the database. It stays near the entries of one ``flush_seconds``; a value that
      keeps growing means the database refuses them, and reads start failing once it
      reaches ``GAZEMAP_AUDIT__MAX_PENDING``.
    - ``gazemap_audit_flush_errors_total``: insert rounds that failed (and were retried).

    Both are per process: sum them over instances.
    """

    def __init__(self, journal: AuditBacklog) -> None:
        self.journal = journal

    def collect(self) -> Iterator[Metric]:
        """The journal's numbers, read now."""
        pending = GaugeMetricFamily(
            "gazemap_audit_pending_entries",
            "Read audit entries journalled but not yet inserted into the database.",
        )
        pending.add_metric([], self.journal.pending)
        errors = CounterMetricFamily(
            "gazemap_audit_flush_errors",
            "Audit journal insert rounds that failed and were retried.",
        )
        errors.add_metric([], self.journal.flush_errors)
        yield from (pending, errors)


class JobCollector(Collector):
    """Job counts, ages and run times from the ``jobs`` table.

    Parameters
    ----------
    engine:
        Engine of the database holding the jobs table.

    Notes
    -----
    - ``gazemap_jobs{state}``: rows per state; ``state="queued"`` is the queue depth.
    - ``gazemap_job_oldest_age_seconds{state}``: now − ``created_at`` of the oldest
      ``queued`` or ``running`` job (0 when there is none): a growing value means a
      backlog that workers are not draining.
    - ``gazemap_job_duration_seconds{state}``: a histogram of ``finished_at −
      started_at`` over finished jobs (``done``, ``failed``), computed by the database
      in one grouped query (``SUM(CASE WHEN d <= le ...)``); it behaves as a counter
      while jobs are kept and resets when a study's jobs are deleted with it.
    - ``gazemap_job_metrics_up``: 1 when the last read worked, 0 when the database
      could not be read (then the other families are left out).
    """

    def __init__(self, engine: Engine, *, buckets: Sequence[float] = JOB_DURATION_BUCKETS) -> None:
        self.engine = engine
        self.buckets = tuple(float(b) for b in buckets)

    def _duration(self) -> Any:
        if self.engine.dialect.name == "postgresql":
            return func.extract("epoch", Job.finished_at - Job.started_at)
        # SQLite keeps datetimes as text; julianday counts days as a float
        return (func.julianday(Job.finished_at) - func.julianday(Job.started_at)) * 86400.0

    def collect(self) -> Iterator[Metric]:
        """Read the jobs table now (two grouped queries)."""
        up = GaugeMetricFamily("gazemap_job_metrics_up", "1 if the jobs table could be read.")
        try:
            states, finished = self._read()
        except SQLAlchemyError as exc:
            log.warning("job metrics: the jobs table could not be read: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        now = datetime.now(UTC)
        count = GaugeMetricFamily("gazemap_jobs", "Jobs by state.", labels=["state"])
        oldest = GaugeMetricFamily(
            "gazemap_job_oldest_age_seconds",
            "Age of the oldest job still queued or running.",
            labels=["state"],
        )
        for state in JOB_STATES:
            n, first = states.get(state, (0, None))
            count.add_metric([state], n)
            if state in ("queued", "running"):
                age = (now - _aware(first)).total_seconds() if first is not None else 0.0
                oldest.add_metric([state], max(0.0, age))
        durations = HistogramMetricFamily(
            "gazemap_job_duration_seconds",
            "Run time of finished jobs (started to finished), by final state.",
            labels=["state"],
        )
        for state in ("done", "failed"):
            n, total, cumulative = finished.get(state, (0, 0.0, [0] * len(self.buckets)))
            bounds = [(_le(b), float(c)) for b, c in zip(self.buckets, cumulative, strict=True)]
            durations.add_metric([state], [*bounds, ("+Inf", float(n))], sum_value=total)
        yield from (count, oldest, durations)

    def _read(
        self,
    ) -> tuple[dict[str, tuple[int, datetime | None]], dict[str, tuple[int, float, list[int]]]]:
        d = self._duration()
        by_state = (
            select(Job.status, func.count(), func.min(Job.created_at))
            .group_by(Job.status)
            .where(Job.status.in_(JOB_STATES))
        )
        ended = (
            select(
                Job.status,
                func.count(),
                func.coalesce(func.sum(d), 0.0),
                *(func.sum(case((d <= b, 1), else_=0)) for b in self.buckets),
            )
            .where(
                Job.status.in_(("done", "failed")),
                Job.started_at.is_not(None),
                Job.finished_at.is_not(None),
            )
            .group_by(Job.status)
        )
        with self.engine.connect() as conn:
            states: dict[str, tuple[int, datetime | None]] = {
                str(row[0]): (int(row[1]), row[2]) for row in conn.execute(by_state)
            }
            finished: dict[str, tuple[int, float, list[int]]] = {
                str(row[0]): (int(row[1]), float(row[2]), [int(v or 0) for v in row[3:]])
                for row in conn.execute(ended)
            }
        return states, finished


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _le(bound: float) -> str:
    # the exposition writes "le" as given; keep Prometheus's float spelling (1.0, not 1)
    return repr(float(bound))
