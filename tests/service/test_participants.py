"""Pseudonyms, participant listing, and erasure end to end."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from gazemap.errors import InvalidInputError, NotFoundError, PermissionDeniedError, StorageError
from gazemap.service import participants
from gazemap.service.actor import Actor
from gazemap.service.audit import list_audit
from gazemap.service.context import ServiceContext
from gazemap.service.recordings import ingest_recordings, list_recordings
from gazemap.service.schemas import StimulusOut, StudyOut
from gazemap.service.stimuli import get_stimulus, ingest_stimulus
from gazemap.store.gc import collect_orphan_blobs
from gazemap.store.models import Recording
from tests.service.fixtures import image_bytes
from tests.service.gazefiles import PEOPLE, fixation_csv

ids = st.text(min_size=1, max_size=40).filter(lambda s: s.strip() != "")


@given(key=st.text(min_size=1, max_size=20), study=st.integers(1, 10**6), ident=ids)
def test_pseudonyms_are_keyed_per_study_hex(key: str, study: int, ident: str) -> None:
    p = participants.pseudonymise(key, study, ident)
    assert len(p) == 64
    assert int(p, 16) >= 0
    assert p == participants.pseudonymise(key, study, f" {ident} ")
    assert p != participants.pseudonymise(key, study + 1, ident)
    assert p != participants.pseudonymise(key + "x", study, ident)


@pytest.mark.parametrize(
    ("key", "ident", "field"), [("", "P1", "pseudonym_key"), ("k", "  ", "participant")]
)
def test_pseudonym_needs_key_and_id(key: str, ident: str, field: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        participants.pseudonymise(key, 1, ident)
    assert err.value.field == field


def test_listing_and_lookup(
    ctx: ServiceContext,
    researcher: Actor,
    viewer: Actor,
    study: StudyOut,
    stimulus: StimulusOut,
    tmp_path: Path,
) -> None:
    ingest_recordings(
        ctx,
        actor=researcher,
        stimulus_id=stimulus.id,
        path=fixation_csv(tmp_path / "f.csv", PEOPLE),
    )
    page = participants.list_participants(ctx, actor=researcher, study_id=study.id, limit=2)
    assert (len(page.items), page.total) == (2, 3)
    found = participants.find_participant(
        ctx, actor=researcher, study_id=study.id, external_id="P02"
    )
    assert (found.gender, found.age, found.recording_count) == ("m", 31, 1)
    assert participants.get_participant(ctx, actor=researcher, participant_id=found.id) == found
    with pytest.raises(NotFoundError) as err:
        participants.find_participant(ctx, actor=researcher, study_id=study.id, external_id="P99")
    assert "P99" not in str(err.value)
    # attributes are personal data: viewers see aggregates only
    with pytest.raises(PermissionDeniedError):
        participants.list_participants(ctx, actor=viewer, study_id=study.id)
    with pytest.raises(PermissionDeniedError):
        participants.get_participant(ctx, actor=viewer, participant_id=found.id)


def test_erasure_end_to_end(
    ctx: ServiceContext,
    admin: Actor,
    researcher: Actor,
    study: StudyOut,
    stimulus: StimulusOut,
    tmp_path: Path,
) -> None:
    second = ingest_stimulus(
        ctx,
        actor=researcher,
        study_id=study.id,
        image=image_bytes(800, 600),
        name="b",
        page_key="b",
    )
    ingest_recordings(
        ctx,
        actor=researcher,
        stimulus_id=stimulus.id,
        path=fixation_csv(tmp_path / "a.csv", PEOPLE, seed=study.id),
    )
    ingest_recordings(
        ctx,
        actor=researcher,
        stimulus_id=second.id,
        path=fixation_csv(tmp_path / "b.csv", PEOPLE[:2], stimulus="b", seed=study.id + 1),
    )
    target = participants.find_participant(
        ctx, actor=researcher, study_id=study.id, external_id="P01"
    )
    with ctx.session() as session:
        keys = set(
            session.scalars(select(Recording.gaze_key).where(Recording.participant_id == target.id))
        )
        other_keys = set(
            session.scalars(
                select(Recording.gaze_key).where(
                    Recording.study_id == study.id, Recording.participant_id != target.id
                )
            )
        )
    assert len(keys) == 2
    versions = {
        s: get_stimulus(ctx, actor=admin, stimulus_id=s).data_version
        for s in (stimulus.id, second.id)
    }
    with pytest.raises(PermissionDeniedError):  # erasure is for admins only
        participants.erase_participant(ctx, actor=researcher, participant_id=target.id)

    assert participants.erase_participant(ctx, actor=admin, participant_id=target.id) == 2

    with pytest.raises(NotFoundError):
        participants.get_participant(ctx, actor=admin, participant_id=target.id)
    with pytest.raises(NotFoundError):
        participants.find_participant(ctx, actor=researcher, study_id=study.id, external_id="P01")
    assert not any(ctx.blobs.exists(k) for k in keys)
    assert all(ctx.blobs.exists(k) for k in other_keys)
    for stimulus_id, version in versions.items():
        assert get_stimulus(ctx, actor=admin, stimulus_id=stimulus_id).data_version == version + 1
    left = list_recordings(ctx, actor=researcher, stimulus_id=stimulus.id)
    assert left.total == 2
    assert target.id not in {r.participant_id for r in left.items}
    entries = list_audit(ctx, actor=admin, action="participant.erase", study_id=study.id).items
    (entry,) = [e for e in entries if e.outcome == "ok"]  # refusals may be audited too
    assert entry.target == f"participant:{target.id}"
    assert entry.parameters == {"recordings": 2, "stimuli": sorted([stimulus.id, second.id])}
    text = json.dumps(entry.model_dump(mode="json"))
    assert target.pseudonym not in text
    assert "P01" not in text
    with pytest.raises(NotFoundError):
        participants.erase_participant(ctx, actor=admin, participant_id=target.id)


def test_erasure_keeps_blobs_other_recordings_share(
    ctx: ServiceContext,
    admin: Actor,
    researcher: Actor,
    study: StudyOut,
    stimulus: StimulusOut,
    tmp_path: Path,
) -> None:
    # the same file uploaded for two people gives identical gaze blobs (one key)
    path = fixation_csv(tmp_path / "same.csv", PEOPLE[:1], seed=study.id)
    first = ingest_recordings(ctx, actor=researcher, stimulus_id=stimulus.id, path=path)
    ingest_recordings(
        ctx, actor=researcher, stimulus_id=stimulus.id, path=path, participant="other"
    )
    with ctx.session() as session:
        key = session.scalar(
            select(Recording.gaze_key).where(Recording.id == first.recordings[0].id)
        )
    assert key is not None
    participants.erase_participant(
        ctx, actor=admin, participant_id=first.recordings[0].participant_id
    )
    assert ctx.blobs.exists(key)


def test_erasure_succeeds_when_a_blob_cannot_be_deleted(
    ctx: ServiceContext,
    admin: Actor,
    researcher: Actor,
    study: StudyOut,
    stimulus: StimulusOut,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = fixation_csv(tmp_path / "one.csv", PEOPLE[:1], seed=study.id)
    result = ingest_recordings(ctx, actor=researcher, stimulus_id=stimulus.id, path=path)

    def broken_delete(key: str) -> None:
        raise StorageError("blob store is read-only")

    monkeypatch.setattr(ctx.blobs, "delete", broken_delete)
    person = result.recordings[0].participant_id
    assert participants.erase_participant(ctx, actor=admin, participant_id=person) == 1
    with pytest.raises(NotFoundError):
        participants.get_participant(ctx, actor=admin, participant_id=person)
    monkeypatch.undo()
    with ctx.session() as session:
        report = collect_orphan_blobs(session, ctx.blobs, older_than=timedelta(0), dry_run=True)
    assert len(report.deleted) == 1  # the gaze blob, left for the collector
