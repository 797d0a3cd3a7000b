"""The FFT estimator: linear binning on a (possibly refined) lattice, then a zero-padded
FFT convolution evaluated exactly at the cell centres.

Per axis (x shown; y is the same), with cell width :math:`\\Delta_c`, bandwidth :math:`b`
and a refinement factor :math:`s \\ge 1`:

1. The lattice has step :math:`\\Delta = \\Delta_c / s` and is anchored on the first cell
   centre, so every cell centre is a lattice node (node :math:`m = j s` is centre
   :math:`j`) and no interpolation is needed afterwards. :math:`s > 1` only when the
   bandwidth is below ``kernel.refine_below`` lattice steps, where linear binning would
   cost more than the accuracy budget.
2. Points within reach of the grid (the kernel's support, or 4σ for the Gaussian) are
   binned linearly onto nodes :math:`[a, b]`; the zone beyond the grid is capped at about
   the grid's own size, and the rare points outside that cap but still within reach are
   summed exactly instead.
3. The FFT length is :math:`L \\ge \\max(b, n-1-a) + r + 1` (:math:`n` output nodes,
   :math:`r` kernel reach in steps), rounded up by ``scipy.fft.next_fast_len``: that is
   the zero padding that rules out wrap-around — no output node ever receives a wrapped
   copy of a binned node within the kernel's reach. When all points lie inside the
   extent this is padding by :math:`r` on one side only.
4. The kernel's transform is analytic for the Gaussian,
   :math:`\\hat K(f) = \\exp(-2\\pi^2 \\sigma^2 f^2)` per axis (σ in steps), and the DFT of
   the kernel sampled at node offsets for compact kernels; both are cached. For the
   Gaussian, :math:`\\sigma^2` is reduced by the 1/6 step² that linear binning adds on
   average, which cancels the leading binning bias.
5. float32 ``rfft2`` → multiply → ``irfft2``, then the nodes :math:`m = j s` are read out
   into a float64 result and tiny negative round-off is clipped to 0.

Cost: :math:`O(n)` binning plus :math:`O(L_x L_y \\log(L_x L_y))` for the transforms.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import scipy.fft as sfft
from numpy.typing import NDArray

from gazemap.kde.binning import bin_linear
from gazemap.kde.exact import exact_sum
from gazemap.kde.grid import Grid
from gazemap.kde.kernels import KERNELS, Kernel

__all__ = ["GAUSSIAN_CUTOFF", "MAX_REFINE", "REFINED_CELL_LIMIT", "FFTPlan", "fft_sum", "plan"]

GAUSSIAN_CUTOFF = 4.0
"""The Gaussian is treated as zero beyond this many standard deviations."""

MAX_REFINE = 16
"""Largest refinement factor per axis."""

REFINED_CELL_LIMIT = 1 << 24
"""Refinement stops before the refined grid would exceed this many nodes."""


@dataclass(frozen=True)
class AxisPlan:
    """Lattice layout along one axis (all counts in lattice steps)."""

    refine: int
    step: float
    inner: int
    reach: int
    pad: int


@dataclass(frozen=True)
class FFTPlan:
    """What the FFT estimator will do for a grid, kernel and bandwidth."""

    x: AxisPlan
    y: AxisPlan

    @property
    def refined(self) -> bool:
        """Whether the lattice is finer than the grid along either axis."""
        return self.x.refine > 1 or self.y.refine > 1

    def worst_shape(self) -> tuple[int, int]:
        """FFT shape ``(Ly, Lx)`` when points fill the whole padding zone."""
        return tuple(  # type: ignore[return-value]
            _fast_length(a.inner + 2 * a.pad + 2, a.inner + 2 * a.pad + 1 + a.reach)
            for a in (self.y, self.x)
        )


def _fast_length(data: int, wrap_free: int) -> int:
    return int(sfft.next_fast_len(max(data, wrap_free), real=True))


def _refinement(kernel: Kernel, nodes_per_bandwidth: float) -> int:
    if nodes_per_bandwidth >= kernel.refine_below:
        return 1
    return min(MAX_REFINE, math.ceil(kernel.refine_below / nodes_per_bandwidth))


def plan(grid: Grid, kernel: Kernel, bandwidth: tuple[float, float]) -> FFTPlan:
    """Choose refinement, reach and padding cap for ``grid``, ``kernel`` and ``bandwidth``.

    Returns
    -------
    FFTPlan
    """
    bx, by = bandwidth
    sx = _refinement(kernel, bx / grid.cell_width)
    sy = _refinement(kernel, by / grid.cell_height)
    while sx * sy > 1 and (grid.cols * sx) * (grid.rows * sy) > REFINED_CELL_LIMIT:
        if sx >= sy:
            sx -= 1
        else:
            sy -= 1
    axes = []
    for cells, cell, b, s in (
        (grid.cols, grid.cell_width, bx, sx),
        (grid.rows, grid.cell_height, by, sy),
    ):
        step = cell / s
        inner = (cells - 1) * s + 1
        reach = math.ceil(kernel.reach(b, gaussian_cutoff=GAUSSIAN_CUTOFF) / step)
        pad = min(reach, max(inner, 64))
        axes.append(AxisPlan(refine=s, step=step, inner=inner, reach=reach, pad=pad))
    return FFTPlan(x=axes[0], y=axes[1])


@functools.lru_cache(maxsize=8)
def _kernel_transform(
    name: str,
    shape: tuple[int, int],
    sigma: tuple[float, float],
    offsets: tuple[int, int],
    step: tuple[float, float],
    periodic: bool,
) -> NDArray[np.float32]:
    # Real half-spectrum of the kernel in 1/px² on an (Ly, Lx) lattice. sigma is the
    # bandwidth in lattice steps (y, x); offsets the largest offset that can matter.
    ly, lx = shape
    kernel = KERNELS[name]
    area = step[0] * step[1]
    if periodic:
        fy = sfft.fftfreq(ly)
        fx = sfft.rfftfreq(lx)
        gy = np.exp(-2.0 * math.pi**2 * (sigma[0] * fy) ** 2)
        gx = np.exp(-2.0 * math.pi**2 * (sigma[1] * fx) ** 2)
        spectrum = np.outer(gy / area, gx)
    else:
        ry, rx = offsets
        dy = np.arange(-ry, ry + 1, dtype=np.float64) / sigma[0]
        dx = np.arange(-rx, rx + 1, dtype=np.float64) / sigma[1]
        values = kernel.evaluate(np.square(dy)[:, None] + np.square(dx)[None, :])
        values /= sigma[0] * sigma[1] * area
        samples = np.zeros(shape)
        rows = np.arange(-ry, ry + 1) % ly
        cols = np.arange(-rx, rx + 1) % lx
        samples[np.ix_(rows, cols)] = values
        # symmetric kernel: the spectrum is real up to round-off
        spectrum = sfft.rfft2(samples).real
    result = spectrum.astype(np.float32)
    result.setflags(write=False)
    return result


def _binning_corrected(sigma: float) -> float:
    # Linear binning spreads a point over two nodes with variance f(1 - f), 1/6 of a step²
    # on average over its position f; narrowing the Gaussian by as much cancels that bias
    # to leading order (2-4x lower error against the exact sum, measured, docs/kde.md).
    # Skipped when it would remove more than half the variance (refinement capped).
    if sigma * sigma <= 1.0 / 3.0:
        return sigma
    return math.sqrt(sigma * sigma - 1.0 / 6.0)


def fft_sum(
    points: NDArray[np.float64],
    weights: NDArray[np.float64] | None,
    grid: Grid,
    kernel: Kernel,
    bandwidth: tuple[float, float],
    *,
    scale: float = 1.0,
    workers: int | None = None,
) -> NDArray[np.float64]:
    """``scale`` × :math:`\\sum_i w_i K_b(c - p_i)` at the cell centres, by binning and FFT.

    Parameters
    ----------
    points:
        Validated ``(n, 2)`` float64 points in px.
    weights:
        ``(n,)`` float64 weights, or ``None`` for 1 each.
    grid, kernel, bandwidth:
        As for :func:`gazemap.kde.density`; bandwidth ``(bx, by)`` in px.
    scale:
        Factor applied to the sum (``1 / sum(weights)`` for a density), folded into the
        float32 → float64 conversion so it costs no extra pass.
    workers:
        Threads for ``scipy.fft`` (``None``: scipy's default, one).

    Returns
    -------
    numpy.ndarray
        ``(rows, cols)`` float64, non-negative.
    """
    layout = plan(grid, kernel, bandwidth)
    ax, ay = layout.x, layout.y
    if points.shape[0] == 0:
        return np.zeros(grid.shape)
    # lattice node m along x sits at x0 + m * step; node 0 is the first cell centre
    x0, y0 = 0.5 * grid.cell_width, 0.5 * grid.cell_height
    lo_x, hi_x = x0 - (ax.pad + 1) * ax.step, x0 + (ax.inner + ax.pad) * ax.step
    lo_y, hi_y = y0 - (ay.pad + 1) * ay.step, y0 + (ay.inner + ay.pad) * ay.step
    xs, ys = points[:, 0], points[:, 1]
    # column-wise reductions: min(axis=0) on an (n, 2) array is ten times slower
    xmin, xmax, ymin, ymax = xs.min(), xs.max(), ys.min(), ys.max()
    far_sum = None
    if not (xmin >= lo_x and xmax < hi_x and ymin >= lo_y and ymax < hi_y):
        near = (xs >= lo_x) & (xs < hi_x) & (ys >= lo_y) & (ys < hi_y)
        reach_x = (ax.reach + 1) * ax.step
        reach_y = (ay.reach + 1) * ay.step
        far = (
            ~near
            & (xs > x0 - reach_x)
            & (xs < x0 + (ax.inner - 1) * ax.step + reach_x)
            & (ys > y0 - reach_y)
            & (ys < y0 + (ay.inner - 1) * ay.step + reach_y)
        )
        if far.any():
            far_w = np.ones(int(far.sum())) if weights is None else weights[far]
            far_sum = exact_sum(points[far], far_w, grid, kernel, bandwidth)
            far_sum *= scale
        points = points[near]
        weights = None if weights is None else weights[near]
        if points.shape[0] == 0:
            return np.zeros(grid.shape) if far_sum is None else far_sum
        xs, ys = points[:, 0], points[:, 1]
        xmin, xmax, ymin, ymax = xs.min(), xs.max(), ys.min(), ys.max()
    # binned node range [a, b] per axis, then the wrap-free FFT length
    # a <= 0 keeps output node 0 inside the array even when every point is far right
    a_x = min(0, math.floor((xmin - x0) / ax.step))
    b_x = math.floor((xmax - x0) / ax.step) + 1
    a_y = min(0, math.floor((ymin - y0) / ay.step))
    b_y = math.floor((ymax - y0) / ay.step) + 1
    span_x = max(b_x, ax.inner - 1 - a_x)
    span_y = max(b_y, ay.inner - 1 - a_y)
    off_x, off_y = min(ax.reach, span_x), min(ay.reach, span_y)
    # one spare node per axis absorbs rounding of a coordinate that sits on a node
    lx = _fast_length(b_x - a_x + 2, span_x + off_x + 1)
    ly = _fast_length(b_y - a_y + 2, span_y + off_y + 1)
    binned = bin_linear(
        points,
        weights,
        origin=(x0 + a_x * ax.step, y0 + a_y * ay.step),
        step=(ax.step, ay.step),
        shape=(ly, lx),
    )
    gaussian = not math.isfinite(kernel.support)
    # the periodised analytic Gaussian is only right when the padding covers its reach
    periodic = gaussian and off_x == ax.reach and off_y == ay.reach
    sigma_y, sigma_x = bandwidth[1] / ay.step, bandwidth[0] / ax.step
    if gaussian:
        sigma_y, sigma_x = _binning_corrected(sigma_y), _binning_corrected(sigma_x)
    transform = _kernel_transform(
        kernel.name,
        (ly, lx),
        (sigma_y, sigma_x),
        (off_y, off_x),
        (ay.step, ax.step),
        periodic,
    )
    spectrum = sfft.rfft2(binned, workers=workers)
    del binned
    spectrum *= transform
    smoothed = sfft.irfft2(spectrum, s=(ly, lx), workers=workers, overwrite_x=True)
    del spectrum
    centres = smoothed[
        -a_y : -a_y + ay.inner : ay.refine,
        -a_x : -a_x + ax.inner : ax.refine,
    ]
    result = np.multiply(centres, scale, dtype=np.float64)
    if far_sum is not None:
        result += far_sum
    np.maximum(result, 0.0, out=result)
    return result
