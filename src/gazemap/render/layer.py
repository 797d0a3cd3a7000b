"""Density grids to RGBA pixels: upsampling, quantisation, colour and alpha lookup tables.

A density grid is a ``(rows, cols)`` float array whose cells tile the stimulus (row 0 at
the top, column 0 at the left, cell ``(i, j)`` centred at ``((j + ½)·W/cols, (i + ½)·H/rows)``
in stimulus pixels). Images are ``(height, width, 4)`` uint8 RGBA arrays.
"""

from __future__ import annotations

import functools
from typing import Literal, TypeAlias

import numpy as np
import numpy.typing as npt
from PIL import Image

from gazemap.errors import InvalidInputError
from gazemap.render.colormaps import LUT_SIZE, colormap_lut
from gazemap.render.scale import Scale, check_density, resolve_scale

__all__ = ["Mode", "check_fraction", "colorize", "colorize_with_scale", "upsample"]

#: ``"heat"`` colours where people looked; ``"fog"`` darkens where they did not.
Mode: TypeAlias = Literal["heat", "fog"]

_TOP = LUT_SIZE - 1
# Alpha rises as the square root of the density above the threshold, so the flanks of a
# fixation cluster stay visible instead of fading out long before the colour does.
_ALPHA_GAMMA = 0.5
# far beyond saturation, far below float32's limit: interpolated colours do not change
_FLOAT32_SAFE = 1e30


def upsample(density: npt.ArrayLike, size: tuple[int, int]) -> npt.NDArray[np.float32]:
    """Resize a density grid to ``size`` pixels by bilinear interpolation, centre aligned.

    Parameters
    ----------
    density:
        ``(rows, cols)`` grid covering the whole stimulus.
    size:
        ``(width, height)`` of the output in pixels (usually the stimulus size).

    Returns
    -------
    numpy.ndarray
        ``(height, width)`` float32.

    Notes
    -----
    Output pixel ``x`` (centre ``x + ½``) reads the grid at the continuous column
    ``u = (x + ½)·cols/width − ½``, interpolating linearly between the two nearest cell
    centres and holding the edge cells' values beyond the outermost centres; rows alike.
    This keeps a coarse level of detail aligned with the image: the hot cell of a level-2
    grid lands on the 4×4 pixel block it was computed for. Pillow's bilinear filter does
    exactly this (and averages with a triangle filter when shrinking), in C.

    Examples
    --------
    >>> upsample(np.array([[0.0, 1.0]]), (4, 1)).tolist()
    [[0.0, 0.25, 0.75, 1.0]]
    """
    arr = check_density(density)
    width, height = _check_size(size)
    if arr.shape == (height, width):
        return arr.astype(np.float32)
    grid = Image.fromarray(np.ascontiguousarray(arr, dtype=np.float32), mode="F")
    resized = grid.resize((width, height), Image.Resampling.BILINEAR)
    return np.asarray(resized, dtype=np.float32)


def colorize(
    density: npt.ArrayLike,
    *,
    size: tuple[int, int] | None = None,
    colormap: str = "inferno",
    opacity: float = 0.6,
    threshold: float = 0.05,
    scale: Scale = "max",
    signed: bool = False,
    mode: Mode = "heat",
) -> npt.NDArray[np.uint8]:
    """Colour a density grid as an RGBA image whose alpha rises with density.

    Parameters
    ----------
    density:
        ``(rows, cols)`` density grid covering the stimulus.
    size:
        ``(width, height)`` of the output; default the grid's own ``(cols, rows)``.
        Coarser grids are upsampled with :func:`upsample`.
    colormap:
        A name from :data:`gazemap.render.COLORMAPS`; ignored in ``"fog"`` mode.
    opacity:
        Largest alpha, in ``[0, 1]``: reached at the scale in ``"heat"`` mode, and by the
        fog over regions nobody looked at in ``"fog"`` mode.
    threshold:
        Fraction of the scale, in ``[0, 1)``, below which nothing is drawn (``"heat"``) or
        the fog is at full ``opacity`` (``"fog"``).
    scale:
        ``"max"``, ``"pNN"`` or a positive number; see :func:`resolve_scale`.
    signed:
        Symmetric mode for difference maps: zero maps to the colormap's middle, ``±scale``
        to its ends, and alpha follows ``|density|``. Use a diverging colormap.
    mode:
        ``"heat"`` or ``"fog"``.

    Returns
    -------
    numpy.ndarray
        ``(height, width, 4)`` uint8 RGBA, not premultiplied.

    Raises
    ------
    InvalidInputError
        An option is out of range (the message names it).
    UnknownColormapError
        ``colormap`` is not known.

    Notes
    -----
    With ``s`` the resolved scale, each pixel's density ``d`` becomes ``t = clip(d/s, 0, 1)``
    (``t = clip(½ + ½·d/s, 0, 1)`` for colour when ``signed``, ``m = clip(|d|/s, 0, 1)`` for
    alpha), quantised to 256 levels by flooring, so a value below the threshold can never
    round up into view. In ``"heat"`` mode a level ``k`` gets the colormap's entry ``k`` and
    alpha ``255·opacity·((k/255 − θ)/(1 − θ))^½`` for ``k/255 ≥ θ`` (threshold ``θ``), 0 below;
    ``"fog"`` mode paints black with alpha ``255·opacity`` minus that ramp. Both are table
    lookups, so the work per pixel is one multiply, one clip and one gather.

    Examples
    --------
    >>> rgba = colorize(np.array([[0.0, 0.5, 1.0]]), threshold=0.1, opacity=1.0)
    >>> rgba[..., 3].tolist()
    [[0, 170, 255]]
    """
    return colorize_with_scale(
        density,
        size=size,
        colormap=colormap,
        opacity=opacity,
        threshold=threshold,
        scale=scale,
        signed=signed,
        mode=mode,
    )[0]


def colorize_with_scale(
    density: npt.ArrayLike,
    *,
    size: tuple[int, int] | None = None,
    colormap: str = "inferno",
    opacity: float = 0.6,
    threshold: float = 0.05,
    scale: Scale = "max",
    signed: bool = False,
    mode: Mode = "heat",
) -> tuple[npt.NDArray[np.uint8], float]:
    """:func:`colorize`, also returning the resolved scale (the density at the top colour).

    Parameters and errors are those of :func:`colorize`.

    Returns
    -------
    tuple
        ``(rgba, scale)``: the ``(height, width, 4)`` uint8 image and the scale as a float.
    """
    arr = check_density(density)
    opacity = check_fraction("opacity", opacity, upper_open=False)
    threshold = check_fraction("threshold", threshold, upper_open=True)
    if mode not in ("heat", "fog"):
        raise InvalidInputError(f"mode must be 'heat' or 'fog', got {mode!r}", field="mode")
    lut = colormap_lut(colormap)  # validate the name even in fog mode
    s = resolve_scale(arr, scale, signed=signed)
    width, height = _check_size(size) if size is not None else (arr.shape[1], arr.shape[0])
    ramp = _alpha_ramp(opacity, threshold, fog=mode == "fog")

    if s <= 0.0:
        # nothing positive to show: an empty heat map, or uniform fog
        out = np.zeros((height, width, 4), dtype=np.uint8)
        out[..., 3] = ramp[0]
        return out, 0.0

    # normalise on the coarse grid, before float32: cheaper, and no density is too small
    with np.errstate(over="ignore"):  # a tiny fixed scale saturates everything anyway
        normalised = np.clip(arr / s, -_FLOAT32_SAFE, _FLOAT32_SAFE)
    pixels = upsample(normalised, (width, height))
    magnitude = np.abs(pixels) if signed else pixels
    level = _quantise(magnitude)
    if mode == "fog":
        out = np.zeros((height, width, 4), dtype=np.uint8)
        out[..., 3] = np.take(ramp, level)
    elif not signed:
        table = lut.copy()
        table[:, 3] = ramp
        out = np.take(table, level, axis=0)  # 10× faster than table[level]
    else:
        # colour from the signed value around the middle entry, alpha from the magnitude
        centred = np.multiply(pixels, 0.5, dtype=np.float32)
        np.add(centred, 0.5, out=centred)
        out = np.take(lut, _quantise(centred), axis=0)
        out[..., 3] = np.take(ramp, level)
    return out, s


def _quantise(values: npt.NDArray[np.float32]) -> npt.NDArray[np.uint8]:
    scaled = np.multiply(values, float(_TOP), dtype=np.float32)
    np.clip(scaled, 0.0, float(_TOP), out=scaled)
    return scaled.astype(np.uint8)  # flooring: a value under the threshold stays under it


@functools.lru_cache(maxsize=256)
def _alpha_ramp(opacity: float, threshold: float, *, fog: bool) -> npt.NDArray[np.uint8]:
    level = np.arange(LUT_SIZE, dtype=np.float64) / _TOP
    above = np.clip((level - threshold) / (1.0 - threshold), 0.0, 1.0)
    rise = np.where(level >= threshold, above**_ALPHA_GAMMA, 0.0)
    alpha = 1.0 - rise if fog else rise
    table = np.rint(255.0 * opacity * alpha).astype(np.uint8)
    table.setflags(write=False)
    return table


def check_fraction(name: str, value: float, *, upper_open: bool) -> float:
    """``value`` as a float in ``[0, 1]`` (``[0, 1)`` when ``upper_open``), else a named error."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = float("nan")
    top_ok = v < 1.0 if upper_open else v <= 1.0
    if not (v >= 0.0 and top_ok):
        bound = "[0, 1)" if upper_open else "[0, 1]"
        raise InvalidInputError(f"{name} must be in {bound}, got {value!r}", field=name)
    return v


def _check_size(size: tuple[int, int]) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in size)
        exact = all(float(v) == int(v) for v in size)
    except (TypeError, ValueError):
        width, height, exact = 0, 0, False
    if not exact or width <= 0 or height <= 0:
        raise InvalidInputError(
            f"size must be (width, height) in whole pixels > 0, got {size!r}", field="size"
        )
    return width, height
