"""Sample intervals, gap fill-in and the runs of usable samples the detectors work on.

A sample is *usable* when it is flagged valid and both coordinates are finite. Both
detectors first fill short gaps (Olsen 2012, §3.1.1) and then only ever look at
contiguous runs of usable samples: a run ends at a sample that stays unusable, or
where two consecutive timestamps are further apart than the maximum gap (samples a
cleaner dropped leave exactly such a hole in ``t``). No fixation spans a run break.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from gazemap.errors import InvalidInputError

__all__ = ["fill_gaps", "run_bounds", "sample_interval", "usable_mask"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]


def usable_mask(x: FloatArray, y: FloatArray, valid: BoolArray) -> BoolArray:
    """Samples flagged valid whose coordinates are both finite."""
    return np.asarray(valid & np.isfinite(x) & np.isfinite(y), dtype=np.bool_)


def sample_interval(t: FloatArray, sampling_rate: float | None = None) -> float:
    """Nominal time between samples in ms, robust to gaps and rounded timestamps.

    The mean of the positive steps of ``t`` that are at most 1.5 times their median:
    gaps do not count, and timestamps rounded to whole ms (3, 3, 4, 3, 3, 4 at 300 Hz)
    still give 3.33. Falls back to ``1000 / sampling_rate``, then to 1 ms, for fewer
    than two samples.

    Examples
    --------
    >>> sample_interval(np.array([0.0, 2.0, 4.0, 4.0, 10.0]))
    2.0
    >>> round(sample_interval(np.array([0.0, 3.0, 6.0, 10.0, 13.0, 16.0, 20.0])), 2)
    3.33
    """
    steps = np.diff(t)
    steps = steps[steps > 0]
    if steps.size:
        return float(steps[steps <= 1.5 * np.median(steps)].mean())
    if sampling_rate and sampling_rate > 0:
        return 1000.0 / float(sampling_rate)
    return 1.0


def fill_gaps(
    t: FloatArray,
    x: FloatArray,
    y: FloatArray,
    usable: BoolArray,
    *,
    max_gap_ms: float,
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Linearly interpolate runs of unusable samples that are short enough.

    Parameters
    ----------
    t, x, y, usable:
        Sample times (ms, non-decreasing), positions and the usable mask.
    max_gap_ms:
        A gap is filled when the time from the last usable sample before it to the
        first usable sample after it is at most this; ``0`` disables gap fill-in.

    Returns
    -------
    (x, y, usable)
        New arrays; filled samples become usable. Gaps at the ends are never filled.

    Notes
    -----
    For an unusable sample ``i`` between usable samples ``a < i < b``:
    ``x_i = x_a + (x_b − x_a)·(t_i − t_a)/(t_b − t_a)``.

    Examples
    --------
    >>> t = np.array([0.0, 10.0, 20.0, 30.0])
    >>> x = np.array([0.0, np.nan, np.nan, 30.0])
    >>> fx, _, ok = fill_gaps(t, x, x.copy(), np.isfinite(x), max_gap_ms=75)
    >>> fx.tolist(), ok.tolist()
    ([0.0, 10.0, 20.0, 30.0], [True, True, True, True])
    """
    if max_gap_ms < 0 or not np.isfinite(max_gap_ms):
        raise InvalidInputError(f"max_gap_ms must be >= 0, got {max_gap_ms}", field="max_gap_ms")
    n = t.shape[0]
    x, y, usable = x.copy(), y.copy(), usable.copy()
    if n == 0 or max_gap_ms == 0 or usable.all() or not usable.any():
        return x, y, usable
    idx = np.arange(n)
    prev = np.maximum.accumulate(np.where(usable, idx, -1))
    nxt = np.minimum.accumulate(np.where(usable, idx, n)[::-1])[::-1]
    gap = ~usable & (prev >= 0) & (nxt < n)
    a, b, i = prev[gap], nxt[gap], idx[gap]
    span = t[b] - t[a]
    fill = span <= max_gap_ms
    a, b, i, span = a[fill], b[fill], i[fill], span[fill]
    frac = np.divide(t[i] - t[a], span, out=np.zeros_like(span), where=span > 0)
    x[i] = x[a] + (x[b] - x[a]) * frac
    y[i] = y[a] + (y[b] - y[a]) * frac
    usable[i] = True
    return x, y, usable


def run_bounds(
    t: FloatArray, usable: BoolArray, *, max_gap_ms: float, interval: float
) -> tuple[IntArray, IntArray]:
    """First and last index of the run of usable samples that holds each sample.

    A run breaks at unusable samples and where ``t[i] − t[i−1]`` exceeds both
    ``max_gap_ms`` (a hole in ``t`` short enough to fill is bridged, like a filled
    gap) and 1.5 sample intervals (so ``max_gap_ms=0`` still joins regular samples).
    An unusable sample is a run of its own (``start == end == i``).

    Examples
    --------
    >>> t = np.array([0.0, 1.0, 2.0, 100.0, 101.0])
    >>> s, e = run_bounds(t, np.ones(5, bool), max_gap_ms=75, interval=1.0)
    >>> s.tolist(), e.tolist()
    ([0, 0, 0, 3, 3], [2, 2, 2, 4, 4])
    """
    n = t.shape[0]
    idx = np.arange(n)
    if n == 0:
        return idx, idx
    breaks = np.ones(n, dtype=np.bool_)
    if n > 1:
        hole = max(max_gap_ms, 1.5 * interval)
        breaks[1:] = ~usable[1:] | ~usable[:-1] | (np.diff(t) > hole)
    starts = np.maximum.accumulate(np.where(breaks, idx, 0))
    ends_next = np.ones(n, dtype=np.bool_)
    ends_next[:-1] = breaks[1:]
    ends = np.minimum.accumulate(np.where(ends_next, idx, n - 1)[::-1])[::-1]
    return starts.astype(np.intp), ends.astype(np.intp)
