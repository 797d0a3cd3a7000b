"""gazemap's own generic format: CSV, TSV or JSON with one column per gaze role.

The default header is ``t,x,y`` (``t`` in ms, ``x``/``y`` in px, origin top-left, y
down), with optional ``duration`` (the file is then a fixation list), ``participant``
and ``stimulus`` (one recording per (participant, stimulus) pair, in order of first
appearance), ``valid`` (``1``/``0``/``true``/``false``), ``gender``, ``age`` and ``device``.
Further columns follow the rule of :mod:`gazemap.formats.frame`. Every option and the
full specification are in ``docs/formats.md``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from gazemap.formats.base import FormatSpec, check_head, first_line, read_head
from gazemap.formats.columns import TIME_UNITS, GenericOptions, RawColumns, sniff_delimiter
from gazemap.formats.frame import GazeTable, Group, group_rows, split_recordings
from gazemap.gaze.recording import Recording, ScreenGeometry

__all__ = ["FORMAT", "read_generic", "sniff_generic"]

SUFFIXES = (".csv", ".tsv", ".txt", ".json")


def _strip_gz(path: Path) -> str:
    name = path.name.lower()
    return name[:-3] if name.endswith(".gz") else name


_JSON_START = re.compile(rb'^(?:\xef\xbb\xbf)?\s*(?:\{\s*["}]|\[\s*[\[{"\d\-\]ntf])')


def _is_json(head: bytes, path: Path) -> bool:
    """A ``.json`` name, or text that opens like a JSON object/array (not ``{\\rtf``)."""
    return _strip_gz(path).endswith(".json") or bool(_JSON_START.match(head))


def sniff_generic(head: bytes, path: Path) -> float:
    """Confidence that ``head`` starts a generic file: its header names ``t``, ``x``, ``y``.

    A ``.json`` file or a text starting with ``[``/``{`` gets 0.3 (vendor readers are
    more specific); a delimited header with ``t``, ``x`` and ``y`` columns gets 0.6.

    >>> sniff_generic(b"t,x,y\\n0,1,2\\n", Path("a.csv"))
    0.6
    >>> sniff_generic(b"time;gx\\n", Path("a.csv"))
    0.0
    """
    if _is_json(head, path):
        return 0.3
    try:
        header = first_line(head, path)
    except ValueError:
        return 0.0
    names = {n.strip().strip('"').lower() for n in header.split(sniff_delimiter(header))}
    return 0.6 if {"t", "x", "y"} <= names else 0.0


def _to_pixels(raw: RawColumns, opts: GenericOptions) -> tuple[np.ndarray, np.ndarray]:
    x, y = raw.numbers["x"], raw.numbers["y"]
    if opts.units == "normalized":
        # from_kwargs guarantees width and height with normalized units
        x = x * (opts.width or 1.0)
        y = y * (opts.height or 1.0)
    if opts.origin == "bottom-left":
        y = (opts.height or 0.0) - y
    return x, y


def read_generic(path: str | Path, **options: Any) -> list[Recording]:
    """Read a generic CSV, TSV or JSON gaze file.

    Parameters
    ----------
    path:
        The file; ``.gz`` is decompressed transparently.
    columns:
        ``{role: column name}`` for columns not named after their role,
        e.g. ``{"x": "GazeX", "t": "Timestamp"}``.
    units:
        ``"px"`` (default) or ``"normalized"`` (0–1 of ``width``/``height``).
    width, height:
        Screen or stimulus size in px; needed by ``units="normalized"`` and
        ``origin="bottom-left"``; recorded as the recording's screen.
    origin:
        ``"top-left"`` (default) or ``"bottom-left"`` (y is flipped to point down).
    delimiter:
        ``","``, ``";"`` or ``"\\t"``; by default the most frequent of them in the header.
    decimal:
        Decimal mark of the numbers, ``"."`` (default) or ``","``.
    time_unit:
        Unit of ``t`` and ``duration``: ``"ms"`` (default), ``"s"`` or ``"us"``.
    encoding:
        Text encoding, UTF-8 by default (a byte-order mark is allowed). There is no
        silent fallback: invalid bytes are an error naming their line and offset.
    record_path:
        JSON only: the key under which each top-level object holds its rows.
    sampling_rate:
        Samples per second, recorded on each recording (the file does not say).

    Returns
    -------
    list of Recording
        One per (participant, stimulus) in order of first appearance; ``kind`` is
        ``"fixations"`` when a ``duration`` column exists.

    Raises
    ------
    FormatError
        For an empty, binary, header-only or malformed file (file, line, column).
    InvalidInputError
        For an unknown option or an option value outside its choices.

    Notes
    -----
    Unit conversion: ``x_px = x·width`` and ``y_px = y·height`` for normalised units,
    then ``y_px = height − y_px`` for a bottom-left origin; ``t_ms = t·f`` with
    ``f`` = 1 (ms), 1000 (s), 0.001 (µs).
    """
    from gazemap.formats.generic_csv import read_csv_columns
    from gazemap.formats.generic_json import read_json_columns

    opts = GenericOptions.from_kwargs(options)
    p = Path(path)
    head = read_head(p)
    check_head(head, p)
    raw = read_json_columns(p, opts) if _is_json(head, p) else read_csv_columns(p, head, opts)
    scale = TIME_UNITS[opts.time_unit]
    t = raw.numbers["t"] * scale if scale != 1.0 else raw.numbers["t"]
    duration = raw.numbers.get("duration")
    if duration is not None and scale != 1.0:
        duration = duration * scale
    x, y = _to_pixels(raw, opts)
    valid = np.isfinite(x) & np.isfinite(y)
    if raw.valid is not None:
        valid &= raw.valid
    codes = [raw.labels[r][0] for r in ("participant", "stimulus") if r in raw.labels]
    if codes:
        group, first = group_rows(*codes)
    else:
        group, first = np.zeros(t.shape[0], np.int64), np.zeros(1, np.int64)

    def label(role: str, row: int) -> str | None:
        if role not in raw.labels:
            return None
        found, names = raw.labels[role]
        return names[int(found[row])]

    groups = [
        Group(participant=label("participant", r), stimulus=label("stimulus", r)) for r in first
    ]
    table = GazeTable(
        t=t,
        x=x,
        y=y,
        valid=valid,
        duration=duration,
        group=group,
        groups=groups,
        columns=raw.others,
        row_line=raw.row_line,
    )
    screen = None
    if opts.width is not None and opts.height is not None:
        screen = ScreenGeometry(width_px=round(opts.width), height_px=round(opts.height))
    return split_recordings(
        table,
        kind="fixations" if duration is not None else "samples",
        path=str(p),
        sampling_rate=opts.sampling_rate,
        screen=screen,
    )


FORMAT = FormatSpec(
    name="generic",
    description="gazemap's generic CSV/TSV/JSON: columns t, x, y [, duration, participant, "
    "stimulus, …], mappable with columns=",
    sniff=sniff_generic,
    read=read_generic,
)
