"""Resolving the scale: max, percentiles, fixed values, symmetric mode, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gazemap.errors import InvalidInputError
from gazemap.render import resolve_scale

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
grids = arrays(np.float64, st.tuples(st.integers(1, 12), st.integers(1, 12)), elements=finite)


def test_max_is_the_largest_value() -> None:
    d = np.random.default_rng(1).random((30, 40))
    assert resolve_scale(d, "max") == d.max()


def test_percentile_matches_numpy_and_is_below_max() -> None:
    d = np.random.default_rng(2).exponential(size=(50, 50))
    assert resolve_scale(d, "p99") == pytest.approx(np.percentile(d, 99))
    assert resolve_scale(d, "p99.5") == pytest.approx(np.percentile(d, 99.5))
    assert resolve_scale(d, "p99") < resolve_scale(d, "max")
    assert resolve_scale(d, "P100") == d.max()


def test_fixed_scale_is_returned_as_given_whatever_the_data() -> None:
    d = np.random.default_rng(3).random((5, 5))
    assert resolve_scale(d, 0.25) == 0.25
    assert resolve_scale(d * 100, 0.25) == 0.25
    assert resolve_scale(d, "0.25") == 0.25


def test_symmetric_mode_uses_the_magnitude() -> None:
    d = np.array([[-3.0, 1.0], [0.5, 2.0]])
    assert resolve_scale(d, "max", signed=True) == 3.0
    assert resolve_scale(d, "max") == 2.0


def test_empty_map_resolves_to_zero() -> None:
    assert resolve_scale(np.zeros((4, 4)), "max") == 0.0
    assert resolve_scale(-np.ones((4, 4)), "p99") == 0.0


@pytest.mark.parametrize("bad", [0, -1.0, math.inf, math.nan, "p101", "median", "", True, None])
def test_bad_scale_is_refused_naming_the_argument(bad: object) -> None:
    with pytest.raises(InvalidInputError, match="scale") as info:
        resolve_scale(np.ones((2, 2)), bad)  # type: ignore[arg-type]
    assert info.value.field == "scale"


@pytest.mark.parametrize(
    "density", [np.ones(4), np.ones((0, 3)), np.array([[1.0, np.nan]]), [["a"]]]
)
def test_bad_density_is_refused(density: object) -> None:
    with pytest.raises(InvalidInputError, match="density"):
        resolve_scale(density, "max")  # type: ignore[arg-type]


@given(grids, st.floats(0, 100))
def test_percentile_scale_lies_between_zero_and_max(d: np.ndarray, q: float) -> None:
    s = resolve_scale(d, f"p{q:.3f}")
    assert 0.0 <= s <= max(d.max(), 0.0) * (1 + 1e-12) + 1e-300
