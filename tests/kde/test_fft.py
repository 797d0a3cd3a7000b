"""The FFT estimator against the exact one (estimator vs estimator)."""

from __future__ import annotations

import numpy as np
import pytest

from gazemap.kde import Grid, density, estimate_cost
from gazemap.kde.fft import REFINED_CELL_LIMIT, plan
from gazemap.kde.kernels import KERNELS
from tests.kde.reference import CANONICAL, relative_l2

SMOOTH = tuple(k for k in CANONICAL if k != "uniform")


def _both(points, grid, bandwidth, kernel, weights=None):
    exact = density(
        points, grid=grid, bandwidth=bandwidth, kernel=kernel, weights=weights, method="exact"
    )
    fft = density(
        points, grid=grid, bandwidth=bandwidth, kernel=kernel, weights=weights, method="fft"
    )
    return exact, fft


def _clustered(rng: np.random.Generator, grid: Grid, n: int) -> np.ndarray:
    centres = rng.uniform(
        [0.2 * grid.width, 0.2 * grid.height], [0.8 * grid.width, 0.8 * grid.height], (4, 2)
    )
    picks = centres[rng.integers(0, 4, n)]
    return picks + rng.normal(0, 0.08 * min(grid.width, grid.height), (n, 2))


@pytest.mark.parametrize("kernel", SMOOTH)
@pytest.mark.parametrize("cells", [2.0, 2.5, 3.0, 5.0, 9.0])
def test_fft_within_one_percent_of_exact_from_two_cells(kernel: str, cells: float) -> None:
    rng = np.random.default_rng(11)
    grid = Grid(width=240, height=180, cols=60, rows=45)
    points = _clustered(rng, grid, 300)
    exact, fft = _both(points, grid, cells * grid.cell_width, kernel)
    assert relative_l2(fft, exact) < 1e-2


@pytest.mark.parametrize("kernel", SMOOTH)
@pytest.mark.parametrize("cells", [2.0, 2.3, 3.7])
def test_fft_within_one_percent_for_a_single_point(kernel: str, cells: float) -> None:
    # the hardest case for binning: no averaging over many points
    grid = Grid(width=40, height=40, cols=40, rows=40)
    for point in ([20.3, 19.7], [20.5, 20.5], [19.81, 20.27]):
        exact, fft = _both(np.array([point]), grid, cells, kernel)
        assert relative_l2(fft, exact) < 1e-2, point


@pytest.mark.parametrize("cells", [4.0, 5.0, 8.0])
def test_uniform_fft_within_five_percent_from_four_cells(cells: float) -> None:
    rng = np.random.default_rng(12)
    grid = Grid(width=240, height=180, cols=60, rows=45)
    points = _clustered(rng, grid, 300)
    exact, fft = _both(points, grid, cells * grid.cell_width, "uniform")
    assert relative_l2(fft, exact) < 5e-2


@pytest.mark.parametrize("kernel", CANONICAL)
def test_fft_anisotropic_bandwidth_and_cells(kernel: str) -> None:
    rng = np.random.default_rng(13)
    # non-square cells (3 × 4 px) and a bandwidth of (2.2, 4.5) cells
    grid = Grid(width=150, height=120, cols=50, rows=30)
    points = _clustered(rng, grid, 400)
    weights = rng.uniform(0.1, 3.0, 400)
    exact, fft = _both(points, grid, (6.6, 18.0), kernel, weights)
    limit = 5e-2 if kernel == "uniform" else 1e-2
    assert relative_l2(fft, exact) < limit


@pytest.mark.parametrize("kernel", ["gaussian", "biweight", "uniform"])
def test_fft_counts_points_outside_the_extent(kernel: str) -> None:
    rng = np.random.default_rng(14)
    grid = Grid(width=100, height=80, cols=50, rows=40)
    points = rng.uniform([-30, -30], [130, 110], (500, 2))
    exact, fft = _both(points, grid, 10.0, kernel)
    assert relative_l2(fft, exact) < (5e-2 if kernel == "uniform" else 1e-2)


@pytest.mark.parametrize("kernel", ["gaussian", "epanechnikov"])
def test_fft_with_bandwidth_far_larger_than_the_grid(kernel: str) -> None:
    # the padding zone is capped; points beyond the cap but within reach are summed exactly
    rng = np.random.default_rng(15)
    grid = Grid(width=64, height=48, cols=32, rows=24)
    points = np.vstack([rng.uniform(0, 48, (50, 2)), rng.uniform(-900, 900, (50, 2))])
    exact, fft = _both(points, grid, 300.0, kernel)
    assert relative_l2(fft, exact) < 1e-2


def test_fft_when_every_point_is_beyond_the_right_edge() -> None:
    grid = Grid(width=50, height=50, cols=25, rows=25)
    points = np.array([[70.0, 25.0], [75.0, 30.0]])
    exact, fft = _both(points, grid, 12.0, "gaussian")
    assert relative_l2(fft, exact) < 1e-2


def test_fft_refines_small_bandwidths_only() -> None:
    grid = Grid(width=400, height=300, cols=100, rows=75)
    gaussian = KERNELS["gaussian"]
    assert not plan(grid, gaussian, (40.0, 40.0)).refined
    small = plan(grid, gaussian, (8.0, 40.0))  # 2 cells along x
    assert small.x.refine == 2
    assert small.y.refine == 1


def test_fft_below_two_cells_still_close_thanks_to_refinement() -> None:
    rng = np.random.default_rng(16)
    grid = Grid(width=60, height=60, cols=30, rows=30)
    points = _clustered(rng, grid, 100)
    exact, fft = _both(points, grid, 1.5, "gaussian")  # 0.75 cells
    assert relative_l2(fft, exact) < 1e-2


def test_refinement_is_capped_and_auto_then_prefers_exact() -> None:
    grid = Grid(width=4000, height=4000, cols=4000, rows=4000)
    layout = plan(grid, KERNELS["gaussian"], (1.0, 1.0))
    assert layout.x.refine * layout.y.refine * grid.n_cells <= REFINED_CELL_LIMIT
    exact = estimate_cost(1000, grid, 1.0, method="exact")
    fft = estimate_cost(1000, grid, 1.0, method="fft")
    # the FFT would be cheaper but cannot be refined enough to be accurate at 1 cell
    assert fft < exact
    assert estimate_cost(1000, grid, 1.0, method="auto") == exact


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_uniform_fft_within_five_percent_for_fifty_spread_points(seed: int) -> None:
    rng = np.random.default_rng(seed)
    grid = Grid(width=240, height=180, cols=60, rows=45)
    points = rng.uniform([20, 20], [220, 160], (50, 2))
    exact, fft = _both(points, grid, 16.0, "uniform")  # four cells
    assert relative_l2(fft, exact) < 5e-2
