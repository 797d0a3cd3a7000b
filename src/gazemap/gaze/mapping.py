"""Screen pixels → stimulus pixels: where the stimulus sat on the screen, and scrolling.

A stimulus of ``width × height`` stimulus px is drawn with its top-left corner at
``(offset_x, offset_y)`` screen px, each stimulus px covering ``scale`` screen px. A web
page can also be scrolled: ``extra["scroll_x"]``/``extra["scroll_y"]`` give, per row,
how many stimulus (page) px the page was scrolled. A screen point then maps to::

    u = (x − offset_x) / scale + scroll_x
    v = (y − offset_y) / scale + scroll_y

Map *after* fixation detection: visual angles, and so the detectors, work on the screen.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from gazemap.errors import InvalidInputError
from gazemap.gaze.cleaning import continue_report
from gazemap.gaze.recording import Recording

__all__ = ["StimulusPlacement", "map_to_stimulus"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class StimulusPlacement:
    """Where and how large a stimulus was shown on the screen.

    Attributes
    ----------
    offset_x, offset_y:
        Screen px of the stimulus's top-left corner.
    scale:
        Screen px per stimulus px (``2.0``: shown at twice its size; a 900 px wide
        screenshot of a 1280 px screen shown full screen has ``1280 / 900``).
    width, height:
        Stimulus size in stimulus px (a web page: its full, scrollable height).
    follow_media:
        When true, :func:`map_to_stimulus` takes a row's ``extra["media_x"]`` /
        ``extra["media_y"]`` (screen px), where present and finite, as that row's
        offset: the Tobii readers give the media position per row when it moved during
        the recording (a browser bar appearing above a web page).

    Examples
    --------
    >>> p = StimulusPlacement.centred(811, 1050, screen_width=1680, screen_height=1050)
    >>> p.offset_x, p.offset_y
    (434.5, 0.0)
    """

    offset_x: float
    offset_y: float
    scale: float
    width: float
    height: float
    follow_media: bool = False

    def __post_init__(self) -> None:
        for name in ("scale", "width", "height"):
            value = getattr(self, name)
            if not np.isfinite(value) or value <= 0:
                raise InvalidInputError(f"{name} must be > 0, got {value}", field=name)
        for name in ("offset_x", "offset_y"):
            value = getattr(self, name)
            if not np.isfinite(value):
                raise InvalidInputError(f"{name} must be finite, got {value}", field=name)

    @classmethod
    def centred(
        cls,
        width: float,
        height: float,
        *,
        screen_width: float,
        screen_height: float,
        scale: float = 1.0,
    ) -> StimulusPlacement:
        """A stimulus centred on the screen (Gazepoint, Tobii and PsychoPy's default)."""
        return cls(
            offset_x=(screen_width - width * scale) / 2.0,
            offset_y=(screen_height - height * scale) / 2.0,
            scale=scale,
            width=width,
            height=height,
        )

    @classmethod
    def full_screen(cls, width: float, height: float, *, screen_width: float) -> StimulusPlacement:
        """A stimulus scaled to the screen width from the top-left corner (a screenshot)."""
        return cls(0.0, 0.0, screen_width / width, width, height)

    @classmethod
    def from_media(
        cls,
        recording: Recording,
        *,
        stimulus_width: float | None = None,
        stimulus_height: float | None = None,
    ) -> StimulusPlacement:
        """The placement a reader found in the file (Tobii's media position and size).

        Parameters
        ----------
        recording:
            A recording whose ``attributes`` hold ``media_x``, ``media_y`` (screen px of
            the media's top-left corner), ``media_width`` and ``media_height`` (its size
            on screen, px), as the Tobii readers set them.
        stimulus_width, stimulus_height:
            Size of the stored stimulus image, when it differs from the size shown;
            ``scale`` is then ``media_width / stimulus_width``.

        Raises
        ------
        InvalidInputError
            When an attribute is missing or not a positive number.

        Examples
        --------
        >>> rec = Recording("samples", [0.0], [500.0], [200.0], [True], attributes={
        ...     "media_x": 405, "media_y": 108, "media_width": 1110, "media_height": 865})
        >>> StimulusPlacement.from_media(rec, stimulus_width=2220)
        StimulusPlacement(offset_x=405.0, offset_y=108.0, scale=0.5, width=2220.0, height=1730.0,
                          follow_media=True)
        """
        values: dict[str, float] = {}
        for key in ("media_x", "media_y", "media_width", "media_height"):
            raw = recording.attributes.get(key)
            if raw is None and key in recording.extra:
                column = np.asarray(recording.extra[key], dtype=np.float64)
                finite = column[np.isfinite(column)]
                raw = float(finite[0]) if finite.size else None
            try:
                values[key] = float(raw)  # type: ignore[arg-type]  # checked just below
            except (TypeError, ValueError):
                raise InvalidInputError(
                    f"recording attribute {key} must be a number, got {raw!r}; "
                    "pass a StimulusPlacement built by hand instead",
                    field=key,
                ) from None
        shown_w, shown_h = values["media_width"], values["media_height"]
        width = float(stimulus_width) if stimulus_width else shown_w
        scale = shown_w / width if width > 0 else float("nan")
        height = float(stimulus_height) if stimulus_height else shown_h / scale
        return cls(values["media_x"], values["media_y"], scale, width, height, follow_media=True)

    def to_stimulus(
        self,
        x: npt.ArrayLike,
        y: npt.ArrayLike,
        *,
        scroll_x: npt.ArrayLike = 0.0,
        scroll_y: npt.ArrayLike = 0.0,
    ) -> tuple[FloatArray, FloatArray]:
        """Stimulus px of screen points (see the module docstring for the formula)."""
        u = (np.asarray(x, dtype=np.float64) - self.offset_x) / self.scale + np.asarray(scroll_x)
        v = (np.asarray(y, dtype=np.float64) - self.offset_y) / self.scale + np.asarray(scroll_y)
        return np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64)

    def contains(self, u: FloatArray, v: FloatArray) -> npt.NDArray[np.bool_]:
        """Whether stimulus points lie on the stimulus: ``0 ≤ u < width``, ``0 ≤ v < height``."""
        with np.errstate(invalid="ignore"):
            return np.asarray(
                (u >= 0) & (u < self.width) & (v >= 0) & (v < self.height), dtype=np.bool_
            )


def _scroll(recording: Recording, name: str) -> FloatArray | float:
    col = recording.extra.get(name)
    if col is None:
        return 0.0
    s = np.asarray(col, dtype=np.float64)
    return np.where(np.isfinite(s), s, 0.0)


def _media_shift(
    recording: Recording, placement: StimulusPlacement, axis: str
) -> FloatArray | float:
    """Scroll-equivalent of a per-row media offset: moving the media by d screen px
    shows stimulus px ``u`` where ``u + d / scale`` was."""
    col = recording.extra.get(f"media_{axis}") if placement.follow_media else None
    if col is None:
        return 0.0
    at = np.asarray(col, dtype=np.float64)
    base = placement.offset_x if axis == "x" else placement.offset_y
    return np.where(np.isfinite(at), -(at - base) / placement.scale, 0.0)


def map_to_stimulus(recording: Recording, placement: StimulusPlacement) -> Recording:
    """Map gaze from screen px to stimulus px, dropping what fell outside the stimulus.

    Parameters
    ----------
    recording:
        Samples or fixations in screen px; ``extra["scroll_x"]``/``["scroll_y"]``
        (stimulus px, missing = 0) are applied row by row.
    placement:
        Where the stimulus was on the screen.

    Returns
    -------
    Recording
        Rows in stimulus px; valid rows outside the stimulus are dropped and counted
        as ``outside_stimulus``. Invalid rows pass through (still invalid). Times and
        fixation durations are unchanged.

    Examples
    --------
    >>> rec = Recording("fixations", [0, 300], [440.0, 100.0], [500.0, 500.0],
    ...                 [True, True], duration=[250.0, 200.0])
    >>> p = StimulusPlacement.centred(811, 1050, screen_width=1680, screen_height=1050)
    >>> out = map_to_stimulus(rec, p)
    >>> out.x.tolist(), out.duration.tolist(), out.report.dropped["outside_stimulus"]
    ([5.5], [250.0], 1)
    """
    u, v = placement.to_stimulus(
        recording.x,
        recording.y,
        scroll_x=_scroll(recording, "scroll_x") + _media_shift(recording, placement, "x"),
        scroll_y=_scroll(recording, "scroll_y") + _media_shift(recording, placement, "y"),
    )
    outside = recording.valid & np.isfinite(u) & np.isfinite(v) & ~placement.contains(u, v)
    report = continue_report(recording)
    report.drop("outside_stimulus", int(np.count_nonzero(outside)))
    out = replace(recording, x=u, y=v, report=report).take(~outside)
    report.rows_kept = len(out)
    return out
