"""Which columns of a Tobii Pro Lab or Tobii Studio export gazemap reads, and what they mean."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from gazemap.errors import FormatError
from gazemap.formats.arrow import Streamed
from gazemap.formats.frame import Group
from gazemap.gaze.recording import ScreenGeometry

__all__ = ["PRO_LAB", "STUDIO", "Columns", "Layout", "movement_labels"]


def movement_labels(codes: npt.NDArray[np.int64], labels: list[str | None]) -> np.ndarray:
    """Per-row movement names, lowercased without spaces; empty → ``"unclassified"``.

    >>> movement_labels(np.array([0, 1, 0]), ["Fixation", "EyesNotFound"]).tolist()
    ['fixation', 'eyesnotfound', 'fixation']
    """
    names = np.array(
        [(v or "unclassified").lower().replace(" ", "") for v in labels] or ["unclassified"],
        dtype=object,
    )
    return names[codes] if codes.size else np.zeros(0, dtype=object)


@dataclass
class Columns:
    """The file's column for each role found, split by how it is parsed."""

    name: dict[str, str]
    numeric: list[str]
    labels: list[str]


class Layout:
    """The columns of one Tobii export flavour, by role."""

    name: ClassVar[str]
    markers: ClassVar[tuple[str, ...]]
    #: role → accepted header names, in order of preference
    numeric_roles: ClassVar[dict[str, tuple[str, ...]]]
    label_roles: ClassVar[dict[str, tuple[str, ...]]]
    required: ClassVar[tuple[str, ...]] = ("t", "x", "y")
    group_keys: ClassVar[tuple[str, ...]]
    #: attribute name → role (constant per recording → attribute, else extra)
    attribute_columns: ClassVar[dict[str, str]] = {
        "media_x": "media_x",
        "media_y": "media_y",
        "media_width": "media_width",
        "media_height": "media_height",
    }
    extra_columns: ClassVar[tuple[str, ...]] = ()

    def resolve(self, names: list[str], *, path: Path) -> Columns:
        """Find each role's column in the header ``names``.

        Raises
        ------
        FormatError
            When a required role has none of its accepted names; lists the columns found.
        """
        present = set(names)
        found: dict[str, str] = {}
        numeric: list[str] = []
        labels: list[str] = []
        for roles, kind in ((self.numeric_roles, numeric), (self.label_roles, labels)):
            for role, candidates in roles.items():
                match = next((c for c in candidates if c in present), None)
                if match is not None:
                    found[role] = match
                    kind.append(match)
        missing = [r for r in self.required if r not in found]
        if missing:
            wanted = {r: (self.numeric_roles | self.label_roles)[r] for r in missing}
            raise FormatError(
                f"not a complete {self.name} export: missing {wanted}; found columns: {names}",
                path=str(path),
                line=1,
            )
        return Columns(name=found, numeric=numeric, labels=labels)

    def time_factor(self, column: str) -> float:
        """Factor from the time column's unit to ms."""
        return 0.001 if ("[μs]" in column or "[µs]" in column or "[us]" in column) else 1.0

    def gaze_rows(self, data: Streamed, col: dict[str, str]) -> npt.NDArray[np.bool_]:
        """Rows that are eye-tracker samples."""
        raise NotImplementedError

    def eye_valid(self, data: Streamed, col: dict[str, str]) -> npt.NDArray[np.bool_]:
        """Rows where the tracker says at least one eye was found."""
        raise NotImplementedError

    def screen(self, data: Streamed, col: dict[str, str]) -> ScreenGeometry | None:
        """The screen resolution the export states, if any."""
        raise NotImplementedError

    def group_info(self, data: Streamed, col: dict[str, str], row: int) -> Group:
        """Participant, stimulus and recording name of the group whose first row is ``row``."""

        def label(role: str) -> str | None:
            if role not in col:
                return None
            codes, names = data.labels[col[role]]
            return names[int(codes[row])] or None

        attributes = {"recording": name} if (name := label("recording")) else {}
        return Group(
            participant=label("participant"),
            stimulus=label("media") or label("stimulus"),
            attributes=attributes,
        )


class _ProLab(Layout):
    name = "tobii_prolab"
    markers = ("Recording timestamp [", "Gaze point X [")
    numeric_roles: ClassVar[dict[str, tuple[str, ...]]] = {
        "t": ("Recording timestamp [ms]", "Recording timestamp [μs]", "Recording timestamp [µs]"),
        "x": ("Gaze point X [DACS px]", "Gaze point X"),
        "y": ("Gaze point Y [DACS px]", "Gaze point Y"),
        "screen_width": ("Recording resolution width [px]", "Recording resolution width"),
        "screen_height": ("Recording resolution height [px]", "Recording resolution height"),
        "media_x": ("Presented Media position X [DACS px]",),
        "media_y": ("Presented Media position Y [DACS px]",),
        "media_width": ("Presented Media width [px]", "Presented Media width"),
        "media_height": ("Presented Media height [px]", "Presented Media height"),
        "movement_index": ("Eye movement type index",),
        "pupil": ("Pupil diameter filtered [mm]",),
        "tracker_time": ("Eyetracker timestamp [μs]", "Eyetracker timestamp [µs]"),
    }
    label_roles: ClassVar[dict[str, tuple[str, ...]]] = {
        "sensor": ("Sensor",),
        "participant": ("Participant name",),
        "recording": ("Recording name",),
        "media": ("Presented Media name",),
        "stimulus": ("Presented Stimulus name",),
        "movement": ("Eye movement type",),
        "validity_left": ("Validity left",),
        "validity_right": ("Validity right",),
    }
    group_keys = ("participant", "recording", "media", "stimulus")
    extra_columns = ("movement_index", "pupil")

    def gaze_rows(self, data: Streamed, col: dict[str, str]) -> npt.NDArray[np.bool_]:
        if "sensor" not in col:
            return np.ones(data.rows, bool)
        codes, names = data.labels[col["sensor"]]
        eye = np.array([n is not None and n.startswith("Eye") for n in names] or [False])
        return eye[codes]

    def eye_valid(self, data: Streamed, col: dict[str, str]) -> npt.NDArray[np.bool_]:
        sides = [col[k] for k in ("validity_left", "validity_right") if k in col]
        if not sides:
            return np.ones(data.rows, bool)
        valid = np.zeros(data.rows, bool)
        for name in sides:
            codes, names = data.labels[name]
            valid |= np.array([n == "Valid" for n in names] or [False])[codes]
        return valid

    def screen(self, data: Streamed, col: dict[str, str]) -> ScreenGeometry | None:
        if "screen_width" not in col or "screen_height" not in col:
            return None
        w, h = data.numbers[col["screen_width"]], data.numbers[col["screen_height"]]
        ok = np.flatnonzero(np.isfinite(w) & np.isfinite(h))
        if not ok.size:
            return None
        return ScreenGeometry(width_px=int(w[ok[0]]), height_px=int(h[ok[0]]))


_RESOLUTION = re.compile(r"^\s*(\d+)\s*x\s*(\d+)\s*$")


class _Studio(Layout):
    name = "tobii_studio"
    markers = ("RecordingTimestamp", "GazePointX")
    numeric_roles: ClassVar[dict[str, tuple[str, ...]]] = {
        "t": ("RecordingTimestamp",),
        "x": ("GazePointX (ADCSpx)", "GazePointX"),
        "y": ("GazePointY (ADCSpx)", "GazePointY"),
        "tracker_time": ("EyeTrackerTimestamp",),
        "validity_left": ("ValidityLeft",),
        "validity_right": ("ValidityRight",),
        "media_x": ("MediaPosX (ADCSpx)",),
        "media_y": ("MediaPosY (ADCSpx)",),
        "media_width": ("MediaWidth",),
        "media_height": ("MediaHeight",),
        "fixation_index": ("FixationIndex",),
        "scroll_y": ("ScrollY", "ScrollY (px)", "MediaScrollY", "WebPageScrollY"),
    }
    label_roles: ClassVar[dict[str, tuple[str, ...]]] = {
        "participant": ("ParticipantName",),
        "recording": ("RecordingName",),
        "media": ("MediaName",),
        "movement": ("GazeEventType",),
        "resolution": ("RecordingResolution",),
    }
    group_keys = ("participant", "recording", "media")
    extra_columns = ("fixation_index", "scroll_y")

    def gaze_rows(self, data: Streamed, col: dict[str, str]) -> npt.NDArray[np.bool_]:
        if "tracker_time" not in col:
            return np.ones(data.rows, bool)
        return np.isfinite(data.numbers[col["tracker_time"]])

    def eye_valid(self, data: Streamed, col: dict[str, str]) -> npt.NDArray[np.bool_]:
        sides = [data.numbers[col[k]] for k in ("validity_left", "validity_right") if k in col]
        if not sides:
            return np.ones(data.rows, bool)
        # Tobii validity codes: 0 certain … 4 eye not found; 0 and 1 are usable
        valid: npt.NDArray[np.bool_] = np.logical_or.reduce([s <= 1 for s in sides])
        return valid

    def screen(self, data: Streamed, col: dict[str, str]) -> ScreenGeometry | None:
        if "resolution" not in col:
            return None
        for text in data.labels[col["resolution"]][1]:
            match = _RESOLUTION.match(text or "")
            if match:
                return ScreenGeometry(width_px=int(match[1]), height_px=int(match[2]))
        return None


PRO_LAB = _ProLab()
STUDIO = _Studio()
