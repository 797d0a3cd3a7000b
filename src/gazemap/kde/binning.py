"""Linear binning of weighted points onto a regular lattice.

A point at lattice coordinate :math:`(u, v)` (in lattice steps from array node
``(0, 0)``) with weight :math:`w` gives its four surrounding nodes the bilinear weights
:math:`w(1-f_u)(1-f_v)`, :math:`w f_u (1-f_v)`, :math:`w (1-f_u) f_v`, :math:`w f_u f_v`,
where :math:`f` is the fractional part. This keeps the mass and the first moments of the
sample exactly, so the binning error of the estimate is :math:`O(\\Delta^2/b^2)` instead
of the :math:`O(\\Delta/b)` of nearest-node binning.

Speed (measured, see docs/performance.md): the four scatters are ``np.add.at`` calls on
shifted views of one float32 array with one shared index array (``add.at`` on a float32
target is about 2.5× faster than ``np.bincount`` on this kind of data, and writes directly
the float32 array the FFT wants). Points go in chunks so temporaries stay small.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["bin_linear"]

_CHUNK = 1 << 15  # measured: 2**14–2**15 is about 30 % faster than 2**17 (temporaries stay in L2)


def bin_linear(
    points: NDArray[np.float64],
    weights: NDArray[np.float64] | None,
    *,
    origin: tuple[float, float],
    step: tuple[float, float],
    shape: tuple[int, int],
) -> NDArray[np.float32]:
    """Bin ``points`` linearly onto a ``shape = (ny, nx)`` lattice.

    Parameters
    ----------
    points:
        ``(n, 2)`` float64 px. Every point must satisfy ``0 <= u < nx - 1`` and
        ``0 <= v < ny - 1`` where ``u = (x - origin[0]) / step[0]`` and
        ``v = (y - origin[1]) / step[1]``; the caller filters.
    weights:
        ``(n,)`` weights, or ``None`` for weight 1 each.
    origin:
        ``(x, y)`` px of lattice node ``[0, 0]``.
    step:
        Lattice spacing ``(dx, dy)`` in px.
    shape:
        ``(ny, nx)`` nodes.

    Returns
    -------
    numpy.ndarray
        ``(ny, nx)`` float32 masses; their sum is the sum of the weights.

    Examples
    --------
    >>> bin_linear(np.array([[1.25, 0.5]]), None, origin=(0.0, 0.0), step=(1.0, 1.0), shape=(2, 3))
    array([[0.   , 0.375, 0.125],
           [0.   , 0.375, 0.125]], dtype=float32)
    """
    ny, nx = shape
    flat = np.zeros(ny * nx, dtype=np.float32)
    # the four corners of node k are k, k + 1, k + nx and k + nx + 1: scatter into views
    # shifted by those offsets so one index array serves all four
    right, below, diagonal = flat[1:], flat[nx:], flat[nx + 1 :]
    ox, oy = origin
    sx, sy = 1.0 / step[0], 1.0 / step[1]
    for start in range(0, points.shape[0], _CHUNK):
        chunk = points[start : start + _CHUNK]
        u = chunk[:, 0] - ox
        u *= sx
        v = chunk[:, 1] - oy
        v *= sy
        iu = u.astype(np.intp)  # truncation is floor here: u >= 0
        iv = v.astype(np.intp)
        fu = (u - iu).astype(np.float32)
        fv = (v - iv).astype(np.float32)
        iv *= nx
        iv += iu
        if weights is None:
            lower = fv
            upper = np.float32(1.0) - fv
        else:
            w = weights[start : start + _CHUNK].astype(np.float32)
            lower = w * fv
            upper = w - lower
        upper_right = upper * fu
        upper -= upper_right
        lower_right = lower * fu
        lower -= lower_right
        np.add.at(flat, iv, upper)
        np.add.at(right, iv, upper_right)
        np.add.at(below, iv, lower)
        np.add.at(diagonal, iv, lower_right)
    return flat.reshape(shape)
