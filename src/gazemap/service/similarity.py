"""How alike two attention maps are: Pearson CC, KL divergence and SIM.

The definitions follow the MIT saliency benchmark (Bylinskii, Judd, Oliva, Torralba and
Durand 2019, "What do different evaluation metrics tell us about saliency models?",
IEEE TPAMI 41(3), and the benchmark's reference code ``CC.m``, ``KLdiv.m``,
``similarity.m``). Both maps are ``(rows, cols)`` float arrays of the same shape, such as
two densities from :func:`gazemap.kde.density` on one grid. numpy only.

A metric that is undefined for the inputs (a constant map has no correlation, an
all-zero map is no distribution) returns ``None`` rather than NaN, so the scores can be
written as JSON as they are.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from gazemap.errors import InvalidInputError

__all__ = ["EPSILON", "correlation", "kl_divergence", "similarity"]

#: Regularisation of :func:`kl_divergence`: MATLAB's ``eps`` (2.2e-16), as in ``KLdiv.m``.
EPSILON = float(np.finfo(np.float64).eps)

FloatArray = npt.NDArray[np.float64]


def _pair(a: npt.ArrayLike, b: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    x = np.asarray(a, dtype=np.float64)
    y = np.asarray(b, dtype=np.float64)
    if x.shape != y.shape:
        raise InvalidInputError(
            f"maps must have the same shape, got {x.shape} and {y.shape}", field="maps"
        )
    if x.size == 0:
        raise InvalidInputError("maps must not be empty, got shape " + str(x.shape), field="maps")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise InvalidInputError("maps must hold finite numbers only, got NaN or inf", field="maps")
    return x, y


def _distribution(x: FloatArray, name: str) -> FloatArray | None:
    if (x < 0).any():
        raise InvalidInputError(
            f"{name} must be non-negative, got a minimum of {float(x.min())}", field=name
        )
    total = float(x.sum())
    return None if total <= 0 else x / total


def correlation(a: npt.ArrayLike, b: npt.ArrayLike) -> float | None:
    """Pearson's linear correlation coefficient (CC) of two maps.

    Parameters
    ----------
    a, b:
        Maps of one shape.

    Returns
    -------
    float or None
        In ``[-1, 1]``; ``None`` when either map is constant (zero variance).

    Notes
    -----
    Each map is standardised, :math:`\\hat a = (a - \\bar a)/\\sigma_a`, and

    .. math:: \\mathrm{CC}(a, b) = \\frac{\\sum_i \\hat a_i \\hat b_i}
              {\\sqrt{\\sum_i \\hat a_i^2 \\sum_i \\hat b_i^2}}
              = \\frac{\\operatorname{cov}(a, b)}{\\sigma_a \\sigma_b}.

    Symmetric, and invariant to a positive affine change of either map, so unnormalised
    densities give the same value as normalised ones. One pass over the cells.

    Examples
    --------
    >>> correlation([[0.0, 1.0], [2.0, 3.0]], [[0.0, 2.0], [4.0, 6.0]])
    1.0
    >>> correlation([[1.0, 1.0]], [[0.0, 1.0]]) is None
    True
    """
    x, y = _pair(a, b)
    dx = x - x.mean()
    dy = y - y.mean()
    sx = float(np.sqrt(np.sum(dx * dx)))
    sy = float(np.sqrt(np.sum(dy * dy)))
    # a relative floor: a flat map plus rounding noise in its mean must count as constant
    if sx <= _flat(x) or sy <= _flat(y):
        return None
    value = float(np.sum(dx * dy) / (sx * sy))
    return min(1.0, max(-1.0, value))


def _flat(x: FloatArray) -> float:
    return 1e-12 * float(np.abs(x).max()) * float(np.sqrt(x.size))


def kl_divergence(p: npt.ArrayLike, q: npt.ArrayLike, *, epsilon: float = EPSILON) -> float | None:
    """Kullback–Leibler divergence :math:`\\mathrm{KL}(P \\,\\|\\, Q)` of two maps.

    Parameters
    ----------
    p:
        The reference map (the benchmark's fixation map): whose mass is being explained.
    q:
        The approximating map (the benchmark's saliency map).
    epsilon:
        Regularisation; the default is the benchmark's MATLAB ``eps``.

    Returns
    -------
    float or None
        In nats, ``>= 0`` up to about ``cells × epsilon``; 0 for identical maps;
        ``None`` when either map has no mass. Not symmetric.

    Raises
    ------
    InvalidInputError
        Shapes differ, a value is negative or not finite, or ``epsilon`` is not > 0.

    Notes
    -----
    Both maps are normalised to sum 1, :math:`P = p / \\sum p`, :math:`Q = q / \\sum q`, and

    .. math:: \\mathrm{KL}(P \\,\\|\\, Q) = \\sum_i P_i \\,
              \\log\\!\\left(\\varepsilon + \\frac{P_i}{Q_i + \\varepsilon}\\right),

    exactly ``KLdiv.m``'s formula: :math:`\\varepsilon` in the denominator keeps cells
    where :math:`Q` is zero finite, and the one outside the ratio keeps the logarithm
    finite where :math:`P` is zero. Cells :math:`P` does not reach do not count, so a
    :math:`Q` that spreads mass where :math:`P` has none is penalised only through the
    normalisation; cells :math:`P` reaches and :math:`Q` misses cost a lot.

    Examples
    --------
    >>> kl_divergence([[1.0, 0.0]], [[1.0, 0.0]])
    0.0
    >>> round(kl_divergence([[1.0, 1.0]], [[3.0, 1.0]]), 4)
    0.1438
    """
    if isinstance(epsilon, bool) or not epsilon > 0 or not np.isfinite(epsilon):
        raise InvalidInputError(f"epsilon must be > 0, got {epsilon!r}", field="epsilon")
    x, y = _pair(p, q)
    pp = _distribution(x, "p")
    qq = _distribution(y, "q")
    if pp is None or qq is None:
        return None
    value = float(np.sum(pp * np.log(epsilon + pp / (qq + epsilon))))
    # KL is never negative; the epsilon terms can push identical maps about one epsilon
    # per cell below 0 (-2.6e-11 on a 960×540 grid), so report those as the 0 they are
    return 0.0 if abs(value) < 1e-12 or value < 0 else value


def similarity(a: npt.ArrayLike, b: npt.ArrayLike) -> float:
    """Similarity (SIM): the histogram intersection of two maps made distributions.

    Parameters
    ----------
    a, b:
        Maps of one shape.

    Returns
    -------
    float
        In ``[0, 1]``: 1 for maps that are equal after normalisation, 0 when their
        supports do not overlap. A map without mass (all zero or constant) contributes
        zeros, as in ``similarity.m``, so SIM is 0 then.

    Notes
    -----
    Each map is rescaled to ``[0, 1]`` by its minimum and maximum, then divided by its sum,
    :math:`A = \\tilde a / \\sum \\tilde a` with :math:`\\tilde a = (a - \\min a)/(\\max a - \\min a)`,
    and

    .. math:: \\mathrm{SIM}(a, b) = \\sum_i \\min(A_i, B_i).

    Symmetric. Rescaling by the minimum makes SIM blind to a constant offset, which a
    density (minimum about 0) does not have anyway.

    Examples
    --------
    >>> similarity([[0.0, 1.0, 1.0]], [[0.0, 2.0, 2.0]])
    1.0
    >>> similarity([[1.0, 0.0]], [[0.0, 1.0]])
    0.0
    """
    x, y = _pair(a, b)
    value = float(np.minimum(_unit_mass(x), _unit_mass(y)).sum())
    return min(1.0, max(0.0, value))


def _unit_mass(x: FloatArray) -> FloatArray:
    lo, hi = float(x.min()), float(x.max())
    if hi <= lo:
        return np.zeros_like(x)
    scaled = (x - lo) / (hi - lo)
    return scaled / float(scaled.sum())
