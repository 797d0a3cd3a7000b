"""The audit log: entries commit with the work, filters, paging, admins only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gazemap.errors import InvalidInputError, PermissionDeniedError
from gazemap.service.actor import Actor
from gazemap.service.audit import list_audit, record_audit
from gazemap.service.context import ServiceContext
from gazemap.service.recordings import export_recording, ingest_recordings
from gazemap.service.schemas import StimulusOut, StudyOut
from gazemap.service.studies import update_study
from tests.service.gazefiles import PEOPLE, fixation_csv


def test_work_is_audited_in_order(
    ctx: ServiceContext,
    admin: Actor,
    researcher: Actor,
    study: StudyOut,
    stimulus: StimulusOut,
    tmp_path: Path,
) -> None:
    result = ingest_recordings(
        ctx,
        actor=researcher,
        stimulus_id=stimulus.id,
        path=fixation_csv(tmp_path / "f.csv", PEOPLE),
    )
    export_recording(ctx, actor=researcher, recording_id=result.recordings[0].id)
    page = list_audit(ctx, actor=admin, study_id=study.id)
    assert [e.action for e in page.items] == [
        "recording.export",
        "recordings.ingest",
        "stimulus.create",
        "study.add_member",
        "study.create",
    ]
    assert {e.user_id for e in page.items} == {researcher.user_id}
    ingest = page.items[1]
    assert ingest.target == f"stimulus:{stimulus.id}"
    assert ingest.parameters["recordings"] == 3
    assert ingest.parameters["participants"] == 3
    assert ingest.outcome == "ok"


def test_filters_and_paging(
    ctx: ServiceContext, admin: Actor, researcher: Actor, study: StudyOut
) -> None:
    mark = datetime.now(UTC)
    for name in ("one", "two", "three"):
        update_study(ctx, actor=researcher, study_id=study.id, name=name)
    updates = list_audit(ctx, actor=admin, study_id=study.id, action="study.update")
    assert updates.total == 3
    assert [e.parameters for e in updates.items] == [{"fields": ["name"]}] * 3
    assert list_audit(ctx, actor=admin, study_id=study.id, action="study.").total == 5
    assert list_audit(ctx, actor=admin, study_id=study.id, action="study").total == 0
    assert list_audit(ctx, actor=admin, user_id=researcher.user_id, since=mark).total == 3
    assert list_audit(ctx, actor=admin, user_id=admin.user_id).total == 0
    later = mark + timedelta(hours=1)
    assert list_audit(ctx, actor=admin, study_id=study.id, since=later).total == 0
    assert list_audit(ctx, actor=admin, study_id=study.id, until=mark).total == 2
    first, second = (
        list_audit(ctx, actor=admin, study_id=study.id, limit=1, offset=i).items[0] for i in (0, 1)
    )
    assert first.id > second.id  # newest first
    with pytest.raises(InvalidInputError) as err:
        list_audit(ctx, actor=admin, since=datetime(2024, 1, 1))
    assert err.value.field == "since"


def test_only_admins_read_the_log(ctx: ServiceContext, researcher: Actor, viewer: Actor) -> None:
    for actor in (researcher, viewer):
        with pytest.raises(PermissionDeniedError):
            list_audit(ctx, actor=actor)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"action": ""}, "action"), ({"action": "x", "outcome": "maybe"}, "outcome")],
)
def test_record_audit_checks_its_input(
    ctx: ServiceContext, admin: Actor, kwargs: dict[str, str], field: str
) -> None:
    with ctx.session() as session, pytest.raises(InvalidInputError) as err:
        record_audit(session, actor=admin, **kwargs)  # type: ignore[arg-type]
    assert err.value.field == field


def test_entries_roll_back_with_the_work(ctx: ServiceContext, admin: Actor) -> None:
    marker = f"test.rollback.{id(ctx)}"

    def failing_work() -> None:
        with ctx.session() as session:
            record_audit(session, actor=admin, action=marker, outcome="denied", request_id="r-1")
            session.flush()
            raise RuntimeError("the work failed")

    with pytest.raises(RuntimeError):
        failing_work()
    assert list_audit(ctx, actor=admin, action=marker).total == 0
    with ctx.session() as session:
        record_audit(session, actor=admin, action=marker, outcome="denied", request_id="r-1")
    (entry,) = list_audit(ctx, actor=admin, action=marker).items
    assert (entry.outcome, entry.request_id, entry.user_id) == ("denied", "r-1", admin.user_id)
