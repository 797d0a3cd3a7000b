"""Bandwidths: fixed values in px, rules of thumb, and visual angle to px.

A bandwidth is the standard deviation of the kernel along each axis, in px, whatever the
kernel (see :mod:`gazemap.kde.kernels`). It is given as a number (isotropic), an
``(bx, by)`` pair, or a rule name resolved from the (weighted) sample.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Literal, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gazemap.errors import InvalidBandwidthError, InvalidInputError
from gazemap.kde.inputs import check_points, check_weights, is_real

__all__ = ["RULES", "BandwidthLike", "degrees_to_px", "resolve_bandwidth"]

Rule = Literal["scott", "silverman"]
RULES: tuple[Rule, ...] = ("scott", "silverman")
BandwidthLike: TypeAlias = float | Sequence[float] | NDArray[np.floating] | str

# IQR of the standard normal: Silverman's robust estimate of the spread is IQR / 1.349
_NORMAL_IQR = 1.3489795003921634


def _positive(value: object, label: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidBandwidthError(
            f"{label} must be a number of px > 0, got {value!r}", field="bandwidth"
        )
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise InvalidBandwidthError(f"{label} must be > 0, got {value!r}", field="bandwidth")
    return number


def numeric_bandwidth(bandwidth: object) -> tuple[float, float] | None:
    """``(bx, by)`` for a number or pair, ``None`` for a rule name; raise for anything else.

    Raises
    ------
    InvalidBandwidthError
        For an unknown rule, a non-positive or non-finite value, or a sequence that is not
        a pair.
    """
    if isinstance(bandwidth, str):
        if bandwidth not in RULES:
            raise InvalidBandwidthError(
                f"bandwidth rule must be one of {', '.join(RULES)}; got {bandwidth!r}",
                field="bandwidth",
            )
        return None
    if isinstance(bandwidth, numbers.Real):
        value = _positive(bandwidth, "bandwidth")
        return (value, value)
    if isinstance(bandwidth, (Sequence, np.ndarray)):
        items = list(np.asarray(bandwidth, dtype=object).ravel())
        if len(items) != 2 or np.ndim(bandwidth) != 1:
            raise InvalidBandwidthError(
                f"bandwidth must be a number, an (bx, by) pair or a rule; got {bandwidth!r}",
                field="bandwidth",
            )
        return (_positive(items[0], "bandwidth x"), _positive(items[1], "bandwidth y"))
    raise InvalidBandwidthError(
        f"bandwidth must be a number, an (bx, by) pair or a rule; got {bandwidth!r}",
        field="bandwidth",
    )


def _weighted_quantiles(
    values: NDArray[np.float64], weights: NDArray[np.float64], qs: Sequence[float]
) -> NDArray[np.float64]:
    # Interpolate the weighted ECDF through the midpoints of each point's weight: with
    # equal weights this is the Hazen definition, (i + 1/2) / n.
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order]
    keep = w > 0
    v, w = v[keep], w[keep]
    cum = np.cumsum(w)
    positions = (cum - 0.5 * w) / cum[-1]
    return np.interp(np.asarray(qs, dtype=np.float64), positions, v)


def rule_bandwidth(
    points: NDArray[np.float64], weights: NDArray[np.float64] | None, rule: Rule
) -> tuple[float, float]:
    """Apply ``rule`` to validated points and weights (see :func:`resolve_bandwidth`)."""
    n = points.shape[0]
    w = np.ones(n) if weights is None else weights
    v1 = float(w.sum())
    v2 = float(np.square(w).sum())
    n_eff = v1 * v1 / v2 if v2 > 0 else 0.0
    if n < 2 or v1 <= 0 or v1 - v2 / v1 <= 0:
        raise InvalidBandwidthError(
            f"bandwidth rule {rule!r} needs at least 2 points with positive weight; "
            f"got {int(np.count_nonzero(w))}",
            field="bandwidth",
        )
    mean = (w @ points) / v1
    var = (w @ np.square(points - mean)) / (v1 - v2 / v1)
    spread = np.sqrt(var)
    if rule == "silverman":
        for axis in range(2):
            q25, q75 = _weighted_quantiles(points[:, axis], w, (0.25, 0.75))
            robust = (q75 - q25) / _NORMAL_IQR
            if robust > 0:
                spread[axis] = min(spread[axis], robust)
    factor = n_eff ** (-1.0 / 6.0)
    result = (float(spread[0] * factor), float(spread[1] * factor))
    for label, value in zip("xy", result, strict=True):
        if not value > 0:
            raise InvalidBandwidthError(
                f"bandwidth rule {rule!r} gave 0 along {label}: every point has the same "
                f"{label}; pass a bandwidth in px instead",
                field="bandwidth",
            )
    return result


def resolve_bandwidth(
    points: ArrayLike, bandwidth: BandwidthLike, *, weights: ArrayLike | None = None
) -> tuple[float, float]:
    """The bandwidth ``(bx, by)`` in px that :func:`gazemap.kde.density` would use.

    Parameters
    ----------
    points:
        ``(n, 2)`` array of ``(x, y)`` px; only read for a rule.
    bandwidth:
        A number of px, an ``(bx, by)`` pair, or ``"scott"`` / ``"silverman"``.
    weights:
        ``(n,)`` non-negative weights, or ``None`` for equal weights.

    Returns
    -------
    tuple of float
        ``(bx, by)``: kernel standard deviation along x and y, px.

    Raises
    ------
    InvalidBandwidthError
        For a bad value, an unknown rule, or a rule applied to fewer than two weighted
        points or to points that all share one coordinate.

    Notes
    -----
    With weights normalised to :math:`\\sum w_i = 1` (:math:`V_1 = \\sum w_i`,
    :math:`V_2 = \\sum w_i^2` before normalising), the effective sample size is Kish's
    :math:`n_\\text{eff} = V_1^2 / V_2` and the per-axis spread is the weighted standard
    deviation with the reliability-weights correction,
    :math:`\\hat\\sigma_j^2 = \\sum w_i (x_{ij} - \\bar x_j)^2 / (V_1 - V_2 / V_1)` (what
    ``numpy.cov(aweights=w)`` and ``scipy.stats.gaussian_kde`` use). In :math:`d = 2`:

    - Scott: :math:`b_j = \\hat\\sigma_j \\, n_\\text{eff}^{-1/(d+4)} = \\hat\\sigma_j \\, n_\\text{eff}^{-1/6}`.
    - Silverman: :math:`b_j = (4/(d+2))^{1/(d+4)} \\, s_j \\, n_\\text{eff}^{-1/6}` with
      :math:`(4/(d+2))^{1/(d+4)} = 1` and the robust spread
      :math:`s_j = \\min(\\hat\\sigma_j, \\mathrm{IQR}_j / 1.349)` (weighted quartiles;
      :math:`s_j = \\hat\\sigma_j` when the IQR is 0). In 2-D the two rules differ only
      through this robust spread, which resists the outliers gaze data has.

    Examples
    --------
    >>> resolve_bandwidth([[0.0, 0.0]], (3.0, 4.0))
    (3.0, 4.0)
    >>> bx, by = resolve_bandwidth([[0, 0], [2, 0], [0, 2], [2, 2]], "scott")
    >>> round(bx, 4) == round(by, 4) == round((4 / 3) ** 0.5 * 4 ** (-1 / 6), 4)
    True
    """
    pair = numeric_bandwidth(bandwidth)
    if pair is not None:
        return pair
    checked = check_points(points)
    w = check_weights(weights, checked.shape[0])
    # numeric_bandwidth has ruled out every string but the two rules
    rule: Rule = "scott" if bandwidth == "scott" else "silverman"
    return rule_bandwidth(checked, w, rule)


def degrees_to_px(
    degrees: float, *, screen_width_px: float, screen_width_mm: float, distance_mm: float
) -> float:
    """Convert a visual angle in degrees to a length in screen px.

    Parameters
    ----------
    degrees:
        Visual angle, :math:`0 \\le \\theta < 180`.
    screen_width_px, screen_width_mm:
        Horizontal resolution and physical width of the screen (gives px per mm).
    distance_mm:
        Viewing distance from the eye to the screen.

    Returns
    -------
    float
        :math:`2 D \\tan(\\theta/2) \\cdot (\\text{px}/\\text{mm})`: the length, centred on
        the line of sight, that subtends ``degrees``.

    Raises
    ------
    InvalidInputError
        For a non-finite or out-of-range argument.

    Examples
    --------
    >>> round(degrees_to_px(1.0, screen_width_px=1920, screen_width_mm=531, distance_mm=600), 2)
    37.87
    """
    for name, value in (
        ("screen_width_px", screen_width_px),
        ("screen_width_mm", screen_width_mm),
        ("distance_mm", distance_mm),
    ):
        if not is_real(value):
            raise InvalidInputError(f"{name} must be a number > 0, got {value!r}", field=name)
        if not math.isfinite(value) or value <= 0:
            raise InvalidInputError(f"{name} must be > 0, got {value!r}", field=name)
    if not is_real(degrees) or not math.isfinite(degrees) or not 0 <= degrees < 180:
        raise InvalidInputError(
            f"degrees must be a number in [0, 180), got {degrees!r}", field="degrees"
        )
    size_mm = 2.0 * float(distance_mm) * math.tan(math.radians(float(degrees)) / 2.0)
    return size_mm * float(screen_width_px) / float(screen_width_mm)
