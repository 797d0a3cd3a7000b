"""Gazepoint Analysis CSV exports (``<user>_fixations.csv`` and ``<user>_all_gaze.csv``).

Both exports share one header: ``MEDIA_ID, MEDIA_NAME, CNT, TIME(<start date time>),
TIMETICK(f=<ticks per second>), FPOGX, FPOGY, FPOGS, FPOGD, FPOGID, FPOGV, BPOGX, BPOGY,
BPOGV, …`` with a trailing comma on every line. Positions are fractions of the screen
(0..1, origin top-left, values outside occur), ``TIME`` and ``FPOGS``/``FPOGD`` are
seconds since the current media started, ``TIMETICK`` is the tracker's running clock.
The fixations export has one row per fixation (its last sample, carrying the final
``FPOGD``); all_gaze has every sample. Each run of rows with the same ``MEDIA_NAME``
becomes one recording.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import numpy as np

from gazemap.errors import FormatError, InvalidInputError
from gazemap.formats._table import open_table, read_header_line, read_table, runs
from gazemap.formats.base import FormatSpec
from gazemap.gaze.recording import CleaningReport, Recording, ScreenGeometry

__all__ = ["DEFAULT_SCREEN", "FORMAT", "read_gazepoint", "read_project", "sniff"]

#: Screen size assumed when the caller does not give one: the export does not say it.
DEFAULT_SCREEN = (1920, 1080)

_TIME = re.compile(r"^TIME\((?P<start>[^)]*)\)$")
_TICK = re.compile(r"^TIMETICK\(f=(?P<freq>[0-9.eE+]+)\)$")
_SUFFIX = re.compile(r"_(fixations|all_gaze)$", re.IGNORECASE)


def sniff(head: bytes, path: Path) -> float:
    """Confidence that ``head`` is a Gazepoint Analysis CSV export.

    Examples
    --------
    >>> sniff(b"MEDIA_ID,MEDIA_NAME,CNT,TIME(2019/11/18 23:50:04.582),FPOGX,", Path("a.csv"))
    0.95
    """
    first = head.split(b"\n", 1)[0]
    if first.startswith(b"MEDIA_ID,MEDIA_NAME,") and b"FPOGX" in first:
        return 0.95
    if b"FPOGX" in first and b"BPOGX" in first:
        return 0.7
    return 0.0


_PRJ_ENTRY = re.compile(r"\{([^{}]*)\}")
_PRJ_FIELD = re.compile(r"(\w+):\s*(\"[^\"]*\"|[^,]*)")


def read_project(path: str | Path) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """Media files and user attributes from a Gazepoint Analysis ``.prj`` project.

    The project is OpenCV-style YAML (``%YAML:1.0``) with one flow mapping per media
    (``Name``, ``Path``, …) and per user (``Name``, ``Age``, ``Gender``). It records no
    screen size.

    Returns
    -------
    tuple of dict
        ``{media name: file path}`` and ``{user name: {"age": …, "gender": …}}``;
        an age of 0 means "not entered" and is left out.

    Raises
    ------
    FormatError
        When the file cannot be read or has no ``Media:`` section.
    """
    p = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"cannot read the Gazepoint project: {exc}", path=p) from None
    if "Media:" not in text:
        raise FormatError("expected a Gazepoint project with a 'Media:' section", path=p)
    media_part, _, rest = text.partition("UserData:")
    media: dict[str, str] = {}
    for entry in _PRJ_ENTRY.findall(media_part):
        fields = {k: v.strip().strip('"') for k, v in _PRJ_FIELD.findall(entry)}
        if "Name" in fields and "Path" in fields:
            media[fields["Name"]] = fields["Path"]
    users: dict[str, dict[str, Any]] = {}
    for entry in _PRJ_ENTRY.findall(rest.partition("AOI:")[0]):
        fields = {k: v.strip().strip('"') for k, v in _PRJ_FIELD.findall(entry)}
        if "Name" not in fields:
            continue
        attrs: dict[str, Any] = {}
        age = fields.get("Age", "0")
        if age.isdigit() and int(age) > 0:
            attrs["age"] = int(age)
        if fields.get("Gender"):
            attrs["gender"] = fields["Gender"]
        users[fields["Name"]] = attrs
    return media, users


def _find(header: list[str], pattern: re.Pattern[str], what: str, path: str) -> re.Match[str]:
    for name in header:
        m = pattern.match(name)
        if m:
            return m
    raise FormatError(
        f"expected a {what} column in the header, found {header[:6]!r}…", path=path, line=1
    )


def read_gazepoint(
    path: str | Path,
    *,
    kind: Literal["auto", "samples", "fixations"] = "auto",
    screen_width: int | None = None,
    screen_height: int | None = None,
    participant: str | None = None,
    project: str | Path | None = None,
) -> list[Recording]:
    """Read a Gazepoint Analysis fixations or all_gaze CSV into one recording per media.

    Parameters
    ----------
    path:
        The CSV export.
    kind:
        ``"fixations"`` for a ``*_fixations.csv`` export, ``"samples"`` for
        ``*_all_gaze.csv``; ``"auto"`` decides from the file name (``fixations`` in
        it means fixations).
    screen_width, screen_height:
        Screen resolution in px the normalised coordinates refer to. The export does
        not record it (nor does the ``.prj`` project file); without it
        :data:`DEFAULT_SCREEN` (1920×1080) is assumed and a note says so.
    participant:
        Participant id; by default the file name without ``_fixations``/``_all_gaze``
        (Gazepoint names exports after the user; the ``USER`` column holds custom
        marker data, not the user).
    project:
        The study's ``.prj`` file (see :func:`read_project`): each recording gets
        ``attributes["media_path"]`` (the stimulus file of its ``MEDIA_NAME``) and the
        user's ``age``/``gender`` when the participant is ``<name>`` or ends in
        ``_<name>`` for a user ``<name>`` of the project.

    Returns
    -------
    list of Recording
        One per run of rows with the same ``MEDIA_NAME``, in file order.

    Raises
    ------
    FormatError
        Not a Gazepoint header, ragged rows, non-numeric values.

    Notes
    -----
    Screen px are ``x = FPOGX·W``, ``y = FPOGY·H`` for fixations (``BPOGX``/``BPOGY``,
    the best point of gaze, for samples). Fixations: ``t = (FPOGS − FPOGS₀)·1000``,
    ``duration = FPOGD·1000``, ``valid = FPOGV == 1``. Samples:
    ``t = (TIME − TIME₀)·1000``, ``valid = BPOGV == 1``; ``extra["fixation_id"]`` is
    ``FPOGID``. ``t0`` is on the ``TIMETICK`` clock in ms: media onset
    (``TIMETICK/f − TIME``) plus the first start. Samples' ``sampling_rate`` is
    estimated as 1000 / median inter-sample interval (ms).
    """
    if kind not in ("auto", "samples", "fixations"):
        raise InvalidInputError(
            f"kind must be 'auto', 'samples' or 'fixations', got {kind!r}", field="kind"
        )
    for name, value in (("screen_width", screen_width), ("screen_height", screen_height)):
        if value is not None and value <= 0:
            raise InvalidInputError(f"{name} must be > 0, got {value}", field=name)
    p = str(path)
    stem = Path(p).stem
    if kind == "auto":
        kind = "fixations" if "fixation" in stem.lower() else "samples"
    notes: list[str] = []
    if screen_width is None or screen_height is None:
        notes.append(
            "screen size not in the file; assumed "
            f"{DEFAULT_SCREEN[0]}x{DEFAULT_SCREEN[1]} (pass screen_width/screen_height)"
        )
    width = float(screen_width or DEFAULT_SCREEN[0])
    height = float(screen_height or DEFAULT_SCREEN[1])

    with open_table(path) as stream:
        header = read_header_line(stream, path=p, delimiter=",", line=1)
        time_m = _find(header, _TIME, "TIME(<start>)", p)
        tick_m = _find(header, _TICK, "TIMETICK(f=<frequency>)", p)
        point = ("FPOGX", "FPOGY", "FPOGV") if kind == "fixations" else ("BPOGX", "BPOGY", "BPOGV")
        numeric = [time_m.group(0), tick_m.group(0), *point, "FPOGS", "FPOGD", "FPOGID"]
        table = read_table(
            stream,
            path=p,
            header=header,
            first_line=2,
            delimiter=",",
            numeric=list(dict.fromkeys(numeric)),
            text=["MEDIA_NAME"],
        )
    if len(table) == 0:
        raise FormatError("expected data rows after the header, found none", path=p, line=2)
    col = table.numeric
    time_s = col[time_m.group(0)]
    freq = float(tick_m["freq"])
    onset_ms = col[tick_m.group(0)] / freq * 1000.0 - time_s * 1000.0
    for name in (time_m.group(0), tick_m.group(0)):
        bad = ~np.isfinite(col[name])
        if bad.any():
            line = int(table.lines[np.flatnonzero(bad)[0]])
            raise FormatError("expected a time value, found none", path=p, line=line, column=name)
    x_all = col[point[0]] * width
    y_all = col[point[1]] * height
    valid_all = (col[point[2]] == 1) & np.isfinite(x_all) & np.isfinite(y_all)
    media = table.text["MEDIA_NAME"]
    start_time = time_m["start"].strip().replace("/", "-").replace(" ", "T", 1) or None
    who = participant if participant is not None else _SUFFIX.sub("", stem) or None
    screen = ScreenGeometry(width_px=int(width), height_px=int(height))
    media_paths: dict[str, str] = {}
    person: dict[str, Any] = {}
    if project is not None:
        media_paths, users = read_project(project)
        for name, attrs in users.items():
            if who is not None and (who == name or who.endswith("_" + name)):
                person = attrs

    recordings: list[Recording] = []
    for a, b in runs(media.codes):
        report = CleaningReport(rows_in=b - a, notes=list(notes))
        if kind == "fixations":
            fid = col["FPOGID"][a:b]
            # A fixation can span several rows; the last one carries the final FPOGD.
            last = np.ones(b - a, dtype=bool)
            last[:-1] = fid[1:] != fid[:-1]
            report.drop("duplicate_fixation_row", int((~last).sum()))
            idx = np.flatnonzero(last) + a
            start_ms = col["FPOGS"][idx] * 1000.0
            rec_t0 = float(onset_ms[idx[0]] + start_ms[0])
            t = start_ms - start_ms[0]
            duration = col["FPOGD"][idx] * 1000.0
            extra = {"fixation_id": fid[last]}
        else:
            idx = np.arange(a, b)
            ms = time_s[a:b] * 1000.0
            rec_t0 = float(onset_ms[a] + ms[0])
            t = ms - ms[0]
            duration = None
            extra = {"fixation_id": col["FPOGID"][a:b]}
        report.rows_kept = int(idx.shape[0])
        stimulus = media.values[int(media.codes[a])]
        rate = None
        if kind == "samples" and t.shape[0] > 1:
            step = float(np.median(np.diff(t)))
            rate = round(1000.0 / step, 1) if step > 0 else None
        recordings.append(
            Recording(
                kind=kind,
                t=t,
                x=x_all[idx],
                y=y_all[idx],
                valid=valid_all[idx],
                duration=duration,
                t0=rec_t0,
                participant=who,
                stimulus=stimulus,
                sampling_rate=rate,
                screen=screen,
                device="Gazepoint",
                attributes=_attributes(start_time, media_paths.get(stimulus), person),
                extra=extra,
                report=report,
                source=Path(p).name,
            )
        )
    return recordings


def _attributes(
    start: str | None, media_path: str | None, person: dict[str, Any]
) -> dict[str, Any]:
    out: dict[str, Any] = dict(person)
    if start:
        out["start_time"] = start
    if media_path:
        out["media_path"] = media_path
    return out


FORMAT = FormatSpec(
    name="gazepoint",
    description="Gazepoint Analysis CSV export (fixations or all_gaze), normalised screen coordinates.",
    sniff=sniff,
    read=read_gazepoint,
)
