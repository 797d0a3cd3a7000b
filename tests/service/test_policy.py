"""Access rules: 404 for what the caller may not see, 403 for a role too low, slice rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from gazemap.config import SecuritySettings, Settings
from gazemap.errors import (
    GroupTooSmallError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from gazemap.service import policy
from gazemap.service.actor import SYSTEM, Actor
from gazemap.service.context import ServiceContext
from gazemap.service.recordings import ingest_recordings
from gazemap.service.schemas import StimulusOut, StudyOut
from gazemap.store.models import Study
from gazemap.store.slices import Slice
from tests.service.gazefiles import PEOPLE, fixation_csv

MISSING = 987_654_321


@pytest.fixture
def loaded(ctx: ServiceContext, researcher: Actor, stimulus: StimulusOut, tmp_path: Path) -> int:
    """``stimulus`` with one recording of P01; returns its recording id."""
    path = fixation_csv(tmp_path / "one.csv", PEOPLE[:1])
    result = ingest_recordings(ctx, actor=researcher, stimulus_id=stimulus.id, path=path)
    return result.recordings[0].id


def test_study_roles(
    ctx: ServiceContext,
    study: StudyOut,
    admin: Actor,
    researcher: Actor,
    viewer: Actor,
    outsider: Actor,
) -> None:
    with ctx.session() as session:
        roles = [policy.study_role(session, a, study.id) for a in (admin, researcher, viewer)]
        assert roles == ["admin", "researcher", "viewer"]
        assert policy.study_role(session, outsider, study.id) is None
        assert policy.study_role(session, SYSTEM, study.id) == "admin"
        anonymous = Actor(user_id=None, username="nobody", role="viewer")
        assert policy.study_role(session, anonymous, study.id) is None


def test_invisible_study_looks_missing(
    ctx: ServiceContext, study: StudyOut, outsider: Actor
) -> None:
    with ctx.session() as session:
        with pytest.raises(NotFoundError) as hidden:
            policy.require_study(session, outsider, study.id, need="viewer")
        with pytest.raises(NotFoundError) as missing:
            policy.require_study(session, outsider, MISSING, need="viewer")
    assert str(hidden.value) == f"study {study.id} not found"
    assert str(missing.value) == f"study {MISSING} not found"


@pytest.mark.parametrize(
    ("who", "need", "allowed"),
    [
        ("viewer", "viewer", True),
        ("viewer", "researcher", False),
        ("researcher", "researcher", True),
        ("researcher", "admin", False),
        ("admin", "admin", True),
    ],
)
def test_role_ranks(
    ctx: ServiceContext,
    study: StudyOut,
    request: pytest.FixtureRequest,
    who: str,
    need: policy.Need,
    allowed: bool,
) -> None:
    actor: Actor = request.getfixturevalue(who)
    with ctx.session() as session:
        if allowed:
            assert policy.require_study(session, actor, study.id, need=need).id == study.id
        else:
            with pytest.raises(PermissionDeniedError, match=f"needs the {need} role"):
                policy.require_study(session, actor, study.id, need=need)


def test_unknown_need_is_refused(ctx: ServiceContext, study: StudyOut, admin: Actor) -> None:
    with ctx.session() as session, pytest.raises(InvalidInputError, match="need must be"):
        policy.require_study(session, admin, study.id, need="owner")  # type: ignore[arg-type]


def test_objects_of_invisible_studies_look_missing(
    ctx: ServiceContext,
    stimulus: StimulusOut,
    loaded: int,
    outsider: Actor,
    viewer: Actor,
) -> None:
    with ctx.session() as session:
        from gazemap.store.models import Recording

        participant_id = session.get(Recording, loaded).participant_id  # type: ignore[union-attr]
        cases = [
            (policy.require_stimulus, stimulus.id, "stimulus"),
            (policy.require_participant, participant_id, "participant"),
            (policy.require_recording, loaded, "recording"),
        ]
        for require, ident, kind in cases:
            with pytest.raises(NotFoundError) as hidden:
                require(session, outsider, ident, need="viewer")
            assert str(hidden.value) == f"{kind} {ident} not found"
            with pytest.raises(NotFoundError) as missing:
                require(session, viewer, MISSING, need="viewer")
            assert str(missing.value) == f"{kind} {MISSING} not found"
            # visible but the role is too low: 403, not 404
            with pytest.raises(PermissionDeniedError):
                require(session, viewer, ident, need="researcher")
            assert require(session, viewer, ident, need="viewer").id == ident


def test_viewers_may_not_use_demographic_filters(
    ctx: ServiceContext, study: StudyOut, viewer: Actor, researcher: Actor, outsider: Actor
) -> None:
    with ctx.session() as session:
        row = session.get(Study, study.id)
        assert row is not None
        policy.check_slice_allowed(session, viewer, row, Slice(device=["webcam"]))
        policy.check_slice_allowed(session, researcher, row, Slice(gender=["f"], age_min=20))
        with pytest.raises(PermissionDeniedError, match="by gender"):
            policy.check_slice_allowed(session, viewer, row, Slice(gender=["f"]))
        with pytest.raises(PermissionDeniedError, match="by attributes"):
            policy.check_slice_allowed(session, viewer, row, Slice(attributes={"group": ["a"]}))
        with pytest.raises(NotFoundError):
            policy.check_slice_allowed(session, outsider, row, Slice())


def test_group_size(
    ctx: ServiceContext,
    researcher: Actor,
    admin: Actor,
    study: StudyOut,
    stimulus: StimulusOut,
    tmp_path: Path,
) -> None:
    ingest_recordings(
        ctx,
        actor=researcher,
        stimulus_id=stimulus.id,
        path=fixation_csv(tmp_path / "a.csv", PEOPLE[:1]),
    )
    with ctx.session() as session:
        row = session.get(Study, study.id)
        assert row is not None
        assert row.min_group_size == 2
        with pytest.raises(GroupTooSmallError, match="fewer than 2 participants") as err:
            policy.check_group_size(
                session, researcher, row, stimulus_id=stimulus.id, slice=Slice()
            )
        assert " 1 " not in str(err.value)  # the count itself is not revealed
        assert (
            policy.check_group_size(session, admin, row, stimulus_id=stimulus.id, slice=Slice())
            == 1
        )
    ingest_recordings(
        ctx,
        actor=researcher,
        stimulus_id=stimulus.id,
        path=fixation_csv(tmp_path / "b.csv", PEOPLE[1:2]),
    )
    with ctx.session() as session:
        row = session.get(Study, study.id)
        assert row is not None
        count = policy.check_group_size(
            session, researcher, row, stimulus_id=stimulus.id, slice=Slice()
        )
        assert count == 2
        # a slice narrows the group below the minimum again
        with pytest.raises(GroupTooSmallError):
            policy.check_group_size(
                session, researcher, row, stimulus_id=stimulus.id, slice=Slice(gender=["m"])
            )
        # without a study minimum the setting applies
        row.min_group_size = None
        strict = Settings(security=SecuritySettings(min_group_size=3))
        with pytest.raises(GroupTooSmallError, match="fewer than 3"):
            policy.check_group_size(
                session, researcher, row, stimulus_id=stimulus.id, slice=Slice(), settings=strict
            )
        assert (
            policy.min_group_size(row, Settings(security=SecuritySettings(min_group_size=1))) == 1
        )
        session.rollback()
