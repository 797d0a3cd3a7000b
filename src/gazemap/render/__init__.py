"""Density grids to pictures: colormaps, alpha mapping, overlay on the stimulus, legends, PNG.

A density grid is a ``(rows, cols)`` float array whose cells tile the stimulus, row 0 at
the top (the output of :func:`gazemap.kde.density`). Rendering divides it by a *scale*
(:func:`resolve_scale`), looks colours and alpha up in 256-entry tables, upsamples coarse
levels of detail to the stimulus size, and composites the result over the image::

    >>> import numpy as np
    >>> from gazemap.render import render_overlay, encode_png
    >>> out = render_overlay(np.eye(4), size=(80, 60), colormap="viridis", scale="p99")
    >>> out.image.size, out.image.mode
    ((80, 60), 'RGBA')
    >>> encode_png(out.image)[:4]
    b'\\x89PNG'
"""

from gazemap.render.colormaps import COLORMAPS, DIVERGING, PERCEPTUAL, colormap_lut
from gazemap.render.layer import Mode, colorize, colorize_with_scale, upsample
from gazemap.render.legend import render_legend
from gazemap.render.overlay import Overlay, encode_png, load_image, render_overlay
from gazemap.render.scale import Scale, resolve_scale

__all__ = [
    "COLORMAPS",
    "DIVERGING",
    "PERCEPTUAL",
    "Mode",
    "Overlay",
    "Scale",
    "colorize",
    "colorize_with_scale",
    "colormap_lut",
    "encode_png",
    "load_image",
    "render_legend",
    "render_overlay",
    "resolve_scale",
    "upsample",
]
