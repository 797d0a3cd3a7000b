"""compare: the difference map's sign and scale, the scores, and which pairs may be compared."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from gazemap.errors import InvalidInputError
from gazemap.kde import Grid, density
from gazemap.service.actor import SYSTEM
from gazemap.service.compare import compare, scores
from gazemap.service.context import ServiceContext
from gazemap.service.params import HeatmapParams, RenderOptions
from gazemap.service.similarity import correlation, kl_divergence, similarity
from gazemap.store.slices import Slice
from tests.service.fixtures import (
    add_participant,
    add_recording,
    add_stimulus,
    add_study,
    fixations,
)

PARAMS = HeatmapParams(bandwidth=30, weight="count")
LEFT, RIGHT = Slice(gender=["f"]), Slice(gender=["m"])


@pytest.fixture
def two_groups(ctx: ServiceContext) -> tuple[int, int, np.ndarray, np.ndarray]:
    """Women look left, men look right; (study, stimulus, women's points, men's points)."""
    rng = np.random.default_rng(21)
    study = add_study(ctx)
    stimulus = add_stimulus(ctx, study)
    groups: dict[str, list[np.ndarray]] = {"f": [], "m": []}
    for i in range(4):
        gender = "fm"[i % 2]
        rec = fixations(rng, 30, centre=(200.0 if gender == "f" else 600.0, 300.0), spread=40)
        add_recording(ctx, stimulus, add_participant(ctx, study, gender=gender), rec)
        groups[gender].append(rec.points)
    return study, stimulus, np.concatenate(groups["f"]), np.concatenate(groups["m"])


def test_difference_is_a_minus_b_with_benchmark_scores(
    ctx: ServiceContext, two_groups: tuple[int, int, np.ndarray, np.ndarray]
) -> None:
    _, stimulus, women, men = two_groups
    result = compare(
        ctx, actor=SYSTEM, stimulus_id=stimulus, params=PARAMS, slice_a=LEFT, slice_b=RIGHT
    )
    grid = Grid.for_stimulus(800, 600, level=1)
    a = density(women, grid=grid, bandwidth=30.0)
    b = density(men, grid=grid, bandwidth=30.0)
    np.testing.assert_array_equal(result.difference, a - b)
    # where women looked (left) the difference is positive, where men looked negative
    assert result.difference[150, 100] > 0 > result.difference[150, 300]
    assert result.scores.cc == pytest.approx(correlation(a, b))
    assert result.scores.kl == pytest.approx(kl_divergence(a, b))
    assert result.scores.kl_reverse == pytest.approx(kl_divergence(b, a))
    assert result.scores.sim == pytest.approx(similarity(a, b))
    assert result.scores.sim < 0.2
    assert result.scores.kl > 1.0
    assert result.meta["a"]["participants"] == result.meta["b"]["participants"] == 2
    assert result.png is None


def test_one_slice_against_itself_is_a_perfect_match(
    ctx: ServiceContext, two_groups: tuple[int, int, np.ndarray, np.ndarray]
) -> None:
    _, stimulus, _, _ = two_groups
    result = compare(
        ctx, actor=SYSTEM, stimulus_id=stimulus, params=PARAMS, slice_a=LEFT, slice_b=LEFT
    )
    assert not result.difference.any()
    assert result.scores.cc == pytest.approx(1.0)
    assert result.scores.sim == pytest.approx(1.0)
    assert result.scores.kl == pytest.approx(0.0, abs=1e-9)
    assert result.meta["cache"] == {"a": "miss", "b": "hit-memory"}


def test_difference_png_uses_one_symmetric_scale(
    ctx: ServiceContext, two_groups: tuple[int, int, np.ndarray, np.ndarray]
) -> None:
    _, stimulus, _, _ = two_groups
    render = RenderOptions(colormap="RdBu_r", overlay=False, threshold=0.0, opacity=1.0)
    result = compare(
        ctx,
        actor=SYSTEM,
        stimulus_id=stimulus,
        params=PARAMS,
        slice_a=LEFT,
        slice_b=RIGHT,
        render=render,
    )
    assert result.meta["scale"] == pytest.approx(float(np.abs(result.difference).max()))
    assert result.png is not None
    with Image.open(io.BytesIO(result.png)) as picture:
        rgba = np.asarray(picture.convert("RGBA"))
    # RdBu_r: positive (A, left) is red, negative (B, right) is blue
    r_left, _, b_left, _ = rgba[300, 200].astype(int)
    r_right, _, b_right, _ = rgba[300, 600].astype(int)
    assert r_left > b_left
    assert b_right > r_right
    again = compare(
        ctx,
        actor=SYSTEM,
        stimulus_id=stimulus,
        params=PARAMS,
        slice_a=LEFT,
        slice_b=RIGHT,
        render=render,
    )
    assert again.meta["cache"] == {"a": "hit-memory", "b": "hit-memory", "image": "hit-memory"}
    assert again.etag == result.etag


def test_two_layout_versions_of_one_page(ctx: ServiceContext) -> None:
    rng = np.random.default_rng(2)
    study = add_study(ctx)
    old = add_stimulus(ctx, study, page_key="home", version="1")
    new = add_stimulus(ctx, study, page_key="home", version="2")
    for stimulus, x in ((old, 250.0), (new, 550.0)):
        add_recording(
            ctx, stimulus, add_participant(ctx, study), fixations(rng, 40, centre=(x, 300.0))
        )
    result = compare(
        ctx,
        actor=SYSTEM,
        stimulus_id=old,
        stimulus_b_id=new,
        params=PARAMS,
        slice_a=Slice(),
        slice_b=Slice(),
    )
    assert result.meta["a"]["stimulus_id"] == old
    assert result.meta["b"]["stimulus_id"] == new
    assert result.difference[150, 125] > 0 > result.difference[150, 275]


def test_incomparable_pairs_are_refused(ctx: ServiceContext) -> None:
    study = add_study(ctx)
    stimulus = add_stimulus(ctx, study)
    other_size = add_stimulus(ctx, study, width=1024, height=768)
    other_study = add_stimulus(ctx, add_study(ctx))

    def run(b: int, render: RenderOptions | None = None) -> object:
        return compare(
            ctx,
            actor=SYSTEM,
            stimulus_id=stimulus,
            stimulus_b_id=b,
            params=PARAMS,
            slice_a=Slice(),
            slice_b=Slice(),
            render=render,
        )

    with pytest.raises(InvalidInputError, match="another study") as err:
        run(other_study)
    assert err.value.field == "stimulus_b_id"
    with pytest.raises(InvalidInputError, match="1024×768 px"):
        run(other_size)
    with pytest.raises(InvalidInputError, match=r"diverging colormap .*got 'inferno'"):
        run(stimulus, RenderOptions())


def test_scores_of_empty_maps_are_none_not_nan() -> None:
    empty = np.zeros((4, 4))
    peak = np.eye(4)
    out = scores(empty, peak)
    assert (out.cc, out.kl, out.kl_reverse, out.sim) == (None, None, None, 0.0)
    assert "NaN" not in out.model_dump_json()
