"""Exact kernel sums at the cell centres, in bounded memory.

:func:`exact_sum` returns :math:`S(c) = \\sum_i w_i K_b(c - p_i)` at every cell centre
:math:`c`, with no binning and no truncation of the Gaussian. Two strategies:

- Gaussian: the kernel factorises, :math:`K_b(d) = g_{b_x}(d_x)\\, g_{b_y}(d_y)`, so
  :math:`S = A^\\top B` with :math:`A_{ir} = w_i g_{b_y}(y_r - p_{iy})` and
  :math:`B_{ic} = g_{b_x}(x_c - p_{ix})`, one matrix product per chunk of points:
  :math:`O(n(\\text{rows} + \\text{cols}))` exponentials and :math:`O(n \\cdot \\text{rows}
  \\cdot \\text{cols})` multiply-adds done by BLAS.
- Compact kernels: each point touches only the window of cells inside its support,
  :math:`m_y \\times m_x` with :math:`m \\approx 2 a b / \\Delta`, so the work is
  :math:`O(n\\, m_x m_y)` and cells outside every support are never visited.

Points are processed in chunks so temporary arrays stay under about
``_CHUNK_ELEMENTS`` floats whatever ``n``.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from gazemap.kde.grid import Grid
from gazemap.kde.kernels import Kernel

__all__ = ["exact_sum", "window_shape"]

_CHUNK_ELEMENTS = 1 << 21


def window_shape(grid: Grid, kernel: Kernel, bandwidth: tuple[float, float]) -> tuple[int, int]:
    """Cells ``(m_y, m_x)`` a compact kernel's support can cover, capped at the grid."""
    bx, by = bandwidth
    mx = math.floor(2.0 * kernel.support * bx / grid.cell_width) + 2
    my = math.floor(2.0 * kernel.support * by / grid.cell_height) + 2
    return min(my, grid.rows), min(mx, grid.cols)


def _gaussian_sum(
    points: NDArray[np.float64],
    weights: NDArray[np.float64],
    grid: Grid,
    bandwidth: tuple[float, float],
) -> NDArray[np.float64]:
    bx, by = bandwidth
    xs, ys = grid.x_centres, grid.y_centres
    out = np.zeros(grid.shape)
    chunk = max(1, _CHUNK_ELEMENTS // (grid.rows + grid.cols))
    norm = 1.0 / (2.0 * math.pi * bx * by)
    for start in range(0, points.shape[0], chunk):
        p = points[start : start + chunk]
        gx = np.exp(-0.5 * np.square((xs[None, :] - p[:, :1]) / bx))
        gy = np.exp(-0.5 * np.square((ys[None, :] - p[:, 1:]) / by))
        gy *= weights[start : start + chunk, None]
        out += gy.T @ gx
    out *= norm
    return out


def _compact_sum(
    points: NDArray[np.float64],
    weights: NDArray[np.float64],
    grid: Grid,
    kernel: Kernel,
    bandwidth: tuple[float, float],
) -> NDArray[np.float64]:
    bx, by = bandwidth
    cw, ch = grid.cell_width, grid.cell_height
    rows, cols = grid.shape
    my, mx = window_shape(grid, kernel, bandwidth)
    reach_x, reach_y = kernel.support * bx, kernel.support * by
    near = (
        (points[:, 0] > -reach_x)
        & (points[:, 0] < grid.width + reach_x)
        & (points[:, 1] > -reach_y)
        & (points[:, 1] < grid.height + reach_y)
    )
    if not near.all():
        points, weights = points[near], weights[near]
    offs_x = np.arange(mx)
    offs_y = np.arange(my)
    total = np.zeros(grid.n_cells)
    chunk = max(1, _CHUNK_ELEMENTS // (mx * my))
    norm = 1.0 / (bx * by)
    for start in range(0, points.shape[0], chunk):
        p = points[start : start + chunk]
        w = weights[start : start + chunk]
        # first cell whose centre can lie inside the support, kept so the window stays
        # inside the grid (the kernel is zero on the extra cells this may include)
        j0 = np.clip(np.ceil((p[:, 0] - reach_x) / cw - 0.5), 0, cols - mx).astype(np.intp)
        i0 = np.clip(np.ceil((p[:, 1] - reach_y) / ch - 0.5), 0, rows - my).astype(np.intp)
        jj = j0[:, None] + offs_x[None, :]
        ii = i0[:, None] + offs_y[None, :]
        qx = np.square(((jj + 0.5) * cw - p[:, :1]) / bx)
        qy = np.square(((ii + 0.5) * ch - p[:, 1:]) / by)
        values = kernel.evaluate(qy[:, :, None] + qx[:, None, :])
        values *= w[:, None, None]
        flat = ii[:, :, None] * cols + jj[:, None, :]
        total += np.bincount(flat.ravel(), weights=values.ravel(), minlength=grid.n_cells)
    total *= norm
    return total.reshape(grid.shape)


def exact_sum(
    points: NDArray[np.float64],
    weights: NDArray[np.float64],
    grid: Grid,
    kernel: Kernel,
    bandwidth: tuple[float, float],
) -> NDArray[np.float64]:
    """:math:`\\sum_i w_i K_b(c - p_i)` at every cell centre ``c`` of ``grid``.

    Parameters
    ----------
    points:
        Validated ``(n, 2)`` float64 points in px.
    weights:
        ``(n,)`` float64 weights, used as given (not normalised here).
    grid:
        Evaluation grid.
    kernel:
        Kernel from :data:`gazemap.kde.KERNELS`.
    bandwidth:
        ``(bx, by)`` in px.

    Returns
    -------
    numpy.ndarray
        ``(rows, cols)`` float64.
    """
    if points.shape[0] == 0:
        return np.zeros(grid.shape)
    if not math.isfinite(kernel.support):
        return _gaussian_sum(points, weights, grid, bandwidth)
    return _compact_sum(points, weights, grid, kernel, bandwidth)
