"""Tables, constraints and cascades, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from gazemap.store.models import (
    AuditEvent,
    Job,
    Membership,
    Participant,
    Recording,
    RefreshToken,
    Stimulus,
    Study,
    User,
)
from tests.store.factories import (
    make_participant,
    make_recording,
    make_stimulus,
    make_study,
    make_user,
)


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _refused(session: Session, action: Callable[[], object]) -> None:
    """``action`` must fail with an IntegrityError; the test's transaction survives."""

    def attempt() -> None:
        with session.begin_nested():
            action()
            session.flush()

    with pytest.raises(IntegrityError):
        attempt()


def test_every_table_round_trips(session: Session) -> None:
    user = make_user(session, role="researcher")
    study = make_study(
        session,
        screen_width_px=1920,
        screen_height_px=1080,
        screen_width_mm=531.0,
        screen_height_mm=299.0,
        viewing_distance_mm=650.0,
        min_group_size=3,
        created_by_id=user.id,
    )
    session.add(Membership(user_id=user.id, study_id=study.id, role="viewer"))
    stimulus = make_stimulus(session, study, version="2024-03", sha256="ab" * 32)
    participant = make_participant(
        session, study, gender="f", age=31, attributes={"site": "Zürich", "tags": [1, 2]}
    )
    recording = make_recording(
        session, participant, stimulus, device="EyeLink 1000", sampling_rate=1000.0,
        cleaning_report={"rows_in": 10, "dropped": {"nan": 2}},
    )  # fmt: skip
    expires = datetime(2030, 1, 1, tzinfo=UTC)
    session.add(RefreshToken(jti="j1", user_id=user.id, family_id="f1", expires_at=expires))
    session.add(
        AuditEvent(user_id=user.id, study_id=study.id, action="heatmap", parameters={"a": 1})
    )
    session.add(Job(id="0" * 32, kind="heatmap", owner_id=user.id, study_id=study.id))
    session.commit()
    session.expunge_all()

    again = session.get_one(Recording, recording.id)
    assert again.participant.attributes == {"site": "Zürich", "tags": [1, 2]}
    assert again.stimulus.version == "2024-03"
    assert again.stimulus.data_version == 0
    assert again.cleaning_report["dropped"] == {"nan": 2}
    assert again.started_at == datetime(2024, 1, 1, tzinfo=UTC)
    assert session.get_one(RefreshToken, "j1").expires_at == expires
    assert session.get_one(Job, "0" * 32).status == "queued"
    assert session.get_one(User, user.id).memberships[0].role == "viewer"
    assert session.scalars(select(AuditEvent)).one().outcome == "ok"


def test_datetimes_come_back_as_the_same_instant_in_utc(session: Session) -> None:
    study = make_study(session)
    stimulus = make_stimulus(session, study)
    participant = make_participant(session, study)
    local = datetime(2024, 6, 1, 12, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    recording = make_recording(session, participant, stimulus, started_at=local)
    session.commit()
    session.expunge_all()
    started = session.get_one(Recording, recording.id).started_at
    assert started == local
    assert started is not None
    assert started.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(session: Session) -> None:
    study = make_study(session)
    stimulus = make_stimulus(session, study)
    participant = make_participant(session, study)
    with pytest.raises(StatementError, match="timezone-aware"):
        make_recording(session, participant, stimulus, started_at=datetime(2024, 1, 1))


def test_stimulus_page_key_and_version_are_unique_per_study(session: Session) -> None:
    study, other = make_study(session), make_study(session)
    make_stimulus(session, study, page_key="home", version="1")
    make_stimulus(session, study, page_key="home", version="2")
    make_stimulus(session, other, page_key="home", version="1")
    _refused(session, lambda: make_stimulus(session, study, page_key="home", version="1"))


def test_one_membership_per_user_and_study(session: Session) -> None:
    user, study = make_user(session), make_study(session)
    session.add(Membership(user_id=user.id, study_id=study.id, role="viewer"))
    session.flush()
    _refused(
        session,
        lambda: session.add(Membership(user_id=user.id, study_id=study.id, role="researcher")),
    )


def test_usernames_and_pseudonyms_are_unique(session: Session) -> None:
    make_user(session, username="ada")
    _refused(session, lambda: make_user(session, username="ada"))
    study = make_study(session)
    make_participant(session, study, pseudonym="abc")
    make_participant(session, make_study(session), pseudonym="abc")
    _refused(session, lambda: make_participant(session, study, pseudonym="abc"))


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        (User, {"role": "owner"}),
        (Membership, {"role": "admin"}),
        (Recording, {"kind": "saccades"}),
        (Recording, {"sample_count": -1}),
        (Recording, {"sampling_rate": 0.0}),
        (Participant, {"age": 200}),
        (Stimulus, {"width": 0}),
        (Job, {"status": "lost"}),
        (Job, {"progress": 1.5}),
        (AuditEvent, {"outcome": "maybe"}),
        (Study, {"min_group_size": 0}),
    ],
)
def test_check_constraints_refuse_values_outside_the_domain(
    session: Session, model: type, fields: dict[str, object]
) -> None:
    user = make_user(session)
    study = make_study(session)
    stimulus = make_stimulus(session, study)
    participant = make_participant(session, study)

    def build() -> None:
        if model is User:
            make_user(session, **fields)
        elif model is Membership:
            session.add(Membership(user_id=user.id, study_id=study.id, **fields))
        elif model is Recording:
            make_recording(session, participant, stimulus, **fields)
        elif model is Participant:
            make_participant(session, study, **fields)
        elif model is Stimulus:
            make_stimulus(session, study, **fields)
        elif model is Job:
            session.add(Job(id="j", kind="heatmap", **fields))
        elif model is AuditEvent:
            session.add(AuditEvent(action="x", **fields))
        else:
            make_study(session, **fields)

    _refused(session, build)


def test_a_recording_cannot_join_two_studies(session: Session) -> None:
    study, other = make_study(session), make_study(session)
    stimulus = make_stimulus(session, study)
    stranger = make_participant(session, other)
    _refused(session, lambda: make_recording(session, stranger, stimulus, study_id=study.id))
    _refused(session, lambda: make_recording(session, stranger, stimulus, study_id=other.id))


def test_deleting_a_study_deletes_its_rows_and_nothing_else(session: Session) -> None:
    user = make_user(session)
    doomed, kept = make_study(session), make_study(session)
    for study in (doomed, kept):
        session.add(Membership(user_id=user.id, study_id=study.id, role="viewer"))
        make_recording(session, make_participant(session, study), make_stimulus(session, study))
    session.add(AuditEvent(action="heatmap", study_id=doomed.id, user_id=user.id))
    session.flush()
    # raw SQL: the database's own cascades, not the ORM's
    session.execute(delete(Study).where(Study.id == doomed.id))
    session.expunge_all()
    for model in (Stimulus, Participant, Recording, Membership):
        assert _count(session, model) == 1
        assert session.scalars(select(model)).one().study_id == kept.id
    event = session.scalars(select(AuditEvent)).one()
    assert (event.study_id, event.user_id) == (None, user.id)


def test_erasing_a_participant_deletes_only_their_recordings(session: Session) -> None:
    study = make_study(session)
    stimulus = make_stimulus(session, study)
    erased, kept = make_participant(session, study), make_participant(session, study)
    for _ in range(2):
        make_recording(session, erased, stimulus)
    make_recording(session, kept, stimulus)
    session.delete(erased)
    session.flush()
    assert session.scalars(select(Recording.participant_id)).all() == [kept.id]
    assert _count(session, Stimulus) == 1


def test_deleting_a_user_keeps_the_audit_log_and_drops_their_tokens(session: Session) -> None:
    user = make_user(session)
    session.add(AuditEvent(action="login", user_id=user.id))
    session.add(
        RefreshToken(
            jti="t", user_id=user.id, family_id="f", expires_at=datetime(2030, 1, 1, tzinfo=UTC)
        )
    )
    session.flush()
    session.execute(delete(User).where(User.id == user.id))
    session.expunge_all()
    assert _count(session, RefreshToken) == 0
    assert session.scalars(select(AuditEvent.user_id)).one() is None


def test_a_recording_built_from_objects_takes_their_study(session: Session) -> None:
    study = make_study(session)
    stimulus, participant = make_stimulus(session, study), make_participant(session, study)
    recording = Recording(
        participant=participant, stimulus=stimulus, kind="fixations", sample_count=0,
        gaze_key="sha256/00/00/" + "0" * 64,
    )  # fmt: skip
    session.add(recording)
    session.flush()
    assert recording.study_id == study.id
    assert stimulus.recordings == [recording]
