"""Kernel density estimation on pixel grids: kernels, bandwidth rules, binning, exact and
FFT estimators, grids and levels of detail. Imports numpy, scipy.fft and gazemap.errors only.

Conventions, everywhere in this package: points are ``(n, 2)`` float arrays of ``(x, y)``
in stimulus px with the origin at the top-left corner and y pointing down; densities are
``(rows, cols)`` float64 arrays with row 0 at the top, in 1/px², evaluated at the cell
centres of a :class:`Grid`; a bandwidth is the kernel's standard deviation along each axis
in px, whatever the kernel.

Examples
--------
>>> import numpy as np
>>> from gazemap.kde import Grid, density
>>> grid = Grid.for_stimulus(800, 600, level=2)
>>> d = density(np.array([[400.0, 300.0]]), grid=grid, bandwidth=30.0)
>>> d.shape, bool(abs(d.sum() * grid.cell_area - 1) < 1e-3)
((150, 200), True)
"""

from gazemap.kde.bandwidth import RULES, BandwidthLike, degrees_to_px, resolve_bandwidth
from gazemap.kde.estimate import auto_method, density, estimate_cost
from gazemap.kde.grid import DEFAULT_MAX_CELLS, Grid
from gazemap.kde.inputs import METHODS
from gazemap.kde.kernels import KERNELS, Kernel

__all__ = [
    "DEFAULT_MAX_CELLS",
    "KERNELS",
    "METHODS",
    "RULES",
    "BandwidthLike",
    "Grid",
    "Kernel",
    "auto_method",
    "degrees_to_px",
    "density",
    "estimate_cost",
    "resolve_bandwidth",
]
