"""Areas of interest: rectangles and polygons on a stimulus, and which points fall inside.

Coordinates are stimulus px, origin top-left, y down. A rectangle ``(x, y, width,
height)`` holds the points with ``x <= px < x + width`` and ``y <= py < y + height``
(half-open, so two rectangles that share an edge never both claim a point). A polygon
holds a point by the even-odd rule: a ray from the point to the right crosses its edges
an odd number of times (points exactly on an edge may fall either way).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from gazemap.errors import InvalidInputError

__all__ = ["AOI", "MAX_AOIS", "contains", "polygon_area", "validate_aois"]

#: Most AOIs one request may ask about.
MAX_AOIS = 100
#: Largest number of point × edge pairs tested at once in :func:`points_in_polygon`.
_CHUNK_PAIRS = 4_000_000

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


class AOI(BaseModel):
    """An area of interest: a name and either a rectangle or a polygon."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=100, description="Unique name of the area.")
    rect: tuple[float, float, float, float] | None = Field(
        default=None,
        description="Rectangle [x, y, width, height] in stimulus px (origin top-left, y down).",
    )
    polygon: list[tuple[float, float]] | None = Field(
        default=None,
        description="Polygon vertices [[x, y], ...] in stimulus px; at least 3, closed implicitly.",
    )


def polygon_area(vertices: npt.ArrayLike) -> float:
    """Unsigned area of a simple polygon by the shoelace formula.

    Examples
    --------
    >>> polygon_area([(0, 0), (4, 0), (4, 3)])
    6.0
    """
    v = np.asarray(vertices, dtype=np.float64)
    x, y = v[:, 0], v[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2.0)


def _check_one(aoi: AOI, width: float, height: float) -> None:
    name = aoi.name
    if (aoi.rect is None) == (aoi.polygon is None):
        raise InvalidInputError(
            f"AOI {name!r} must have exactly one of rect or polygon", field="aois"
        )
    coords: list[float]
    if aoi.rect is not None:
        x, y, w, h = aoi.rect
        coords = [x, y, w, h]
        if not all(math.isfinite(c) for c in coords):
            raise InvalidInputError(f"AOI {name!r} has a non-finite rect {aoi.rect}", field="aois")
        if w <= 0 or h <= 0:
            raise InvalidInputError(
                f"AOI {name!r} must have width and height > 0, got {w} × {h}", field="aois"
            )
        if x < 0 or y < 0 or x + w > width or y + h > height:
            raise InvalidInputError(
                f"AOI {name!r} rect {list(aoi.rect)} leaves the stimulus (0, 0, {width:g}, {height:g})",
                field="aois",
            )
        return
    points = aoi.polygon or []
    if len(points) < 3:
        raise InvalidInputError(
            f"AOI {name!r} polygon needs at least 3 points, got {len(points)}", field="aois"
        )
    for px, py in points:
        if not (math.isfinite(px) and math.isfinite(py)):
            raise InvalidInputError(f"AOI {name!r} has a non-finite vertex", field="aois")
        if not (0 <= px <= width and 0 <= py <= height):
            raise InvalidInputError(
                f"AOI {name!r} vertex ({px:g}, {py:g}) is outside the stimulus "
                f"(0..{width:g}, 0..{height:g})",
                field="aois",
            )
    if polygon_area(points) <= 0:
        raise InvalidInputError(f"AOI {name!r} polygon has zero area", field="aois")


def validate_aois(aois: list[AOI], *, width: float, height: float) -> None:
    """Refuse AOIs the metrics cannot be computed for.

    Parameters
    ----------
    aois:
        The areas.
    width, height:
        Stimulus size in px.

    Raises
    ------
    InvalidInputError
        No AOI, more than :data:`MAX_AOIS`, a repeated name, neither or both shapes, a
        degenerate shape (zero width, height or area, fewer than three vertices), or a
        shape outside the stimulus; the message names the AOI.
    """
    if not aois:
        raise InvalidInputError("aois must list at least one AOI, got none", field="aois")
    if len(aois) > MAX_AOIS:
        raise InvalidInputError(
            f"aois may list at most {MAX_AOIS} AOIs, got {len(aois)}", field="aois"
        )
    seen: set[str] = set()
    for aoi in aois:
        if aoi.name in seen:
            raise InvalidInputError(f"AOI name {aoi.name!r} is used twice", field="aois")
        seen.add(aoi.name)
        _check_one(aoi, width, height)


def points_in_polygon(x: FloatArray, y: FloatArray, vertices: npt.ArrayLike) -> BoolArray:
    """Even-odd rule, vectorised over points and edges.

    Parameters
    ----------
    x, y:
        ``(n,)`` point coordinates.
    vertices:
        ``(m, 2)`` polygon vertices, closed implicitly.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` bool.

    Notes
    -----
    Edge :math:`(x_1, y_1) \\to (x_2, y_2)` is crossed by the rightward ray from
    :math:`(p_x, p_y)` when :math:`(y_1 > p_y) \\ne (y_2 > p_y)` and
    :math:`p_x < x_1 + (p_y - y_1)(x_2 - x_1)/(y_2 - y_1)`; the point is inside when the
    number of crossings is odd. Work :math:`O(nm)`, in chunks of bounded memory.

    Examples
    --------
    >>> square = [(0, 0), (10, 0), (10, 10), (0, 10)]
    >>> points_in_polygon(np.array([5.0, 15.0]), np.array([5.0, 5.0]), square).tolist()
    [True, False]
    """
    v = np.asarray(vertices, dtype=np.float64)
    x1, y1 = v[:, 0], v[:, 1]
    x2, y2 = np.roll(x1, -1), np.roll(y1, -1)
    dy = y2 - y1
    # horizontal edges never straddle; a safe divisor keeps them from dividing by zero
    slope = np.divide(x2 - x1, dy, out=np.zeros_like(dy), where=dy != 0)
    out = np.zeros(x.shape[0], dtype=np.bool_)
    step = max(1, _CHUNK_PAIRS // max(1, v.shape[0]))
    for start in range(0, x.shape[0], step):
        px = x[start : start + step, None]
        py = y[start : start + step, None]
        straddles = (y1 > py) != (y2 > py)
        crossing = straddles & (px < x1 + (py - y1) * slope)
        out[start : start + step] = (np.count_nonzero(crossing, axis=1) % 2) == 1
    return out


def contains(aoi: AOI, x: FloatArray, y: FloatArray) -> BoolArray:
    """Which of the points ``(x, y)`` lie in ``aoi`` (see the module docstring for edges)."""
    if aoi.rect is not None:
        rx, ry, rw, rh = aoi.rect
        return (x >= rx) & (x < rx + rw) & (y >= ry) & (y < ry + rh)
    return points_in_polygon(x, y, aoi.polygon or [])
