"""Tobii Pro Lab data exports and Tobii Studio exports (tab-separated text).

Both exports hold one row per tracker sample, mixed with rows of other sensors or
events, for one or more participants, recordings and media. Each
(participant, recording, media) becomes one ``"samples"`` recording in order of first
appearance; rows that are not eye-tracker samples are counted in
``report.dropped["non_gaze_row"]``. ``x``/``y`` are the screen gaze point (Pro Lab
``Gaze point X [DACS px]``, Studio ``GazePointX (ADCSpx)``); mapping onto the media is
left to :mod:`gazemap.gaze`, using ``attributes["media_x"]``, ``["media_y"]``,
``["media_width"]``, ``["media_height"]`` (per-sample ``extra`` arrays if they change).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from gazemap.errors import FormatError, InvalidInputError
from gazemap.formats.arrow import stream_csv
from gazemap.formats.base import FormatSpec, check_head, first_line, read_head
from gazemap.formats.frame import GazeTable, Group, group_rows, split_recordings
from gazemap.formats.tobii_columns import PRO_LAB, STUDIO, Layout, movement_labels
from gazemap.gaze.recording import Recording

__all__ = ["FORMATS", "read_tobii_prolab", "read_tobii_studio"]

_COMMA_NUMBER = re.compile(rb"\t-?\d+,\d+(?=[\t\r\n])")
_POINT_NUMBER = re.compile(rb"\t-?\d+\.\d+(?=[\t\r\n])")


def _decimal(head: bytes) -> str:
    """``","`` when numbers in the first bytes use a decimal comma (Pro Lab follows the locale)."""
    commas = len(_COMMA_NUMBER.findall(head))
    return "," if commas > len(_POINT_NUMBER.findall(head)) else "."


def _sniff(layout: Layout) -> Any:
    def sniff(head: bytes, path: Path) -> float:
        line = head.split(b"\n", 1)[0]
        hits = sum(marker.encode() in line for marker in layout.markers)
        return 0.95 if hits == len(layout.markers) else 0.0

    return sniff


def _only_options(options: dict[str, Any], allowed: tuple[str, ...], reader: str) -> None:
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise InvalidInputError(
            f"unknown option(s) {unknown} for {reader}; known: {sorted(allowed)}",
            field=unknown[0],
        )


def _read(path: str | Path, layout: Layout, options: dict[str, Any]) -> list[Recording]:
    _only_options(options, ("decimal",), layout.name)
    if options.get("decimal") not in (None, ".", ","):
        raise InvalidInputError(
            f"decimal must be '.' or ',', got {options['decimal']!r}", field="decimal"
        )
    p = Path(path)
    head = read_head(p)
    check_head(head, p)
    names = first_line(head, p).split("\t")
    columns = layout.resolve(names, path=p)
    decimal = options.get("decimal") or _decimal(head)
    data = stream_csv(
        p,
        names=names,
        delimiter="\t",
        decimal=decimal,
        quoting=False,
        numeric=columns.numeric,
        labels=columns.labels,
    )
    col = columns.name
    t = data.numbers[col["t"]] * layout.time_factor(col["t"])
    sensor = layout.gaze_rows(data, col)
    gaze = sensor & np.isfinite(t)
    x, y = data.numbers[col["x"]], data.numbers[col["y"]]
    valid = np.isfinite(x) & np.isfinite(y) & layout.eye_valid(data, col)

    zeros = np.zeros(data.rows, np.int64)
    keys = [data.labels[col[k]][0] if k in col else zeros for k in layout.group_keys]
    group, first = group_rows(*(k[gaze] for k in keys))
    if first.shape[0] == 0:
        raise FormatError(
            f"no eye-tracker sample rows ({data.rows} rows of other sensors or events)",
            path=str(p),
            line=2,
        )
    gaze_rows = np.flatnonzero(gaze)
    groups = [layout.group_info(data, col, int(gaze_rows[r])) for r in first]
    by_key = {tuple(int(k[gaze_rows[r]]) for k in keys): g for g, r in enumerate(first)}
    _count_dropped(groups, keys, by_key, ~sensor, "non_gaze_row")
    _count_dropped(groups, keys, by_key, sensor & ~gaze, "no_timestamp")

    stats: dict[str, np.ndarray] = {}
    for key, name in layout.attribute_columns.items():
        if name in col:
            stats[key] = data.numbers[col[name]][gaze]
    extra: dict[str, np.ndarray] = {}
    if "movement" in col:
        extra["movement"] = movement_labels(*data.labels[col["movement"]])[gaze]
    for key in layout.extra_columns:
        if key in col:
            extra[key] = data.numbers[col[key]][gaze]

    screen = layout.screen(data, col)
    gaze_t = t[gaze]
    # the tracker's own µs clock is finer than the ms recording timestamp
    rate = _rate(
        data.numbers[col["tracker_time"]][gaze] / 1000.0 if "tracker_time" in col else gaze_t
    )
    table = GazeTable(
        t=gaze_t,
        x=x[gaze],
        y=y[gaze],
        valid=valid[gaze],
        group=group,
        groups=groups,
        columns=stats,
        extra=extra,
    )
    return split_recordings(
        table, kind="samples", path=str(p), sampling_rate=rate, screen=screen, device="Tobii"
    )


def _count_dropped(
    groups: list[Group],
    keys: list[np.ndarray],
    by_key: dict[tuple[int, ...], int],
    rows: np.ndarray,
    reason: str,
) -> None:
    """Count dropped ``rows`` in the report of the recording with the same key (else the first)."""
    dropped = np.flatnonzero(rows)
    if not dropped.size:
        return
    codes = np.stack([k[dropped] for k in keys], axis=1)
    distinct, counts = np.unique(codes, axis=0, return_counts=True)
    for key, count in zip(distinct, counts, strict=True):
        report = groups[by_key.get(tuple(int(v) for v in key), 0)].report
        report.rows_in += int(count)
        report.drop(reason, int(count))


def _rate(t: np.ndarray) -> float | None:
    """Sampling rate estimated from the median interval between samples, in Hz."""
    steps = np.diff(t)
    steps = steps[steps > 0]
    if steps.size < 2:
        return None
    return round(1000.0 / float(np.median(steps)))


def read_tobii_prolab(path: str | Path, **options: Any) -> list[Recording]:
    """Read a Tobii Pro Lab "Data export" TSV.

    Parameters
    ----------
    path:
        The export (plain or ``.gz``).
    decimal:
        ``"."`` or ``","``; detected from the first rows by default (Pro Lab writes the
        decimal mark of the computer's locale).

    Returns
    -------
    list of Recording
        One per (participant, recording, presented media or stimulus), in order of
        first appearance. ``extra["movement"]`` holds the lowercased ``Eye movement
        type`` (``"fixation"``, ``"saccade"``, ``"eyesnotfound"``, ``"unclassified"``),
        ``extra["movement_index"]`` its index, ``extra["pupil"]`` the filtered pupil
        diameter in mm. ``valid`` is False where neither eye is ``Valid`` or the gaze
        point is empty. ``sampling_rate`` is estimated from the median sample interval.

    Raises
    ------
    FormatError
        For a missing column (listing the ones found), a malformed row, or no samples.
    """
    return _read(path, PRO_LAB, options)


def read_tobii_studio(path: str | Path, **options: Any) -> list[Recording]:
    """Read a Tobii Studio data export TSV (e.g. a web-page recording).

    Parameters
    ----------
    path:
        The export (plain or ``.gz``).
    decimal:
        ``"."`` or ``","``; detected from the first rows by default.

    Returns
    -------
    list of Recording
        One per (participant, recording, media), in order of first appearance.
        ``extra["movement"]`` is the lowercased ``GazeEventType``,
        ``extra["fixation_index"]`` the ``FixationIndex`` and ``extra["scroll_y"]`` a
        vertical scroll column when the export has one. ``valid`` is False unless at
        least one eye has validity code 0 or 1 and the gaze point is present. Rows
        without an eye-tracker timestamp (mouse, key and studio events) are dropped as
        ``"non_gaze_row"``.

    Raises
    ------
    FormatError
        For a missing column (listing the ones found), a malformed row, or no samples.
    """
    return _read(path, STUDIO, options)


FORMATS = (
    FormatSpec(
        name="tobii_prolab",
        description="Tobii Pro Lab data export (TSV with unit-suffixed headers)",
        sniff=_sniff(PRO_LAB),
        read=read_tobii_prolab,
    ),
    FormatSpec(
        name="tobii_studio",
        description="Tobii Studio data export (TSV, e.g. GazePointX (ADCSpx))",
        sniff=_sniff(STUDIO),
        read=read_tobii_studio,
    ),
)
