"""SMI iView X / BeGaze raw-sample text export (IDF Converter ``.txt``/``.tsv``).

The file opens with ``## key: value`` header lines (sample rate, calibration area =
screen px, stimulus dimension in mm, head distance), then a tab-separated column
header starting ``Time  Type  Trial``, then ``SMP`` sample rows interleaved with ``MSG``
rows. ``Time`` is in microseconds. Gaze on screen is ``L/R POR X/Y [px]`` (origin
top-left). A message naming an image or video file (``# Message: vehicle_java2.jpg``)
marks the onset of that stimulus, so one file becomes one recording per stimulus.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from gazemap.errors import FormatError, InvalidInputError
from gazemap.formats._attributes import load_attributes
from gazemap.formats._table import Table, decode_error, open_table, read_table
from gazemap.formats.base import FormatSpec
from gazemap.gaze.recording import CleaningReport, Recording, ScreenGeometry

__all__ = ["FORMAT", "read_smi", "sniff"]

Eye = Literal["average", "left", "right"]

#: A message that names a stimulus file; its time is that stimulus's onset.
STIMULUS_MESSAGE = re.compile(
    r"#\s*Message:\s*(?P<stimulus>[^\t]*?\.(?:jpe?g|png|bmp|gif|tiff?|avi|mp4|wmv|mov|html?))\s*$",
    re.IGNORECASE,
)

_HEADER = re.compile(r"^##\s*(?P<key>[^:\t]+?)\s*:\s*(?P<value>.*)$")


def sniff(head: bytes, path: Path) -> float:
    """Confidence that ``head`` is an SMI iView text export.

    Examples
    --------
    >>> sniff(b"## [iView]\\n## Sample Rate:\\t250\\n", Path("x.txt"))
    0.99
    """
    text = head[:4096].decode("latin-1")
    if text.startswith("## [iView]") or ("## IDF Version" in text and "## Sample Rate" in text):
        return 0.99
    if "\tType\tTrial\t" in text and "POR X [px]" in text:
        return 0.8
    return 0.0


def _header(stream: Any, path: str) -> tuple[dict[str, str], list[str], int]:
    """Parse the ``##`` block and the column header; return them and the next line number."""
    meta: dict[str, str] = {}
    line_no = 0
    while True:
        try:
            raw = stream.readline()
        except UnicodeDecodeError as exc:
            raise decode_error(path, exc) from None
        line_no += 1
        if raw == "":
            raise FormatError(
                "expected a column header line 'Time<TAB>Type<TAB>…' after the ## block, "
                "found the end of the file",
                path=path,
                line=line_no,
            )
        line = raw.rstrip("\r\n")
        if line.startswith("##"):
            m = _HEADER.match(line)
            if m:
                meta[m["key"].strip()] = m["value"].strip()
            continue
        if not line.strip():
            continue
        columns = [c.strip() for c in line.split("\t")]
        if columns[:2] != ["Time", "Type"]:
            raise FormatError(
                f"expected a column header starting 'Time<TAB>Type', found {line[:60]!r}",
                path=path,
                line=line_no,
            )
        return meta, columns, line_no + 1


def _numbers(meta: dict[str, str], key: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", meta.get(key, ""))]


def _geometry(meta: dict[str, str]) -> ScreenGeometry | None:
    area = _numbers(meta, "Calibration Area")
    dims = _numbers(meta, "Stimulus Dimension [mm]")
    dist = _numbers(meta, "Head Distance [mm]")
    if not (area or dims or dist):
        return None
    return ScreenGeometry(
        width_px=int(area[0]) if len(area) >= 2 else None,
        height_px=int(area[1]) if len(area) >= 2 else None,
        width_mm=dims[0] if len(dims) >= 2 else None,
        height_mm=dims[1] if len(dims) >= 2 else None,
        distance_mm=dist[0] if dist else None,
    )


def _eye_columns(columns: list[str], eye: Eye, path: str) -> list[str]:
    present = [e for e in ("L", "R", "B") if f"{e} POR X [px]" in columns]
    wanted = {"left": ["L"], "right": ["R"], "average": ["L", "R", "B"]}[eye]
    chosen = [e for e in wanted if e in present]
    if eye == "average" and "B" in chosen and len(chosen) > 1:
        chosen = [e for e in chosen if e != "B"]
    if not chosen:
        raise FormatError(
            f"eye={eye!r} needs POR columns like {wanted[0]!r} + ' POR X [px]', "
            f"found eyes {present or 'none'}",
            path=path,
            line=None,
        )
    return chosen


def _combine(
    table: Table, eyes: list[str], columns: list[str]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.bool_], Any]:
    """Average the valid eyes; an eye is valid when its flag says so and POR is not (0, 0)."""
    n = len(table)
    sx = np.zeros(n)
    sy = np.zeros(n)
    sp = np.zeros(n)
    count = np.zeros(n)
    pupil_count = np.zeros(n)
    for e in eyes:
        x = table.numeric[f"{e} POR X [px]"]
        y = table.numeric[f"{e} POR Y [px]"]
        ok = np.isfinite(x) & np.isfinite(y) & ~((x == 0) & (y == 0))
        flag = f"{e} Validity"
        if flag in columns:
            ok &= table.numeric[flag] == 1
        sx += np.where(ok, x, 0.0)
        sy += np.where(ok, y, 0.0)
        count += ok
        dia = f"{e} Mapped Diameter [mm]"
        if dia in columns:
            d = table.numeric[dia]
            has = ok & np.isfinite(d) & (d > 0)
            sp += np.where(has, d, 0.0)
            pupil_count += has
    valid = count > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        x_out = np.where(valid, sx / count, np.nan)
        y_out = np.where(valid, sy / count, np.nan)
        pupil = np.where(pupil_count > 0, sp / pupil_count, np.nan)
    has_pupil = any(f"{e} Mapped Diameter [mm]" in columns for e in eyes)
    return x_out, y_out, valid, pupil if has_pupil else None


def _movement(table: Table) -> npt.NDArray[np.object_] | None:
    """BeGaze's per-sample ``Event Info`` (Fixation/Saccade/Blink) as lowercase labels."""
    if not table.text:
        return None
    (column,) = table.text.values()
    labels = [v.strip().lower() for v in column.values]
    # "-" is BeGaze's "no event"
    labels = ["unclassified" if v in ("", "-") else v for v in labels]
    return np.asarray(labels, dtype=object)[column.codes]


def read_smi(
    path: str | Path,
    *,
    eye: Eye = "average",
    split: bool = True,
    attributes_from: str | Path | None = None,
    attributes_id_column: str = "id",
    attributes_columns: list[str] | None = None,
) -> list[Recording]:
    """Read an SMI iView X raw-sample text export into one recording per stimulus.

    Parameters
    ----------
    path:
        The ``.txt``/``.tsv`` export (gzip is unpacked transparently).
    eye:
        ``"average"`` (mean of the eyes valid in each sample), ``"left"`` or ``"right"``.
    split:
        Start a new recording at each message naming a stimulus file (see
        :data:`STIMULUS_MESSAGE`); samples before the first such message form a
        recording with ``stimulus=None``. ``False`` gives one recording for the file.
    attributes_from:
        Optional participant table (CSV/TSV), e.g. EMIP's ``emip_metadata.csv``; the
        row whose ``attributes_id_column`` equals the file's ``## Subject`` becomes
        ``rec.attributes``.
    attributes_id_column, attributes_columns:
        Id column and the columns to keep (all by default) of that table.

    Returns
    -------
    list of Recording
        ``kind="samples"``, in file order.

    Raises
    ------
    FormatError
        Missing header or POR columns, ragged rows, non-numeric values.

    Notes
    -----
    ``t0`` is the segment's first ``Time`` / 1000 (ms, tracker clock) and
    ``t = (Time - Time₀) / 1000``. An eye counts in a sample when its ``Validity`` is 1
    (when the column exists) and its POR is not exactly (0, 0), which SMI writes for a
    lost eye; ``x, y`` are the mean over counted eyes, NaN and ``valid=False`` when none.
    ``extra["pupil"]`` is the mean mapped pupil diameter (mm) of counted eyes;
    ``extra["movement"]`` is BeGaze's ``Event Info`` of the (first) chosen eye in
    lowercase (``"fixation"``, ``"saccade"``, ``"blink"``, ``"unclassified"`` for ``-``)
    when the export has that column.
    """
    if eye not in ("average", "left", "right"):
        raise InvalidInputError(
            f"eye must be 'average', 'left' or 'right', got {eye!r}", field="eye"
        )
    p = str(path)
    messages: list[tuple[int, str]] = []
    # sample index each non-SMP/MSG row precedes, to count it in its recording's report
    other_rows: list[int] = []

    def hook(text: str, line: int, kept: int) -> bool:
        fields = text.split("\t", 3)
        kind = fields[1] if len(fields) > 1 else ""
        if kind == "SMP":
            return True
        if kind == "MSG":
            m = STIMULUS_MESSAGE.search("\t".join(fields[2:]))
            if m:
                messages.append((kept, m["stimulus"].strip()))
            return False
        if not kind:
            raise FormatError(
                "expected a row of type SMP or MSG, found a row with one field", path=p, line=line
            )
        other_rows.append(kept)
        return False

    with open_table(path) as stream:
        meta, columns, first = _header(stream, p)
        eyes = _eye_columns(columns, eye, p)
        wanted = ["Time"]
        for e in eyes:
            wanted += [f"{e} POR X [px]", f"{e} POR Y [px]"]
            wanted += [c for c in (f"{e} Validity", f"{e} Mapped Diameter [mm]") if c in columns]
        table = read_table(
            stream,
            path=p,
            header=columns,
            first_line=first,
            delimiter="\t",
            numeric=wanted,
            text=[c for c in (f"{e} Event Info" for e in eyes[:1]) if c in columns],
            row_hook=hook,
        )
    if len(table) == 0:
        raise FormatError("expected SMP sample rows after the header, found none", path=p)
    time_us = table.numeric["Time"]
    bad = ~np.isfinite(time_us)
    if bad.any():
        line = int(table.lines[np.flatnonzero(bad)[0]])
        raise FormatError(
            "expected a timestamp, found an empty value", path=p, line=line, column="Time"
        )
    x, y, valid, pupil = _combine(table, eyes, columns)
    movement = _movement(table)

    participant = meta.get("Subject") or Path(p).name.split("_")[0] or None
    attributes: dict[str, Any] = {}
    if attributes_from is not None:
        table_attrs = load_attributes(
            attributes_from, id_column=attributes_id_column, columns=attributes_columns
        )
        attributes = dict(table_attrs.get(participant or "", {}))
    rate = _numbers(meta, "Sample Rate")
    version = meta.get("iView X Version")
    device = f"SMI iView X {version}" if version else "SMI iView X"

    bounds: list[tuple[int, int, str | None]] = []
    if split and messages:
        starts = [(0, None)] + [(k, s) for k, s in messages]
        for i, (start, stim) in enumerate(starts):
            stop = starts[i + 1][0] if i + 1 < len(starts) else len(table)
            if stop > start:
                bounds.append((start, stop, stim))
    else:
        bounds.append((0, len(table), None))

    recordings: list[Recording] = []
    for start, stop, stim in bounds:
        ms = time_us[start:stop] / 1000.0
        extra = {"pupil": pupil[start:stop]} if pupil is not None else {}
        if movement is not None:
            extra["movement"] = movement[start:stop]
        n = stop - start
        # a skipped row counts in the recording of the sample it follows
        lo = int(np.searchsorted(other_rows, start, side="right")) if start > 0 else 0
        skipped = int(np.searchsorted(other_rows, stop, side="right")) - lo
        report = CleaningReport(rows_in=n + skipped, rows_kept=n)
        report.drop("non_gaze_row", skipped)
        recordings.append(
            Recording(
                kind="samples",
                t=ms - ms[0],
                x=x[start:stop],
                y=y[start:stop],
                valid=valid[start:stop],
                t0=float(ms[0]),
                participant=participant,
                stimulus=stim,
                sampling_rate=rate[0] if rate else None,
                screen=_geometry(meta),
                device=device,
                attributes=dict(attributes),
                extra=extra,
                report=report,
                source=Path(p).name,
            )
        )
    return recordings


FORMAT = FormatSpec(
    name="smi",
    description="SMI iView X / BeGaze raw-sample text export (## header, SMP and MSG rows).",
    sniff=sniff,
    read=read_smi,
)
