"""A straightforward, independent reference: kernels written out from docs/kde.md and a
plain double loop over cells and points. Slow on purpose; only for small cases."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from gazemap.kde import Grid

# K_1 as a function of the standardised radius ρ = |u| (unit covariance), from docs/kde.md
REFERENCE_KERNELS = {
    "gaussian": lambda r: math.exp(-0.5 * r * r) / (2 * math.pi),
    "epanechnikov": lambda r: (2 / (6 * math.pi)) * (1 - r * r / 6) if r < math.sqrt(6) else 0.0,
    "biweight": lambda r: (3 / (8 * math.pi)) * (1 - r * r / 8) ** 2 if r < math.sqrt(8) else 0.0,
    "triweight": lambda r: (
        (4 / (10 * math.pi)) * (1 - r * r / 10) ** 3 if r < math.sqrt(10) else 0.0
    ),
    "triangular": lambda r: (
        (3 / (math.pi * 20 / 3)) * (1 - r / math.sqrt(20 / 3)) if r < math.sqrt(20 / 3) else 0.0
    ),
    "uniform": lambda r: 1 / (4 * math.pi) if r < 2 else 0.0,
}

CANONICAL = tuple(REFERENCE_KERNELS)


def double_loop_density(
    points: NDArray[np.float64],
    grid: Grid,
    bandwidth: tuple[float, float],
    kernel: str,
    weights: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """The KDE at each cell centre by two nested loops over cells and one over points."""
    k = REFERENCE_KERNELS[kernel]
    bx, by = bandwidth
    n = len(points)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    total = float(w.sum())
    out = np.zeros((grid.rows, grid.cols))
    for i in range(grid.rows):
        cy = (i + 0.5) * grid.height / grid.rows
        for j in range(grid.cols):
            cx = (j + 0.5) * grid.width / grid.cols
            acc = 0.0
            for (px, py), wi in zip(points, w, strict=True):
                r = math.hypot((cx - px) / bx, (cy - py) / by)
                acc += wi * k(r)
            out[i, j] = acc / (bx * by * total)
    return out


def relative_l2(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    """``||a - b|| / ||b||``."""
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))
