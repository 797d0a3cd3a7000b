"""The public estimator :func:`density`, its cost model :func:`estimate_cost`, and the
``auto`` rule that picks between the exact sum and the FFT from that cost."""

from __future__ import annotations

import math

import numpy as np
import scipy.fft as sfft
from numpy.typing import ArrayLike, NDArray

from gazemap.errors import InvalidGridError, InvalidInputError
from gazemap.kde.bandwidth import BandwidthLike, numeric_bandwidth, rule_bandwidth
from gazemap.kde.exact import exact_sum, window_shape
from gazemap.kde.fft import fft_sum, plan
from gazemap.kde.grid import DEFAULT_MAX_CELLS, Grid
from gazemap.kde.inputs import Method, check_method, check_points, check_weights, is_integer
from gazemap.kde.kernels import Kernel, get_kernel

__all__ = ["auto_method", "density", "estimate_cost"]

# Work units are calibrated so that one unit is about one nanosecond on the reference
# machine (2 cores, numpy 2.4, scipy 1.17, one FFT worker); bench/kde.py re-measures them.
_EXP_PER_VALUE = 6.0  # one Gaussian factor in the exact product form
_GEMM_PER_TERM = 0.12  # one point × cell multiply-add inside BLAS
_COMPACT_PER_TERM = 22.0  # one point × cell of a compact kernel's window
_BIN_PER_POINT = 20.0  # linear binning, four scatters
_FFT_PER_NODE_LOG = 0.4  # rfft2 + irfft2 round trip, per node × log2(nodes)
_NODE_PASS = 3.0  # multiply, read-out and clipping passes, per node
_AUTO_EXACT_FACTOR = 100.0  # exact may cost this much more when the FFT cannot refine enough


def _check_grid(grid: object, max_cells: int) -> Grid:
    if not isinstance(grid, Grid):
        raise InvalidGridError(
            f"grid must be a gazemap.kde.Grid, got {type(grid).__name__}", field="grid"
        )
    if not is_integer(max_cells) or max_cells < 1:
        raise InvalidGridError(
            f"max_cells must be an integer >= 1, got {max_cells!r}", field="max_cells"
        )
    grid.validate(max_cells=int(max_cells))
    return grid


def _fft_nodes(grid: Grid, kernel: Kernel, bandwidth: tuple[float, float]) -> tuple[int, bool]:
    layout = plan(grid, kernel, bandwidth)
    sizes = []
    for axis in (layout.x, layout.y):
        # typical case: every point inside the extent, padding by the reach on one side
        off = min(axis.reach, axis.inner + 1)
        sizes.append(int(sfft.next_fast_len(axis.inner + off + 2, real=True)))
    target_x = kernel.refine_below * grid.cell_width
    target_y = kernel.refine_below * grid.cell_height
    degraded = (
        bandwidth[0] * layout.x.refine < target_x or bandwidth[1] * layout.y.refine < target_y
    )
    return sizes[0] * sizes[1], degraded


def _costs(
    n_points: int, grid: Grid, kernel: Kernel, bandwidth: tuple[float, float]
) -> tuple[float, float, bool]:
    if math.isfinite(kernel.support):
        my, mx = window_shape(grid, kernel, bandwidth)
        exact = n_points * my * mx * _COMPACT_PER_TERM
    else:
        exact = n_points * (
            (grid.rows + grid.cols) * _EXP_PER_VALUE + grid.n_cells * _GEMM_PER_TERM
        )
    nodes, degraded = _fft_nodes(grid, kernel, bandwidth)
    fft = (
        n_points * _BIN_PER_POINT
        + nodes * math.log2(max(nodes, 2)) * _FFT_PER_NODE_LOG
        + nodes * _NODE_PASS
    )
    return float(exact), float(fft), degraded


def _pick(exact: float, fft: float, degraded: bool) -> Method:
    if exact <= fft or (degraded and exact <= _AUTO_EXACT_FACTOR * fft):
        return "exact"
    return "fft"


def _numeric_for_cost(bandwidth: object) -> tuple[float, float]:
    pair = numeric_bandwidth(bandwidth)
    if pair is None:
        raise InvalidInputError(
            f"a bandwidth in px is needed here; resolve the rule {bandwidth!r} with "
            "resolve_bandwidth first",
            field="bandwidth",
        )
    return pair


def _checked_cost_inputs(n_points: int, grid: object) -> Grid:
    if not is_integer(n_points) or n_points < 0:
        raise InvalidInputError(
            f"n_points must be an integer >= 0, got {n_points!r}", field="n_points"
        )
    if not isinstance(grid, Grid):
        raise InvalidGridError(
            f"grid must be a gazemap.kde.Grid, got {type(grid).__name__}", field="grid"
        )
    return grid


def auto_method(
    n_points: int,
    grid: Grid,
    bandwidth: float | tuple[float, float],
    *,
    kernel: str = "gaussian",
) -> Method:
    """The method ``density(..., method="auto")`` runs for this problem.

    Parameters
    ----------
    n_points, grid, bandwidth, kernel:
        As for :func:`estimate_cost`.

    Returns
    -------
    str
        ``"exact"`` or ``"fft"``.

    Examples
    --------
    >>> g = Grid(width=800, height=600, cols=200, rows=150)
    >>> auto_method(3, g, 20.0), auto_method(10**6, g, 20.0)
    ('exact', 'fft')
    """
    checked = _checked_cost_inputs(n_points, grid)
    return _pick(*_costs(int(n_points), checked, get_kernel(kernel), _numeric_for_cost(bandwidth)))


def estimate_cost(
    n_points: int,
    grid: Grid,
    bandwidth: float | tuple[float, float],
    *,
    kernel: str = "gaussian",
    method: str = "auto",
) -> float:
    """Predicted work of :func:`density`, in units of about a nanosecond on the reference machine.

    Parameters
    ----------
    n_points:
        Number of points.
    grid:
        Evaluation grid.
    bandwidth:
        A number of px or an ``(bx, by)`` pair (resolve a rule with
        :func:`gazemap.kde.resolve_bandwidth` first).
    kernel:
        Kernel name.
    method:
        ``"exact"``, ``"fft"``, or ``"auto"`` (the cost of what ``auto`` would run).

    Returns
    -------
    float
        Work units; compare with a threshold to decide when a request should run as a
        background job.

    Raises
    ------
    InvalidInputError
        For a negative ``n_points`` or a bad method, bandwidth or kernel.

    Notes
    -----
    - exact, Gaussian: :math:`n(\\text{rows}+\\text{cols}) c_e + n\\,\\text{rows}\\,\\text{cols}\\,c_g`.
    - exact, compact: :math:`n\\, m_x m_y c_k` with the support window :math:`m_x \\times m_y` cells.
    - fft: :math:`n c_b + N \\log_2 N \\, c_f + N c_p` with :math:`N` FFT lattice nodes.

    Examples
    --------
    >>> g = Grid(width=800, height=600, cols=200, rows=150)
    >>> estimate_cost(10, g, 20.0, method="exact") < estimate_cost(10**6, g, 20.0, method="exact")
    True
    """
    checked_grid = _checked_cost_inputs(n_points, grid)
    checked = check_method(method)
    pair = _numeric_for_cost(bandwidth)
    exact, fft, degraded = _costs(int(n_points), checked_grid, get_kernel(kernel), pair)
    if checked == "auto":
        checked = _pick(exact, fft, degraded)
    return exact if checked == "exact" else fft


def density(
    points: ArrayLike,
    *,
    grid: Grid,
    bandwidth: BandwidthLike,
    kernel: str = "gaussian",
    weights: ArrayLike | None = None,
    method: str = "auto",
    max_cells: int = DEFAULT_MAX_CELLS,
    workers: int | None = None,
) -> NDArray[np.float64]:
    """Kernel density estimate of gaze points at the cell centres of ``grid``.

    Parameters
    ----------
    points:
        ``(n, 2)`` array of ``(x, y)`` in px, origin top-left, y down. ``n = 0`` gives an
        all-zero grid.
    grid:
        Where to evaluate: cell centres ``((j + 0.5) width/cols, (i + 0.5) height/rows)``.
    bandwidth:
        Kernel standard deviation per axis in px: a number, an ``(bx, by)`` pair, or the
        rule ``"scott"`` / ``"silverman"`` (see :func:`gazemap.kde.resolve_bandwidth`).
    kernel:
        A name from :data:`gazemap.kde.KERNELS`.
    weights:
        ``(n,)`` non-negative weights (normalised here to sum 1), or ``None``. All-zero
        weights give an all-zero grid.
    method:
        ``"exact"`` (direct sum), ``"fft"`` (binning + FFT), or ``"auto"`` (cheaper of
        the two by :func:`estimate_cost`).
    max_cells:
        Refuse grids with more cells than this.
    workers:
        Threads for ``scipy.fft`` in the FFT method (``None``: one).

    Returns
    -------
    numpy.ndarray
        ``(rows, cols)`` float64 density in 1/px², row 0 at the top. Mass outside the
        extent is not renormalised, so ``d.sum() * grid.cell_area <= 1`` (up to the
        quadrature error of summing at centres).

    Raises
    ------
    InvalidPointsError, InvalidWeightsError, InvalidBandwidthError, InvalidGridError,
    UnknownKernelError, InvalidInputError
        For bad input; every message names the argument and the value.

    Notes
    -----
    .. math:: \\hat f(c) = \\sum_i \\tilde w_i \\, \\frac{1}{b_x b_y}
              K_1\\!\\left(\\frac{c_x - x_i}{b_x}, \\frac{c_y - y_i}{b_y}\\right),
              \\qquad \\tilde w_i = w_i / \\textstyle\\sum_k w_k,

    with :math:`K_1` the kernel scaled to unit covariance. ``exact`` is this sum;
    ``fft`` agrees with it within 1 % relative L2 for bandwidths of at least two cells
    (5 % from four cells for ``uniform``); docs/kde.md has the measured table.

    Examples
    --------
    >>> g = Grid(width=100, height=100, cols=50, rows=50)
    >>> d = density([[50.0, 50.0]], grid=g, bandwidth=8.0, method="exact")
    >>> round(float(d.sum() * g.cell_area), 4)
    1.0
    >>> f = density([[50.0, 50.0]], grid=g, bandwidth=8.0, method="fft")
    >>> bool(np.linalg.norm(f - d) / np.linalg.norm(d) < 0.01)
    True
    """
    grid = _check_grid(grid, max_cells)
    k = get_kernel(kernel)
    chosen = check_method(method)
    pair = numeric_bandwidth(bandwidth)
    pts = check_points(points)
    w = check_weights(weights, pts.shape[0])
    total = float(pts.shape[0]) if w is None else float(w.sum())
    if pts.shape[0] == 0 or total <= 0:
        return np.zeros(grid.shape)
    if pair is None:
        pair = rule_bandwidth(pts, w, "scott" if bandwidth == "scott" else "silverman")
    if chosen == "auto":
        chosen = _pick(*_costs(pts.shape[0], grid, k, pair))
    if chosen == "fft":
        return fft_sum(pts, w, grid, k, pair, scale=1.0 / total, workers=workers)
    result = exact_sum(pts, np.ones(pts.shape[0]) if w is None else w, grid, k, pair)
    result *= 1.0 / total
    return result
