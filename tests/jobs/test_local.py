"""The local runner: lifecycle in the database, failures, retries, restart recovery."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from gazemap.errors import InvalidInputError, NotFoundError
from gazemap.jobs import INTERRUPTED, LocalJobRunner, build_job_runner, run_job
from gazemap.service.context import ServiceContext
from tests.jobs.helpers import add_job, job_row, marker
from tests.jobs.tasks import flaky_left, gates, seen


@pytest.fixture
def runner(ctx: ServiceContext) -> Iterator[LocalJobRunner]:
    r = LocalJobRunner(ctx, workers=2, retry_delay=0.0)
    yield r
    r.shutdown()


def test_job_goes_queued_running_done_with_progress(
    ctx: ServiceContext, runner: LocalJobRunner
) -> None:
    m = marker()
    job_id = add_job(ctx, "test_echo", marker=m)
    assert job_row(ctx, job_id)["status"] == "queued"
    runner.submit(job_id)
    assert runner.drain(60)
    assert seen[m] == [("running", 0.25), ("running", 0.5), ("running", 0.75)]
    row = job_row(ctx, job_id)
    assert row["status"] == "done"
    assert row["progress"] == 1.0
    assert row["result_key"] == f"result:{m}"
    assert row["error"] is None
    assert row["attempts"] == 1
    assert row["created_at"] <= row["started_at"] <= row["finished_at"]


def test_a_failing_task_marks_the_job_failed_with_its_message(
    ctx: ServiceContext, runner: LocalJobRunner
) -> None:
    job_id = add_job(ctx, "test_fail", bandwidth=-3)
    runner.submit(job_id)
    assert runner.drain(60)
    row = job_row(ctx, job_id)
    assert row["status"] == "failed"
    assert row["error"] == "bandwidth must be > 0, got -3"
    assert row["progress"] == 0.5
    assert row["finished_at"] is not None
    assert row["result_key"] is None


def test_an_unexpected_exception_is_recorded_with_its_type(
    ctx: ServiceContext, runner: LocalJobRunner, caplog: pytest.LogCaptureFixture
) -> None:
    job_id = add_job(ctx, "test_crash")
    runner.submit(job_id)
    assert runner.drain(60)
    row = job_row(ctx, job_id)
    assert (row["status"], row["error"]) == ("failed", "ZeroDivisionError: division by zero")
    assert any("failed" in r.message for r in caplog.records)


def test_unknown_kind_fails_the_job(ctx: ServiceContext) -> None:
    job_id = add_job(ctx, "no_such_kind")
    assert run_job(ctx, job_id) == "failed"
    assert "unknown job kind 'no_such_kind'" in job_row(ctx, job_id)["error"]


def test_transient_errors_are_retried_then_succeed(
    ctx: ServiceContext, runner: LocalJobRunner
) -> None:
    m = marker()
    flaky_left[m] = 2
    job_id = add_job(ctx, "test_flaky", marker=m)
    runner.submit(job_id)
    assert runner.drain(60)
    row = job_row(ctx, job_id)
    assert (row["status"], row["attempts"], row["error"]) == ("done", 3, None)
    assert seen[m] == ["attempt"] * 3


def test_transient_errors_fail_the_job_after_the_last_retry(ctx: ServiceContext) -> None:
    m = marker()
    flaky_left[m] = 5
    runner = LocalJobRunner(ctx, workers=1, max_retries=1, retry_delay=0.0)
    try:
        job_id = add_job(ctx, "test_flaky", marker=m)
        runner.submit(job_id)
        assert runner.drain(60)
    finally:
        runner.shutdown()
    row = job_row(ctx, job_id)
    assert (row["status"], row["attempts"]) == ("failed", 2)
    assert row["error"] == "blob store unreachable"


def test_a_finished_job_delivered_again_is_not_rerun(ctx: ServiceContext) -> None:
    m = marker()
    job_id = add_job(ctx, "test_once", marker=m)
    assert run_job(ctx, job_id) == "done"
    assert run_job(ctx, job_id) == "done"
    assert seen[m] == ["ran"]
    assert job_row(ctx, job_id)["attempts"] == 1


def test_run_job_of_a_missing_row_is_not_found(ctx: ServiceContext) -> None:
    with pytest.raises(NotFoundError, match="job nope not found"):
        run_job(ctx, "nope")


def test_restart_requeues_idempotent_running_jobs_and_fails_the_others(
    ctx: ServiceContext,
) -> None:
    echo_m, once_m, queued_m = marker(), marker(), marker()
    interrupted = add_job(ctx, "test_echo", status="running", marker=echo_m)
    not_idempotent = add_job(ctx, "test_once", status="running", marker=once_m)
    waiting = add_job(ctx, "test_echo", status="queued", marker=queued_m)
    runner = LocalJobRunner(ctx, workers=2)
    try:
        submitted = runner.recover()
        assert runner.drain(60)
    finally:
        runner.shutdown()
    assert interrupted in submitted
    assert waiting in submitted
    assert not_idempotent not in submitted
    assert job_row(ctx, interrupted)["status"] == "done"
    assert job_row(ctx, waiting)["status"] == "done"
    row = job_row(ctx, not_idempotent)
    assert (row["status"], row["error"]) == ("failed", INTERRUPTED)
    assert seen[once_m] == []


def test_jobs_not_started_at_shutdown_stay_queued_for_the_next_start(
    ctx: ServiceContext,
) -> None:
    gate_m, later_m = marker(), marker()
    gates[gate_m] = threading.Event()
    runner = LocalJobRunner(ctx, workers=1)
    blocking = add_job(ctx, "test_gate", marker=gate_m)
    later = add_job(ctx, "test_echo", marker=later_m)
    runner.submit(blocking)
    runner.submit(later)
    stopper = threading.Thread(target=runner.shutdown)
    stopper.start()
    gates[gate_m].set()
    stopper.join(60)
    assert job_row(ctx, blocking)["status"] == "done"
    assert seen[gate_m] == [("running", 0.0)]
    assert job_row(ctx, later)["status"] == "queued"
    runner.submit(later)  # after shutdown: ignored, still queued
    assert job_row(ctx, later)["status"] == "queued"

    second = LocalJobRunner(ctx, workers=1)
    try:
        assert later in second.recover()
        assert second.drain(60)
    finally:
        second.shutdown()
    assert job_row(ctx, later)["status"] == "done"


def test_fan_out_runs_children_and_ends_with_the_last(
    ctx: ServiceContext, runner: LocalJobRunner
) -> None:
    ms = [marker() for _ in range(3)]
    plan = [["test_once", {"marker": m}] for m in ms]
    parent = add_job(ctx, "test_split", plan=plan)
    runner.submit(parent)
    assert runner.drain(60)
    row = job_row(ctx, parent)
    assert (row["status"], row["progress"]) == ("done", 1.0)
    children = row["params"]["sub_jobs"]
    assert len(children) == 3
    for child in children:
        child_row = job_row(ctx, child)
        assert child_row["status"] == "done"
        assert child_row["params"]["parent_id"] == parent
    assert all(seen[m] == ["ran"] for m in ms)
    # a re-delivered parent only re-checks, it never splits twice
    assert run_job(ctx, parent) == "done"
    assert job_row(ctx, parent)["params"]["sub_jobs"] == children


def test_fan_out_fails_when_a_child_fails(ctx: ServiceContext, runner: LocalJobRunner) -> None:
    plan = [["test_once", {"marker": marker()}], ["test_fail", {"bandwidth": -1}]]
    parent = add_job(ctx, "test_split", plan=plan)
    runner.submit(parent)
    assert runner.drain(60)
    row = job_row(ctx, parent)
    assert row["status"] == "failed"
    assert row["error"] == "1 of 2 sub-jobs failed; first: bandwidth must be > 0, got -1"
    assert row["progress"] == 1.0


def test_fan_out_progress_counts_finished_children(ctx: ServiceContext) -> None:
    plan = [["test_once", {"marker": marker()}] for _ in range(4)]
    parent = add_job(ctx, "test_split", plan=plan)
    submitted: list[str] = []

    class Recorder(LocalJobRunner):
        def submit(self, job_id: str) -> None:
            submitted.append(job_id)

    recorder = Recorder(ctx, workers=1)
    try:
        assert run_job(ctx, parent, runner=recorder) == "running"
        for done, child in enumerate(submitted, start=1):
            run_job(ctx, child)
            row = job_row(ctx, parent)
            assert row["progress"] == pytest.approx(done / 4)
            assert row["status"] == ("done" if done == 4 else "running")
    finally:
        recorder.shutdown()


def test_workers_must_be_positive(ctx: ServiceContext) -> None:
    with pytest.raises(InvalidInputError, match="workers must be >= 1, got 0"):
        LocalJobRunner(ctx, workers=0)


def test_build_job_runner_is_local_by_default_and_recovers(ctx: ServiceContext) -> None:
    m = marker()
    waiting = add_job(ctx, "test_echo", marker=m)
    runner = build_job_runner(ctx)
    try:
        assert isinstance(runner, LocalJobRunner)
        assert runner.workers == ctx.settings.jobs.local_workers
        assert runner.drain(60)
    finally:
        runner.shutdown()
    assert job_row(ctx, waiting)["status"] == "done"


def test_only_one_process_per_home_recovers(ctx: ServiceContext) -> None:
    m = marker()
    first = LocalJobRunner(ctx, workers=1)
    second = LocalJobRunner(ctx, workers=1)  # stands for a sibling server process
    try:
        first.recover()
        assert first.drain(60)
        left = add_job(ctx, "test_echo", status="running", marker=m)
        assert second.recover() == []  # the first still owns the queue
        assert job_row(ctx, left)["status"] == "running"
        first.shutdown()
        assert left in second.recover()
        assert second.drain(60)
    finally:
        first.shutdown()
        second.shutdown()
    assert job_row(ctx, left)["status"] == "done"
