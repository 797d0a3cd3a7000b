"""A colour-bar legend: the colormap with density tick labels and the threshold marked."""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from gazemap.errors import InvalidInputError
from gazemap.render.colormaps import LUT_SIZE, colormap_lut
from gazemap.render.layer import check_fraction

__all__ = ["render_legend"]

_MARGIN = 10
_BAR_HEIGHT = 14
_TICK = 4
_TEXT = (20, 20, 20, 255)
_BACKGROUND = (255, 255, 255, 230)


def render_legend(
    *,
    scale: float,
    colormap: str = "inferno",
    threshold: float = 0.05,
    signed: bool = False,
    width: int = 360,
    ticks: int = 5,
    label: str = "density",
    font_size: int = 12,
) -> Image.Image:
    """Draw a horizontal colour bar with density tick labels.

    Parameters
    ----------
    scale:
        The resolved scale of the map it explains (:attr:`Overlay.scale`): the density at
        the right end of the bar. ``0`` (an empty map) labels every tick 0.
    colormap:
        A name from :data:`gazemap.render.COLORMAPS`.
    threshold:
        Fraction of the scale below which the map draws nothing; that part of the bar is
        shown as a grey checkerboard ("not drawn").
    signed:
        Symmetric mode: the bar runs from ``-scale`` to ``+scale``.
    width:
        Width of the image in pixels, at least 120.
    ticks:
        Number of tick labels, at least 2, evenly spaced from end to end.
    label:
        Caption above the bar (e.g. the density's unit).
    font_size:
        Size of Pillow's built-in font in pixels.

    Returns
    -------
    PIL.Image.Image
        ``RGBA`` image on a nearly opaque white background.

    Raises
    ------
    InvalidInputError
        ``scale`` is negative or not finite, or another option is out of range.
    UnknownColormapError
        ``colormap`` is not known.

    Notes
    -----
    Tick values are ``lo + i·(hi − lo)/(ticks − 1)`` with ``[lo, hi] = [0, scale]``
    (``[−scale, scale]`` when signed), printed with three significant digits.

    Examples
    --------
    >>> img = render_legend(scale=0.002, colormap="viridis")
    >>> img.mode, img.width
    ('RGBA', 360)
    """
    if not (math.isfinite(scale) and scale >= 0):
        raise InvalidInputError(f"scale must be >= 0 and finite, got {scale!r}", field="scale")
    threshold = check_fraction("threshold", threshold, upper_open=True)
    if isinstance(width, bool) or not isinstance(width, int) or width < 120:
        raise InvalidInputError(f"width must be an integer >= 120, got {width!r}", field="width")
    if isinstance(ticks, bool) or not isinstance(ticks, int) or ticks < 2:
        raise InvalidInputError(f"ticks must be an integer >= 2, got {ticks!r}", field="ticks")
    if isinstance(font_size, bool) or not isinstance(font_size, int) or not 6 <= font_size <= 72:
        raise InvalidInputError(
            f"font_size must be an integer in [6, 72], got {font_size!r}", field="font_size"
        )
    lut = colormap_lut(colormap)
    font = ImageFont.load_default(size=font_size)

    bar_width = width - 2 * _MARGIN
    bar_top = _MARGIN + font_size + 4
    height = bar_top + _BAR_HEIGHT + _TICK + font_size + 2 + _MARGIN
    img = Image.new("RGBA", (width, height), _BACKGROUND)

    position = np.arange(bar_width, dtype=np.float64) / max(bar_width - 1, 1)
    colours = lut[np.minimum((position * LUT_SIZE).astype(np.intp), LUT_SIZE - 1)]
    # the map hides values whose magnitude is under the threshold: show that range as a checker
    magnitude = np.abs(2.0 * position - 1.0) if signed else position
    hidden = magnitude < threshold
    checker = (np.add.outer(np.arange(_BAR_HEIGHT) // 4, np.arange(bar_width) // 4) % 2).astype(
        bool
    )
    bar = np.repeat(colours[np.newaxis], _BAR_HEIGHT, axis=0)
    grey = np.where(checker, 200, 235).astype(np.uint8)
    bar[:, hidden, :3] = grey[:, hidden, np.newaxis]
    img.paste(Image.fromarray(bar, mode="RGBA"), (_MARGIN, bar_top))

    draw = ImageDraw.Draw(img)
    draw.rectangle(
        (_MARGIN - 1, bar_top - 1, _MARGIN + bar_width, bar_top + _BAR_HEIGHT), outline=_TEXT
    )
    draw.text((_MARGIN, _MARGIN), label, fill=_TEXT, font=font)
    lo, hi = (-scale, scale) if signed else (0.0, scale)
    tick_y = bar_top + _BAR_HEIGHT
    for i in range(ticks):
        frac = i / (ticks - 1)
        x = _MARGIN + round(frac * (bar_width - 1))
        draw.line((x, tick_y, x, tick_y + _TICK), fill=_TEXT)
        text = f"{lo + frac * (hi - lo):.3g}"
        anchor = "la" if i == 0 else "ra" if i == ticks - 1 else "ma"
        draw.text((x, tick_y + _TICK + 1), text, fill=_TEXT, font=font, anchor=anchor)
    return img
