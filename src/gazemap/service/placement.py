"""Where a stimulus was on the screen, as an ingest option, and the mapping it implies.

Gaze arrives in screen px; heat maps are drawn in stimulus px. :func:`place` picks the
:class:`~gazemap.gaze.StimulusPlacement` from what the caller said (``placement=``) or,
by default, from what the file says (Tobii's media position and size), and maps the
recording with :func:`~gazemap.gaze.map_to_stimulus`. Without either, coordinates are
kept as they are (a stimulus shown full screen at its own size), and when the screen
and the stimulus differ in size a note in the cleaning report says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Literal

from gazemap.errors import InvalidInputError
from gazemap.gaze import Recording, ScreenGeometry, StimulusPlacement, map_to_stimulus

__all__ = ["PLACEMENT_NAMES", "PlacementSpec", "place", "resolve_placement"]

PLACEMENT_NAMES = ("auto", "identity", "media", "centred", "full_screen")
PlacementSpec = (
    StimulusPlacement
    | Mapping[str, float]
    | Literal["auto", "identity", "media", "centred", "full_screen"]
    | None
)
_MEDIA_KEYS = ("media_x", "media_y", "media_width", "media_height")


def _screen_size(screen: ScreenGeometry | None, name: str) -> tuple[int, int]:
    if screen is None or not screen.width_px or not screen.height_px:
        raise InvalidInputError(
            f"placement {name!r} needs the screen size; the file and the study do not give it",
            field="placement",
        )
    return screen.width_px, screen.height_px


def resolve_placement(
    spec: PlacementSpec,
    recording: Recording,
    *,
    width: int,
    height: int,
    screen: ScreenGeometry | None,
) -> StimulusPlacement | None:
    """The placement ``spec`` means for ``recording``, or ``None`` for no mapping.

    Parameters
    ----------
    spec:
        A :class:`~gazemap.gaze.StimulusPlacement`; a mapping with ``offset_x``,
        ``offset_y`` and optionally ``scale`` (default 1); ``"identity"`` (no
        mapping); ``"media"`` (the file's media position, see
        :meth:`~gazemap.gaze.StimulusPlacement.from_media`); ``"centred"``;
        ``"full_screen"``; or ``"auto"``/``None``: ``"media"`` when the file has it,
        else no mapping.
    recording:
        The cleaned recording.
    width, height:
        Stimulus size in px.
    screen:
        Screen geometry (the recording's, else the study's).

    Returns
    -------
    StimulusPlacement or None

    Raises
    ------
    InvalidInputError
        ``field="placement"`` for an unknown name, malformed mapping, or a placement
        that needs a screen size nobody gave.

    Examples
    --------
    >>> rec = Recording("samples", [0.0], [1.0], [1.0], [True])
    >>> resolve_placement({"offset_x": 10, "offset_y": 0}, rec, width=800, height=600,
    ...                   screen=None)
    StimulusPlacement(offset_x=10.0, offset_y=0.0, scale=1.0, width=800.0, height=600.0...)
    """
    if isinstance(spec, StimulusPlacement):
        return spec
    if isinstance(spec, Mapping):
        unknown = sorted(set(spec) - {"offset_x", "offset_y", "scale"})
        if unknown or "offset_x" not in spec or "offset_y" not in spec:
            raise InvalidInputError(
                f"placement must have offset_x, offset_y and optionally scale, got {dict(spec)!r}",
                field="placement",
            )
        try:
            values = [float(spec["offset_x"]), float(spec["offset_y"]), float(spec.get("scale", 1))]
        except (TypeError, ValueError) as exc:
            raise InvalidInputError(
                f"placement values must be numbers, got {dict(spec)!r}", field="placement"
            ) from exc
        return StimulusPlacement(values[0], values[1], values[2], float(width), float(height))
    if spec is None or spec == "auto":
        if not any(k in recording.attributes or k in recording.extra for k in _MEDIA_KEYS):
            return None
        try:
            return StimulusPlacement.from_media(
                recording, stimulus_width=float(width), stimulus_height=float(height)
            )
        except InvalidInputError:
            return None  # incomplete media columns: keep coordinates, as without them
    if spec == "identity":
        return None
    if spec == "media":
        return StimulusPlacement.from_media(
            recording, stimulus_width=float(width), stimulus_height=float(height)
        )
    if spec == "centred":
        sw, sh = _screen_size(screen, spec)
        return StimulusPlacement.centred(width, height, screen_width=sw, screen_height=sh)
    if spec == "full_screen":
        sw, _ = _screen_size(screen, spec)
        return StimulusPlacement.full_screen(width, height, screen_width=sw)
    raise InvalidInputError(
        f"placement must be one of {list(PLACEMENT_NAMES)} or a mapping, got {spec!r}",
        field="placement",
    )


def place(
    recording: Recording,
    spec: PlacementSpec,
    *,
    width: int,
    height: int,
    screen: ScreenGeometry | None,
) -> Recording:
    """``recording`` in stimulus px according to ``spec`` (see :func:`resolve_placement`).

    Returns
    -------
    Recording
        Mapped (rows off the stimulus dropped as ``outside_stimulus``), or the input
        unchanged, with a note when the screen size differs from the stimulus size and
        nothing said how the stimulus was placed.
    """
    placement = resolve_placement(spec, recording, width=width, height=height, screen=screen)
    if placement is not None:
        return map_to_stimulus(recording, placement)
    if (
        spec in (None, "auto")
        and screen is not None
        and screen.width_px
        and (screen.width_px, screen.height_px) != (width, height)
    ):
        note = (
            f"screen {screen.width_px}x{screen.height_px} differs from the stimulus "
            f"{width}x{height} and no placement was given: coordinates kept as they are"
        )
        report = replace(recording.report, notes=[*recording.report.notes, note])
        return replace(recording, report=report)
    return recording
