"""Grids, levels of detail and their validation."""

from __future__ import annotations

import numpy as np
import pytest

from gazemap.errors import InvalidGridError
from gazemap.kde import DEFAULT_MAX_CELLS, Grid


def test_grid_geometry() -> None:
    g = Grid(width=1920, height=1080, cols=480, rows=270)
    assert g.shape == (270, 480)
    assert (g.cell_width, g.cell_height, g.cell_area) == (4.0, 4.0, 16.0)
    np.testing.assert_allclose(g.x_centres[[0, -1]], [2.0, 1918.0])
    np.testing.assert_allclose(g.y_centres[[0, -1]], [2.0, 1078.0])
    assert g.n_cells == 270 * 480


@pytest.mark.parametrize(
    ("level", "shape"), [(0, (1080, 1920)), (1, (540, 960)), (2, (270, 480)), (5, (34, 60))]
)
def test_levels_of_detail_round_up(level: int, shape: tuple[int, int]) -> None:
    g = Grid.for_stimulus(1920, 1080, level=level)
    assert g.shape == shape
    assert (g.width, g.height) == (1920, 1080)


def test_level_of_detail_keeps_the_extent_for_odd_sizes() -> None:
    g = Grid.for_stimulus(801, 601, level=3)
    assert g.shape == (76, 101)
    assert g.cell_width == pytest.approx(801 / 101)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"width": 0, "height": 10, "cols": 1, "rows": 1},
            "width must be a positive number of px, got 0",
        ),
        ({"width": 10, "height": float("nan"), "cols": 1, "rows": 1}, "height must be"),
        ({"width": 10, "height": 10, "cols": 0, "rows": 1}, "cols must be an integer >= 1, got 0"),
        (
            {"width": 10, "height": 10, "cols": 1, "rows": 2.5},
            "rows must be an integer >= 1, got 2.5",
        ),
    ],
)
def test_bad_grids_are_refused_with_the_argument_named(kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidGridError, match=message):
        Grid(**kwargs)


def test_cell_limit_is_configurable() -> None:
    assert DEFAULT_MAX_CELLS == 16_000_000
    with pytest.raises(
        InvalidGridError, match=r"4001 × 4001 = 16008001 cells, more than max_cells=16000000"
    ):
        Grid(width=4001, height=4001, cols=4001, rows=4001)
    big = Grid(width=4001, height=4001, cols=4001, rows=4001, max_cells=20_000_000)
    with pytest.raises(InvalidGridError, match="max_cells=100"):
        big.validate(max_cells=100)
    with pytest.raises(InvalidGridError, match="max_cells=100"):
        Grid.for_stimulus(200, 200, level=0, max_cells=100)


def test_bad_level_is_refused() -> None:
    with pytest.raises(InvalidGridError, match="level must be an integer >= 0, got -1"):
        Grid.for_stimulus(100, 100, level=-1)
