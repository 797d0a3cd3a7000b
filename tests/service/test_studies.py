"""Studies and members: who may create, see, change and delete them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gazemap.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from gazemap.service import studies
from gazemap.service.actor import Actor
from gazemap.service.context import ServiceContext
from gazemap.service.recordings import ingest_recordings
from gazemap.service.schemas import StimulusOut, StudyOut
from gazemap.store.gc import collect_orphan_blobs
from gazemap.store.models import Participant, Recording, Stimulus
from tests.service.gazefiles import PEOPLE, fixation_csv


def test_creator_becomes_researcher(ctx: ServiceContext, researcher: Actor) -> None:
    out = studies.create_study(
        ctx,
        actor=researcher,
        name="  Consent forms  ",
        description="reading",
        screen={"width_px": 1680, "height_px": 1050, "distance_mm": 650},
    )
    assert (out.name, out.role, out.created_by_id) == (
        "Consent forms",
        "researcher",
        researcher.user_id,
    )
    assert (out.screen_width_px, out.screen_height_px, out.viewing_distance_mm) == (
        1680,
        1050,
        650.0,
    )
    assert out.min_group_size is None
    members = studies.list_members(ctx, actor=researcher, study_id=out.id)
    assert [(m.username, m.role) for m in members] == [(researcher.username, "researcher")]


def test_viewers_cannot_create_studies(ctx: ServiceContext, viewer: Actor) -> None:
    with pytest.raises(PermissionDeniedError):
        studies.create_study(ctx, actor=viewer, name="mine")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "ok", "screen": {"width_px": -5}}, "screen"),
        ({"name": "ok", "screen": {"width_px": 10.5}}, "screen"),
        ({"name": "ok", "screen": {"width_px": 2**70}}, "screen"),
        ({"name": "ok", "screen": {"distance_mm": float("inf")}}, "screen"),
        ({"name": "ok", "screen": {"depth_mm": 3}}, "screen"),
        ({"name": "ok", "min_group_size": 0}, "min_group_size"),
    ],
)
def test_bad_study_fields(
    ctx: ServiceContext, researcher: Actor, fields: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidInputError) as err:
        studies.create_study(ctx, actor=researcher, **fields)  # type: ignore[arg-type]
    assert err.value.field == field


def test_listing_shows_only_visible_studies(
    ctx: ServiceContext,
    study: StudyOut,
    admin: Actor,
    researcher: Actor,
    viewer: Actor,
    outsider: Actor,
) -> None:
    second = studies.create_study(ctx, actor=researcher, name="second")
    mine = studies.list_studies(ctx, actor=researcher)
    assert [s.id for s in mine.items] == [second.id, study.id]  # newest first
    assert mine.total == 2
    seen = studies.list_studies(ctx, actor=viewer)
    assert [(s.id, s.role) for s in seen.items] == [(study.id, "viewer")]
    assert studies.list_studies(ctx, actor=outsider).total == 0
    everything = studies.list_studies(ctx, actor=admin, limit=500)
    assert {study.id, second.id} <= {s.id for s in everything.items}
    paged = studies.list_studies(ctx, actor=researcher, limit=1, offset=1)
    assert ([s.id for s in paged.items], paged.total) == ([study.id], 2)


def test_get_study_hides_existence(ctx: ServiceContext, study: StudyOut, outsider: Actor) -> None:
    with pytest.raises(NotFoundError, match=f"study {study.id} not found"):
        studies.get_study(ctx, actor=outsider, study_id=study.id)
    with pytest.raises(NotFoundError, match="study 987654321 not found"):
        studies.get_study(ctx, actor=outsider, study_id=987654321)


def test_update_study(
    ctx: ServiceContext, study: StudyOut, researcher: Actor, viewer: Actor
) -> None:
    out = studies.update_study(
        ctx,
        actor=researcher,
        study_id=study.id,
        name="Renamed",
        min_group_size=3,
        screen={"width_px": 1920, "height_px": 1080},
    )
    assert (out.name, out.min_group_size, out.screen_width_px) == ("Renamed", 3, 1920)
    assert studies.get_study(ctx, actor=viewer, study_id=study.id).name == "Renamed"
    with pytest.raises(PermissionDeniedError):
        studies.update_study(ctx, actor=viewer, study_id=study.id, name="viewer was here")
    with pytest.raises(InvalidInputError, match="cannot change") as err:
        studies.update_study(ctx, actor=researcher, study_id=study.id, created_by_id=1)
    assert err.value.field == "created_by_id"


def test_membership(
    ctx: ServiceContext, study: StudyOut, researcher: Actor, viewer: Actor, outsider: Actor
) -> None:
    with pytest.raises(NotFoundError, match="user 'nobody-here' not found"):
        studies.add_member(
            ctx, actor=researcher, study_id=study.id, username="nobody-here", role="viewer"
        )
    with pytest.raises(InvalidInputError) as err:
        studies.add_member(
            ctx, actor=researcher, study_id=study.id, username=outsider.username, role="admin"
        )
    assert err.value.field == "role"
    with pytest.raises(PermissionDeniedError):
        studies.add_member(
            ctx, actor=viewer, study_id=study.id, username=outsider.username, role="viewer"
        )
    added = studies.add_member(
        ctx, actor=researcher, study_id=study.id, username=outsider.username, role="viewer"
    )
    assert (added.username, added.role) == (outsider.username, "viewer")
    assert studies.get_study(ctx, actor=outsider, study_id=study.id).role == "viewer"
    # adding again changes the role
    studies.add_member(
        ctx, actor=researcher, study_id=study.id, username=outsider.username, role="researcher"
    )
    roles = {m.username: m.role for m in studies.list_members(ctx, actor=viewer, study_id=study.id)}
    assert roles == {
        researcher.username: "researcher",
        viewer.username: "viewer",
        outsider.username: "researcher",
    }
    studies.remove_member(ctx, actor=researcher, study_id=study.id, user_id=outsider.user_id or 0)
    with pytest.raises(NotFoundError):
        studies.get_study(ctx, actor=outsider, study_id=study.id)
    with pytest.raises(NotFoundError, match="not a member"):
        studies.remove_member(
            ctx, actor=researcher, study_id=study.id, user_id=outsider.user_id or 0
        )


def test_delete_study_cascades_rows_and_leaves_blobs_to_gc(
    ctx: ServiceContext,
    study: StudyOut,
    stimulus: StimulusOut,
    researcher: Actor,
    viewer: Actor,
    tmp_path: Path,
) -> None:
    ingest_recordings(
        ctx,
        actor=researcher,
        stimulus_id=stimulus.id,
        path=fixation_csv(tmp_path / "a.csv", PEOPLE, seed=study.id),
    )
    blobs_before = set(ctx.blobs.keys())
    assert len(blobs_before) == 1 + len(PEOPLE)  # the image and one gaze blob per person
    with pytest.raises(PermissionDeniedError):
        studies.delete_study(ctx, actor=viewer, study_id=study.id)
    studies.delete_study(ctx, actor=researcher, study_id=study.id)
    with ctx.session() as session:
        for model, column in (
            (Stimulus, Stimulus.study_id),
            (Participant, Participant.study_id),
            (Recording, Recording.study_id),
        ):
            count = session.scalar(
                select(func.count()).select_from(model).where(column == study.id)
            )
            assert count == 0, model
    assert set(ctx.blobs.keys()) == blobs_before
    with ctx.session() as session:
        report = collect_orphan_blobs(session, ctx.blobs, older_than=timedelta(0))
    assert set(report.deleted) == blobs_before
    with pytest.raises(NotFoundError):
        studies.get_study(ctx, actor=researcher, study_id=study.id)
