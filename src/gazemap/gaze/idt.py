"""I-DT: dispersion-threshold fixation identification (Salvucci & Goldberg 2000).

A window covering at least ``min_duration_ms`` starts at the first sample not yet
used. If its dispersion ``D = (max θx − min θx) + (max θy − min θy)`` (gaze angles in
degrees, :func:`gazemap.gaze.visual_angle.gaze_angles`) is at most
``max_dispersion``, the window grows sample by sample while ``D`` stays within the
threshold and becomes a fixation; otherwise the window start moves on by one sample.

The textbook loop moves over samples in Python. Here the "does a fixation start at
sample i" test is computed for every ``i`` at once (range maxima and minima by a
sparse table built one level at a time, O(n log k) time and O(n) memory for windows
of k samples), so the Python loop runs once per fixation, and each fixation grows
by running maxima/minima over chunks of samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from gazemap.errors import InvalidInputError
from gazemap.gaze.events import Events
from gazemap.gaze.gaps import fill_gaps, run_bounds
from gazemap.gaze.recording import ScreenGeometry
from gazemap.gaze.visual_angle import gaze_angles

__all__ = ["IDTParams", "idt_events", "window_dispersion"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]


@dataclass(frozen=True, kw_only=True)
class IDTParams:
    """Parameters of :func:`idt_events` (defaults: 1.0°, 100 ms; 75 ms gap fill-in)."""

    max_dispersion: float = 1.0
    min_duration_ms: float = 100.0
    max_gap_ms: float = 75.0

    def __post_init__(self) -> None:
        if not np.isfinite(self.max_dispersion) or self.max_dispersion <= 0:
            raise InvalidInputError(
                f"max_dispersion must be > 0, got {self.max_dispersion}", field="max_dispersion"
            )
        for name, value in (
            ("min_duration_ms", self.min_duration_ms),
            ("max_gap_ms", self.max_gap_ms),
        ):
            if not np.isfinite(value) or value < 0:
                raise InvalidInputError(f"{name} must be >= 0, got {value}", field=name)


def window_dispersion(ax: FloatArray, ay: FloatArray, lo: IntArray, hi: IntArray) -> FloatArray:
    """Dispersion of every window ``[lo[k], hi[k]]`` (inclusive), vectorised.

    Notes
    -----
    A window of length ``L`` is covered by two blocks of length ``2^⌊log₂ L⌋``; the
    block maxima/minima of level ``p`` are built from level ``p − 1`` in place, and
    each window is answered at its level, so only one level is held at a time.

    Examples
    --------
    >>> a = np.array([0.0, 1.0, 0.5, 3.0])
    >>> window_dispersion(a, np.zeros(4), np.array([0, 0, 1]), np.array([2, 3, 2])).tolist()
    [1.0, 3.0, 0.5]
    """
    out = np.full(lo.shape[0], np.nan)
    if lo.size == 0:
        return out
    length = hi - lo + 1
    level = np.floor(np.log2(np.maximum(length, 1))).astype(np.intp)
    tables = [ax.copy(), ax.copy(), ay.copy(), ay.copy()]
    for p in range(int(level.max()) + 1):
        sel = np.flatnonzero(level == p)
        if sel.size:
            a, b = lo[sel], hi[sel] - (1 << p) + 1
            mxx, mnx, mxy, mny = tables
            out[sel] = (np.maximum(mxx[a], mxx[b]) - np.minimum(mnx[a], mnx[b])) + (
                np.maximum(mxy[a], mxy[b]) - np.minimum(mny[a], mny[b])
            )
        step = 1 << p
        if step >= ax.shape[0]:
            break
        for k, op in enumerate((np.maximum, np.minimum, np.maximum, np.minimum)):
            tab = tables[k]
            tab[:-step] = op(tab[:-step], tab[step:])
    return out


def _grow(ax: FloatArray, ay: FloatArray, i: int, j: int, last: int, limit: float) -> int:
    """Last index ``e ≥ j`` such that the dispersion of ``[i, e]`` stays within ``limit``."""
    mxx, mnx = ax[i : j + 1].max(), ax[i : j + 1].min()
    mxy, mny = ay[i : j + 1].max(), ay[i : j + 1].min()
    pos, chunk = j + 1, max(32, j - i + 1)
    while pos <= last:
        stop = min(last + 1, pos + chunk)
        cxx = np.maximum.accumulate(np.maximum(ax[pos:stop], mxx))
        cnx = np.minimum.accumulate(np.minimum(ax[pos:stop], mnx))
        cxy = np.maximum.accumulate(np.maximum(ay[pos:stop], mxy))
        cny = np.minimum.accumulate(np.minimum(ay[pos:stop], mny))
        over = np.flatnonzero((cxx - cnx) + (cxy - cny) > limit)
        if over.size:
            return pos + int(over[0]) - 1
        mxx, mnx, mxy, mny = cxx[-1], cnx[-1], cxy[-1], cny[-1]
        pos, chunk = stop, chunk * 2
    return last


def idt_events(
    t: FloatArray,
    x: FloatArray,
    y: FloatArray,
    usable: BoolArray,
    *,
    screen: ScreenGeometry | None,
    interval: float,
    params: IDTParams,
) -> Events:
    """Fixation events by I-DT on screen-pixel samples (see the module docstring).

    Parameters
    ----------
    t, x, y, usable:
        Times (ms, non-decreasing), screen positions (px) and the usable mask.
    screen:
        Display geometry for the angles; missing fields take the documented defaults.
    interval:
        Nominal sample interval in ms; a window of samples ``[i, j]`` lasts
        ``t[j] − t[i] + interval``.
    params:
        Dispersion and duration thresholds.

    Returns
    -------
    Events
        Non-overlapping fixations, each at least ``min_duration_ms`` long and within
        ``max_dispersion``; no fixation crosses a gap that was not filled.
    """
    measured = usable
    x, y, usable = fill_gaps(t, x, y, usable, max_gap_ms=params.max_gap_ms)
    _, run_end = run_bounds(t, usable, max_gap_ms=params.max_gap_ms, interval=interval)
    ax, ay = gaze_angles(np.where(usable, x, 0.0), np.where(usable, y, 0.0), screen=screen)
    n = t.shape[0]
    # Smallest window [i, j] lasting min_duration; a small epsilon absorbs float noise
    # in timestamps like 3.333… ms.
    need = params.min_duration_ms - interval - 1e-6
    j = np.maximum(np.searchsorted(t, t + need, side="left"), np.arange(n)).astype(np.intp)
    fits = usable & (j <= run_end)
    starts = np.flatnonzero(fits)
    disp = window_dispersion(ax, ay, starts, j[starts])
    candidates = starts[disp <= params.max_dispersion]
    out_s: list[int] = []
    out_e: list[int] = []
    k, pos = 0, 0
    while True:
        k = int(np.searchsorted(candidates, pos, side="left"))
        if k >= candidates.size:
            break
        i = int(candidates[k])
        e = _grow(ax, ay, i, int(j[i]), int(run_end[i]), params.max_dispersion)
        out_s.append(i)
        out_e.append(e)
        pos = e + 1
    events = Events(
        np.array(out_s, dtype=np.intp),
        np.array(out_e, dtype=np.intp),
        t,
        x,
        y,
        usable,
        measured,
        interval,
    )
    # On irregular timing the last sample's interval can be cut short by the next
    # sample; the duration contract still holds.
    return events.keep(events.duration >= params.min_duration_ms - 1e-9)
