"""What each point weighs in a heat map, and the part of a recording inside a time window.

:func:`weights_for` returns one weight per row of ``recording.points`` (the valid rows),
so ``density(recording.points, weights=weights_for(recording, weight=...))`` lines up.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

import numpy as np
import numpy.typing as npt

from gazemap.errors import InvalidInputError
from gazemap.gaze.gaps import sample_interval
from gazemap.gaze.recording import Recording

__all__ = ["Weight", "weights_for", "window"]

Weight = Literal["count", "duration"]
FloatArray = npt.NDArray[np.float64]


def weights_for(recording: Recording, *, weight: str = "count") -> FloatArray:
    """Per-point weights for the valid rows of ``recording``.

    Parameters
    ----------
    recording:
        Samples or fixations.
    weight:
        ``"count"``: every point weighs 1. ``"duration"``: a fixation weighs its
        duration in ms; a sample weighs the time until the next sample, capped at twice
        the nominal interval so a sample before a gap does not stand for the gap, and
        the nominal interval for the last sample.

    Returns
    -------
    numpy.ndarray
        ``(n_valid,)`` float64, aligned with ``recording.points``.

    Examples
    --------
    >>> rec = Recording("samples", [0, 10, 20, 200], [1, 2, 3, 4], [1, 1, 1, 1], [True] * 4)
    >>> weights_for(rec, weight="duration").tolist()
    [10.0, 10.0, 20.0, 10.0]
    """
    m = recording.valid
    if weight == "count":
        return np.ones(int(np.count_nonzero(m)), dtype=np.float64)
    if weight != "duration":
        raise InvalidInputError(
            f"weight must be 'count' or 'duration', got {weight!r}", field="weight"
        )
    if recording.duration is not None:
        return np.asarray(recording.duration[m], dtype=np.float64)
    t = recording.t
    if t.size == 0:
        return np.zeros(0, dtype=np.float64)
    nominal = sample_interval(t, recording.sampling_rate)
    step = np.diff(t, append=t[-1] + nominal)
    return np.clip(step, 0.0, 2.0 * nominal)[m]


def window(
    recording: Recording, *, t_from: float | None = None, t_to: float | None = None
) -> Recording:
    """The part of a recording inside ``[t_from, t_to)`` (ms from recording start).

    Parameters
    ----------
    recording:
        Samples or fixations.
    t_from, t_to:
        Window bounds in ms from the start of the recording; ``None`` is open.

    Returns
    -------
    Recording
        Samples: the rows with ``t_from ≤ t < t_to``. Fixations: every fixation that
        overlaps the window, *clipped* to it (start moved to ``t_from``, duration cut at
        ``t_to``), so duration weights count only the time spent inside the window and
        a fixation straddling the boundary is split fairly between adjacent windows.

    Examples
    --------
    >>> fx = Recording("fixations", [0, 300, 600], [1, 2, 3], [1, 2, 3], [True] * 3,
    ...                duration=[250, 250, 250])
    >>> w = window(fx, t_from=100, t_to=700)
    >>> w.t.tolist(), w.duration.tolist()
    ([100.0, 300.0, 600.0], [150.0, 250.0, 100.0])
    """
    lo = -np.inf if t_from is None else float(t_from)
    hi = np.inf if t_to is None else float(t_to)
    if np.isnan(lo) or np.isnan(hi) or lo > hi:
        raise InvalidInputError(
            f"time window must have t_from <= t_to, got t_from={t_from}, t_to={t_to}",
            field="t_from",
        )
    if recording.duration is None:
        return recording.take((recording.t >= lo) & (recording.t < hi))
    end = recording.t + recording.duration
    keep = (end > lo) & (recording.t < hi)
    out = recording.take(keep)
    start = np.maximum(out.t, lo)
    stop = np.minimum(end[keep], hi)
    return replace(out, t=start, duration=stop - start)
