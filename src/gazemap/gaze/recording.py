"""The in-memory gaze recording shared by the readers, the cleaners and the detectors.

Coordinates are stimulus (or, before mapping, screen) pixels with the origin at the
top-left and y pointing down. Times are milliseconds. All per-sample arrays of one
:class:`Recording` have the same length ``n``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

__all__ = ["CleaningReport", "Kind", "Recording", "ScreenGeometry"]

Kind = Literal["samples", "fixations"]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class ScreenGeometry:
    """Physical set-up of the display, used to convert pixels to degrees of visual angle.

    Any field may be ``None`` when the file does not say; consumers then fall back to
    documented defaults (see :func:`gazemap.gaze.visual_angle.default_geometry`).

    Attributes
    ----------
    width_px, height_px:
        Screen resolution in pixels.
    width_mm, height_mm:
        Visible screen size in millimetres.
    distance_mm:
        Viewing distance from the eye to the screen in millimetres.
    """

    width_px: int | None = None
    height_px: int | None = None
    width_mm: float | None = None
    height_mm: float | None = None
    distance_mm: float | None = None

    def to_dict(self) -> dict[str, float | int | None]:
        """Plain JSON-ready mapping of the fields."""
        return {
            "width_px": self.width_px,
            "height_px": self.height_px,
            "width_mm": self.width_mm,
            "height_mm": self.height_mm,
            "distance_mm": self.distance_mm,
        }


@dataclass
class CleaningReport:
    """What reading and cleaning did to a recording, counted by reason.

    ``dropped`` and ``repaired`` map a short reason code (``"nan"``,
    ``"off_screen"``, ``"wrapped_negative"``, ``"invalid_eye"``,
    ``"duplicate_timestamp"``, ``"backwards_timestamp"``, ``"outside_stimulus"``, …) to a
    count of rows. ``rows_in`` is what the source held, ``rows_kept`` what is left.
    The API returns :meth:`to_dict` to the user after an upload.
    """

    rows_in: int = 0
    rows_kept: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    repaired: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)

    def drop(self, reason: str, count: int) -> None:
        """Record that ``count`` rows were dropped for ``reason`` (no-op for 0)."""
        if count:
            self.dropped[reason] += int(count)

    def repair(self, reason: str, count: int) -> None:
        """Record that ``count`` rows were repaired for ``reason`` (no-op for 0)."""
        if count:
            self.repaired[reason] += int(count)

    def merge(self, other: CleaningReport) -> CleaningReport:
        """Return a new report that adds the counts of ``self`` and ``other``."""
        return CleaningReport(
            rows_in=self.rows_in + other.rows_in,
            rows_kept=self.rows_kept + other.rows_kept,
            dropped=self.dropped + other.dropped,
            repaired=self.repaired + other.repaired,
            notes=[*self.notes, *other.notes],
        )

    @property
    def rows_dropped(self) -> int:
        """Total rows dropped, over all reasons."""
        return sum(self.dropped.values())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary: rows in/kept/dropped and the counts by reason."""
        return {
            "rows_in": self.rows_in,
            "rows_kept": self.rows_kept,
            "rows_dropped": self.rows_dropped,
            "dropped": dict(sorted(self.dropped.items())),
            "repaired": dict(sorted(self.repaired.items())),
            "notes": list(self.notes),
        }


def _as_float(a: npt.ArrayLike) -> FloatArray:
    return np.ascontiguousarray(a, dtype=np.float64)


@dataclass(eq=False)
class Recording:
    """One participant looking at one stimulus: gaze samples or fixations, columnar.

    Attributes
    ----------
    kind:
        ``"samples"`` (raw gaze at the tracker's rate) or ``"fixations"``.
    t:
        ``(n,)`` float64, ms from the recording's first sample; for fixations, each
        fixation's start.
    x, y:
        ``(n,)`` float64 gaze position in px, origin top-left, y down.
    valid:
        ``(n,)`` bool; ``False`` where the tracker lost the eye or the row was flagged.
    duration:
        ``(n,)`` float64 ms for fixations; ``None`` for samples.
    t0:
        Timestamp of the first sample in the file's own clock, in ms.
    participant:
        Participant id as found in the file (pseudonymised later by the store), or ``None``.
    stimulus:
        Stimulus or media name as found in the file, or ``None``.
    sampling_rate:
        Samples per second, when known.
    screen:
        Display geometry, when known.
    device:
        Tracker model or kind (``"Tobii Pro Spectrum"``, ``"EyeLink 1000"``, ``"webcam"``).
    attributes:
        Participant or recording attributes found in the file (``age``, ``gender``, …).
    extra:
        Further per-sample columns keyed by name, each of length ``n``; e.g.
        ``"movement"`` (the vendor's own sample classification: ``"fixation"``,
        ``"saccade"``, …), ``"scroll_y"``, ``"pupil"``.
    report:
        What reading and cleaning dropped or repaired.
    source:
        File name the recording came from.
    """

    kind: Kind
    t: FloatArray
    x: FloatArray
    y: FloatArray
    valid: BoolArray
    duration: FloatArray | None = None
    t0: float = 0.0
    participant: str | None = None
    stimulus: str | None = None
    sampling_rate: float | None = None
    screen: ScreenGeometry | None = None
    device: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    report: CleaningReport = field(default_factory=CleaningReport)
    source: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("samples", "fixations"):
            raise ValueError(f"kind must be 'samples' or 'fixations', got {self.kind!r}")
        self.t = _as_float(self.t)
        self.x = _as_float(self.x)
        self.y = _as_float(self.y)
        self.valid = np.ascontiguousarray(self.valid, dtype=np.bool_)
        n = self.t.shape[0]
        columns: dict[str, np.ndarray] = {"x": self.x, "y": self.y, "valid": self.valid}
        if self.duration is not None:
            self.duration = _as_float(self.duration)
            columns["duration"] = self.duration
        elif self.kind == "fixations":
            raise ValueError("a fixation recording needs a duration array")
        columns.update({f"extra[{k!r}]": v for k, v in self.extra.items()})
        for name, arr in columns.items():
            if arr.ndim != 1 or arr.shape[0] != n:
                raise ValueError(f"{name} has shape {arr.shape}, expected ({n},) like t")

    def __len__(self) -> int:
        return int(self.t.shape[0])

    @property
    def points(self) -> FloatArray:
        """``(n, 2)`` array of (x, y) of the valid rows, ready for :func:`gazemap.kde.density`."""
        m = self.valid
        return np.column_stack((self.x[m], self.y[m]))

    def take(self, index: npt.ArrayLike) -> Recording:
        """A new recording with only the rows selected by a boolean mask or index array."""
        idx = np.asarray(index)
        return replace(
            self,
            t=self.t[idx],
            x=self.x[idx],
            y=self.y[idx],
            valid=self.valid[idx],
            duration=None if self.duration is None else self.duration[idx],
            extra={k: v[idx] for k, v in self.extra.items()},
            attributes=dict(self.attributes),
        )

    def with_attributes(self, attributes: Mapping[str, Any]) -> Recording:
        """A copy whose attributes are updated with ``attributes``."""
        return replace(self, attributes={**self.attributes, **attributes})

    def __repr__(self) -> str:
        return (
            f"Recording(kind={self.kind!r}, n={len(self)}, participant={self.participant!r}, "
            f"stimulus={self.stimulus!r}, sampling_rate={self.sampling_rate!r})"
        )
