"""Pupil Labs (Pupil Core / Pupil Player) raw-data exports.

Pupil Player's *Raw Data Exporter* writes ``gaze_positions.csv`` (one row per gaze
datum: ``gaze_timestamp`` in s of Pupil time, ``confidence``, ``norm_pos_x/y`` in the
world-camera image, normalised 0..1 with the origin at the BOTTOM-left) and
``fixations.csv`` (``start_timestamp`` s, ``duration`` ms, ``norm_pos_x/y``). The
*Surface Tracker* adds ``surfaces/gaze_positions_on_surface_<name>.csv`` (``x_norm``,
``y_norm`` on the surface, bottom-left origin, ``on_surf``) and
``fixations_on_surface_<name>.csv`` (one row per world frame a fixation is seen in).
Surface coordinates are what a heat map on a reference image needs.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import numpy.typing as npt

from gazemap.errors import FormatError, InvalidInputError
from gazemap.formats._table import Table, open_table, read_header_line, read_table, runs
from gazemap.formats.base import FormatSpec
from gazemap.gaze.recording import CleaningReport, Recording

__all__ = ["DEFAULT_FRAME", "DEFAULT_MIN_CONFIDENCE", "FORMAT", "read_pupil", "sniff"]

#: World-camera frame assumed when not given: Pupil Core's default scene resolution.
DEFAULT_FRAME = (1280, 720)
#: Pupil Player's own default minimum data confidence.
DEFAULT_MIN_CONFIDENCE = 0.6

_GAZE = ("gaze_timestamp", "confidence", "norm_pos_x", "norm_pos_y")
_FIX = ("start_timestamp", "duration", "norm_pos_x", "norm_pos_y")
_SURF_GAZE = ("gaze_timestamp", "confidence", "x_norm", "y_norm", "on_surf")
_SURF_FIX = ("fixation_id", "start_timestamp", "duration", "norm_pos_x", "norm_pos_y", "on_surf")


def _layout(header: list[str]) -> str | None:
    names = set(header)
    if set(_SURF_GAZE) <= names:
        return "surface_gaze"
    if {"fixation_id", "duration", "norm_pos_x", "norm_pos_y", "on_surf"} <= names:
        return "surface_fixations"
    if set(_GAZE) <= names:
        return "gaze"
    if set(_FIX) <= names and "dispersion" in names:
        return "fixations"
    return None


def sniff(head: bytes, path: Path) -> float:
    """Confidence that ``head`` is a Pupil Player gaze or fixation export.

    Examples
    --------
    >>> sniff(b"gaze_timestamp,world_index,confidence,norm_pos_x,norm_pos_y\\n", Path("g.csv"))
    0.95
    """
    first = head.split(b"\n", 1)[0].decode("latin-1").strip()
    return 0.95 if _layout([h.strip() for h in first.split(",")]) else 0.0


def _surface_file(path: Path, surface: str, fixations: bool) -> Path:
    kind = "fixations" if fixations else "gaze_positions"
    for folder in (path.parent / "surfaces", path.parent):
        exact = folder / f"{kind}_on_surface_{surface}.csv"
        if exact.is_file():
            return exact
        # Older Pupil Player versions append the export timestamp to the name.
        matches = sorted(folder.glob(f"{kind}_on_surface_{surface}_*.csv"))
        if matches:
            return matches[0]
    raise FormatError(
        f"surface={surface!r} given but no {kind}_on_surface_{surface}.csv next to the file "
        "or in its surfaces/ folder (export the Surface Tracker in Pupil Player)",
        path=str(path),
    )


def _intrinsics_frame(path: Path) -> tuple[int, int] | None:
    """World-camera resolution from the recording's ``world.intrinsics``, when present.

    Pupil Capture stores the intrinsics as msgpack keyed by the resolution string
    ``"(1280, 720)"``; exports sit in ``<recording>/exports/<n>/`` (surfaces one deeper),
    so the folders up to three levels above the export are searched. The key is read
    straight from the bytes, which avoids a msgpack dependency; a file naming more than
    one resolution is ambiguous and ignored.
    """
    for folder in list(path.parents)[:4]:
        candidate = folder / "world.intrinsics"
        if candidate.is_file():
            try:
                raw = candidate.read_bytes()[:65536]
            except OSError:
                return None
            sizes = set(re.findall(rb"\((\d{2,5}), ?(\d{2,5})\)", raw))
            if len(sizes) == 1:
                w, h = sizes.pop()
                return int(w), int(h)
            return None
    return None


def _read(path: Path) -> tuple[str, Table]:
    p = str(path)
    with open_table(path) as stream:
        header = read_header_line(stream, path=p, delimiter=",", line=1)
        layout = _layout(header)
        if layout is None:
            raise FormatError(
                "expected a Pupil Player export header with gaze_timestamp, confidence and "
                f"norm_pos_x/y (or a fixations/surface export), found {header[:6]!r}",
                path=p,
                line=1,
            )
        numeric = {
            "gaze": [*_GAZE, "world_index"],
            "fixations": [*_FIX, "confidence", "id"],
            "surface_gaze": list(_SURF_GAZE[:4]),
            "surface_fixations": [*_SURF_FIX[:5], "world_timestamp"],
        }[layout]
        numeric = [c for c in numeric if c in header]
        text = ["on_surf"] if layout.startswith("surface") else []
        table = read_table(
            stream, path=p, header=header, first_line=2, delimiter=",", numeric=numeric, text=text
        )
    if len(table) == 0:
        raise FormatError("expected data rows after the header, found none", path=p, line=2)
    return layout, table


def read_pupil(
    path: str | Path,
    *,
    surface: str | None = None,
    surface_width: int | None = None,
    surface_height: int | None = None,
    frame_width: int | None = None,
    frame_height: int | None = None,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    participant: str | None = None,
    stimulus: str | None = None,
) -> list[Recording]:
    """Read a Pupil Player gaze or fixation export (world camera or surface) as one recording.

    Parameters
    ----------
    path:
        ``gaze_positions.csv``, ``fixations.csv`` or a surface export
        ``gaze_positions_on_surface_<name>.csv`` / ``fixations_on_surface_<name>.csv``.
    surface:
        Surface name: read the matching surface export found next to ``path`` or in
        its ``surfaces/`` folder instead of the world-camera positions.
    surface_width, surface_height:
        Size in px of the image the surface stands for (the stimulus); required for
        surface exports.
    frame_width, frame_height:
        World-camera frame in px. The export does not record it: by default it is
        read from the recording's ``world.intrinsics`` (found up to three folders
        above the export), else :data:`DEFAULT_FRAME` (1280×720, Pupil Core's default)
        is assumed, with a note.
    min_confidence:
        Rows with ``confidence`` below this are ``valid=False``; 0.6 is Pupil Player's
        default.
    participant, stimulus:
        Ids to record (the export names neither); the stimulus defaults to the surface
        name for surface exports.

    Returns
    -------
    list of Recording
        One recording (``samples`` for gaze, ``fixations`` for fixations).

    Raises
    ------
    FormatError
        Unknown header, missing surface export, ragged rows, non-numeric values.

    Notes
    -----
    With normalised ``(u, v)`` (origin bottom-left) and target size ``W × H`` px,
    ``x = u·W`` and ``y = (1 − v)·H`` (origin top-left). ``t = (ts − ts₀)·1000`` ms with
    ``ts`` the gaze timestamp (fixation start for fixations); ``t0 = ts₀·1000``.
    ``valid`` requires confidence ≥ ``min_confidence`` (when the column exists) and,
    for surface exports, ``on_surf`` true. A fixation seen in several world frames of
    a surface export becomes one fixation at its mean position. ``sampling_rate`` of
    gaze is the mean rate ``(n − 1) / (t_last − t_first)``.
    """
    if not 0.0 <= min_confidence <= 1.0:
        raise InvalidInputError(
            f"min_confidence must be in [0, 1], got {min_confidence}", field="min_confidence"
        )
    p = Path(path)
    notes: list[str] = []
    if surface is not None and not p.name.startswith(("gaze_positions_on_surface", "fixations_on")):
        p = _surface_file(p, surface, fixations=p.name.startswith("fixations"))
    layout, table = _read(p)
    col = table.numeric
    on_surface = layout.startswith("surface")
    if on_surface:
        if surface_width is None or surface_height is None:
            raise InvalidInputError(
                "a surface export needs surface_width and surface_height (the stimulus size "
                f"in px), got {surface_width!r} x {surface_height!r}",
                field="surface_width",
            )
        width, height = float(surface_width), float(surface_height)
        if stimulus is None:
            # older exports append the export time: ..._on_surface_Cover_1466499419.751
            name = re.sub(r"_\d+(?:\.\d+)?$", "", p.stem.split("_on_surface_", 1)[-1])
            stimulus = surface or name
    else:
        if frame_width is None or frame_height is None:
            found = _intrinsics_frame(p)
            if found is not None:
                frame_width, frame_height = found
            else:
                notes.append(
                    "world frame size not in the export or world.intrinsics; assumed "
                    f"{DEFAULT_FRAME[0]}x{DEFAULT_FRAME[1]} (pass frame_width/frame_height)"
                )
        width = float(frame_width or DEFAULT_FRAME[0])
        height = float(frame_height or DEFAULT_FRAME[1])
    if width <= 0 or height <= 0:
        raise InvalidInputError(f"target size must be > 0, got {width} x {height}", field="width")

    u_name, v_name = (
        ("x_norm", "y_norm") if layout == "surface_gaze" else ("norm_pos_x", "norm_pos_y")
    )
    u, v = col[u_name], col[v_name]
    conf = col.get("confidence")
    ok = np.isfinite(u) & np.isfinite(v)
    if conf is not None:
        ok &= conf >= min_confidence
    if on_surface:
        flags = table.text["on_surf"]
        truth = np.asarray([s.strip().lower() == "true" for s in flags.values], dtype=bool)
        ok &= truth[flags.codes] if len(flags.values) else ok
    is_fix = layout in ("fixations", "surface_fixations")
    time_name = "start_timestamp" if is_fix else "gaze_timestamp"
    if layout == "surface_fixations" and time_name not in col:
        # Pupil Player before v1.16 wrote no start_timestamp for surface fixations
        time_name = "world_timestamp"
    if time_name not in col:
        raise FormatError(f"expected a {time_name} column", path=str(p), line=1, column=time_name)
    ts = col[time_name] * 1000.0
    bad = ~np.isfinite(ts)
    if bad.any():
        line = int(table.lines[np.flatnonzero(bad)[0]])
        raise FormatError(
            "expected a timestamp, found none", path=str(p), line=line, column=time_name
        )
    report = CleaningReport(rows_in=len(table), notes=notes)
    duration: npt.NDArray[np.float64] | None = None
    extra: dict[str, np.ndarray] = {}
    if layout == "surface_fixations":
        spans = runs(col["fixation_id"].astype(np.int64))
        starts = np.asarray([a for a, _ in spans], dtype=np.intp)
        report.drop("duplicate_fixation_row", len(table) - len(spans))
        u = np.add.reduceat(np.where(ok, u, 0.0), starts) / np.maximum(
            np.add.reduceat(ok.astype(np.float64), starts), 1.0
        )
        v = np.add.reduceat(np.where(ok, v, 0.0), starts) / np.maximum(
            np.add.reduceat(ok.astype(np.float64), starts), 1.0
        )
        ok = np.add.reduceat(ok.astype(np.int64), starts) > 0
        ts = ts[starts]
        duration = col["duration"][starts]
        extra["fixation_id"] = col["fixation_id"][starts]
    elif layout == "fixations":
        duration = col["duration"]
        if "id" in col:
            extra["fixation_id"] = col["id"]
    else:
        if conf is not None:
            extra["confidence"] = conf
        if "world_index" in col:
            extra["world_index"] = col["world_index"]
    report.rows_kept = int(ts.shape[0])
    t = ts - ts[0]
    rate = None
    if not is_fix and t.shape[0] > 1 and t[-1] > 0:
        rate = round(float((t.shape[0] - 1) / t[-1] * 1000.0), 1)
    return [
        Recording(
            kind="fixations" if is_fix else "samples",
            t=t,
            x=u * width,
            y=(1.0 - v) * height,
            valid=ok,
            duration=duration,
            t0=float(ts[0]),
            participant=participant,
            stimulus=stimulus,
            sampling_rate=rate,
            device="Pupil Core",
            extra=extra,
            report=report,
            source=p.name,
        )
    ]


FORMAT = FormatSpec(
    name="pupil",
    description="Pupil Labs Pupil Player export: gaze_positions/fixations CSV, world or surface.",
    sniff=sniff,
    read=read_pupil,
)
