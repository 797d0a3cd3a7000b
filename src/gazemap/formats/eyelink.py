"""SR Research EyeLink ASC files (``edf2asc`` output), plain or gzip.

Recordings: when any ``MSG`` matches ``trial_start`` (default ``TRIALID``) the file is
split at each such message, in file order, and samples before the first one form a
recording of their own (``attributes["trial"] is None``); otherwise each
``START``…``END`` block is one recording. ``x``/``y`` are gaze in screen px
(``GAZE_COORDS``, else ``DISPLAY_COORDS``, give the screen size).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from gazemap.errors import FormatError, InvalidInputError
from gazemap.formats.base import FormatSpec, check_head, read_head
from gazemap.formats.eyelink_parse import AscData, Unit, parse_asc
from gazemap.formats.frame import GazeTable, Group, group_rows, split_recordings
from gazemap.gaze.recording import Recording

__all__ = ["FORMAT", "label_movements", "read_eyelink"]

EYES = ("average", "left", "right")
DEFAULT_STIMULUS = r"!V\s+IMGLOAD\s+\w+\s+(\S+)"
#: event kinds by increasing priority: a blink inside a saccade labels the sample "blink"
MOVEMENTS = (("EFIX", "fixation"), ("ESACC", "saccade"), ("EBLINK", "blink"))


def sniff_eyelink(head: bytes, path: Path) -> float:
    """Confidence that ``head`` starts an EyeLink ASC file.

    >>> sniff_eyelink(b"** CONVERTED FROM x.edf using edfapi", Path("x.asc"))
    0.95
    """
    if head.startswith(b"** CONVERTED FROM") or b"\nSTART\t" in head:
        return 0.95
    if b"\nMSG\t" in head or head.startswith(b"MSG\t"):
        return 0.8
    name = path.name.lower()
    return 0.5 if name.endswith((".asc", ".asc.gz")) else 0.0


def label_movements(
    t: npt.NDArray[np.float64], events: list[tuple[str, float, float]]
) -> npt.NDArray[np.object_]:
    """Each sample's movement from the ``(kind, start, end)`` events that contain it.

    Samples in no event are ``"unclassified"``; bounds are inclusive (EyeLink's).

    >>> label_movements(np.array([0.0, 5, 9, 12]), [("EFIX", 0, 6), ("ESACC", 7, 10)]).tolist()
    ['fixation', 'fixation', 'saccade', 'unclassified']
    """
    labels = np.full(t.shape[0], "unclassified", dtype=object)
    for kind, name in MOVEMENTS:
        spans = np.array([(s, e) for k, s, e in events if k == kind], dtype=np.float64)
        if not spans.size:
            continue
        spans = spans[np.argsort(spans[:, 0], kind="stable")]
        ends = np.maximum.accumulate(spans[:, 1])
        at = np.searchsorted(spans[:, 0], t, side="right") - 1
        inside = (at >= 0) & (t <= ends[np.maximum(at, 0)])
        labels[inside] = name
    return labels


def _units(data: AscData) -> tuple[npt.NDArray[np.int64], list[Unit], bool]:
    """Unit index per sample: trials when the file has trial messages, else blocks."""
    if data.trials:
        return np.frombuffer(data.trial, dtype=np.int64), data.trials, True
    return np.frombuffer(data.block, dtype=np.int64), data.blocks, False


def _group(unit: Unit | None, by_trial: bool, eye: str) -> Group:
    attributes: dict[str, Any] = {"eye": eye}
    attributes["trial" if by_trial else "block"] = None if unit is None else unit.label
    return Group(stimulus=None if unit is None else unit.stimulus, attributes=attributes)


def _options(options: dict[str, Any]) -> tuple[str, str, str | None, str | None]:
    known = ("eye", "trial_start", "stimulus_from", "events")
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise InvalidInputError(
            f"unknown option(s) {unknown} for eyelink_asc; known: {list(known)}", field=unknown[0]
        )
    eye = options.get("eye", "average")
    if eye not in EYES:
        raise InvalidInputError(f"eye must be one of {list(EYES)}, got {eye!r}", field="eye")
    events = options.get("events")
    if events not in (None, "fixations"):
        raise InvalidInputError(
            f"events must be None or 'fixations', got {events!r}", field="events"
        )
    patterns: dict[str, str | None] = {"trial_start": "TRIALID", "stimulus_from": DEFAULT_STIMULUS}
    for name, default in patterns.items():
        value = options.get(name, default)
        if value is None and name == "stimulus_from":
            continue
        if not isinstance(value, str):
            raise InvalidInputError(
                f"{name} must be a regular expression, got {value!r}", field=name
            )
        try:
            re.compile(value)
        except re.error as exc:
            raise InvalidInputError(
                f"{name} must be a regular expression, got {value!r} ({exc})", field=name
            ) from None
        patterns[name] = value
    return eye, patterns["trial_start"] or "TRIALID", patterns["stimulus_from"], events


def read_eyelink(path: str | Path, **options: Any) -> list[Recording]:
    """Read an EyeLink ASC file (plain or ``.gz``).

    Parameters
    ----------
    path:
        The ASC file.
    eye:
        ``"average"`` (default: the mean of the eyes found on each sample of a
        binocular recording; the one eye of a monocular one), ``"left"`` or ``"right"``.
    trial_start:
        Regular expression a ``MSG`` text must contain to start a trial (default
        ``"TRIALID"``); its first group, else the text after the match, becomes
        ``attributes["trial"]``.
    stimulus_from:
        Regular expression whose first group, in a ``MSG`` text, names the stimulus of
        the current trial (default: Data Viewer's ``!V IMGLOAD <mode> <file>``).
    events:
        ``None`` (default) for samples; ``"fixations"`` for the tracker's own ``EFIX``
        events as ``"fixations"`` recordings (trials without a fixation are left out).

    Returns
    -------
    list of Recording
        In file order. Samples carry ``extra["movement"]``: ``"fixation"``,
        ``"saccade"``, ``"blink"`` inside the chosen eye's ``EFIX``/``ESACC``/``EBLINK``
        (for ``eye="average"`` on binocular data, the left eye's events), else
        ``"unclassified"``. ``valid`` is False where x or y is missing (``.``).
        ``t0`` and ``t`` of a fixation list are on the same clock as the samples of
        its trial (``t0`` = the trial's first sample).

    Raises
    ------
    FormatError
        For a malformed sample, event or ``START`` line (line and field), a file with
        no samples, or an ``eye`` that was not recorded.
    """
    eye, trial_start, stimulus_from, events = _options(options)
    p = Path(path)
    head = read_head(p)
    check_head(head, p)
    data = parse_asc(p, eye=eye, trial_start=trial_start, stimulus_from=stimulus_from)
    if not data.t:
        raise FormatError("no sample lines; expected 'time x y pupil …' rows", path=str(p))
    t = np.frombuffer(data.t, dtype=np.float64)
    unit_of, units, by_trial = _units(data)
    group, first = group_rows(unit_of)
    groups = [_group(units[u] if u >= 0 else None, by_trial, eye) for u in unit_of[first]]
    # rate and screen as set up for the START block holding each recording's first sample
    block = np.frombuffer(data.block, dtype=np.int64)
    ordered = [data.blocks[b] if b >= 0 else Unit() for b in block[first]]
    if events == "fixations":
        return _fixations(data, p, t, unit_of, first, groups, ordered)
    x = np.frombuffer(data.x, dtype=np.float64)
    y = np.frombuffer(data.y, dtype=np.float64)
    movement = label_movements(t, [(k, s, e) for k, s, e, *_ in data.events])
    table = GazeTable(
        t=t,
        x=x,
        y=y,
        valid=np.isfinite(x) & np.isfinite(y),
        group=group,
        groups=groups,
        extra={"movement": movement},
    )
    recordings = split_recordings(table, kind="samples", path=str(p), device=data.device)
    for rec, unit in zip(recordings, ordered, strict=True):
        rec.sampling_rate, rec.screen = unit.sampling_rate, unit.screen
    return recordings


def _fixations(
    data: AscData,
    p: Path,
    t: npt.NDArray[np.float64],
    unit_of: npt.NDArray[np.int64],
    first: npt.NDArray[np.int64],
    groups: list[Group],
    ordered: list[Unit],
) -> list[Recording]:
    fix = [e for e in data.events if e[0] == "EFIX"]
    if not fix:
        raise FormatError("no EFIX events for the chosen eye", path=str(p))
    start = np.array([e[1] for e in fix])
    # a fixation belongs to the trial of the sample at its start (messages may come late)
    at = np.clip(np.searchsorted(t, start, side="left"), 0, t.shape[0] - 1)
    unit = unit_of[at]
    fx = np.array([e[4] for e in fix])
    fy = np.array([e[5] for e in fix])
    where = {int(u): g for g, u in enumerate(unit_of[first])}
    fix_group, fix_first = group_rows(unit)
    fix_groups = [groups[where[int(u)]] for u in unit[fix_first]]
    table = GazeTable(
        t=start,
        x=fx,
        y=fy,
        valid=np.isfinite(fx) & np.isfinite(fy),
        duration=np.array([e[3] for e in fix]),
        group=fix_group,
        groups=fix_groups,
    )
    recordings = split_recordings(table, kind="fixations", path=str(p), device=data.device)
    for rec, u in zip(recordings, unit[fix_first], strict=True):
        g = where[int(u)]
        # anchor the fixation list on its trial's first sample: one clock with the samples
        anchor = float(t[first[g]])
        rec.t = rec.t + (rec.t0 - anchor)
        rec.t0 = anchor
        rec.sampling_rate, rec.screen = ordered[g].sampling_rate, ordered[g].screen
    return recordings


FORMAT = FormatSpec(
    name="eyelink_asc",
    description="SR Research EyeLink ASC (edf2asc output), plain or .gz",
    sniff=sniff_eyelink,
    read=read_eyelink,
)
