"""Hypothesis properties of the estimator."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gazemap.kde import Grid, density
from tests.kde.strategies import SMOOTH_KERNELS, clouds, grids, weights_for

METHODS = st.sampled_from(["exact", "fft"])
KERNEL_NAMES = st.sampled_from((*SMOOTH_KERNELS, "uniform"))
FAST = settings(max_examples=30, deadline=None)


def _tolerances(method: str, scale: float) -> dict[str, float]:
    # exact is exact up to rounding; fft works in float32, so its noise floor is about
    # 1e-7 of the peak whatever the cell
    if method == "exact":
        return {"rtol": 1e-9, "atol": 1e-12 * scale}
    return {"rtol": 1e-5, "atol": 1e-6 * scale}


@FAST
@given(data=st.data(), kernel=KERNEL_NAMES, method=METHODS)
def test_density_is_non_negative_and_finite(data: st.DataObject, kernel: str, method: str) -> None:
    grid = data.draw(grids())
    points = data.draw(clouds(grid))
    bw = data.draw(st.floats(0.5, 3.0)) * grid.cell_width
    d = density(points, grid=grid, bandwidth=bw, kernel=kernel, method=method)
    assert d.shape == grid.shape
    assert np.all(np.isfinite(d))
    assert np.all(d >= 0)


@FAST
@given(
    x=st.floats(60, 140),
    y=st.floats(60, 140),
    kernel=KERNEL_NAMES,
    method=METHODS,
    cells=st.floats(2.0, 6.0),
)
def test_integrates_to_one_when_the_grid_covers_the_mass(
    x: float, y: float, kernel: str, method: str, cells: float
) -> None:
    grid = Grid(width=200, height=200, cols=100, rows=100)
    if kernel == "uniform":
        # the sum over cells counts lattice points in a disc: its error shrinks only
        # like R^(-4/3), so give the disc room
        cells += 4.0
    d = density([[x, y]], grid=grid, bandwidth=cells * 2.0, kernel=kernel, method=method)
    # a Riemann sum of a kernel sampled at >= 2 samples per bandwidth
    tolerance = 0.05 if kernel == "uniform" else 0.01
    assert abs(d.sum() * grid.cell_area - 1.0) < tolerance


@FAST
@given(data=st.data(), kernel=KERNEL_NAMES, method=METHODS)
def test_translation_by_whole_cells_shifts_the_map(
    data: st.DataObject, kernel: str, method: str
) -> None:
    grid = Grid(width=40, height=30, cols=40, rows=30)
    points = data.draw(clouds(Grid(width=20, height=15, cols=20, rows=15), max_size=10))
    dx, dy = data.draw(st.integers(0, 10)), data.draw(st.integers(0, 8))
    bw = 2.5
    base = density(points + [5.0, 5.0], grid=grid, bandwidth=bw, kernel=kernel, method=method)
    moved = density(
        points + [5.0 + dx, 5.0 + dy], grid=grid, bandwidth=bw, kernel=kernel, method=method
    )
    # compare where neither map is cut by the grid's edge
    np.testing.assert_allclose(
        moved[dy + 5 : 25, dx + 5 : 30],
        base[5 : 25 - dy, 5 : 30 - dx],
        **_tolerances(method, base.max()),
    )


@FAST
@given(data=st.data(), kernel=KERNEL_NAMES, method=METHODS)
def test_unit_weights_permutation_and_scaling_change_nothing(
    data: st.DataObject, kernel: str, method: str
) -> None:
    grid = data.draw(grids())
    points = data.draw(clouds(grid, min_size=2))
    weights = data.draw(weights_for(len(points)))
    bw = 2.0 * grid.cell_width
    plain = density(points, grid=grid, bandwidth=bw, kernel=kernel, method=method)
    ones = density(
        points, grid=grid, bandwidth=bw, kernel=kernel, method=method, weights=np.ones(len(points))
    )
    np.testing.assert_allclose(ones, plain, **_tolerances(method, plain.max()))
    weighted = density(
        points, grid=grid, bandwidth=bw, kernel=kernel, method=method, weights=weights
    )
    order = data.draw(st.permutations(range(len(points))))
    permuted = density(
        points[order], grid=grid, bandwidth=bw, kernel=kernel, method=method, weights=weights[order]
    )
    np.testing.assert_allclose(permuted, weighted, **_tolerances(method, weighted.max()))
    factor = data.draw(st.sampled_from([1e-3, 7.0, 1e4]))
    scaled = density(
        points, grid=grid, bandwidth=bw, kernel=kernel, method=method, weights=weights * factor
    )
    np.testing.assert_allclose(scaled, weighted, **_tolerances(method, weighted.max()))
