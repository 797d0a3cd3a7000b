"""The public contract of gazemap.kde.density: inputs, errors, edge cases, auto, cost."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from gazemap.errors import (
    InvalidBandwidthError,
    InvalidGridError,
    InvalidInputError,
    InvalidPointsError,
    InvalidWeightsError,
    UnknownKernelError,
)
from gazemap.kde import Grid, auto_method, density, estimate_cost

GRID = Grid(width=40, height=30, cols=20, rows=15)
PTS = np.array([[10.0, 10.0], [20.0, 15.0], [30.0, 20.0]])


def test_result_is_float64_rows_by_cols_with_row_zero_at_the_top() -> None:
    d = density([[5.0, 2.9]], grid=GRID, bandwidth=3.0, method="exact")
    assert d.dtype == np.float64
    assert d.shape == (15, 20)
    # a point near the top-left corner puts its peak in the first row and column cells
    assert np.unravel_index(np.argmax(d), d.shape) == (1, 2)


@pytest.mark.parametrize("method", ["exact", "fft", "auto"])
def test_zero_points_give_an_all_zero_grid(method: str) -> None:
    for empty in (np.empty((0, 2)), []):
        d = density(empty, grid=GRID, bandwidth=3.0, method=method)
        assert d.shape == GRID.shape
        assert not d.any()
    assert not density(np.empty((0, 2)), grid=GRID, bandwidth="scott").any()


@pytest.mark.parametrize("method", ["exact", "fft"])
def test_all_zero_weights_give_an_all_zero_grid(method: str) -> None:
    d = density(PTS, grid=GRID, bandwidth=3.0, weights=np.zeros(3), method=method)
    assert not d.any()


def test_zero_weight_points_are_ignored() -> None:
    with_extra = density(
        np.vstack([PTS, [[1.0, 1.0]]]),
        grid=GRID,
        bandwidth=3.0,
        weights=[1, 1, 1, 0],
        method="exact",
    )
    np.testing.assert_allclose(
        with_extra, density(PTS, grid=GRID, bandwidth=3.0, method="exact"), rtol=1e-12
    )


def test_mass_outside_the_extent_is_not_renormalised() -> None:
    d = density([[0.0, 0.0]], grid=GRID, bandwidth=4.0, method="exact")
    assert d.sum() * GRID.cell_area == pytest.approx(0.25, abs=0.02)


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ([[1.0, np.nan]], r"points must be finite; points\[0\] is \(1.0, nan\)"),
        ([[1.0, 2.0], [np.inf, 0.0]], r"points\[1\] is \(inf, 0.0\)"),
        ([1.0, 2.0, 3.0], r"\(n, 2\) array .* got shape \(3,\)"),
        ([[1.0, 2.0, 3.0]], r"got shape \(1, 3\)"),
        ([["a", "b"]], "could not convert"),
    ],
)
def test_bad_points_are_named(points: object, message: str) -> None:
    with pytest.raises(InvalidPointsError, match=message) as info:
        density(points, grid=GRID, bandwidth=3.0)
    assert info.value.field == "points"
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ([1.0, -2.0, 1.0], r"weights must be finite and >= 0; weights\[1\] is -2.0"),
        ([1.0, np.nan, 1.0], r"weights\[1\] is nan"),
        ([1.0, 1.0], r"shape \(3,\) to match the points; got shape \(2,\)"),
    ],
)
def test_bad_weights_are_named(weights: object, message: str) -> None:
    with pytest.raises(InvalidWeightsError, match=message):
        density(PTS, grid=GRID, bandwidth=3.0, weights=weights)


@pytest.mark.parametrize(
    ("bandwidth", "message"),
    [
        (-3, "bandwidth must be > 0, got -3"),
        (0.0, "bandwidth must be > 0, got 0.0"),
        (float("nan"), "bandwidth must be > 0, got nan"),
        ((2.0, -1.0), "bandwidth y must be > 0, got -1.0"),
        ((1.0, 2.0, 3.0), r"number, an \(bx, by\) pair or a rule"),
        ("normal", "bandwidth rule must be one of scott, silverman; got 'normal'"),
        (True, "bandwidth must be a number of px > 0, got True"),
    ],
)
def test_bad_bandwidths_are_named(bandwidth: object, message: str) -> None:
    with pytest.raises(InvalidBandwidthError, match=message):
        density(PTS, grid=GRID, bandwidth=bandwidth)  # type: ignore[arg-type]


def test_unknown_kernel_and_method_are_named() -> None:
    with pytest.raises(UnknownKernelError, match="got 'cosine'"):
        density(PTS, grid=GRID, bandwidth=3.0, kernel="cosine")
    with pytest.raises(
        InvalidInputError, match="method must be one of exact, fft, auto; got 'magic'"
    ):
        density(PTS, grid=GRID, bandwidth=3.0, method="magic")


def test_grid_over_the_cell_limit_is_refused() -> None:
    with pytest.raises(InvalidGridError, match="300 cells, more than max_cells=299"):
        density(PTS, grid=GRID, bandwidth=3.0, max_cells=299)
    with pytest.raises(InvalidGridError, match=r"grid must be a gazemap\.kde\.Grid, got tuple"):
        density(PTS, grid=(20, 15), bandwidth=3.0)  # type: ignore[arg-type]
    with pytest.raises(InvalidGridError, match="max_cells must be an integer >= 1, got 0"):
        density(PTS, grid=GRID, bandwidth=3.0, max_cells=0)


def test_auto_picks_exact_for_few_points_and_fft_for_many() -> None:
    big = Grid(width=800, height=600, cols=400, rows=300)
    assert estimate_cost(5, big, 20.0, method="auto") == estimate_cost(5, big, 20.0, method="exact")
    assert estimate_cost(10**6, big, 20.0, method="auto") == estimate_cost(
        10**6, big, 20.0, method="fft"
    )
    assert auto_method(5, big, 20.0) == "exact"
    assert auto_method(10**6, big, 20.0, kernel="biweight") == "fft"
    rng = np.random.default_rng(3)
    pts = rng.uniform(0, 600, (20_000, 2))
    auto = density(pts, grid=big, bandwidth=20.0, method="auto")
    np.testing.assert_array_equal(auto, density(pts, grid=big, bandwidth=20.0, method="fft"))


def test_estimate_cost_grows_with_work_and_validates() -> None:
    g = Grid(width=800, height=600, cols=200, rows=150)
    assert estimate_cost(10**6, g, 20.0, method="fft") > estimate_cost(10**3, g, 20.0, method="fft")
    assert estimate_cost(100, g, 40.0, kernel="biweight", method="exact") > estimate_cost(
        100, g, 10.0, kernel="biweight", method="exact"
    )
    with pytest.raises(InvalidInputError, match="resolve the rule 'scott'"):
        estimate_cost(10, g, "scott")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="resolve the rule 'silverman'"):
        auto_method(10, g, "silverman")  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="n_points must be an integer >= 0, got -1"):
        estimate_cost(-1, g, 3.0)


def test_importing_kde_loads_no_web_or_database_stack() -> None:
    code = (
        "import sys, gazemap.kde\n"
        "heavy = [m for m in ('fastapi', 'sqlalchemy', 'pydantic', 'starlette') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
