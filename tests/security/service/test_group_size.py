"""Minimum group size *k* at its edges: exactly k, k − 1, a time window that shrinks a slice,
both sides of a comparison, AOI metrics, admins exempt, and refusals audited."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from gazemap.errors import GroupTooSmallError, PermissionDeniedError
from gazemap.gaze import Recording as GazeRecording
from gazemap.service import policy
from gazemap.service.actor import Actor
from gazemap.service.aoi import aoi_metrics
from gazemap.service.aoi_geometry import AOI
from gazemap.service.compare import compare
from gazemap.service.context import ServiceContext
from gazemap.service.heatmaps import build_heatmap
from gazemap.service.params import HeatmapParams
from gazemap.service.schemas import StimulusOut, StudyOut
from gazemap.store.models import AuditEvent
from gazemap.store.slices import Slice
from tests.service.fixtures import add_participant, add_recording, fixations

GRID = HeatmapParams(cols=40, rows=30, bandwidth=30)
EARLY_END = 5_000.0  # every "early" fixation ends before this (ms)
LATE_START = 20_000.0


def person(
    ctx: ServiceContext,
    stimulus_id: int,
    study_id: int,
    *,
    seed: int,
    late: bool = False,
    device: str = "tracker",
) -> int:
    """A participant with one fixation recording, early (t < 5 s) or late (t >= 20 s)."""
    rng = np.random.default_rng(seed)
    rec = fixations(rng, 6)
    if late:
        rec = GazeRecording(
            "fixations", rec.t + LATE_START, rec.x, rec.y, rec.valid, duration=rec.duration
        )
    participant = add_participant(ctx, study_id)
    add_recording(ctx, stimulus_id, participant, rec, device=device)
    return participant


def test_exactly_k_is_shown_and_k_minus_one_refused(
    ctx: ServiceContext, study: StudyOut, stimulus: StimulusOut, viewer: Actor
) -> None:
    assert study.min_group_size == 2
    person(ctx, stimulus.id, study.id, seed=1)
    with pytest.raises(GroupTooSmallError, match="fewer than 2 participants") as refused:
        build_heatmap(ctx, actor=viewer, stimulus_id=stimulus.id, params=GRID, slice=Slice())
    assert "1" not in str(refused.value).replace(f"study {study.id}", "")  # no count leaks
    person(ctx, stimulus.id, study.id, seed=2)
    result = build_heatmap(ctx, actor=viewer, stimulus_id=stimulus.id, params=GRID, slice=Slice())
    assert result.meta["contributors"] == 2


def test_time_window_that_leaves_fewer_than_k_is_refused(
    ctx: ServiceContext, study: StudyOut, stimulus: StimulusOut, viewer: Actor, admin: Actor
) -> None:
    for seed in (1, 2):
        person(ctx, stimulus.id, study.id, seed=seed)
    person(ctx, stimulus.id, study.id, seed=3, late=True)
    late_only = GRID.model_copy(update={"t_from": LATE_START})
    # three selected people pass the SQL count, one is left after the window
    with pytest.raises(GroupTooSmallError, match="time window"):
        build_heatmap(ctx, actor=viewer, stimulus_id=stimulus.id, params=late_only, slice=Slice())
    # from the cache too: an admin computes it first, the viewer is still refused
    as_admin = build_heatmap(
        ctx, actor=admin, stimulus_id=stimulus.id, params=late_only, slice=Slice()
    )
    assert as_admin.meta["contributors"] == 1
    with pytest.raises(GroupTooSmallError):
        build_heatmap(ctx, actor=viewer, stimulus_id=stimulus.id, params=late_only, slice=Slice())
    early_only = GRID.model_copy(update={"t_to": EARLY_END})
    shown = build_heatmap(
        ctx, actor=viewer, stimulus_id=stimulus.id, params=early_only, slice=Slice()
    )
    assert shown.meta["contributors"] == 2
    assert shown.meta["participants"] == 3


def test_comparison_checks_both_sides(
    ctx: ServiceContext, study: StudyOut, stimulus: StimulusOut, viewer: Actor, researcher: Actor
) -> None:
    for seed in (1, 2, 3):
        person(ctx, stimulus.id, study.id, seed=seed)
    person(ctx, stimulus.id, study.id, seed=4, device="webcam")
    everyone, webcam = Slice(), Slice(device=["webcam"])
    for a, b in ((everyone, webcam), (webcam, everyone)):
        with pytest.raises(GroupTooSmallError):
            compare(ctx, actor=viewer, stimulus_id=stimulus.id, params=GRID, slice_a=a, slice_b=b)
        with pytest.raises(GroupTooSmallError):
            compare(
                ctx, actor=researcher, stimulus_id=stimulus.id, params=GRID, slice_a=a, slice_b=b
            )
    # and a viewer's demographic filter is refused on side B as on side A
    with pytest.raises(PermissionDeniedError, match="gender"):
        compare(
            ctx,
            actor=viewer,
            stimulus_id=stimulus.id,
            params=GRID,
            slice_a=everyone,
            slice_b=Slice(gender=["f"]),
        )
    tracker = Slice(device=["tracker"])
    result = compare(
        ctx, actor=viewer, stimulus_id=stimulus.id, params=GRID, slice_a=everyone, slice_b=tracker
    )
    assert result.meta["b"]["contributors"] == 3


def test_comparison_side_b_window_is_counted_after_the_window(
    ctx: ServiceContext, study: StudyOut, stimulus: StimulusOut, viewer: Actor
) -> None:
    for seed in (1, 2):
        person(ctx, stimulus.id, study.id, seed=seed)
    person(ctx, stimulus.id, study.id, seed=3, late=True, device="webcam")
    person(ctx, stimulus.id, study.id, seed=4, device="webcam")
    late = GRID.model_copy(update={"t_from": LATE_START})
    with pytest.raises(GroupTooSmallError):
        compare(
            ctx,
            actor=viewer,
            stimulus_id=stimulus.id,
            params=late,
            slice_a=Slice(),
            slice_b=Slice(device=["webcam"]),
        )


def test_aoi_metrics_count_people_after_the_window(
    ctx: ServiceContext, study: StudyOut, stimulus: StimulusOut, viewer: Actor, admin: Actor
) -> None:
    for seed in (1, 2):
        person(ctx, stimulus.id, study.id, seed=seed)
    person(ctx, stimulus.id, study.id, seed=3, late=True)
    aois = [AOI(name="all", rect=(0, 0, 800, 600))]
    early = GRID.model_copy(update={"t_to": EARLY_END})
    late = GRID.model_copy(update={"t_from": LATE_START})
    rows = aoi_metrics(
        ctx, actor=viewer, stimulus_id=stimulus.id, aois=aois, slice=Slice(), params=early
    )
    assert len(rows) == 1
    with pytest.raises(GroupTooSmallError):
        aoi_metrics(
            ctx, actor=viewer, stimulus_id=stimulus.id, aois=aois, slice=Slice(), params=late
        )
    assert aoi_metrics(
        ctx, actor=admin, stimulus_id=stimulus.id, aois=aois, slice=Slice(), params=late
    )


def test_admins_are_exempt(
    ctx: ServiceContext, study: StudyOut, stimulus: StimulusOut, admin: Actor
) -> None:
    person(ctx, stimulus.id, study.id, seed=1)
    result = build_heatmap(ctx, actor=admin, stimulus_id=stimulus.id, params=GRID, slice=Slice())
    assert result.meta["contributors"] == 1


def test_refusals_and_views_are_audited(
    ctx: ServiceContext, study: StudyOut, stimulus: StimulusOut, viewer: Actor, outsider: Actor
) -> None:
    person(ctx, stimulus.id, study.id, seed=1)
    with pytest.raises(GroupTooSmallError):
        build_heatmap(ctx, actor=viewer, stimulus_id=stimulus.id, params=GRID, slice=Slice())
    person(ctx, stimulus.id, study.id, seed=2)
    build_heatmap(ctx, actor=viewer, stimulus_id=stimulus.id, params=GRID, slice=Slice())
    assert ctx.audit is not None
    ctx.audit.flush()  # a view's entry is journalled first, inserted in a batch
    with ctx.session() as session:
        entries = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "heatmap.view", AuditEvent.user_id == viewer.user_id)
            .order_by(AuditEvent.id)
        ).all()
        outcomes = [(e.outcome, e.study_id, e.parameters.get("refused")) for e in entries]
        params = entries[-1].parameters
    assert outcomes == [
        ("denied", study.id, "GroupTooSmallError"),
        ("ok", study.id, None),
    ]
    assert params["params"]["grid"] == [40, 30]
    assert params["slice"] == {}


@pytest.mark.parametrize(
    ("age", "band"), [(0, "0–9"), (9, "0–9"), (20, "20–29"), (29, "20–29"), (99, "90–99")]
)
def test_age_bands(age: int, band: str) -> None:
    assert policy.age_band(age) == band
    assert policy.redact_age("viewer", [age]) == [band]
    assert policy.redact_age("researcher", [age]) == [age]
    assert policy.redact_age(None, [age]) == [band]
