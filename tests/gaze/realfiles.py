"""Small direct readers of real data files, independent of ``gazemap.formats``.

The cleaning and mapping tests read the files themselves so that they test
``gazemap.gaze`` alone; the readers have their own tests.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import numpy as np

from gazemap.gaze import Recording, ScreenGeometry

VALIDATION = "gazepoint-eyelink-validation-targets"
WEBGAZER = "webgazer-search-results-pages"
GAZEPOINT = "gazepoint-consent-form-reading"
SEQIT = "seqit-atuav-bar-chart"


def validation_targets(path: Path, *, eye: str = "Left") -> Recording:
    """One tracker/distance file: gaze at each target, wall-clock seconds as ``t``."""
    with path.open(newline="") as f:
        rows = [r for r in csv.DictReader(f) if r.get("Timestamp")]
    stamps = [datetime.fromisoformat(r["Timestamp"]).timestamp() * 1000.0 for r in rows]
    t = np.array(stamps) - (stamps[0] if stamps else 0.0)
    x = np.array([float(r[f"Actual-X-{eye}"] or "nan") for r in rows])
    y = np.array([float(r[f"Actual-Y-{eye}"] or "nan") for r in rows])
    return Recording(
        "samples", t, x, y, np.ones(t.size, bool),
        screen=ScreenGeometry(width_px=1920, height_px=1080), source=path.name,
    )  # fmt: skip


def webgazer_page(path: Path) -> Recording:
    """A WebGazer predictions file: ``Time,X Coordinate,Y Coordinate`` in viewport px."""
    with path.open(newline="") as f:
        rows = list(csv.reader(f))[1:]
    data = np.array([[float(v) for v in r[:3]] for r in rows if r and r[0]], dtype=np.float64)
    return Recording(
        "samples", data[:, 0], data[:, 1], data[:, 2], np.ones(len(data), bool),
        device="webcam", source=path.name,
    )  # fmt: skip


def gazepoint_fixations(path: Path, media: str) -> Recording:
    """Distinct fixations (FPOGID) on one medium of a Gazepoint fixations export, in screen px.

    The export holds one row per sample of a fixation; the last row of each FPOGID has
    the final duration. Coordinates are fractions of the 1680×1050 screen.
    """
    last: dict[str, dict[str, str]] = {}
    with path.open(newline="") as f:
        for r in csv.DictReader(f):
            if r["MEDIA_NAME"] == media and r["FPOGV"] == "1":
                last[r["FPOGID"]] = r
    rows = list(last.values())
    return Recording(
        "fixations",
        [float(r["FPOGS"]) * 1000.0 for r in rows],
        [float(r["FPOGX"]) * 1680.0 for r in rows],
        [float(r["FPOGY"]) * 1050.0 for r in rows],
        np.ones(len(rows), bool),
        duration=[float(r["FPOGD"]) * 1000.0 for r in rows],
        stimulus=media,
        screen=ScreenGeometry(width_px=1680, height_px=1050),
        source=path.name,
    )


def seqit_fixations(path: Path) -> list[Recording]:
    """The 61 users' fixations of ``fixation_datasets.json`` in 1280×1024 screen px."""
    users = json.loads(path.read_text())
    out = []
    for u in users:
        pts = u["fixpoints"]
        out.append(
            Recording(
                "fixations",
                [float(p["timestamp"]) for p in pts],
                [float(p["x"]) for p in pts],
                [float(p["y"]) for p in pts],
                np.ones(len(pts), bool),
                duration=[float(p["duration"]) for p in pts],
                participant=str(u["user"]),
                screen=ScreenGeometry(width_px=1280, height_px=1024),
            )
        )
    return out
