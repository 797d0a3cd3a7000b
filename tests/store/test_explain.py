"""On PostgreSQL the slice queries use the indexes made for them (read from EXPLAIN)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Select, insert, select
from sqlalchemy.orm import Session

from gazemap.store.engine import create_engine_for
from gazemap.store.migrate import upgrade
from gazemap.store.models import Participant, Recording, Stimulus, Study
from gazemap.store.queries import recordings_statement
from gazemap.store.slices import Slice
from tests.store.conftest import NewDatabase

pytestmark = pytest.mark.postgres

T0 = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def pg_session(new_database: NewDatabase) -> Iterator[Session]:
    """A PostgreSQL session over a realistic spread of rows, rolled back at the end."""
    url = new_database("postgresql")
    upgrade(url)
    engine = create_engine_for(url)
    rng = random.Random(3)
    with engine.connect() as connection:
        transaction = connection.begin()
        session = Session(bind=connection)
        study = Study(name="explain")
        session.add(study)
        session.flush()
        session.execute(insert(Stimulus), [
            {"study_id": study.id, "name": f"s{i}", "page_key": f"s{i}", "width": 10, "height": 10}
            for i in range(40)
        ])  # fmt: skip
        session.execute(insert(Participant), [
            {"study_id": study.id, "pseudonym": f"p{i}", "gender": rng.choice("fmd"),
             "age": rng.randrange(18, 80), "attributes": {"site": rng.choice("ABC")}}
            for i in range(400)
        ])  # fmt: skip
        stimuli = session.scalars(select(Stimulus.id)).all()
        people = session.scalars(select(Participant.id)).all()
        session.execute(insert(Recording), [
            {"study_id": study.id, "participant_id": rng.choice(people),
             "stimulus_id": rng.choice(stimuli), "kind": "samples", "sample_count": 1,
             "device": rng.choice(["EyeLink", "Tobii", "webcam", "Pupil"]),
             "started_at": T0 + timedelta(hours=rng.randrange(24 * 365)),
             "gaze_key": "sha256/00/00/" + "0" * 64, "cleaning_report": {}}
            for _ in range(4000)
        ])  # fmt: skip
        connection.exec_driver_sql("ANALYZE")
        session.info["stimulus_id"] = stimuli[0]
        session.info["study_id"] = study.id
        try:
            yield session
        finally:
            session.close()
            transaction.rollback()
    engine.dispose()


def _plan(session: Session, stmt: Select[Any]) -> str:
    compiled = stmt.compile(
        dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True}
    )
    connection = session.connection()
    rows = connection.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params).scalars()
    return "\n".join(rows)


@pytest.mark.parametrize(
    ("slice_", "index"),
    [
        (Slice(), "ix_recordings_stimulus_id_"),
        (Slice(device=["Tobii"]), "ix_recordings_stimulus_id_device"),
        (Slice(recorded_from=T0 + timedelta(days=100), recorded_to=T0 + timedelta(days=101)),
         "ix_recordings_stimulus_id_started_at"),
        (Slice(participant_ids=[1, 2, 3]), "ix_recordings_stimulus_id_participant_id"),
    ],
)  # fmt: skip
def test_recording_slices_use_their_index(pg_session: Session, slice_: Slice, index: str) -> None:
    stmt = recordings_statement(stimulus_id=pg_session.info["stimulus_id"], slice=slice_)
    plan = _plan(pg_session, stmt)
    assert index in plan, plan
    assert "Seq Scan on recordings" not in plan, plan


def test_demographic_lookups_use_the_participant_index(pg_session: Session) -> None:
    stmt = select(Participant.id).where(
        Participant.study_id == pg_session.info["study_id"],
        Participant.gender == "f",
        Participant.age.between(30, 32),
    )
    # the table is small, so tell the planner a sequential scan is the last resort;
    # inside a savepoint, so the setting cannot leak into the other tests
    savepoint = pg_session.connection().begin_nested()
    try:
        pg_session.connection().exec_driver_sql("SET LOCAL enable_seqscan = off")
        plan = _plan(pg_session, stmt)
    finally:
        savepoint.rollback()
    assert "ix_participants_study_id_gender_age" in plan, plan
