"""Validation of the arrays the estimators take: points, weights and the method name.

Points are ``(n, 2)`` float arrays of ``(x, y)`` in stimulus px (origin top-left, y down);
weights are ``(n,)`` non-negative. Every failure raises a named
:class:`gazemap.errors.InvalidInputError` subclass whose message names the argument and
the offending value.
"""

from __future__ import annotations

import numbers
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from gazemap.errors import InvalidInputError, InvalidPointsError, InvalidWeightsError

__all__ = [
    "METHODS",
    "Method",
    "check_method",
    "check_points",
    "check_weights",
    "is_integer",
    "is_real",
]

Method = Literal["exact", "fft", "auto"]
METHODS: tuple[Method, ...] = ("exact", "fft", "auto")


def is_integer(value: object) -> bool:
    """True for Python and numpy integers, False for ``bool`` and everything else."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_real(value: object) -> bool:
    """True for Python and numpy real numbers, False for ``bool`` and everything else."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_points(points: ArrayLike) -> NDArray[np.float64]:
    """Return ``points`` as a C-contiguous float64 ``(n, 2)`` array, or raise.

    An empty input (``[]`` or shape ``(0, 2)``) gives a ``(0, 2)`` array.

    Raises
    ------
    InvalidPointsError
        If the array is not ``(n, 2)``, not numeric, or holds NaN or infinity.
    """
    try:
        array = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidPointsError(
            f"points must be an (n, 2) array of numbers; could not convert: {exc}",
            field="points",
        ) from exc
    if array.size == 0:
        return np.empty((0, 2), dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != 2:
        raise InvalidPointsError(
            f"points must be an (n, 2) array of (x, y) px; got shape {array.shape}",
            field="points",
        )
    # min and max propagate NaN and expose infinities: two fast passes in the common case
    if not (np.isfinite(array.min()) and np.isfinite(array.max())):
        row = int(np.argmin(np.isfinite(array).all(axis=1)))
        raise InvalidPointsError(
            f"points must be finite; points[{row}] is ({array[row, 0]}, {array[row, 1]})",
            field="points",
        )
    return np.ascontiguousarray(array)


def check_weights(weights: ArrayLike | None, n: int) -> NDArray[np.float64] | None:
    """Return ``weights`` as float64 ``(n,)``, ``None`` for ``None``, or raise.

    Raises
    ------
    InvalidWeightsError
        If the weights are not ``(n,)``, or hold a NaN, an infinity or a negative value.
    """
    if weights is None:
        return None
    try:
        array = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidWeightsError(
            f"weights must be an array of n numbers; could not convert: {exc}", field="weights"
        ) from exc
    if array.shape != (n,):
        raise InvalidWeightsError(
            f"weights must have shape ({n},) to match the points; got shape {array.shape}",
            field="weights",
        )
    if array.size and not (array.min() >= 0 and np.isfinite(array.max())):
        i = int(np.argmax(~np.isfinite(array) | (array < 0)))
        raise InvalidWeightsError(
            f"weights must be finite and >= 0; weights[{i}] is {array[i]}", field="weights"
        )
    return np.ascontiguousarray(array)


def check_method(method: str) -> Method:
    """Return ``method`` if it is ``"exact"``, ``"fft"`` or ``"auto"``, or raise.

    Raises
    ------
    InvalidInputError
        For any other value.
    """
    for known in METHODS:
        if method == known:
            return known
    raise InvalidInputError(
        f"method must be one of {', '.join(METHODS)}; got {method!r}", field="method"
    )
