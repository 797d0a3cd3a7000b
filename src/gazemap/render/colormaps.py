"""Colormaps as 256-entry RGBA lookup tables, built once from the ``cmap`` catalogue.

The tables are never typed by hand: every name in :data:`COLORMAPS` points at an entry
of the `cmap <https://cmap-docs.readthedocs.io>`_ package's curated catalogue (by its
fully namespaced id, so no alias can silently resolve to another author's version).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from gazemap.errors import UnknownColormapError

__all__ = ["COLORMAPS", "DIVERGING", "PERCEPTUAL", "colormap_lut"]

#: Number of entries of every lookup table; densities are quantised to this many levels.
LUT_SIZE = 256

#: Colormap names accepted by the renderer, mapped to their ``cmap`` catalogue id.
COLORMAPS: Mapping[str, str] = MappingProxyType(
    {
        # perceptually uniform, lightness rises monotonically: the honest choices
        "inferno": "bids:inferno",
        "magma": "bids:magma",
        "plasma": "bids:plasma",
        "viridis": "bids:viridis",
        "cividis": "cividis:cividis",
        # rainbow-like maps people know from Tobii Pro Lab, heatmap.js and Matlab
        "turbo": "google:turbo",
        "jet": "matlab:jet",
        "hot": "matlab:hot",
        # diverging, for signed difference maps (zero sits in the middle)
        "RdBu_r": "colorbrewer:RdBu_r",
        "coolwarm": "matplotlib:coolwarm",
    }
)

#: Colormaps whose CIELAB lightness rises monotonically from the first entry to the last.
PERCEPTUAL: frozenset[str] = frozenset({"inferno", "magma", "plasma", "viridis", "cividis"})

#: Colormaps meant for signed data, light (near white or grey) in the middle.
DIVERGING: frozenset[str] = frozenset({"RdBu_r", "coolwarm"})


def colormap_lut(name: str) -> npt.NDArray[np.uint8]:
    """The 256-entry RGBA lookup table of a colormap.

    Parameters
    ----------
    name:
        One of :data:`COLORMAPS`.

    Returns
    -------
    numpy.ndarray
        ``(256, 4)`` uint8, read-only; entry 0 is the colour of the lowest value, entry 255
        of the highest. The alpha column is 255: transparency is decided by
        :func:`gazemap.render.colorize`, not by the colormap.

    Raises
    ------
    UnknownColormapError
        ``name`` is not in :data:`COLORMAPS`.

    Notes
    -----
    Tables are built on first use and cached for the life of the process, so choosing a
    colormap per request costs a dictionary lookup.

    Examples
    --------
    >>> lut = colormap_lut("inferno")
    >>> lut.shape, lut.dtype
    ((256, 4), dtype('uint8'))
    >>> lut[-1, 3]
    np.uint8(255)
    """
    if name not in COLORMAPS:
        known = ", ".join(sorted(COLORMAPS, key=str.lower))
        raise UnknownColormapError(
            f"colormap must be one of {known}, got {name!r}", field="colormap"
        )
    return _build_lut(COLORMAPS[name])


@functools.cache
def _build_lut(catalogue_id: str) -> npt.NDArray[np.uint8]:
    # cmap is imported here, not at module level, so importing gazemap.render stays cheap
    from cmap import Colormap

    rgba = np.asarray(Colormap(catalogue_id).lut(LUT_SIZE), dtype=np.float64)
    lut = np.clip(np.rint(rgba * 255.0), 0, 255).astype(np.uint8)
    lut[:, 3] = 255
    lut.setflags(write=False)
    return lut
