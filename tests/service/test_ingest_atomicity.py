"""Ingest is all or nothing: failures after the blob write or the row write leave no rows.

Whatever blobs a failed ingest wrote are exactly the orphans the garbage collector
removes; ``data_version`` moves once per successful ingest, also under concurrency.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gazemap.errors import StorageError
from gazemap.service import ingest, recordings
from gazemap.service.actor import Actor
from gazemap.service.context import ServiceContext
from gazemap.service.schemas import IngestResult, StimulusOut, StudyOut
from gazemap.service.stimuli import ingest_stimulus
from gazemap.store.gc import collect_orphan_blobs
from gazemap.store.models import AuditEvent, Participant, Recording, Stimulus
from tests.service.gazefiles import PEOPLE, fixation_csv
from tests.service.people import unique_image


def state(ctx: ServiceContext, study_id: int, stimulus_id: int) -> tuple[int, int, int, int]:
    """(recordings, participants, audit entries, data_version) of one study and stimulus."""
    with ctx.session() as session:

        def count(model: Any, column: Any) -> int:
            return int(
                session.scalar(select(func.count()).select_from(model).where(column == study_id))
                or 0
            )

        stimulus = session.get(Stimulus, stimulus_id)
        assert stimulus is not None
        return (
            count(Recording, Recording.study_id),
            count(Participant, Participant.study_id),
            count(AuditEvent, AuditEvent.study_id),
            stimulus.data_version,
        )


def orphans(ctx: ServiceContext) -> set[str]:
    with ctx.session() as session:
        report = collect_orphan_blobs(session, ctx.blobs, older_than=timedelta(0), dry_run=True)
    return set(report.deleted)


def fail_second_blob(ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch) -> None:
    real_put = ctx.blobs.put
    calls = []

    def put(data: Any) -> str:
        calls.append(1)
        if len(calls) == 2:
            raise StorageError("blob store is down")
        return real_put(data)

    monkeypatch.setattr(ctx.blobs, "put", put)


def fail_flush_of_recordings(ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch) -> None:
    real_flush = Session.flush

    def flush(self: Session, objects: Any = None) -> None:
        if any(isinstance(o, Recording) for o in self.new):
            raise StorageError("database went away during the row write")
        real_flush(self, objects)

    monkeypatch.setattr(Session, "flush", flush)


def fail_after_rows(ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch) -> None:
    def audit(session: Session, **kwargs: Any) -> None:
        assert session.scalars(select(Recording).where(Recording.stimulus_id.is_not(None))).first()
        raise StorageError("failed after the rows were written")

    monkeypatch.setattr(ingest, "record_audit", audit)


@pytest.mark.parametrize(
    ("inject", "gaze_blobs_left"),
    [(fail_second_blob, 1), (fail_flush_of_recordings, 3), (fail_after_rows, 3)],
    ids=["after-first-blob", "at-row-write", "after-row-write"],
)
def test_failure_leaves_nothing_half_stored(
    ctx: ServiceContext,
    researcher: Actor,
    study: StudyOut,
    stimulus: StimulusOut,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    inject: Callable[[ServiceContext, pytest.MonkeyPatch], None],
    gaze_blobs_left: int,
) -> None:
    # content unique to this study: gaze blobs are content-addressed and the database
    # is shared by the session's tests, whose identical files would reference them
    path = fixation_csv(tmp_path / "f.csv", PEOPLE, seed=study.id)
    before = state(ctx, study.id, stimulus.id)
    blobs_before = set(ctx.blobs.keys())
    assert orphans(ctx) == set()
    with monkeypatch.context() as patch:
        inject(ctx, patch)
        with pytest.raises(StorageError):
            recordings.ingest_recordings(ctx, actor=researcher, stimulus_id=stimulus.id, path=path)
    assert state(ctx, study.id, stimulus.id) == before
    left = set(ctx.blobs.keys()) - blobs_before
    assert len(left) == gaze_blobs_left
    assert orphans(ctx) == left
    # the same upload then succeeds, and its blobs are no longer orphans
    result = recordings.ingest_recordings(ctx, actor=researcher, stimulus_id=stimulus.id, path=path)
    assert len(result.recordings) == 3
    assert result.data_version == before[3] + 1
    assert orphans(ctx) == set()


def test_concurrent_ingests_keep_every_bump(
    ctx: ServiceContext, researcher: Actor, study: StudyOut, stimulus: StimulusOut, tmp_path: Path
) -> None:
    files = [
        fixation_csv(tmp_path / f"{i}.csv", PEOPLE, seed=study.id * 10 + i, per_person=4 + i)
        for i in range(4)
    ]
    start = threading.Barrier(len(files))
    results: list[IngestResult] = []
    errors: list[BaseException] = []

    def work(path: Path) -> None:
        start.wait()
        try:
            results.append(
                recordings.ingest_recordings(
                    ctx, actor=researcher, stimulus_id=stimulus.id, path=path
                )
            )
        except BaseException as exc:  # reported below, with the thread's own traceback
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(p,)) for p in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(r.data_version for r in results) == [1, 2, 3, 4]
    recs, participants, _, version = state(ctx, study.id, stimulus.id)
    assert (recs, participants, version) == (12, 3, 4)


def test_concurrent_ingests_into_two_stimuli_share_participants(
    ctx: ServiceContext, researcher: Actor, study: StudyOut, stimulus: StimulusOut, tmp_path: Path
) -> None:
    other = ingest_stimulus(
        ctx,
        actor=researcher,
        study_id=study.id,
        image=unique_image(800, 600, study.id + 1),
        name="osie-1020",
        page_key="osie-1020",
    )
    jobs = [
        (stimulus.id, fixation_csv(tmp_path / "a.csv", PEOPLE, seed=study.id)),
        (other.id, fixation_csv(tmp_path / "b.csv", PEOPLE, stimulus="osie-1020", seed=study.id)),
    ]
    start = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def work(stimulus_id: int, path: Path) -> None:
        start.wait()
        try:
            recordings.ingest_recordings(ctx, actor=researcher, stimulus_id=stimulus_id, path=path)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    recs, participants, _, _ = state(ctx, study.id, stimulus.id)
    assert (recs, participants) == (6, 3)  # one row per person, found by both uploads
