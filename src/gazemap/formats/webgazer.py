"""WebGazer.js gaze predictions saved as CSV (webcam eye tracking in the browser).

WebGazer itself has no file format: studies store its ``(x, y)`` predictions (viewport
px, origin top-left) with a time in ms, e.g. ``Time,X Coordinate,Y Coordinate`` or a
pandas dump with header ``0,1,2``. Predictions are webcam-grade: far off-screen and
negative values are normal, time may jump backwards. This reader keeps them as they are
(``valid`` is only ``False`` for a missing coordinate); :mod:`gazemap.gaze` cleaning
decides what to drop and reports it.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from gazemap.errors import FormatError
from gazemap.formats._table import open_table, read_header_line, read_table
from gazemap.formats.base import FormatSpec
from gazemap.gaze.recording import CleaningReport, Recording, ScreenGeometry

__all__ = ["FORMAT", "read_webgazer", "sniff"]

#: Accepted header names per role, compared lower-case with ``_``/``-`` read as spaces.
ALIASES = {
    "t": ("time", "timestamp", "t", "elapsed time", "time ms", "0"),
    "x": ("x", "x coordinate", "gaze x", "x px", "1"),
    "y": ("y", "y coordinate", "gaze y", "y px", "2"),
    "participant": ("participant", "user", "user id", "userid", "subject", "participant id"),
    "stimulus": ("page", "page name", "stimulus", "url", "page url"),
}
_PARTICIPANT_DIR = re.compile(r"(?i)^(?:user|participant|subject|sub|p)[-_ ]?\d+")


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]+", " ", name.strip().strip('"').lower()).strip()


def _roles(header: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name in header:
        key = _norm(name)
        for role, names in ALIASES.items():
            if key in names and role not in found:
                found[role] = name
    return found


def sniff(head: bytes, path: Path) -> float:
    """Confidence that ``head`` is a WebGazer predictions CSV.

    Examples
    --------
    >>> sniff(b"Time,X Coordinate,Y Coordinate\\n1.0,2.0,3.0\\n", Path("page1.csv"))
    0.9
    >>> sniff(b"0,1,2\\n1.0,2.0,3.0\\n", Path("points.csv"))
    0.4
    """
    first = head.split(b"\n", 1)[0].decode("latin-1")
    names = [_norm(h) for h in first.split(",")]
    if "webgazer" in first.lower() or ("x coordinate" in names and "y coordinate" in names):
        return 0.9
    if names == ["0", "1", "2"]:
        return 0.4
    return 0.0


def _participant_from_path(path: Path) -> str | None:
    for folder in path.parents:
        m = _PARTICIPANT_DIR.match(folder.name)
        if m:
            return m.group(0)
    return None


def read_webgazer(
    path: str | Path,
    *,
    participant: str | None = None,
    stimulus: str | None = None,
    screen_width: int | None = None,
    screen_height: int | None = None,
) -> list[Recording]:
    """Read WebGazer predictions into one recording per participant and page.

    Parameters
    ----------
    path:
        CSV with a time column (ms) and x/y columns (px); see :data:`ALIASES` for the
        header names understood. Optional ``participant``/``user`` and
        ``page``/``stimulus`` columns split the file.
    participant:
        Participant id when the file has no such column; by default the nearest
        folder named like ``user3``/``participant3``/``sub-03`` (e.g.
        ``analysis/user3/user3Pages/page2.csv`` → ``"user3"``).
    stimulus:
        Page id when the file has no such column; by default the file name without
        extension (``page2``).
    screen_width, screen_height:
        Browser viewport in px, when known (recorded as ``rec.screen``).

    Returns
    -------
    list of Recording
        ``kind="samples"``, groups in order of first appearance, rows in file order.

    Raises
    ------
    FormatError
        No time/x/y columns, ragged rows, non-numeric values.

    Notes
    -----
    ``t0`` is the first row's time and ``t = time − t0`` in file order, so a clock
    that jumps backwards gives negative ``t`` (left for cleaning to report). A row
    without a time cannot be placed and is dropped (``report.dropped["missing_time"]``).
    ``valid`` is ``False`` only where x or y is missing or NaN; off-screen and negative
    coordinates stay valid.
    """
    p = Path(path)
    with open_table(p) as stream:
        header = read_header_line(stream, path=str(p), delimiter=",", line=1)
        roles = _roles(header)
        missing = [r for r in ("t", "x", "y") if r not in roles]
        if missing:
            raise FormatError(
                f"expected time, x and y columns (e.g. 'Time,X Coordinate,Y Coordinate'), "
                f"found {header!r}",
                path=str(p),
                line=1,
            )
        text = [roles[r] for r in ("participant", "stimulus") if r in roles]
        table = read_table(
            stream,
            path=str(p),
            header=header,
            first_line=2,
            delimiter=",",
            numeric=[roles["t"], roles["x"], roles["y"]],
            text=text,
        )
    if len(table) == 0:
        raise FormatError(
            "expected prediction rows after the header, found none", path=str(p), line=2
        )
    t_all = table.numeric[roles["t"]]
    x_all = table.numeric[roles["x"]]
    y_all = table.numeric[roles["y"]]
    n = len(table)
    who_col = table.text.get(roles.get("participant", ""))
    what_col = table.text.get(roles.get("stimulus", ""))
    who_codes = who_col.codes if who_col is not None else np.zeros(n, np.int32)
    what_codes = what_col.codes if what_col is not None else np.zeros(n, np.int32)
    key = who_codes.astype(np.int64) * (int(what_codes.max(initial=0)) + 1) + what_codes
    _, first = np.unique(key, return_index=True)
    default_who = participant if participant is not None else _participant_from_path(p)
    default_what = stimulus if stimulus is not None else p.stem
    screen = (
        ScreenGeometry(width_px=screen_width, height_px=screen_height)
        if screen_width and screen_height
        else None
    )

    recordings: list[Recording] = []
    for row in np.sort(first):
        rows = np.flatnonzero(key == key[row])
        report = CleaningReport(rows_in=int(rows.shape[0]))
        has_t = np.isfinite(t_all[rows])
        report.drop("missing_time", int((~has_t).sum()))
        rows = rows[has_t]
        report.rows_kept = int(rows.shape[0])
        if rows.shape[0] == 0:
            raise FormatError(
                "expected at least one row with a time, found none in this group",
                path=str(p),
                line=int(table.lines[row]),
                column=roles["t"],
            )
        t = t_all[rows]
        x, y = x_all[rows], y_all[rows]
        recordings.append(
            Recording(
                kind="samples",
                t=t - t[0],
                x=x,
                y=y,
                valid=np.isfinite(x) & np.isfinite(y),
                t0=float(t[0]),
                participant=who_col.values[who_codes[row]] if who_col is not None else default_who,
                stimulus=what_col.values[what_codes[row]] if what_col is not None else default_what,
                screen=screen,
                device="webcam (WebGazer)",
                report=report,
                source=p.name,
            )
        )
    return recordings


FORMAT = FormatSpec(
    name="webgazer",
    description="WebGazer.js webcam gaze predictions saved as CSV (time ms, x, y in viewport px).",
    sniff=sniff,
    read=read_webgazer,
)
