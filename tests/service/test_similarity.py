"""CC, KL and SIM: the benchmark's definitions, identities, symmetries and bounds."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gazemap.errors import InvalidInputError
from gazemap.service.similarity import EPSILON, correlation, kl_divergence, similarity


@st.composite
def maps(draw: st.DrawFn, shape: tuple[int, int] | None = None) -> np.ndarray:
    """Non-negative maps with some mass and some variation, like densities."""
    if shape is None:
        shape = (draw(st.integers(2, 12)), draw(st.integers(2, 12)))
    values = draw(hnp.arrays(np.float64, shape, elements=st.floats(0, 1e3, allow_subnormal=False)))
    values.flat[draw(st.integers(0, values.size - 1))] += 1.0  # never constant, never empty
    return values * draw(st.sampled_from([1e-6, 1.0, 1e4]))  # densities are tiny numbers


@st.composite
def pairs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    a = draw(maps())
    return a, draw(maps(a.shape))


@given(maps())
def test_a_map_agrees_perfectly_with_itself(a: np.ndarray) -> None:
    assert correlation(a, a) == pytest.approx(1.0, abs=1e-9)
    assert similarity(a, a) == pytest.approx(1.0, abs=1e-9)
    assert kl_divergence(a, a) == pytest.approx(0.0, abs=1e-9)


def test_kl_of_a_full_size_map_with_itself_is_exactly_zero() -> None:
    # the epsilon terms sum to about -1e-11 over a 960×540 grid; KL is never negative
    a = np.random.default_rng(7).random((540, 960))
    assert kl_divergence(a, a) == 0.0


@given(pairs())
def test_cc_and_sim_are_symmetric_and_bounded(pair: tuple[np.ndarray, np.ndarray]) -> None:
    a, b = pair
    cc = correlation(a, b)
    if cc is not None:
        assert -1.0 <= cc <= 1.0
        assert correlation(b, a) == pytest.approx(cc, abs=1e-12)
    sim = similarity(a, b)
    assert 0.0 <= sim <= 1.0
    assert similarity(b, a) == pytest.approx(sim, abs=1e-12)


@given(pairs())
def test_kl_is_non_negative_and_ignores_scale(pair: tuple[np.ndarray, np.ndarray]) -> None:
    a, b = pair
    kl = kl_divergence(a, b)
    assert kl is not None
    assert kl >= -a.size * EPSILON * 10
    assert kl_divergence(3.0 * a, 0.5 * b) == pytest.approx(kl, rel=1e-9, abs=1e-9)


@settings(max_examples=50)
@given(pairs(), st.floats(0.1, 100.0), st.floats(-5.0, 5.0))
def test_cc_is_invariant_to_positive_affine_changes(
    pair: tuple[np.ndarray, np.ndarray], scale: float, shift: float
) -> None:
    a, b = pair
    cc = correlation(a, b)
    moved = correlation(a * scale + shift * float(a.max()), b)
    if cc is None:
        assert moved is None
    else:
        assert moved == pytest.approx(cc, abs=1e-6)


def test_kl_matches_the_benchmark_formula_and_is_not_symmetric() -> None:
    p = np.array([[1.0, 1.0]])
    q = np.array([[3.0, 1.0]])
    # P = (1/2, 1/2), Q = (3/4, 1/4)
    expected = 0.5 * math.log(EPSILON + 0.5 / (0.75 + EPSILON)) + 0.5 * math.log(
        EPSILON + 0.5 / (0.25 + EPSILON)
    )
    assert kl_divergence(p, q) == pytest.approx(expected, rel=1e-12)
    assert kl_divergence(q, p) != pytest.approx(expected, rel=1e-3)


def test_disjoint_maps_have_zero_sim_and_large_kl() -> None:
    a = np.array([[1.0, 0.0], [0.0, 0.0]])
    b = np.array([[0.0, 0.0], [0.0, 1.0]])
    assert similarity(a, b) == 0.0
    assert kl_divergence(a, b) == pytest.approx(-math.log(EPSILON), rel=1e-6)  # about 36
    assert correlation(a, b) == pytest.approx(-1 / 3)


def test_undefined_scores_are_none() -> None:
    flat = np.full((3, 3), 2.0)
    empty = np.zeros((3, 3))
    peak = np.eye(3)
    assert correlation(flat, peak) is None
    assert kl_divergence(empty, peak) is None
    assert kl_divergence(peak, empty) is None
    assert similarity(empty, peak) == 0.0


def test_bad_maps_are_refused_with_named_errors() -> None:
    with pytest.raises(InvalidInputError, match=r"same shape, got \(2, 2\) and \(2, 3\)"):
        correlation(np.ones((2, 2)), np.ones((2, 3)))
    with pytest.raises(InvalidInputError, match="finite"):
        similarity(np.array([[np.nan, 1.0]]), np.ones((1, 2)))
    with pytest.raises(InvalidInputError, match="p must be non-negative"):
        kl_divergence(np.array([[-1.0, 2.0]]), np.ones((1, 2)))
    with pytest.raises(InvalidInputError, match="epsilon must be > 0, got 0"):
        kl_divergence(np.ones((1, 2)), np.ones((1, 2)), epsilon=0)
