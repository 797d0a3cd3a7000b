"""Hypothesis strategies for the KDE tests: small grids, point clouds and weights."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gazemap.kde import Grid

SMOOTH_KERNELS = ("gaussian", "epanechnikov", "biweight", "triweight", "triangular")


@st.composite
def grids(draw: st.DrawFn) -> Grid:
    """Grids of 4–24 cells per axis with square cells of 1–5 px."""
    cols = draw(st.integers(4, 24))
    rows = draw(st.integers(4, 24))
    cell = draw(st.sampled_from([1.0, 2.0, 2.5, 5.0]))
    return Grid(width=cols * cell, height=rows * cell, cols=cols, rows=rows)


@st.composite
def clouds(draw: st.DrawFn, grid: Grid, *, min_size: int = 1, max_size: int = 30) -> np.ndarray:
    """``(n, 2)`` points inside ``grid``'s extent (a margin of one cell kept free)."""
    n = draw(st.integers(min_size, max_size))
    xs = draw(
        hnp.arrays(
            np.float64,
            n,
            elements=st.floats(grid.cell_width, grid.width - grid.cell_width, allow_nan=False),
        )
    )
    ys = draw(
        hnp.arrays(
            np.float64,
            n,
            elements=st.floats(grid.cell_height, grid.height - grid.cell_height, allow_nan=False),
        )
    )
    return np.column_stack([xs, ys])


def weights_for(n: int) -> st.SearchStrategy[np.ndarray]:
    """``(n,)`` weights in [0.1, 10]."""
    return hnp.arrays(np.float64, n, elements=st.floats(0.1, 10.0, allow_nan=False))
