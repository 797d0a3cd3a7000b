"""Small builders of rows for the storage tests (flushed, not committed)."""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from gazemap.store.models import Participant, Recording, Stimulus, Study, User

_counter = itertools.count(1)


def fake_blob_key(seed: str) -> str:
    """A well-formed content-addressed key for ``seed`` (no blob behind it)."""
    digest = hashlib.sha256(seed.encode()).hexdigest()
    return f"sha256/{digest[:2]}/{digest[2:4]}/{digest}"


def make_user(session: Session, **fields: Any) -> User:
    n = next(_counter)
    user = User(**{"username": f"user{n}", "password_hash": "x", **fields})
    session.add(user)
    session.flush()
    return user


def make_study(session: Session, **fields: Any) -> Study:
    study = Study(**{"name": f"study {next(_counter)}", **fields})
    session.add(study)
    session.flush()
    return study


def make_stimulus(session: Session, study: Study, **fields: Any) -> Stimulus:
    n = next(_counter)
    stimulus = Stimulus(
        **{
            "study_id": study.id,
            "name": f"page {n}",
            "page_key": f"page-{n}",
            "version": "1",
            "width": 800,
            "height": 600,
            **fields,
        }
    )
    session.add(stimulus)
    session.flush()
    return stimulus


def make_participant(session: Session, study: Study, **fields: Any) -> Participant:
    participant = Participant(
        **{"study_id": study.id, "pseudonym": f"p{next(_counter):08d}", **fields}
    )
    session.add(participant)
    session.flush()
    return participant


def make_recording(
    session: Session, participant: Participant, stimulus: Stimulus, **fields: Any
) -> Recording:
    n = next(_counter)
    recording = Recording(
        **{
            "study_id": stimulus.study_id,
            "participant_id": participant.id,
            "stimulus_id": stimulus.id,
            "started_at": datetime(2024, 1, 1, tzinfo=UTC),
            "kind": "samples",
            "sample_count": 10,
            "gaze_key": fake_blob_key(f"recording {n}"),
            **fields,
        }
    )
    session.add(recording)
    session.flush()
    return recording
