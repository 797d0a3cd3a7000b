"""Fixation events as index ranges of samples, and what is built from them.

An event is an inclusive sample range ``[start, end]``. Its start time is ``t[start]``,
its duration ``t[end] − t[start] + Δ`` with Δ the nominal sample interval (each sample
stands for one interval: EyeLink's EFIX durations are defined the same way; the end is
capped at the next sample's time), and its position the mean of the measured samples
in the range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from gazemap.gaze.cleaning import continue_report
from gazemap.gaze.recording import Recording

__all__ = ["Events", "build_fixations", "label_samples", "merge_close", "runs"]

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]


@dataclass(frozen=True)
class Events:
    """Fixation events over one sample sequence, plus the arrays they refer to.

    Attributes
    ----------
    start, end:
        Inclusive sample index ranges, increasing and non-overlapping.
    t, x, y, usable:
        Sample times and (gap-filled) positions and the usable mask the events were
        found on.
    measured:
        The usable mask before gap fill-in: positions are averaged over these only, so
        keeping or dropping invalid samples gives the same fixations.
    interval:
        Nominal sample interval in ms.
    """

    start: IntArray
    end: IntArray
    t: FloatArray
    x: FloatArray
    y: FloatArray
    usable: BoolArray
    measured: BoolArray
    interval: float

    def __len__(self) -> int:
        return int(self.start.shape[0])

    @property
    def onset(self) -> FloatArray:
        """Start time of each event, ms."""
        return self.t[self.start]

    @property
    def duration(self) -> FloatArray:
        """Duration of each event, ms: ``min(t[end] + interval, t[end + 1]) − t[start]``.

        The last sample stands for one interval, but never past the next sample, so
        events on irregularly timed data (webcams) cannot overlap.
        """
        stop = self.t[self.end] + self.interval
        nxt = self.end + 1
        inside = nxt < self.t.shape[0]
        stop[inside] = np.minimum(stop[inside], self.t[nxt[inside]])
        return stop - self.t[self.start]

    def means(self) -> tuple[FloatArray, FloatArray]:
        """Mean x and y of each event's measured samples (its filled ones if none)."""
        mx, my, count = _range_means(self.x, self.y, self.measured, self.start, self.end)
        if np.any(count == 0):
            fx, fy, _ = _range_means(self.x, self.y, self.usable, self.start, self.end)
            mx, my = np.where(count > 0, mx, fx), np.where(count > 0, my, fy)
        return mx, my

    def keep(self, mask: BoolArray) -> Events:
        """The events selected by ``mask``."""
        return replace(self, start=self.start[mask], end=self.end[mask])


def _range_means(
    x: FloatArray, y: FloatArray, usable: BoolArray, start: IntArray, end: IntArray
) -> tuple[FloatArray, FloatArray, IntArray]:
    cx = np.concatenate(([0.0], np.cumsum(np.where(usable, x, 0.0))))
    cy = np.concatenate(([0.0], np.cumsum(np.where(usable, y, 0.0))))
    cn = np.concatenate(([0], np.cumsum(usable)))
    count = cn[end + 1] - cn[start]
    safe = np.maximum(count, 1)
    return (cx[end + 1] - cx[start]) / safe, (cy[end + 1] - cy[start]) / safe, count


def runs(mask: BoolArray, run_start: IntArray) -> tuple[IntArray, IntArray]:
    """Maximal runs of ``True`` in ``mask`` that do not cross a run break.

    ``run_start[i]`` is the first index of the usable run holding sample ``i`` (from
    :func:`gazemap.gaze.gaps.run_bounds`); a new event starts wherever it changes.

    Examples
    --------
    >>> m = np.array([True, True, False, True, True, True])
    >>> s, e = runs(m, np.array([0, 0, 0, 0, 4, 4]))
    >>> s.tolist(), e.tolist()
    ([0, 3, 4], [1, 3, 5])
    """
    n = mask.shape[0]
    if n == 0:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty
    begins = mask.copy()
    begins[1:] &= ~mask[:-1] | (run_start[1:] != run_start[:-1])
    finishes = mask.copy()
    finishes[:-1] &= ~mask[1:] | (run_start[1:] != run_start[:-1])
    return np.flatnonzero(begins).astype(np.intp), np.flatnonzero(finishes).astype(np.intp)


def merge_close(
    events: Events,
    directions: FloatArray,
    *,
    max_time_ms: float,
    max_angle_deg: float,
) -> Events:
    """Merge consecutive events closer than ``max_time_ms`` and ``max_angle_deg``.

    Parameters
    ----------
    events:
        Events in time order.
    directions:
        ``(n, 3)`` unit gaze vectors of the samples (unused rows may hold anything).
    max_time_ms, max_angle_deg:
        Two neighbours merge when the time from the end of the first to the start of
        the second, ``t[start₂] − t[end₁]``, is at most ``max_time_ms`` and the angle
        between their mean gaze directions at most ``max_angle_deg`` (Olsen 2012,
        §3.1.6). The merged event spans both and what lies between, so a
        short noise burst inside one fixation does not split it.

    Notes
    -----
    One pass, left to right, comparing each event with the merged event before it; the
    loop is over events, not samples.
    """
    if len(events) < 2:
        return events
    usable = events.usable
    cd = np.concatenate(
        (np.zeros((1, 3)), np.cumsum(np.where(usable[:, None], directions, 0.0), 0))
    )
    starts, ends = events.start.tolist(), events.end.tolist()
    t = events.t
    out_s, out_e = [starts[0]], [ends[0]]
    for s, e in zip(starts[1:], ends[1:], strict=True):
        ps, pe = out_s[-1], out_e[-1]
        if t[s] - t[pe] <= max_time_ms:
            a = (cd[pe + 1] - cd[ps]).tolist()
            b = (cd[e + 1] - cd[s]).tolist()
            if _angle_deg(a, b) <= max_angle_deg:
                out_e[-1] = e
                continue
        out_s.append(s)
        out_e.append(e)
    return replace(events, start=np.array(out_s, dtype=np.intp), end=np.array(out_e, dtype=np.intp))


def _angle_deg(a: list[float], b: list[float]) -> float:
    """Angle between two (unnormalised) 3-vectors; scalar maths, as the merge loop is hot."""
    cx = a[1] * b[2] - a[2] * b[1]
    cy = a[2] * b[0] - a[0] * b[2]
    cz = a[0] * b[1] - a[1] * b[0]
    dot = a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
    cross = math.sqrt(cx * cx + cy * cy + cz * cz)
    if cross == 0.0 and dot <= 0.0:
        return math.inf  # a zero vector: an event without usable samples never merges
    return math.degrees(math.atan2(cross, dot))


def label_samples(events: Events, n: int) -> BoolArray:
    """``True`` for every sample index inside one of the events."""
    marks = np.zeros(n + 1, dtype=np.int64)
    np.add.at(marks, events.start, 1)
    np.add.at(marks, events.end + 1, -1)
    return np.asarray(np.cumsum(marks[:n]) > 0, dtype=np.bool_)


def build_fixations(recording: Recording, events: Events) -> Recording:
    """The fixations recording for ``events`` found on ``recording``'s samples.

    Everything describing the recording (participant, stimulus, screen, ``t0``,
    device, sampling rate, attributes, source) is kept; each per-sample ``extra``
    column becomes a per-fixation column holding its value at the fixation's first
    sample (so ``scroll_y`` is the scroll position when the fixation began).
    """
    mx, my = events.means()
    n = len(events)
    report = continue_report(recording)
    # rows_kept is always the current number of rows; the note keeps the sample count.
    report.rows_kept = n
    report.notes.append(f"{n} fixations detected in {len(recording)} samples")
    return replace(
        recording,
        kind="fixations",
        t=events.onset,
        x=mx,
        y=my,
        valid=np.ones(n, dtype=np.bool_),
        duration=events.duration,
        extra={k: np.asarray(v)[events.start] for k, v in recording.extra.items()},
        attributes=dict(recording.attributes),
        report=report,
    )
