"""The density value that maps to the top of the colormap: ``max``, a percentile or fixed.

A density grid is a ``(rows, cols)`` float array over the stimulus (row 0 at the top).
Colouring divides it by one positive number, the *scale*; this module turns the user's
choice of scale into that number.
"""

from __future__ import annotations

import math
import re
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from gazemap.errors import InvalidInputError

__all__ = ["Scale", "check_density", "resolve_scale"]

#: ``"max"``, ``"pNN"`` (a percentile, e.g. ``"p99"`` or ``"p99.5"``) or a positive number.
Scale: TypeAlias = str | float

_PERCENTILE = re.compile(r"^p(\d+(?:\.\d+)?)$")


def check_density(density: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """``density`` as a 2-D float64 array, or :class:`InvalidInputError` if it is not one.

    Parameters
    ----------
    density:
        ``(rows, cols)`` array of finite numbers.

    Returns
    -------
    numpy.ndarray
        The same values as float64 (no copy when it already is).
    """
    try:
        arr = np.asarray(density, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"density must be a 2-D array of numbers: {exc}", field="density"
        ) from exc
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise InvalidInputError(
            f"density must be a non-empty 2-D (rows, cols) array, got shape {arr.shape}",
            field="density",
        )
    if not np.isfinite(arr).all():
        raise InvalidInputError("density must be finite, got NaN or inf values", field="density")
    return arr


def resolve_scale(density: npt.ArrayLike, scale: Scale = "max", *, signed: bool = False) -> float:
    """The number a density is divided by before colouring.

    Parameters
    ----------
    density:
        ``(rows, cols)`` density grid.
    scale:
        ``"max"``: the largest value, so the hottest cell gets the top colour.
        ``"pNN"``: the NN-th percentile of all cells (``"p99"``), so a few extreme cells
        do not wash the rest of the map out; values above it saturate.
        A positive number: used as is, so several maps rendered with the same number share
        one colour scale and can be compared by eye.
    signed:
        Symmetric mode for signed maps (differences of two densities): the rules above
        apply to ``|density|``, and the colormap's middle then stands for zero.

    Returns
    -------
    float
        The scale, ``>= 0``. It is ``0.0`` only for ``"max"``/``"pNN"`` on a map with no
        positive (or, when ``signed``, non-zero) value; such a map renders fully transparent.

    Raises
    ------
    InvalidInputError
        ``scale`` is neither ``"max"``, ``"pNN"`` with ``0 <= NN <= 100``, nor a positive
        finite number; or ``density`` is not a finite 2-D array.

    Notes
    -----
    Percentiles use linear interpolation between order statistics (numpy's default) over
    every cell, including the empty ones, computed on the grid before upsampling.

    Examples
    --------
    >>> d = np.array([[0.0, 1.0], [2.0, 4.0]])
    >>> resolve_scale(d, "max")
    4.0
    >>> resolve_scale(d, "p50")
    1.5
    >>> resolve_scale(-d, "max", signed=True)
    4.0
    >>> resolve_scale(d, 0.5)
    0.5
    """
    arr = check_density(density)
    values = np.abs(arr) if signed else arr
    if isinstance(scale, bool):
        raise InvalidInputError(
            f"scale must be 'max', 'pNN' or a positive number, got {scale!r}", field="scale"
        )
    if isinstance(scale, int | float):
        value = float(scale)
        if not math.isfinite(value) or value <= 0:
            raise InvalidInputError(f"scale must be > 0 and finite, got {scale!r}", field="scale")
        return value
    if isinstance(scale, str):
        text = scale.strip().lower()
        if text == "max":
            return max(float(values.max()), 0.0)
        match = _PERCENTILE.match(text)
        if match:
            q = float(match.group(1))
            if q > 100:
                raise InvalidInputError(
                    f"scale percentile must be between p0 and p100, got {scale!r}", field="scale"
                )
            return max(float(np.percentile(values, q)), 0.0)
        try:
            number = float(text)
        except ValueError:
            pass
        else:
            return resolve_scale(arr, number, signed=signed)
    raise InvalidInputError(
        f"scale must be 'max', 'pNN' (e.g. 'p99') or a positive number, got {scale!r}",
        field="scale",
    )
