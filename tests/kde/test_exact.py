"""The exact estimator against a straightforward double loop."""

from __future__ import annotations

import numpy as np
import pytest

from gazemap.kde import Grid, density
from tests.kde.reference import CANONICAL, double_loop_density


@pytest.mark.parametrize("kernel", CANONICAL)
@pytest.mark.parametrize("bandwidth", [(3.0, 3.0), (5.0, 2.0)])
def test_exact_equals_double_loop(kernel: str, bandwidth: tuple[float, float]) -> None:
    rng = np.random.default_rng(7)
    grid = Grid(width=30, height=20, cols=15, rows=10)
    # some points outside the extent: their kernel still reaches into it
    points = rng.uniform([-6, -6], [36, 26], size=(12, 2))
    weights = rng.uniform(0.5, 2.0, size=12)
    ours = density(
        points, grid=grid, bandwidth=bandwidth, kernel=kernel, weights=weights, method="exact"
    )
    ref = double_loop_density(points, grid, bandwidth, kernel, weights)
    assert ref.max() > 0
    np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-12 * ref.max())


@pytest.mark.parametrize("kernel", ["gaussian", "epanechnikov", "uniform"])
def test_exact_handles_bandwidth_larger_than_the_grid(kernel: str) -> None:
    grid = Grid(width=12, height=8, cols=6, rows=4)
    points = np.array([[1.0, 1.0], [11.0, 7.0], [40.0, -30.0]])
    ours = density(points, grid=grid, bandwidth=25.0, kernel=kernel, method="exact")
    ref = double_loop_density(points, grid, (25.0, 25.0), kernel)
    np.testing.assert_allclose(ours, ref, rtol=1e-9)


def test_exact_is_chunked_consistently() -> None:
    # more points than one chunk holds for this window: the sums must still add up
    rng = np.random.default_rng(8)
    grid = Grid(width=64, height=64, cols=64, rows=64)
    points = rng.uniform(0, 64, size=(6_000, 2))
    whole = density(points, grid=grid, bandwidth=12.0, kernel="biweight", method="exact")
    halves = (
        density(points[:3_000], grid=grid, bandwidth=12.0, kernel="biweight", method="exact")
        + density(points[3_000:], grid=grid, bandwidth=12.0, kernel="biweight", method="exact")
    ) / 2
    np.testing.assert_allclose(whole, halves, rtol=1e-9)
