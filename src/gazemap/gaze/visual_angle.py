"""Pixels ↔ degrees of visual angle for a flat screen seen from a known distance.

The eye sits on the normal through the screen centre at ``distance_mm``. A screen
point ``(x, y)`` in px (origin top-left, y down) is ``X = (x − W/2)·p`` and
``Y = (y − H/2)·p`` millimetres from the centre, with ``p = width_mm / width_px`` the
pixel pitch (pixels are taken as square unless ``height_mm`` says otherwise).

Two conversions live here and they are not the same thing:

* **sizes** (a bandwidth, a merge radius): how many px one degree spans at the screen
  centre, from :func:`gazemap.kde.degrees_to_px` so the heat map and the detectors use
  one formula;
* **positions** (for velocities and dispersions): exact angles from ``atan``, not the
  small-angle ``px / px_per_degree``, which overstates angles towards the screen edges.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Final, NamedTuple

import numpy as np
import numpy.typing as npt

from gazemap.errors import InvalidInputError
from gazemap.gaze.recording import ScreenGeometry

__all__ = [
    "DEFAULT_DISTANCE_MM",
    "DEFAULT_PIXEL_PITCH_MM",
    "DEFAULT_WIDTH_MM",
    "DEFAULT_WIDTH_PX",
    "angular_distance",
    "default_geometry",
    "degrees_to_pixels",
    "gaze_angles",
    "gaze_directions",
    "pixels_to_degrees",
]

FloatArray = npt.NDArray[np.float64]

#: A 24-inch 16:9 monitor, the most common lab and office screen: 1920 px over 531 mm.
DEFAULT_WIDTH_PX: Final = 1920
DEFAULT_WIDTH_MM: Final = 531.0
#: 65 cm, the middle of the operating range of remote trackers (Tobii Pro, Gazepoint,
#: EyeLink desktop mount) and the distance their manufacturers calibrate for.
DEFAULT_DISTANCE_MM: Final = 650.0
#: Pixel pitch of the default screen; used when the resolution is known but not the size.
DEFAULT_PIXEL_PITCH_MM: Final = DEFAULT_WIDTH_MM / DEFAULT_WIDTH_PX


def default_geometry(screen: ScreenGeometry | None = None) -> ScreenGeometry:
    """Fill the fields a file did not give with gazemap's documented defaults.

    Parameters
    ----------
    screen:
        What the file or the study said; ``None`` means nothing is known.

    Returns
    -------
    ScreenGeometry
        Every field set. Missing ``width_px`` → 1920; missing ``width_mm`` → ``width_px``
        times the default pitch 531/1920 mm (a known resolution keeps a typical pixel
        size rather than a fixed physical width); missing heights follow the width with
        square pixels and, for ``height_px``, a 16:9 aspect; missing ``distance_mm`` → 650.

    Examples
    --------
    >>> g = default_geometry(None)
    >>> g.width_px, g.height_px, g.width_mm, g.distance_mm
    (1920, 1080, 531.0, 650.0)
    >>> default_geometry(ScreenGeometry(width_px=1024, height_px=768)).width_mm
    283.2
    """
    s = screen if screen is not None else ScreenGeometry()
    width_px = s.width_px if s.width_px else DEFAULT_WIDTH_PX
    if width_px <= 0:
        raise InvalidInputError(f"screen width_px must be > 0, got {width_px}", field="screen")
    width_mm = s.width_mm if s.width_mm else width_px * DEFAULT_PIXEL_PITCH_MM
    height_px = s.height_px if s.height_px else round(width_px * 9 / 16)
    height_mm = s.height_mm if s.height_mm else height_px * width_mm / width_px
    distance_mm = s.distance_mm if s.distance_mm else DEFAULT_DISTANCE_MM
    for name, value in (
        ("height_px", height_px),
        ("width_mm", width_mm),
        ("height_mm", height_mm),
        ("distance_mm", distance_mm),
    ):
        if not np.isfinite(value) or value <= 0:
            raise InvalidInputError(f"screen {name} must be > 0, got {value}", field="screen")
    return replace(
        s,
        width_px=int(width_px),
        height_px=int(height_px),
        width_mm=round(float(width_mm), 6),
        height_mm=round(float(height_mm), 6),
        distance_mm=float(distance_mm),
    )


class _Resolved(NamedTuple):
    width_px: float
    height_px: float
    width_mm: float
    height_mm: float
    distance_mm: float


def _resolved(screen: ScreenGeometry | None) -> _Resolved:
    g = default_geometry(screen)
    return _Resolved(
        float(g.width_px or DEFAULT_WIDTH_PX),
        float(g.height_px or 0),
        float(g.width_mm or DEFAULT_WIDTH_MM),
        float(g.height_mm or 0),
        float(g.distance_mm or DEFAULT_DISTANCE_MM),
    )


def _degrees_to_px(degrees: FloatArray, g: _Resolved) -> FloatArray:
    # The one size formula lives in gazemap.kde; imported here, not at module level,
    # so importing gazemap.gaze stays light.
    from gazemap.kde import degrees_to_px

    flat = [
        degrees_to_px(
            float(d),
            screen_width_px=g.width_px,
            screen_width_mm=g.width_mm,
            distance_mm=g.distance_mm,
        )
        for d in np.ravel(degrees)
    ]
    return np.asarray(flat, dtype=np.float64).reshape(np.shape(degrees))


def degrees_to_pixels(
    degrees: npt.ArrayLike, *, screen: ScreenGeometry | None = None
) -> FloatArray:
    """Size in px that ``degrees`` of visual angle span at the screen centre.

    Parameters
    ----------
    degrees:
        Angle(s) in degrees.
    screen:
        Display geometry; missing fields take :func:`default_geometry`'s defaults.

    Returns
    -------
    numpy.ndarray
        Pixels, same shape as ``degrees``.

    Notes
    -----
    Delegates to :func:`gazemap.kde.degrees_to_px`, so a bandwidth in degrees and a
    detector threshold in degrees mean the same number of pixels.

    Examples
    --------
    >>> round(float(degrees_to_pixels(1.0)), 1)
    41.0
    """
    return _degrees_to_px(np.asarray(degrees, dtype=np.float64), _resolved(screen))


def pixels_to_degrees(pixels: npt.ArrayLike, *, screen: ScreenGeometry | None = None) -> FloatArray:
    """Visual angle in degrees spanned by a size of ``pixels`` centred on the screen.

    The inverse of :func:`degrees_to_pixels`: ``θ = 2·atan(s·p / (2·D))``.

    Examples
    --------
    >>> round(float(pixels_to_degrees(degrees_to_pixels(2.5))), 6)
    2.5
    """
    g = _resolved(screen)
    mm = np.asarray(pixels, dtype=np.float64) * (g.width_mm / g.width_px)
    return np.asarray(np.degrees(2.0 * np.arctan2(mm, 2.0 * g.distance_mm)), dtype=np.float64)


def _mm_from_centre(
    x: npt.ArrayLike, y: npt.ArrayLike, g: _Resolved
) -> tuple[FloatArray, FloatArray, float]:
    X = (np.asarray(x, dtype=np.float64) - g.width_px / 2.0) * (g.width_mm / g.width_px)
    Y = (np.asarray(y, dtype=np.float64) - g.height_px / 2.0) * (g.height_mm / g.height_px)
    return X, Y, float(g.distance_mm)


def gaze_angles(
    x: npt.ArrayLike, y: npt.ArrayLike, *, screen: ScreenGeometry | None = None
) -> tuple[FloatArray, FloatArray]:
    """Horizontal and vertical gaze angle of screen points, in degrees from the centre.

    Parameters
    ----------
    x, y:
        Screen positions in px, origin top-left, y down.
    screen:
        Display geometry; missing fields take :func:`default_geometry`'s defaults.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        ``(atan(X / D), atan(Y / D))`` in degrees, with X, Y the offsets from the screen
        centre in mm. Used for the I-DT dispersion, which is defined per axis.

    Examples
    --------
    >>> ax, ay = gaze_angles([960.0], [540.0])
    >>> float(ax[0]), float(ay[0])
    (0.0, 0.0)
    """
    X, Y, D = _mm_from_centre(x, y, _resolved(screen))
    return np.degrees(np.arctan(X / D)), np.degrees(np.arctan(Y / D))


def gaze_directions(
    x: npt.ArrayLike, y: npt.ArrayLike, *, screen: ScreenGeometry | None = None
) -> FloatArray:
    """Unit vectors from the eye to screen points, ``(n, 3)``.

    The vector to ``(X, Y)`` mm from the centre is ``(X, Y, D) / √(X² + Y² + D²)``.
    """
    X, Y, D = _mm_from_centre(x, y, _resolved(screen))
    v = np.stack((X, Y, np.full_like(X, D)), axis=-1)
    norm: FloatArray = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / norm


def angular_distance(u: FloatArray, v: FloatArray) -> FloatArray:
    """Angle in degrees between unit direction vectors ``u`` and ``v`` (row-wise).

    Notes
    -----
    ``atan2(|u × v|, u · v)`` rather than ``acos(u · v)``: exact for the tiny angles
    between neighbouring samples, where ``acos`` loses all precision near 1.

    Examples
    --------
    >>> d = gaze_directions([960.0, 960.0 + 41.1], [540.0, 540.0])
    >>> round(float(angular_distance(d[:1], d[1:])[0]), 2)
    1.0
    """
    u0, u1, u2 = u[..., 0], u[..., 1], u[..., 2]
    v0, v1, v2 = v[..., 0], v[..., 1], v[..., 2]
    cross = np.sqrt((u1 * v2 - u2 * v1) ** 2 + (u2 * v0 - u0 * v2) ** 2 + (u0 * v1 - u1 * v0) ** 2)
    dot = u0 * v0 + u1 * v1 + u2 * v2
    return np.asarray(np.degrees(np.arctan2(cross, dot)), dtype=np.float64)
