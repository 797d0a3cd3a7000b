"""Radially symmetric 2-D smoothing kernels, all scaled to unit covariance.

Every kernel is stored in its *standardised* form :math:`K_1(u)`, a radial density on
:math:`\\mathbb{R}^2` with :math:`\\int K_1 = 1` and covariance :math:`I`. With a bandwidth
:math:`(b_x, b_y)` the smoothing kernel is

.. math:: K_b(d_x, d_y) = \\frac{1}{b_x b_y} K_1\\!\\left(\\frac{d_x}{b_x}, \\frac{d_y}{b_y}\\right),

so each axis has standard deviation equal to its bandwidth whatever the kernel.

A compact kernel with radial profile :math:`k(\\rho)` on the unit disc (:math:`\\rho < 1`) is
normalised by :math:`c = 1 / (2\\pi\\int_0^1 k(\\rho)\\rho\\,d\\rho)`; its per-axis variance on
the unit disc is :math:`\\sigma_1^2 = \\pi c \\int_0^1 k(\\rho)\\rho^3\\,d\\rho`, and stretching
the disc to radius :math:`a = 1/\\sigma_1` gives unit variance. For
:math:`k = (1-\\rho^2)^p` this is :math:`c = (p+1)/\\pi`, :math:`\\sigma_1^2 = 1/(2(p+2))`,
:math:`a = \\sqrt{2(p+2)}`; for the triangle :math:`k = 1-\\rho`, :math:`c = 3/\\pi`,
:math:`\\sigma_1^2 = 3/20`, :math:`a = \\sqrt{20/3}`. docs/kde.md tabulates them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray

from gazemap.errors import UnknownKernelError

__all__ = ["KERNELS", "Kernel", "get_kernel"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Kernel:
    """A radially symmetric 2-D kernel with unit covariance.

    Parameters
    ----------
    name:
        Canonical name (``"gaussian"``, ``"epanechnikov"``, ...).
    support:
        Radius of the support in standard deviations (:math:`a`; ``inf`` for the Gaussian).
    profile:
        Function of the squared standardised radius :math:`q = |u|^2` returning
        :math:`K_1(u)`; it returns 0 outside the support.
    refine_below:
        Bandwidth, in lattice steps, below which the FFT estimator bins on a finer lattice
        to keep its error against the exact sum under 1 % even for a single point (for
        ``uniform``, under 5 % for samples of about 50 points or more); measured, see
        docs/kde.md.
    smooth:
        Whether the kernel is continuous (all but ``uniform``).
    """

    name: str
    support: float
    profile: Callable[[FloatArray], FloatArray]
    refine_below: float
    smooth: bool = True

    def evaluate(self, q: FloatArray) -> FloatArray:
        """Standardised density :math:`K_1` at squared standardised radius ``q``.

        Parameters
        ----------
        q:
            Array of :math:`|u|^2 \\ge 0`.

        Returns
        -------
        numpy.ndarray
            :math:`K_1(u)` with the same shape as ``q`` (float64).

        Examples
        --------
        >>> import numpy as np
        >>> round(float(KERNELS["gaussian"].evaluate(np.array([0.0]))[0]), 6)
        0.159155
        """
        return self.profile(q)

    def reach(self, bandwidth: float, *, gaussian_cutoff: float) -> float:
        """Distance in px beyond which this kernel is zero (or, for the Gaussian, negligible).

        Parameters
        ----------
        bandwidth:
            Standard deviation along the axis, in px.
        gaussian_cutoff:
            For the Gaussian (infinite support): truncate at this many standard deviations.

        Returns
        -------
        float
            ``support * bandwidth``, or ``gaussian_cutoff * bandwidth`` for the Gaussian.
        """
        radius = self.support if math.isfinite(self.support) else gaussian_cutoff
        return radius * bandwidth


def _gaussian(q: FloatArray) -> FloatArray:
    return np.exp(-0.5 * q) / (2.0 * math.pi)


def _polynomial(power: int) -> tuple[float, Callable[[FloatArray], FloatArray]]:
    # (1 - ρ²)^p on the unit disc, stretched to radius a so each axis has unit variance
    a2 = 2.0 * (power + 2)
    scale = (power + 1) / (math.pi * a2)

    def profile(q: FloatArray) -> FloatArray:
        inside = np.clip(1.0 - q / a2, 0.0, None)
        return scale * inside**power

    return math.sqrt(a2), profile


def _uniform(q: FloatArray) -> FloatArray:
    # disc of radius 2 (per-axis variance a²/4 = 1); the boundary itself is outside
    return np.where(q < 4.0, 1.0 / (4.0 * math.pi), 0.0)


_TRIANGULAR_A = math.sqrt(20.0 / 3.0)


def _triangular(q: FloatArray) -> FloatArray:
    inside = np.clip(1.0 - np.sqrt(q) / _TRIANGULAR_A, 0.0, None)
    return (3.0 / (math.pi * _TRIANGULAR_A**2)) * inside


_EPANECHNIKOV_A, _epanechnikov = _polynomial(1)
_BIWEIGHT_A, _biweight = _polynomial(2)
_TRIWEIGHT_A, _triweight = _polynomial(3)

_CANONICAL = (
    Kernel("gaussian", math.inf, _gaussian, refine_below=4.0),
    Kernel("epanechnikov", _EPANECHNIKOV_A, _epanechnikov, refine_below=7.0),
    Kernel("biweight", _BIWEIGHT_A, _biweight, refine_below=5.0),
    Kernel("triweight", _TRIWEIGHT_A, _triweight, refine_below=5.0),
    Kernel("triangular", _TRIANGULAR_A, _triangular, refine_below=7.0),
    Kernel("uniform", 2.0, _uniform, refine_below=16.0, smooth=False),
)
_ALIASES = {"quartic": "biweight", "tophat": "uniform"}

_BY_NAME: dict[str, Kernel] = {k.name: k for k in _CANONICAL}
_BY_NAME.update({alias: _BY_NAME[target] for alias, target in _ALIASES.items()})

KERNELS: Mapping[str, Kernel] = MappingProxyType(_BY_NAME)
"""Every kernel by name, aliases included (``quartic`` is ``biweight``, ``tophat`` is ``uniform``)."""


def get_kernel(name: str) -> Kernel:
    """Look a kernel up by name.

    Parameters
    ----------
    name:
        A key of :data:`KERNELS`.

    Returns
    -------
    Kernel
        The kernel.

    Raises
    ------
    UnknownKernelError
        If ``name`` is not a key of :data:`KERNELS`.

    Examples
    --------
    >>> get_kernel("quartic").name
    'biweight'
    """
    kernel = _BY_NAME.get(name) if isinstance(name, str) else None
    if kernel is None:
        known = ", ".join(sorted(_BY_NAME))
        raise UnknownKernelError(f"kernel must be one of {known}; got {name!r}", field="kernel")
    return kernel
