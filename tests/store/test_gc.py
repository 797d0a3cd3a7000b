"""Orphan blob collection: unreferenced and old enough is deleted, anything else stays."""

from __future__ import annotations

import os
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session

from gazemap.errors import InvalidInputError
from gazemap.store.blobs import FolderBlobStore
from gazemap.store.gc import collect_orphan_blobs
from gazemap.store.models import Job, Study
from tests.store.factories import make_participant, make_recording, make_stimulus, make_study


def _age(store: FolderBlobStore, key: str, hours: float) -> None:
    past = time.time() - hours * 3600
    os.utime(store.root / key, (past, past))


@pytest.fixture
def store(tmp_path: Path) -> FolderBlobStore:
    return FolderBlobStore(tmp_path / "blobs")


def test_only_old_unreferenced_blobs_are_collected(
    session: Session, store: FolderBlobStore
) -> None:
    study = make_study(session)
    image = store.put(b"image")
    stimulus = make_stimulus(session, study, image_key=image)
    gaze = store.put(b"gaze")
    make_recording(session, make_participant(session, study), stimulus, gaze_key=gaze)
    result = store.put(b"export")
    session.add(Job(id=uuid.uuid4().hex, kind="export", result_key=result))
    session.add(Job(id=uuid.uuid4().hex, kind="heatmap", result_key="heatmap:v1:abc"))
    orphan = store.put(b"crashed before commit")
    for key in (image, gaze, result, orphan):
        _age(store, key, hours=2)
    in_flight = store.put(b"upload still running")
    session.flush()

    report = collect_orphan_blobs(session, store, older_than=timedelta(hours=1))

    assert report.deleted == [orphan]
    assert report.freed_bytes == len(b"crashed before commit")
    assert (report.scanned, report.referenced, report.too_young) == (5, 3, 1)
    assert set(store.keys()) == {image, gaze, result, in_flight}


def test_a_dry_run_deletes_nothing(session: Session, store: FolderBlobStore) -> None:
    orphan = store.put(b"orphan")
    _age(store, orphan, hours=2)
    report = collect_orphan_blobs(session, store, dry_run=True)
    assert report.deleted == [orphan]
    assert store.exists(orphan)


def test_re_putting_an_orphan_protects_it(session: Session, store: FolderBlobStore) -> None:
    # an upload that reuses bytes an old orphan already holds refreshes its age
    orphan = store.put(b"same bytes")
    _age(store, orphan, hours=2)
    assert store.put(b"same bytes") == orphan
    assert collect_orphan_blobs(session, store).deleted == []
    assert store.exists(orphan)


def test_blobs_of_a_deleted_study_are_collected(session: Session, store: FolderBlobStore) -> None:
    study = make_study(session)
    stimulus = make_stimulus(session, study, image_key=store.put(b"page"))
    keys = {stimulus.image_key}
    for i in range(3):
        gaze = store.put(f"gaze {i}".encode())
        keys.add(gaze)
        make_recording(session, make_participant(session, study), stimulus, gaze_key=gaze)
    for info in store.iter_blobs():
        _age(store, info.key, hours=2)
    assert collect_orphan_blobs(session, store).deleted == []

    session.execute(delete(Study).where(Study.id == study.id))
    report = collect_orphan_blobs(session, store)
    assert set(report.deleted) == keys
    assert list(store.keys()) == []


def test_a_negative_grace_period_is_refused(session: Session, store: FolderBlobStore) -> None:
    with pytest.raises(InvalidInputError, match="older_than must be >= 0"):
        collect_orphan_blobs(session, store, older_than=timedelta(seconds=-1))


def test_stale_partial_uploads_are_removed(session: Session, store: FolderBlobStore) -> None:
    stale, fresh = store.root / "tmp" / "put-crashed", store.root / "tmp" / "put-running"
    stale.write_bytes(b"half a blob")
    fresh.write_bytes(b"still coming")
    past = time.time() - 7200
    os.utime(stale, (past, past))
    assert collect_orphan_blobs(session, store, dry_run=True).stale_uploads == 0
    assert stale.exists()
    report = collect_orphan_blobs(session, store)
    assert report.stale_uploads == 1
    assert not stale.exists()
    assert fresh.exists()
