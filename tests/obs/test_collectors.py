"""Collectors of live state: the database pool, the jobs table and the audit journal, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from gazemap.errors import AuditUnavailableError
from gazemap.obs.collectors import (
    JOB_DURATION_BUCKETS,
    AuditJournalCollector,
    DatabasePoolCollector,
    JobCollector,
)
from gazemap.service.audit_journal import AuditJournal
from gazemap.store.engine import create_engine_for
from gazemap.store.migrate import upgrade
from gazemap.store.models import Job
from gazemap.store.models.base import utcnow
from tests.store.conftest import NewDatabase


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def engine(request: pytest.FixtureRequest, new_database: NewDatabase) -> Iterator[Engine]:
    url = new_database(str(request.param))
    upgrade(url)
    eng = create_engine_for(url)
    yield eng
    eng.dispose()


@pytest.fixture
def registry(engine: Engine) -> CollectorRegistry:
    with Session(engine) as session, session.begin():
        session.execute(delete(Job))
    reg = CollectorRegistry()
    reg.register(JobCollector(engine))
    reg.register(DatabasePoolCollector(engine))
    return reg


def add_job(engine: Engine, status: str, *, age: float = 0.0, run: float | None = None) -> None:
    now = utcnow()
    created = now - timedelta(seconds=age)
    started = created if run is not None or status == "running" else None
    finished = created + timedelta(seconds=run) if run is not None else None
    with Session(engine) as session, session.begin():
        session.add(
            Job(
                id=str(uuid.uuid4()),
                kind="heatmap",
                status=status,
                params={},
                created_at=created,
                started_at=started,
                finished_at=finished,
            )
        )


def value(reg: CollectorRegistry, name: str, **labels: str) -> float | None:
    return reg.get_sample_value(name, labels)


def test_counts_by_state_and_queue_age(engine: Engine, registry: CollectorRegistry) -> None:
    add_job(engine, "queued", age=120.0)
    add_job(engine, "queued", age=5.0)
    add_job(engine, "running", age=30.0)
    add_job(engine, "done", run=1.0)
    assert value(registry, "gazemap_job_metrics_up") == 1
    assert value(registry, "gazemap_jobs", state="queued") == 2
    assert value(registry, "gazemap_jobs", state="running") == 1
    assert value(registry, "gazemap_jobs", state="done") == 1
    assert value(registry, "gazemap_jobs", state="failed") == 0
    oldest = value(registry, "gazemap_job_oldest_age_seconds", state="queued")
    assert oldest is not None
    assert 120.0 <= oldest < 3600.0
    running = value(registry, "gazemap_job_oldest_age_seconds", state="running")
    assert running is not None
    assert 30.0 <= running < 3600.0


def test_an_empty_table_reports_zeros(registry: CollectorRegistry) -> None:
    assert value(registry, "gazemap_jobs", state="queued") == 0
    assert value(registry, "gazemap_job_oldest_age_seconds", state="queued") == 0
    assert value(registry, "gazemap_job_duration_seconds_count", state="done") == 0


def test_duration_histogram_is_computed_by_the_database(
    engine: Engine, registry: CollectorRegistry
) -> None:
    runs = {"done": [0.05, 0.7, 3.0, 3.0, 7200.0], "failed": [12.0]}
    for state, seconds in runs.items():
        for s in seconds:
            add_job(engine, state, run=s, age=s + 1)
    for state, seconds in runs.items():
        assert value(registry, "gazemap_job_duration_seconds_count", state=state) == len(seconds)
        total = value(registry, "gazemap_job_duration_seconds_sum", state=state)
        assert total == pytest.approx(sum(seconds), abs=1e-3)
        for bound in JOB_DURATION_BUCKETS:
            le = repr(float(bound))
            expected = sum(1 for s in seconds if s <= bound)
            got = value(registry, "gazemap_job_duration_seconds_bucket", state=state, le=le)
            assert got == expected, (state, bound)
        inf = value(registry, "gazemap_job_duration_seconds_bucket", state=state, le="+Inf")
        assert inf == len(seconds)


def test_pool_reports_connections_in_use(engine: Engine, registry: CollectorRegistry) -> None:
    size = value(registry, "gazemap_db_pool_size")
    assert size is not None
    assert size >= 1
    before = value(registry, "gazemap_db_pool_connections", state="in_use")
    with engine.connect():
        during = value(registry, "gazemap_db_pool_connections", state="in_use")
    assert before is not None
    assert during == before + 1


def test_an_unreadable_database_reports_down_without_raising(tmp_path) -> None:  # type: ignore[no-untyped-def]
    broken = create_engine_for(f"sqlite:///{tmp_path / 'no-tables.db'}")
    reg = CollectorRegistry()
    reg.register(JobCollector(broken))
    assert value(reg, "gazemap_job_metrics_up") == 0
    assert value(reg, "gazemap_jobs", state="queued") is None
    broken.dispose()


def test_the_audit_journal_reports_its_backlog_and_failed_inserts(
    tmp_path,
    new_database,  # type: ignore[no-untyped-def]
) -> None:
    url = new_database("sqlite")  # no tables yet: inserts fail until it is migrated
    eng = create_engine_for(url)
    journal = AuditJournal(tmp_path / "journal", eng, flush_seconds=3600, max_pending=10)
    reg = CollectorRegistry()
    reg.register(AuditJournalCollector(journal))
    try:
        assert value(reg, "gazemap_audit_pending_entries") == 0
        for _ in range(3):
            journal.submit({"action": "journal.test", "outcome": "ok", "parameters": {}})
        with pytest.raises(AuditUnavailableError):
            journal.flush()
        assert value(reg, "gazemap_audit_pending_entries") == 3
        assert value(reg, "gazemap_audit_flush_errors_total") == 1
        upgrade(url)
        journal.flush()
        assert value(reg, "gazemap_audit_pending_entries") == 0
        assert value(reg, "gazemap_audit_flush_errors_total") == 1
    finally:
        journal.close()
        eng.dispose()
