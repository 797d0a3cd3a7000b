"""Cleaning a recording, counting every row it drops or repairs by reason.

Reason codes (``CleaningReport.dropped`` / ``.repaired``; each dropped row is counted
once, under the first reason that applies, in this order):

======================= ======= ==============================================================
code                    action  meaning
======================= ======= ==============================================================
``wrapped_negative``    repair  x or y ≥ 2³¹ read from an unsigned 32-bit field; set to v − 2³²
``nan_timestamp``       drop    ``t`` is NaN or infinite
``backwards_timestamp`` drop    ``t`` goes back; the fewest rows that make ``t`` non-decreasing
                                (``timestamps="sort"``: rows re-ordered instead, counted as repair)
``duplicate_timestamp`` drop    same ``t`` as the previous kept row (the first one is kept)
``invalid_eye``         drop    the tracker flagged the row invalid (``valid`` is ``False``)
``nan``                 drop    x or y is NaN or infinite in a row flagged valid
``off_screen``          drop    x or y outside the screen (plus ``margin_px``)
``bad_duration``        drop    fixations only: duration NaN, infinite or ≤ 0
======================= ======= ==============================================================

With ``keep_invalid=True`` the rows failing ``invalid_eye``, ``nan`` or ``off_screen``
are kept with ``valid=False`` and counted in ``repaired`` as ``flagged:<reason>``.
"""

from __future__ import annotations

import bisect
from dataclasses import replace
from typing import Literal

import numpy as np
import numpy.typing as npt

from gazemap.errors import InvalidInputError
from gazemap.gaze.recording import CleaningReport, Recording, ScreenGeometry

__all__ = [
    "WRAP_LIMIT",
    "clean",
    "continue_report",
    "longest_nondecreasing",
    "unwrap_negatives",
]

#: Values at or above 2³¹ are unsigned 32-bit wrap-arounds of negative numbers.
WRAP_LIMIT = 2.0**31
_WRAP = 2.0**32

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def unwrap_negatives(values: FloatArray) -> tuple[FloatArray, BoolArray]:
    """Undo unsigned 32-bit wrap-around: ``4294967288`` → ``-8``.

    Returns the repaired copy and the mask of repaired entries. Only whole numbers in
    ``[2³¹, 2³²)`` are touched: no screen is two billion pixels wide.

    Examples
    --------
    >>> v, m = unwrap_negatives(np.array([4294967288.0, 12.0]))
    >>> v.tolist(), m.tolist()
    ([-8.0, 12.0], [True, False])
    """
    with np.errstate(invalid="ignore"):
        wrapped = (values >= WRAP_LIMIT) & (values < _WRAP) & (values == np.floor(values))
    out = np.where(wrapped, values - _WRAP, values)
    return out, wrapped


def longest_nondecreasing(t: FloatArray) -> npt.NDArray[np.intp]:
    """Indices of a longest non-decreasing subsequence of ``t`` (patience sorting).

    Keeping these and dropping the rest repairs ordering by dropping the fewest rows:
    one late sample costs one row, and a block from a previous page before a clock
    restart (as in the WebGazer files) is dropped rather than everything after it.
    O(n log n); only called when ``t`` is not already sorted.

    Examples
    --------
    >>> longest_nondecreasing(np.array([900.0, 950.0, 0.0, 10.0, 20.0, 5.0, 30.0])).tolist()
    [2, 3, 4, 6]
    """
    tails: list[float] = []
    tail_idx: list[int] = []
    parent = np.full(t.shape[0], -1, dtype=np.intp)
    for i, v in enumerate(t.tolist()):
        k = bisect.bisect_right(tails, v)
        if k == len(tails):
            tails.append(v)
            tail_idx.append(i)
        else:
            tails[k] = v
            tail_idx[k] = i
        parent[i] = tail_idx[k - 1] if k > 0 else -1
    out: list[int] = []
    i = tail_idx[-1] if tail_idx else -1
    while i >= 0:
        out.append(i)
        i = int(parent[i])
    return np.array(out[::-1], dtype=np.intp)


def continue_report(recording: Recording) -> CleaningReport:
    """A copy of ``recording.report`` for the next step to add to (``rows_in`` set)."""
    src = recording.report
    return CleaningReport(
        rows_in=src.rows_in or len(recording),
        rows_kept=src.rows_kept,
        dropped=src.dropped.copy(),
        repaired=src.repaired.copy(),
        notes=list(src.notes),
    )


def _screen_size(recording: Recording, screen: ScreenGeometry | None) -> tuple[float, float] | None:
    g = screen if screen is not None else recording.screen
    if g is None or not g.width_px or not g.height_px:
        return None
    return float(g.width_px), float(g.height_px)


def clean(
    recording: Recording,
    *,
    screen: ScreenGeometry | None = None,
    keep_invalid: bool = False,
    margin_px: float = 0.0,
    timestamps: Literal["drop", "sort"] = "drop",
) -> Recording:
    """Repair what can be repaired, drop what cannot, and count both by reason.

    Parameters
    ----------
    recording:
        Samples or fixations in screen px, as a reader returned them.
    screen:
        Screen size for the off-screen check; defaults to ``recording.screen``. When
        neither gives ``width_px`` and ``height_px`` the check is skipped and a note says so.
    keep_invalid:
        Keep rows that are invalid, NaN or off screen, flagged ``valid=False``, instead
        of dropping them. Not needed for fixation detection: a dropped sample leaves a
        hole in ``t`` that the detectors treat like an invalid sample.
    margin_px:
        Tolerance around the screen for the off-screen check (≥ 0).
    timestamps:
        ``"drop"`` (default) drops the fewest rows that make ``t`` non-decreasing;
        ``"sort"`` re-orders rows by ``t`` instead (for files written out of order).

    Returns
    -------
    Recording
        The cleaned copy; ``rec.report`` adds this step's counts to the reader's
        report, ``rows_kept`` is the new length.

    Examples
    --------
    >>> rec = Recording("samples", [0, 10, 10, 20, 30], [5, 6, 7, np.nan, 4294967288],
    ...                 [5, 5, 5, 5, 5], [True] * 5, screen=ScreenGeometry(1920, 1080))
    >>> out = clean(rec)
    >>> len(out), out.report.to_dict()["dropped"], out.report.to_dict()["repaired"]
    (2, {'duplicate_timestamp': 1, 'nan': 1, 'off_screen': 1}, {'wrapped_negative': 1})
    """
    if timestamps not in ("drop", "sort"):
        raise InvalidInputError(
            f"timestamps must be 'drop' or 'sort', got {timestamps!r}", field="timestamps"
        )
    if not np.isfinite(margin_px) or margin_px < 0:
        raise InvalidInputError(f"margin_px must be >= 0, got {margin_px}", field="margin_px")
    report = continue_report(recording)
    x, wrapped_x = unwrap_negatives(recording.x)
    y, wrapped_y = unwrap_negatives(recording.y)
    report.repair("wrapped_negative", int(np.count_nonzero(wrapped_x | wrapped_y)))
    rec = replace(recording, x=x, y=y, valid=recording.valid.copy(), report=report)

    finite_t = np.isfinite(rec.t)
    report.drop("nan_timestamp", int(np.count_nonzero(~finite_t)))
    rec = rec.take(finite_t)
    if len(rec) > 1 and np.any(np.diff(rec.t) < 0):
        keep = longest_nondecreasing(rec.t)
        moved = len(rec) - keep.size
        if timestamps == "sort":
            report.repair("backwards_timestamp", moved)
            rec = rec.take(np.argsort(rec.t, kind="stable"))
        else:
            report.drop("backwards_timestamp", moved)
            rec = rec.take(keep)
    if len(rec) > 1:
        dup = np.zeros(len(rec), dtype=np.bool_)
        dup[1:] = rec.t[1:] == rec.t[:-1]
        report.drop("duplicate_timestamp", int(np.count_nonzero(dup)))
        rec = rec.take(~dup)

    bad: list[tuple[str, BoolArray]] = [("invalid_eye", ~rec.valid)]
    bad.append(("nan", ~(np.isfinite(rec.x) & np.isfinite(rec.y))))
    size = _screen_size(rec, screen)
    if size is None:
        report.notes.append("off-screen check skipped: screen size unknown")
    else:
        w, h = size
        m = margin_px
        with np.errstate(invalid="ignore"):
            inside = (rec.x >= -m) & (rec.x <= w + m) & (rec.y >= -m) & (rec.y <= h + m)
        bad.append(("off_screen", ~inside))
    seen = np.zeros(len(rec), dtype=np.bool_)
    flagged = np.zeros(len(rec), dtype=np.bool_)
    for reason, mask in bad:
        new = mask & ~seen
        seen |= mask
        if keep_invalid:
            report.repair(f"flagged:{reason}", int(np.count_nonzero(new)))
            flagged |= new
        else:
            report.drop(reason, int(np.count_nonzero(new)))
    if keep_invalid:
        rec.valid = rec.valid & ~flagged
        keep_rows = np.ones(len(rec), dtype=np.bool_)
    else:
        keep_rows = ~seen
    if rec.duration is not None:
        with np.errstate(invalid="ignore"):
            bad_duration = keep_rows & ~(np.isfinite(rec.duration) & (rec.duration > 0))
        report.drop("bad_duration", int(np.count_nonzero(bad_duration)))
        keep_rows &= ~bad_duration
    rec = rec.take(keep_rows)
    report.rows_kept = len(rec)
    rec.report = report
    return rec
