"""What a gaze file and the upload form say about each recording, checked and normalised.

Used by :func:`gazemap.service.ingest.ingest_recordings`: which recordings belong to the
target stimulus (:func:`select_recordings`), and the participant fields read from the
file or given on the form (:func:`form_text`, :func:`parse_age`, :func:`json_value`,
:func:`started_at`).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

import numpy as np

from gazemap.errors import InvalidInputError
from gazemap.gaze import Recording

__all__ = [
    "RECORDING_ATTRIBUTES",
    "form_text",
    "json_value",
    "parse_age",
    "select_recordings",
    "started_at",
    "stimulus_key",
]

#: File attributes that describe one recording, not the person: kept out of
#: ``Participant.attributes``.
RECORDING_ATTRIBUTES = frozenset(
    {
        "block", "eye", "trial", "recording", "start_time", "media_path", "media_name",
        "media_x", "media_y", "media_width", "media_height", "stimulus", "participant",
    }
)  # fmt: skip


_IMAGE_SUFFIX = re.compile(r"\.(png|jpe?g|gif|bmp|webp|tiff?)$")


def stimulus_key(name: str) -> str:
    """Stimulus name for matching: no case, no surrounding space, no image suffix.

    Examples
    --------
    >>> stimulus_key(" OSIE-1010.JPG "), stimulus_key("http://example.org/ (CRC)")
    ('osie-1010', 'http://example.org/ (crc)')
    """
    return _IMAGE_SUFFIX.sub("", name.strip().casefold())


def json_value(value: Any) -> Any:
    """A file value as JSON: numpy scalars unwrapped, NaN/inf as ``None``, others as text.

    Examples
    --------
    >>> json_value(np.float64(2.5)), json_value(float("nan")), json_value(("a",))
    (2.5, None, "('a',)")
    """
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def parse_age(value: Any, *, strict: bool) -> int | None:
    """Age in whole years 0-149, or ``None`` when missing.

    A bad value raises ``InvalidInputError(field="age")`` when ``strict`` (a form field)
    and is ignored otherwise (a file column).

    Examples
    --------
    >>> parse_age("31", strict=True), parse_age(31.5, strict=False), parse_age(None, strict=True)
    (31, None, None)
    """
    value = json_value(value)
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or number != int(number) or not 0 <= number < 150:
        if strict:
            raise InvalidInputError(f"age must be a whole number 0-149, got {value!r}", field="age")
        return None
    return int(number)


def started_at(value: Any) -> datetime | None:
    """A file's ISO 8601 start time as an aware datetime (UTC when it has no offset)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    # files give local wall-clock times without an offset; they are taken as UTC
    return moment if moment.utcoffset() is not None else moment.replace(tzinfo=UTC)


def form_text(value: str | None, field: str, maximum: int) -> str | None:
    """A form field stripped, or ``None``; ``InvalidInputError`` if empty or too long."""
    if value is None:
        return None
    text = str(value).strip()
    if not text or len(text) > maximum:
        raise InvalidInputError(
            f"{field} must be 1 to {maximum} characters, got {value!r}", field=field
        )
    return text


def select_recordings(
    recordings: list[Recording], keys: frozenset[str], other_stimuli: str
) -> tuple[list[Recording], list[str]]:
    """The recordings of the target stimulus, and notes on what was left out.

    Parameters
    ----------
    recordings:
        As read from the file.
    keys:
        :func:`stimulus_key` of the target's name and page key.
    other_stimuli:
        ``"reject"``: a recording naming another stimulus fails the upload;
        ``"skip"``: it is left out with a note.

    Returns
    -------
    tuple
        The recordings to store (those naming the target; if none does, those naming
        no stimulus) and the notes for the cleaning report.

    Raises
    ------
    InvalidInputError
        ``field="file"``: other stimuli with ``"reject"``, or nothing left.

    Examples
    --------
    >>> rec = lambda s: Recording("samples", [0.0], [1.0], [1.0], [True], stimulus=s)
    >>> keep, notes = select_recordings([rec(None), rec("Page.png"), rec("intro")],
    ...                                 frozenset({"page"}), "skip")
    >>> [r.stimulus for r in keep], notes
    (['Page.png'], ["skipped 1 recording(s) of stimulus 'intro'", 'skipped 1 recording(s) that name no stimulus'])
    """
    named = [r for r in recordings if r.stimulus is not None and stimulus_key(r.stimulus) in keys]
    unnamed = [r for r in recordings if r.stimulus is None]
    others = [
        r.stimulus
        for r in recordings
        if r.stimulus is not None and stimulus_key(r.stimulus) not in keys
    ]
    found = sorted(set(others))
    if others and other_stimuli == "reject":
        raise InvalidInputError(
            f"the file has {len(others)} recording(s) of other stimuli {found} "
            f"(this stimulus is {sorted(keys)}); upload them to their own stimuli, "
            "or pass other_stimuli='skip' to leave them out",
            field="file",
        )
    notes = [f"skipped {others.count(n)} recording(s) of stimulus {n!r}" for n in found]
    if named and unnamed:
        # segments before the first stimulus message (SMI, Tobii): not this stimulus
        notes.append(f"skipped {len(unnamed)} recording(s) that name no stimulus")
    keep = named or unnamed
    if not keep:
        raise InvalidInputError(
            f"the file has no recordings of this stimulus ({sorted(keys)}); it names {found}",
            field="file",
        )
    return keep, notes
