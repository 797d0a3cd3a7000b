"""I-VT: velocity-threshold fixation identification, after the Tobii I-VT filter.

Steps (Olsen 2012, "The Tobii I-VT Fixation Filter", §3.1):

1. gap fill-in: interpolate runs of invalid samples up to ``max_gap_ms`` (75 ms);
2. angular velocity of every sample over a window of about ``window_ms`` (20 ms)
   centred on it;
3. classify: a sample is a fixation sample when its velocity is below
   ``velocity_threshold`` (30 °/s) — and, if given, its acceleration below
   ``acceleration_threshold`` (EyeLink's parser adds 8000 °/s²);
   (optionally after Tobii's noise reduction, a moving median or average over
   ``noise_window`` samples; off by default as in Tobii's default filter);
4. merge neighbouring fixations less than ``merge_max_time_ms`` (75 ms) and
   ``merge_max_angle`` (0.5°) apart;
5. discard fixations shorter than ``min_duration_ms`` (60 ms).

Eye selection happens in the readers (they average the eyes when the file gives both).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gazemap.errors import InvalidInputError
from gazemap.gaze.events import Events, merge_close, runs
from gazemap.gaze.gaps import fill_gaps, run_bounds
from gazemap.gaze.recording import ScreenGeometry
from gazemap.gaze.visual_angle import angular_distance, gaze_directions

__all__ = ["IVTParams", "angular_velocity", "ivt_events"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]


@dataclass(frozen=True, kw_only=True)
class IVTParams:
    """Parameters of :func:`ivt_events`; the defaults are Tobii Pro Lab's I-VT (Fixation)."""

    velocity_threshold: float = 30.0
    window_ms: float = 20.0
    max_gap_ms: float = 75.0
    merge_max_time_ms: float = 75.0
    merge_max_angle: float = 0.5
    min_duration_ms: float = 60.0
    acceleration_threshold: float | None = None
    noise_reduction: str | None = None
    noise_window: int = 3

    def __post_init__(self) -> None:
        if self.noise_reduction not in (None, "median", "average"):
            raise InvalidInputError(
                f"noise_reduction must be None, 'median' or 'average', got {self.noise_reduction!r}",
                field="noise_reduction",
            )
        if self.noise_window < 1 or self.noise_window % 2 == 0:
            raise InvalidInputError(
                f"noise_window must be an odd number of samples >= 1, got {self.noise_window}",
                field="noise_window",
            )
        positive = {
            "velocity_threshold": self.velocity_threshold,
            "window_ms": self.window_ms,
        }
        if self.acceleration_threshold is not None:
            positive["acceleration_threshold"] = self.acceleration_threshold
        for name, value in positive.items():
            if not np.isfinite(value) or value <= 0:
                raise InvalidInputError(f"{name} must be > 0, got {value}", field=name)
        for name, value in {
            "max_gap_ms": self.max_gap_ms,
            "merge_max_time_ms": self.merge_max_time_ms,
            "merge_max_angle": self.merge_max_angle,
            "min_duration_ms": self.min_duration_ms,
        }.items():
            if not np.isfinite(value) or value < 0:
                raise InvalidInputError(f"{name} must be >= 0, got {value}", field=name)


def _windowed_rate(
    values: FloatArray, t: FloatArray, lo: IntArray, hi: IntArray, ok: BoolArray
) -> FloatArray:
    dt = t[hi] - t[lo]
    good = ok & (hi > lo) & (dt > 0)
    out = np.full(t.shape[0], np.nan)
    out[good] = values[good] / dt[good] * 1000.0
    return out


def _smooth(
    x: FloatArray,
    y: FloatArray,
    usable: BoolArray,
    run_start: IntArray,
    run_end: IntArray,
    params: IVTParams,
) -> tuple[FloatArray, FloatArray]:
    """Moving median or average over ``noise_window`` samples, shrunk at run ends.

    Olsen 2012, §3.1.3: the window is symmetric around each sample and, near the end
    of a run, shrinks to what is available on both sides, so a gap never leaks in.
    """
    from scipy.ndimage import median_filter, uniform_filter1d

    half = params.noise_window // 2
    idx = np.arange(x.shape[0])
    room = np.minimum(np.minimum(idx - run_start, run_end - idx), half)
    out_x, out_y = x.copy(), y.copy()
    for k in range(1, half + 1):
        sel = usable & (room == k)
        if not sel.any():
            continue
        size = 2 * k + 1
        if params.noise_reduction == "median":
            fx = median_filter(np.where(usable, x, 0.0), size=size, mode="nearest")
            fy = median_filter(np.where(usable, y, 0.0), size=size, mode="nearest")
        else:
            fx = uniform_filter1d(np.where(usable, x, 0.0), size=size, mode="nearest")
            fy = uniform_filter1d(np.where(usable, y, 0.0), size=size, mode="nearest")
        out_x[sel], out_y[sel] = fx[sel], fy[sel]
    return out_x, out_y


def angular_velocity(
    t: FloatArray,
    directions: FloatArray,
    usable: BoolArray,
    run_start: IntArray,
    run_end: IntArray,
    *,
    half_window: int,
) -> tuple[FloatArray, IntArray, IntArray]:
    """Angular speed in °/s of each sample over a centred window.

    Parameters
    ----------
    t:
        Sample times in ms.
    directions:
        ``(n, 3)`` unit gaze vectors.
    usable, run_start, run_end:
        Usable mask and the bounds of each sample's usable run.
    half_window:
        Samples on each side; the window is clipped to the run.

    Returns
    -------
    (velocity, lo, hi)
        ``v_i = ∠(d_lo, d_hi) / (t_hi − t_lo)`` with ``lo = max(i − h, run start)`` and
        ``hi = min(i + h, run end)`` (Olsen 2012, §3.1.4: the angle between the first and
        last sample of the window over the time between them). ``NaN`` where the run
        holds a single sample or the sample is unusable.
    """
    idx = np.arange(t.shape[0])
    lo = np.maximum(idx - half_window, run_start)
    hi = np.minimum(idx + half_window, run_end)
    angle = angular_distance(directions[lo], directions[hi])
    return _windowed_rate(angle, t, lo, hi, usable), lo, hi


def ivt_events(
    t: FloatArray,
    x: FloatArray,
    y: FloatArray,
    usable: BoolArray,
    *,
    screen: ScreenGeometry | None,
    interval: float,
    params: IVTParams,
) -> Events:
    """Fixation events by I-VT on screen-pixel samples (see the module docstring).

    Parameters
    ----------
    t, x, y, usable:
        Times (ms, non-decreasing), screen positions (px) and the usable mask.
    screen:
        Display geometry for the angles; missing fields take the documented defaults.
    interval:
        Nominal sample interval in ms.
    params:
        Thresholds and windows.

    Returns
    -------
    Events
        The fixations, merged and with short ones discarded.

    Notes
    -----
    Everything up to the merge is vectorised (about 0.3 s for 10⁶ samples); the merge
    loops over fixations. The half window is ``h = max(1, round(window_ms / (2Δ)))``
    samples, e.g. 3 at 300 Hz (20 ms), 1 at 120 Hz and 60 Hz.
    """
    measured = usable
    x, y, usable = fill_gaps(t, x, y, usable, max_gap_ms=params.max_gap_ms)
    run_start, run_end = run_bounds(t, usable, max_gap_ms=params.max_gap_ms, interval=interval)
    if params.noise_reduction is not None and params.noise_window > 1:
        x, y = _smooth(x, y, usable, run_start, run_end, params)
    directions = gaze_directions(np.where(usable, x, 0.0), np.where(usable, y, 0.0), screen=screen)
    h = max(1, round(params.window_ms / (2.0 * interval)))
    velocity, lo, hi = angular_velocity(t, directions, usable, run_start, run_end, half_window=h)
    slow = velocity < params.velocity_threshold
    if params.acceleration_threshold is not None:
        acceleration = np.abs(
            _windowed_rate(
                np.nan_to_num(velocity[hi] - velocity[lo], nan=np.inf), t, lo, hi, usable
            )
        )
        slow &= ~(acceleration > params.acceleration_threshold)
    start, end = runs(slow, run_start)
    events = Events(start, end, t, x, y, usable, measured, interval)
    events = merge_close(
        events,
        directions,
        max_time_ms=params.merge_max_time_ms,
        max_angle_deg=params.merge_max_angle,
    )
    return events.keep(events.duration >= params.min_duration_ms)
