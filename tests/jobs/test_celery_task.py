"""The Celery task in-process (eager): retries of transient errors, missing rows, settings."""

from __future__ import annotations

import pytest

from gazemap.config import JobSettings, Settings
from gazemap.errors import InvalidInputError
from gazemap.jobs import CeleryJobRunner, build_job_runner, create_celery_app
from gazemap.jobs.celery_runner import MAX_RETRIES, TASK_NAME, run_worker
from gazemap.service.context import ServiceContext
from tests.jobs.helpers import add_job, job_row, marker
from tests.jobs.tasks import flaky_left, seen

#: Never contacted: eager tasks run in this process.
UNUSED_BROKER = "redis://127.0.0.1:1/0"


def eager_app(ctx: ServiceContext):  # type: ignore[no-untyped-def]
    settings = ctx.settings.model_copy(update={"redis_url": UNUSED_BROKER})
    return create_celery_app(settings, queue="eager", context_factory=lambda: ctx)


def test_the_task_retries_transient_errors_then_succeeds(ctx: ServiceContext) -> None:
    m = marker()
    flaky_left[m] = 2
    job_id = add_job(ctx, "test_flaky", marker=m)
    app = eager_app(ctx)
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    app.tasks[TASK_NAME].apply(args=[job_id])
    row = job_row(ctx, job_id)
    assert (row["status"], row["attempts"], row["error"]) == ("done", 3, None)
    assert seen[m] == ["attempt"] * 3


def test_the_task_fails_the_job_after_its_last_retry(ctx: ServiceContext) -> None:
    m = marker()
    flaky_left[m] = MAX_RETRIES + 5
    job_id = add_job(ctx, "test_flaky", marker=m)
    eager_app(ctx).tasks[TASK_NAME].apply(args=[job_id])
    row = job_row(ctx, job_id)
    assert (row["status"], row["attempts"]) == ("failed", MAX_RETRIES + 1)
    assert row["error"] == "blob store unreachable"


def test_a_message_for_a_deleted_row_is_dropped(ctx: ServiceContext) -> None:
    result = eager_app(ctx).tasks[TASK_NAME].apply(args=["gone"])
    assert result.get() == "missing"


def test_celery_needs_a_redis_url(ctx: ServiceContext) -> None:
    settings = Settings(
        environment="test", home=ctx.settings.home, jobs=JobSettings(backend="celery")
    )
    with pytest.raises(InvalidInputError, match="needs GAZEMAP_REDIS_URL"):
        create_celery_app(settings)
    with pytest.raises(InvalidInputError, match="queue must be a non-empty name"):
        create_celery_app(settings.model_copy(update={"redis_url": UNUSED_BROKER}), queue=" ")


def test_build_job_runner_picks_celery_from_the_settings(ctx: ServiceContext) -> None:
    settings = ctx.settings.model_copy(
        update={"redis_url": UNUSED_BROKER, "jobs": JobSettings(backend="celery")}
    )
    celery_ctx = ServiceContext(
        settings=settings,
        engine=ctx.engine,
        sessions=ctx.sessions,
        blobs=ctx.blobs,
        cache=ctx.cache,
    )
    runner = build_job_runner(celery_ctx, queue="q1")
    try:
        assert isinstance(runner, CeleryJobRunner)
        assert runner.queue == "q1"
        assert runner.app.conf.task_default_queue == "q1"
    finally:
        runner.shutdown()


@pytest.mark.parametrize(
    ("options", "message"),
    [({"concurrency": 0}, "concurrency must be >= 1, got 0"), ({"pool": "gevent"}, "pool must be")],
)
def test_run_worker_checks_its_options(
    ctx: ServiceContext, options: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        run_worker(eager_app(ctx), **options)  # type: ignore[arg-type]
