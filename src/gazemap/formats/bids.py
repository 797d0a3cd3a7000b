"""BIDS eye-tracking physio recordings (BEP020, merged into BIDS 1.10).

A recording is a pair ``<entities>_physio.tsv.gz`` (gzip TSV **without** a header) and
``<entities>_physio.json`` whose ``Columns`` names the TSV columns. For eye tracking the
sidecar has ``PhysioType: "eyetrack"``, columns ``timestamp``, ``x_coordinate``,
``y_coordinate`` (and optionally ``pupil_size``), ``SamplingFrequency`` (Hz),
``StartTime`` (s), ``RecordedEye`` and the screen: ``ScreenResolution`` ([w, h] px),
``ScreenSize`` ([w, h] m), ``ScreenDistance`` (m). Metadata follows the BIDS
inheritance principle: sidecars higher up the tree (``task-x_physio.json`` at the
dataset root) apply too, deeper ones win. The participant and task come from the file
name entities (``sub-01_task-reading_run-1_recording-eye1_physio.tsv.gz``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from gazemap.errors import FormatError
from gazemap.formats._attributes import load_attributes
from gazemap.formats._table import open_table, read_table
from gazemap.formats.base import FormatSpec
from gazemap.gaze.recording import CleaningReport, Recording, ScreenGeometry

__all__ = ["FORMAT", "entities", "read_bids", "sidecar", "sniff"]

_SUFFIXES = ("_physio.tsv.gz", "_physio.tsv")
_TIME_UNITS = {"ms": 1.0, "s": 1000.0, "us": 1e-3, "µs": 1e-3, "ns": 1e-6}
_PIXEL_UNITS = ("pixel", "pixels", "px")


def entities(path: str | Path) -> dict[str, str]:
    """The ``key-value`` entities of a BIDS file name, in order, without the suffix.

    Examples
    --------
    >>> entities("sub-01_ses-2_task-read_run-1_recording-eye1_physio.tsv.gz")
    {'sub': '01', 'ses': '2', 'task': 'read', 'run': '1', 'recording': 'eye1'}
    """
    name = Path(path).name.split(".", 1)[0]
    out: dict[str, str] = {}
    for part in name.split("_"):
        key, sep, value = part.partition("-")
        if sep and key and value:
            out[key] = value
    return out


def _base(path: Path) -> str | None:
    for suffix in _SUFFIXES:
        if path.name.endswith(suffix):
            return path.name[: -len(suffix)]
    return None


def _root(path: Path) -> Path:
    """The dataset root (folder with dataset_description.json), else the file's folder."""
    for folder in path.parents:
        if (folder / "dataset_description.json").is_file():
            return folder
    return path.parent


def sidecar(path: str | Path) -> dict[str, Any]:
    """The merged JSON metadata of a ``*_physio.tsv.gz``, by the BIDS inheritance principle.

    Every ``*_physio.json`` from the dataset root down to the file's folder whose
    entities are a subset of the file's applies; deeper files override shallower ones,
    and the file's own sidecar comes last.

    Raises
    ------
    FormatError
        When no sidecar applies or one is not valid JSON.
    """
    p = Path(path)
    mine = entities(p)
    root = _root(p)
    chain = [root, *reversed([f for f in p.parents if root in f.parents])]
    merged: dict[str, Any] = {}
    found = False
    for folder in chain:
        candidates = sorted(folder.glob("*_physio.json"), key=lambda c: len(entities(c)))
        for candidate in candidates:
            ents = entities(candidate)
            if all(mine.get(k) == v for k, v in ents.items()):
                try:
                    data = json.loads(candidate.read_text(encoding="utf-8"))
                except (OSError, UnicodeDecodeError, ValueError) as exc:
                    raise FormatError(
                        f"expected a JSON object in the sidecar: {exc}", path=str(candidate)
                    ) from None
                if not isinstance(data, dict):
                    raise FormatError("expected a JSON object in the sidecar", path=str(candidate))
                merged.update(data)
                found = True
    if not found:
        raise FormatError(
            f"expected a sidecar {_base(p) or p.stem}_physio.json (or an inherited one) "
            "describing the headerless TSV's Columns",
            path=str(p),
        )
    return merged


def sniff(head: bytes, path: Path) -> float:
    """Confidence that ``path`` is a BIDS eye-tracking physio file (by name and sidecars).

    0.99 when the (inherited) sidecars describe eye tracking, 0.3 for the suffix alone
    (the reader will then say which sidecar is missing), 0.1 for other physio data.
    """
    if _base(path) is None:
        return 0.0
    try:
        meta = sidecar(path)
    except FormatError:
        return 0.3
    columns = meta.get("Columns")
    eyes = isinstance(columns, list) and "x_coordinate" in columns
    kind = meta.get("PhysioType")
    return 0.99 if kind == "eyetrack" or (kind is None and eyes) else 0.1


def _pair(meta: dict[str, Any], key: str, path: str) -> tuple[float, float] | None:
    value = meta.get(key)
    if value is None:
        return None
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        return float(value[0]), float(value[1])
    raise FormatError(f"expected {key} as [width, height], found {value!r}", path=path)


def _geometry(meta: dict[str, Any], path: str) -> ScreenGeometry | None:
    res = _pair(meta, "ScreenResolution", path)
    size = _pair(meta, "ScreenSize", path)
    dist = meta.get("ScreenDistance")
    if dist is not None and not isinstance(dist, int | float):
        raise FormatError(f"expected ScreenDistance in m as a number, found {dist!r}", path=path)
    if res is None and size is None and dist is None:
        return None
    return ScreenGeometry(
        width_px=int(res[0]) if res else None,
        height_px=int(res[1]) if res else None,
        width_mm=size[0] * 1000.0 if size else None,
        height_mm=size[1] * 1000.0 if size else None,
        distance_mm=float(dist) * 1000.0 if dist is not None else None,
    )


def _units(meta: dict[str, Any], column: str) -> str | None:
    info = meta.get(column)
    unit = info.get("Units") if isinstance(info, dict) else None
    return str(unit) if unit is not None else None


def read_bids(
    path: str | Path,
    *,
    stimulus: str | None = None,
    participants_tsv: str | Path | None = None,
) -> list[Recording]:
    """Read one BIDS eye-tracking ``*_physio.tsv.gz`` (with its sidecars) as a recording.

    Parameters
    ----------
    path:
        The ``*_physio.tsv.gz`` (or uncompressed ``*_physio.tsv``).
    stimulus:
        Stimulus id; defaults to the ``task`` entity.
    participants_tsv:
        Participant table; defaults to ``participants.tsv`` at the dataset root when
        it exists. The row whose ``participant_id`` is ``sub-<label>`` becomes
        ``rec.attributes`` (age, sex, …).

    Returns
    -------
    list of Recording
        One ``samples`` recording; ``participant`` is the ``sub`` label, attributes
        hold ``task``, ``session``, ``run``, ``recording`` and ``eye`` when given.

    Raises
    ------
    FormatError
        No sidecar, ``Columns`` without ``x_coordinate``/``y_coordinate``, a
        ``SamplingFrequency`` that is not a positive number, coordinates in units other
        than pixels or an origin other than top-left, rows whose field count differs
        from ``Columns``, non-numeric cells (``n/a`` is missing).

    Notes
    -----
    With a ``timestamp`` column (units from its column description: ms by default,
    ``s``, ``us``), ``t0`` is the first timestamp in ms and ``t = ts − ts₀``. Without
    one, ``t = 1000·i / SamplingFrequency`` and ``t0 = 1000·StartTime``. ``valid`` is
    ``False`` where x or y is missing. ``extra["pupil"]`` is ``pupil_size``.
    """
    p = Path(path)
    ps = str(p)
    if _base(p) is None:
        raise FormatError("expected a file name ending in _physio.tsv.gz", path=ps)
    meta = sidecar(p)
    kind = meta.get("PhysioType")
    if kind not in ("eyetrack", None):
        raise FormatError(f"expected PhysioType 'eyetrack', found {kind!r}", path=ps)
    columns = meta.get("Columns")
    if not (isinstance(columns, list) and all(isinstance(c, str) for c in columns)):
        raise FormatError(
            f"expected Columns as a list of names in the sidecar, found {columns!r}", path=ps
        )
    for needed in ("x_coordinate", "y_coordinate"):
        if needed not in columns:
            raise FormatError(
                f"expected a {needed!r} column in Columns, found {columns!r}", path=ps
            )
    rate = meta.get("SamplingFrequency")
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not rate > 0:
        raise FormatError(f"expected SamplingFrequency > 0 (Hz), found {rate!r}", path=ps)
    for axis in ("x_coordinate", "y_coordinate"):
        unit = _units(meta, axis)
        if unit is not None and unit.lower() not in _PIXEL_UNITS:
            raise FormatError(
                f"expected {axis} in pixels, found Units {unit!r} (gazemap maps screen pixels)",
                path=ps,
            )
    origin = meta.get("EnvironmentCoordinates")
    if origin is not None and str(origin).lower() not in ("top-left", "topleft"):
        raise FormatError(f"expected EnvironmentCoordinates 'top-left', found {origin!r}", path=ps)
    numeric = [
        c for c in ("timestamp", "x_coordinate", "y_coordinate", "pupil_size") if c in columns
    ]
    with open_table(p) as stream:
        table = read_table(
            stream, path=ps, header=list(columns), first_line=1, delimiter="\t", numeric=numeric
        )
    n = len(table)
    if n == 0:
        raise FormatError("expected sample rows, found an empty file", path=ps, line=1)
    col = table.numeric
    start = meta.get("StartTime", 0.0)
    start_ms = float(start) * 1000.0 if isinstance(start, int | float) else 0.0
    if "timestamp" in col:
        unit = (_units(meta, "timestamp") or "ms").lower()
        if unit not in _TIME_UNITS:
            raise FormatError(
                f"expected timestamp Units in {sorted(_TIME_UNITS)}, found {unit!r}", path=ps
            )
        ts = col["timestamp"] * _TIME_UNITS[unit]
        bad = ~np.isfinite(ts)
        if bad.any():
            line = int(table.lines[np.flatnonzero(bad)[0]])
            raise FormatError(
                "expected a timestamp, found none", path=ps, line=line, column="timestamp"
            )
        t0 = float(ts[0])
        t = ts - t0
    else:
        t = np.arange(n, dtype=np.float64) * (1000.0 / float(rate))
        t0 = start_ms
    x, y = col["x_coordinate"], col["y_coordinate"]
    ents = entities(p)
    participant = ents.get("sub")
    attributes: dict[str, Any] = {}
    for key, name in (
        ("task", "task"),
        ("ses", "session"),
        ("run", "run"),
        ("recording", "recording"),
    ):
        if key in ents:
            attributes[name] = ents[key]
    if isinstance(meta.get("RecordedEye"), str):
        attributes["eye"] = meta["RecordedEye"]
    table_path = participants_tsv or (_root(p) / "participants.tsv")
    if participant is not None and Path(table_path).is_file():
        people = load_attributes(table_path, id_column="participant_id")
        attributes.update(people.get(f"sub-{participant}", {}))
    device = " ".join(
        str(meta[k])
        for k in ("Manufacturer", "ManufacturersModelName")
        if isinstance(meta.get(k), str)
    )
    return [
        Recording(
            kind="samples",
            t=t,
            x=x,
            y=y,
            valid=np.isfinite(x) & np.isfinite(y),
            t0=t0,
            participant=participant,
            stimulus=stimulus if stimulus is not None else ents.get("task"),
            sampling_rate=float(rate),
            screen=_geometry(meta, ps),
            device=device or None,
            attributes=attributes,
            extra={"pupil": col["pupil_size"]} if "pupil_size" in col else {},
            report=CleaningReport(rows_in=n, rows_kept=n),
            source=p.name,
        )
    ]


FORMAT = FormatSpec(
    name="bids",
    description="BIDS eye-tracking physio pair (*_physio.tsv.gz + *_physio.json, PhysioType eyetrack).",
    sniff=sniff,
    read=read_bids,
)
