"""gazemap against independent implementations: KDEpy's FFTKDE and scipy's gaussian_kde.

KDEpy is a test-and-benchmark reference only; nothing under src/ imports it.
"""

from __future__ import annotations

import numpy as np
import pytest
from KDEpy import FFTKDE
from scipy.stats import gaussian_kde

from gazemap.kde import Grid, density, resolve_bandwidth
from tests.kde.reference import relative_l2

GRID = Grid(width=100, height=80, cols=50, rows=40)


def _kdepy_on_grid(points: np.ndarray, bw: float, weights: np.ndarray | None = None) -> np.ndarray:
    xs, ys = np.meshgrid(GRID.x_centres, GRID.y_centres, indexing="ij")
    # KDEpy wants the grid sorted by x, then y
    values = (
        FFTKDE(kernel="gaussian", bw=bw)
        .fit(points, weights=weights)
        .evaluate(np.column_stack([xs.ravel(), ys.ravel()]))
    )
    return np.asarray(values).reshape(GRID.cols, GRID.rows).T


@pytest.mark.parametrize("cells", [2.0, 5.0])
def test_gaussian_agrees_with_kdepy(cells: float) -> None:
    rng = np.random.default_rng(21)
    points = rng.normal([50, 40], [10, 8], (500, 2))
    weights = rng.uniform(0.5, 2.0, 500)
    bw = cells * GRID.cell_width
    ours_exact = density(points, grid=GRID, bandwidth=bw, weights=weights, method="exact")
    ours_fft = density(points, grid=GRID, bandwidth=bw, weights=weights, method="fft")
    kdepy = _kdepy_on_grid(points, bw, weights)
    # KDEpy bins linearly on the evaluation grid: within its own binning error of exact
    assert relative_l2(kdepy, ours_exact) < 1e-2
    # and our FFT, refined where needed, is at least as close to the exact sum
    assert relative_l2(ours_fft, ours_exact) <= relative_l2(kdepy, ours_exact)


def test_gaussian_exact_equals_scipy_gaussian_kde() -> None:
    rng = np.random.default_rng(22)
    base = rng.normal([0, 0], [9, 6], (40, 2))
    # reflections make the sample covariance diagonal, so scipy's kernel is axis-aligned
    points = np.vstack([base, base * [-1, 1], base * [1, -1], -base]) + [50, 40]
    weights = np.tile(rng.uniform(0.5, 2.0, 40), 4)
    kde = gaussian_kde(points.T, bw_method="scott", weights=weights)
    xs, ys = np.meshgrid(GRID.x_centres, GRID.y_centres)
    expected = kde(np.vstack([xs.ravel(), ys.ravel()])).reshape(GRID.shape)
    ours = density(points, grid=GRID, bandwidth="scott", weights=weights, method="exact")
    assert resolve_bandwidth(points, "scott", weights=weights) == pytest.approx(
        tuple(np.sqrt(np.diag(kde.covariance))), rel=1e-9
    )
    np.testing.assert_allclose(ours, expected, rtol=1e-7, atol=1e-12 * expected.max())
