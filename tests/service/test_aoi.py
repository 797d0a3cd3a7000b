"""AOI metrics on hand-made fixation sequences with known answers; AOI geometry and checks."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gazemap.errors import InvalidInputError
from gazemap.gaze import Recording
from gazemap.service.actor import SYSTEM
from gazemap.service.aoi import AOI, AOIMetricsOut, aoi_metrics
from gazemap.service.aoi_geometry import MAX_AOIS, contains, points_in_polygon, polygon_area
from gazemap.service.context import ServiceContext
from gazemap.service.params import HeatmapParams
from gazemap.store.slices import Slice
from tests.service.fixtures import (
    add_participant,
    add_recording,
    add_stimulus,
    add_study,
    samples,
)

C_SHAPE = [
    (100, 400), (300, 400), (300, 450), (150, 450),
    (150, 550), (300, 550), (300, 600), (100, 600),
]  # fmt: skip
AOIS = [
    AOI(name="left", rect=(0, 0, 400, 600)),
    AOI(name="box", rect=(500, 100, 100, 100)),
    AOI(name="C", polygon=C_SHAPE),
    AOI(name="never", rect=(0, 0, 10, 10)),
]


def fixation_recording(rows: list[tuple[float, float, float, float]]) -> Recording:
    """Fixations from ``(t, duration, x, y)`` rows."""
    t, d, x, y = (np.array(c, dtype=float) for c in zip(*rows, strict=True))
    return Recording("fixations", t, x, y, np.ones(t.size, bool), duration=d)


@pytest.fixture
def scene(ctx: ServiceContext) -> int:
    """Three participants; participant 2 has two recordings. Returns the stimulus id."""
    study = add_study(ctx)
    stimulus = add_stimulus(ctx, study)
    one = add_participant(ctx, study)
    add_recording(
        ctx,
        stimulus,
        one,
        fixation_recording(
            [
                (0, 200, 100, 100),  # left
                (250, 100, 550, 150),  # box
                (400, 300, 120, 300),  # left again: a revisit
                (750, 200, 550, 150),  # box again
                (1000, 100, 560, 160),  # box, same visit
                (1150, 100, 700, 500),  # nowhere
            ]
        ),
    )
    two = add_participant(ctx, study)
    add_recording(
        ctx,
        stimulus,
        two,
        fixation_recording([(0, 100, 700, 500), (200, 150, 560, 120)]),
        started_at=datetime(2024, 1, 1, tzinfo=UTC),
    )
    add_recording(
        ctx,
        stimulus,
        two,
        fixation_recording([(0, 300, 120, 500), (400, 100, 200, 500)]),  # C, then its notch
        started_at=datetime(2024, 1, 2, tzinfo=UTC),
    )
    three = add_participant(ctx, study)
    add_recording(ctx, stimulus, three, fixation_recording([(0, 100, 700, 300)]))
    return stimulus


def run(
    ctx: ServiceContext, stimulus: int, aois: list[AOI], **params: object
) -> dict[str, AOIMetricsOut]:
    out = aoi_metrics(
        ctx,
        actor=SYSTEM,
        stimulus_id=stimulus,
        aois=aois,
        slice=Slice(),
        params=HeatmapParams(**params),  # type: ignore[arg-type]
    )
    assert [m.name for m in out] == [a.name for a in aois]
    return {m.name: m for m in out}


def test_metrics_of_a_known_sequence(ctx: ServiceContext, scene: int) -> None:
    m = run(ctx, scene, AOIS)
    left, box, c, never = m["left"], m["box"], m["C"], m["never"]
    assert (left.participants, left.participants_entered) == (3, 2)
    assert left.share_entered == pytest.approx(2 / 3)
    assert (left.ttff_mean_ms, left.ttff_median_ms) == (0.0, 0.0)
    assert (left.dwell_ms_total, left.dwell_ms_mean, left.dwell_ms_mean_entered) == (
        900.0,
        300.0,
        450.0,
    )
    assert (left.fixations_total, left.revisits_total) == (4, 1)
    assert left.fixations_mean == pytest.approx(4 / 3)
    assert left.revisits_mean_entered == 0.5

    assert (box.ttff_mean_ms, box.ttff_median_ms) == (225.0, 225.0)
    assert (box.dwell_ms_total, box.dwell_ms_mean_entered) == (550.0, 275.0)
    assert (box.fixations_total, box.revisits_total) == (4, 1)

    # the fixation in the C's notch is inside its bounding box but not inside the C
    assert (c.participants_entered, c.fixations_total, c.dwell_ms_total) == (1, 1, 300.0)
    assert (c.ttff_mean_ms, c.revisits_mean_entered) == (0.0, 0.0)

    assert never.participants_entered == 0
    assert never.share_entered == 0.0
    assert (never.ttff_mean_ms, never.ttff_median_ms, never.dwell_ms_mean_entered) == (
        None,
        None,
        None,
    )
    assert never.revisits_mean_entered is None


def test_time_window_clips_dwell_and_delays_first_fixations(
    ctx: ServiceContext, scene: int
) -> None:
    m = run(ctx, scene, AOIS[:2], t_from=300)
    box = m["box"]
    # participant 1's first box fixation (250–350) keeps 300–350; participant 2's (200–350) too
    assert (box.ttff_mean_ms, box.dwell_ms_total) == (300.0, 50 + 200 + 100 + 50)
    assert m["left"].fixations_total == 2  # participant 1's first left fixation ended at 200


def test_sample_recordings_are_scored_on_detected_fixations(ctx: ServiceContext) -> None:
    study = add_study(ctx)
    stimulus = add_stimulus(ctx, study)
    rec = samples(np.random.default_rng(1), 2000, centre=(400.0, 300.0), spread=50)
    add_recording(ctx, stimulus, add_participant(ctx, study), rec)
    everything = AOI(name="all", rect=(0, 0, 800, 600))
    m = run(ctx, stimulus, [everything], points="samples")
    assert m["all"].participants_entered == 1
    # 8 s of dwells of 250 ms: about 30 fixations, not 2000 samples
    assert 10 < m["all"].fixations_total < 60


def test_empty_slice_gives_zero_metrics(ctx: ServiceContext) -> None:
    stimulus = add_stimulus(ctx, add_study(ctx))
    m = run(ctx, stimulus, AOIS[:1])["left"]
    assert (m.participants, m.share_entered, m.dwell_ms_mean, m.ttff_mean_ms) == (0, 0.0, 0.0, None)


@pytest.mark.parametrize(
    ("aois", "message"),
    [
        ([], "at least one AOI"),
        ([AOI(name=f"a{i}", rect=(0, 0, 1, 1)) for i in range(MAX_AOIS + 1)], "at most 100"),
        ([AOI(name="x", rect=(0, 0, 5, 5)), AOI(name="x", rect=(1, 1, 5, 5))], "'x' is used twice"),
        ([AOI(name="wide", rect=(700, 0, 200, 10))], "AOI 'wide' rect .* leaves the stimulus"),
        ([AOI(name="flat", rect=(10, 10, 0, 10))], "AOI 'flat' must have width and height > 0"),
        ([AOI(name="two", polygon=[(0, 0), (5, 5)])], "'two' polygon needs at least 3 points"),
        ([AOI(name="line", polygon=[(0, 0), (5, 5), (10, 10)])], "'line' polygon has zero area"),
        ([AOI(name="out", polygon=[(0, 0), (900, 0), (0, 5)])], r"'out' vertex \(900, 0\)"),
        ([AOI(name="both", rect=(0, 0, 1, 1), polygon=C_SHAPE)], "'both' must have exactly one"),
        ([AOI(name="none")], "'none' must have exactly one of rect or polygon"),
    ],
)
def test_invalid_aois_are_refused_by_name(
    sqlite_ctx: ServiceContext, aois: list[AOI], message: str
) -> None:
    stimulus = add_stimulus(sqlite_ctx, add_study(sqlite_ctx))
    with pytest.raises(InvalidInputError, match=message):
        run(sqlite_ctx, stimulus, aois)


def test_polygon_even_odd_rule_on_a_concave_shape() -> None:
    x = np.array([120.0, 200.0, 200.0, 290.0, 50.0, 120.0])
    y = np.array([500.0, 500.0, 420.0, 580.0, 500.0, 599.0])
    assert points_in_polygon(x, y, C_SHAPE).tolist() == [True, False, True, True, False, True]
    assert polygon_area(C_SHAPE) == 200 * 200 - 150 * 100


@given(
    st.floats(1, 500),
    st.floats(1, 500),
    st.floats(1, 200),
    st.floats(1, 200),
    st.lists(st.tuples(st.floats(0, 800), st.floats(0, 800)), min_size=1, max_size=50),
)
def test_rectangle_as_polygon_agrees_with_rectangle(
    rx: float, ry: float, rw: float, rh: float, points: list[tuple[float, float]]
) -> None:
    xy = np.array(points)
    x, y = xy[:, 0], xy[:, 1]
    on_edge = np.isin(x, [rx, rx + rw]) | np.isin(y, [ry, ry + rh])
    rect = contains(AOI(name="r", rect=(rx, ry, rw, rh)), x, y)
    corners = [(rx, ry), (rx + rw, ry), (rx + rw, ry + rh), (rx, ry + rh)]
    poly = contains(AOI(name="p", polygon=corners), x, y)
    np.testing.assert_array_equal(rect[~on_edge], poly[~on_edge])


def test_polygon_chunks_give_the_same_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    from gazemap.service import aoi_geometry

    rng = np.random.default_rng(0)
    x, y = rng.uniform(0, 800, 5000), rng.uniform(0, 800, 5000)
    whole = points_in_polygon(x, y, C_SHAPE)
    monkeypatch.setattr(aoi_geometry, "_CHUNK_PAIRS", 64)
    np.testing.assert_array_equal(points_in_polygon(x, y, C_SHAPE), whole)
    assert 0 < whole.sum() < 5000
