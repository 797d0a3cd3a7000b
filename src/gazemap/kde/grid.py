"""The pixel grid a density is evaluated on, and its levels of detail.

A :class:`Grid` covers the stimulus extent :math:`[0, W] \\times [0, H]` px (origin top-left,
y down) with ``rows × cols`` equal cells; the density is evaluated at the cell centres
:math:`x_j = (j + \\tfrac12) W/\\text{cols}`, :math:`y_i = (i + \\tfrac12) H/\\text{rows}`,
and arrays are ``(rows, cols)`` with row 0 at the top.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import KW_ONLY, InitVar, dataclass

import numpy as np
from numpy.typing import NDArray

from gazemap.errors import InvalidGridError
from gazemap.kde.inputs import is_integer

__all__ = ["DEFAULT_MAX_CELLS", "Grid"]

DEFAULT_MAX_CELLS = 16_000_000
"""Largest ``rows × cols`` accepted unless a caller passes another ``max_cells``."""


def _check_extent(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidGridError(f"{name} must be a positive number of px, got {value!r}", field=name)
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise InvalidGridError(f"{name} must be a positive number of px, got {value!r}", field=name)
    return number


def _check_count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or int(value) < 1:
        raise InvalidGridError(f"{name} must be an integer >= 1, got {value!r}", field=name)
    return int(value)


@dataclass(frozen=True)
class Grid:
    """A regular grid of ``rows × cols`` cells over the extent ``[0, width] × [0, height]`` px.

    Parameters
    ----------
    width, height:
        Extent in px (the stimulus size).
    cols, rows:
        Number of cells along x and y.
    max_cells:
        Keyword only, not stored: refuse grids with more than this many cells
        (default :data:`DEFAULT_MAX_CELLS`).

    Raises
    ------
    InvalidGridError
        For a non-positive or non-finite extent, a cell count below 1, or more cells than
        ``max_cells``.

    Examples
    --------
    >>> g = Grid(width=1920, height=1080, cols=480, rows=270)
    >>> g.shape, g.cell_width, g.cell_area
    ((270, 480), 4.0, 16.0)
    >>> g.x_centres[:3]
    array([ 2.,  6., 10.])
    """

    width: float
    height: float
    cols: int
    rows: int
    _: KW_ONLY
    max_cells: InitVar[int] = DEFAULT_MAX_CELLS

    def __post_init__(self, max_cells: int) -> None:
        object.__setattr__(self, "width", _check_extent("width", self.width))
        object.__setattr__(self, "height", _check_extent("height", self.height))
        object.__setattr__(self, "cols", _check_count("cols", self.cols))
        object.__setattr__(self, "rows", _check_count("rows", self.rows))
        self.validate(max_cells=max_cells)

    @classmethod
    def for_stimulus(
        cls, width: float, height: float, *, level: int = 0, max_cells: int = DEFAULT_MAX_CELLS
    ) -> Grid:
        """The grid of a stimulus at level of detail ``level``.

        Parameters
        ----------
        width, height:
            Stimulus size in px.
        level:
            Level of detail ``k >= 0``: ``cols = ceil(width / 2**k)`` and
            ``rows = ceil(height / 2**k)``; the extent stays ``(width, height)``, so cells are
            ``width / cols`` px wide: :math:`2^k` px when the size is a multiple of
            :math:`2^k`, slightly less otherwise.
        max_cells:
            Cell limit, as for :class:`Grid`.

        Returns
        -------
        Grid

        Examples
        --------
        >>> Grid.for_stimulus(1920, 1080, level=2).shape
        (270, 480)
        >>> Grid.for_stimulus(801, 601, level=1).shape
        (301, 401)
        """
        if not is_integer(level) or level < 0:
            raise InvalidGridError(f"level must be an integer >= 0, got {level!r}", field="level")
        w = _check_extent("width", width)
        h = _check_extent("height", height)
        step = 2 ** int(level)
        return cls(w, h, math.ceil(w / step), math.ceil(h / step), max_cells=max_cells)

    def validate(self, *, max_cells: int = DEFAULT_MAX_CELLS) -> None:
        """Refuse this grid if it has more than ``max_cells`` cells.

        Parameters
        ----------
        max_cells:
            Largest accepted ``rows × cols``.

        Raises
        ------
        InvalidGridError
            If ``rows × cols > max_cells``.
        """
        if self.n_cells > max_cells:
            raise InvalidGridError(
                f"grid has {self.rows} × {self.cols} = {self.n_cells} cells, more than "
                f"max_cells={max_cells}; use a coarser level of detail",
                field="grid",
            )

    @property
    def shape(self) -> tuple[int, int]:
        """``(rows, cols)``, the shape of a density on this grid."""
        return (self.rows, self.cols)

    @property
    def n_cells(self) -> int:
        """``rows × cols``."""
        return self.rows * self.cols

    @property
    def cell_width(self) -> float:
        """Cell width in px, ``width / cols``."""
        return self.width / self.cols

    @property
    def cell_height(self) -> float:
        """Cell height in px, ``height / rows``."""
        return self.height / self.rows

    @property
    def cell_area(self) -> float:
        """Cell area in px², so ``density.sum() * cell_area`` approximates the mass inside."""
        return self.cell_width * self.cell_height

    @property
    def x_centres(self) -> NDArray[np.float64]:
        """x of the cell centres, ``(cols,)``, in px."""
        return (np.arange(self.cols, dtype=np.float64) + 0.5) * self.cell_width

    @property
    def y_centres(self) -> NDArray[np.float64]:
        """y of the cell centres, ``(rows,)``, in px (row 0 at the top)."""
        return (np.arange(self.rows, dtype=np.float64) + 0.5) * self.cell_height
