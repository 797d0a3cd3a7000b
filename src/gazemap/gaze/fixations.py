"""Fixation detection on a :class:`~gazemap.gaze.Recording`: the public entry points.

Detection runs on **screen** pixels (visual angles are defined on the screen), after
:func:`~gazemap.gaze.clean` and before :func:`~gazemap.gaze.map_to_stimulus`. It
accepts recordings with or without their invalid samples: an invalid sample and a
hole in ``t`` left by a dropped one are the same gap to the detectors.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from gazemap.errors import InvalidInputError
from gazemap.gaze.events import Events, build_fixations, label_samples
from gazemap.gaze.gaps import sample_interval, usable_mask
from gazemap.gaze.idt import IDTParams, idt_events
from gazemap.gaze.ivt import IVTParams, ivt_events
from gazemap.gaze.recording import Recording, ScreenGeometry

__all__ = ["METHODS", "Method", "detect_fixations", "find_events", "sample_labels"]

Method = Literal["ivt", "idt"]
#: Detector names accepted by ``method=``.
METHODS: tuple[Method, ...] = ("ivt", "idt")


def _params(method: str, params: dict[str, Any]) -> IVTParams | IDTParams:
    cls: type[IVTParams] | type[IDTParams]
    if method == "ivt":
        cls = IVTParams
    elif method == "idt":
        cls = IDTParams
    else:
        raise InvalidInputError(
            f"method must be one of {', '.join(METHODS)}, got {method!r}", field="method"
        )
    known = set(cls.__dataclass_fields__)
    unknown = sorted(set(params) - known)
    if unknown:
        raise InvalidInputError(
            f"unknown {method} parameter(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known))}",
            field=unknown[0],
        )
    return cls(**params)


def find_events(
    recording: Recording,
    method: str = "ivt",
    *,
    screen: ScreenGeometry | None = None,
    **params: Any,
) -> Events:
    """Fixation events as sample index ranges of a samples recording.

    The lower-level form of :func:`detect_fixations`; see there for the parameters.
    """
    if recording.kind != "samples":
        raise InvalidInputError(
            f"fixation events need a samples recording, got kind={recording.kind!r}",
            field="recording",
        )
    p = _params(method, params)
    t = recording.t
    if t.size and not np.all(np.isfinite(t)):
        raise InvalidInputError("t must be finite; run gazemap.gaze.clean first", field="recording")
    if t.size > 1 and np.any(np.diff(t) < 0):
        raise InvalidInputError(
            "t must be non-decreasing; run gazemap.gaze.clean first", field="recording"
        )
    geometry = screen if screen is not None else recording.screen
    interval = sample_interval(t, recording.sampling_rate)
    usable = usable_mask(recording.x, recording.y, recording.valid)
    if isinstance(p, IVTParams):
        return ivt_events(
            t, recording.x, recording.y, usable, screen=geometry, interval=interval, params=p
        )
    return idt_events(
        t, recording.x, recording.y, usable, screen=geometry, interval=interval, params=p
    )


def detect_fixations(
    recording: Recording,
    method: str = "ivt",
    *,
    screen: ScreenGeometry | None = None,
    **params: Any,
) -> Recording:
    """Detect fixations in a recording of gaze samples.

    Parameters
    ----------
    recording:
        Samples in screen px with ``t`` non-decreasing (what :func:`gazemap.gaze.clean`
        returns). Invalid samples may be kept or dropped. A fixations recording is
        returned unchanged, so callers need not check the kind first.
    method:
        ``"ivt"`` (velocity threshold, Tobii I-VT defaults) or ``"idt"`` (dispersion
        threshold, Salvucci & Goldberg 2000).
    screen:
        Display geometry for the visual angles; defaults to ``recording.screen``, and
        missing fields to :func:`gazemap.gaze.visual_angle.default_geometry`.
    **params:
        I-VT: ``velocity_threshold`` (°/s, 30), ``window_ms`` (20), ``max_gap_ms`` (75),
        ``merge_max_time_ms`` (75), ``merge_max_angle`` (°, 0.5), ``min_duration_ms``
        (60), ``acceleration_threshold`` (°/s², off). I-DT: ``max_dispersion`` (°, 1.0),
        ``min_duration_ms`` (100), ``max_gap_ms`` (75).

    Returns
    -------
    Recording
        ``kind="fixations"``: ``t`` the start (ms from recording start), ``duration``
        (ms), ``x``, ``y`` the mean position (px), ``valid`` all ``True``; the
        recording's description (participant, stimulus, screen, t0, device, sampling
        rate, attributes, report) unchanged.

    Raises
    ------
    InvalidInputError
        Unknown method or parameter, a parameter out of range, or ``t`` not sorted.

    Examples
    --------
    >>> t = np.arange(0, 1000, 10.0)
    >>> x = np.where(t < 500, 500.0, 900.0)
    >>> rec = Recording("samples", t, x, np.full_like(t, 400.0), np.ones(t.size, bool))
    >>> fx = detect_fixations(rec, "ivt")
    >>> fx.kind, fx.x.tolist(), fx.duration.tolist()
    ('fixations', [500.0, 900.0], [490.0, 490.0])
    """
    if recording.kind == "fixations":
        _params(method, params)
        return recording
    return build_fixations(recording, find_events(recording, method, screen=screen, **params))


def sample_labels(
    recording: Recording,
    method: str = "ivt",
    *,
    screen: ScreenGeometry | None = None,
    **params: Any,
) -> npt.NDArray[np.bool_]:
    """Which samples belong to a detected fixation, as a boolean array of ``len(recording)``.

    Same parameters as :func:`detect_fixations`. A sample counts as fixation when it
    lies inside a fixation's sample range after merging (so the short noise a merge
    absorbed counts too); invalid samples filled by gap fill-in can be fixation
    samples, longer gaps never are.

    Raises
    ------
    InvalidInputError
        For a fixations recording (there are no samples to label), and as
        :func:`detect_fixations`.

    Examples
    --------
    >>> t = np.arange(0, 300, 10.0)
    >>> rec = Recording("samples", t, np.full_like(t, 100.0), np.full_like(t, 100.0),
    ...                 np.arange(t.size) != 5)
    >>> bool(sample_labels(rec, "idt").all())
    True
    """
    events = find_events(recording, method, screen=screen, **params)
    return label_samples(events, len(recording))
