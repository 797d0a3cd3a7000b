"""Gaze data in memory: the :class:`Recording` type, cleaning, screen→stimulus mapping,
visual angles and fixation detection. numpy only; no web, no database.

Pipeline order: read (``gazemap.formats``) → :func:`clean` → :func:`detect_fixations`
(on screen px) → :func:`map_to_stimulus` → :func:`window` → :func:`weights_for` →
density. See ``docs/gaze.md``.
"""

# This package must never import gazemap.formats: the readers import gazemap.gaze.recording.
from gazemap.gaze.agreement import Agreement, label_agreement
from gazemap.gaze.cleaning import clean
from gazemap.gaze.fixations import METHODS, detect_fixations, sample_labels
from gazemap.gaze.idt import IDTParams
from gazemap.gaze.ivt import IVTParams
from gazemap.gaze.mapping import StimulusPlacement, map_to_stimulus
from gazemap.gaze.recording import CleaningReport, Kind, Recording, ScreenGeometry
from gazemap.gaze.visual_angle import (
    default_geometry,
    degrees_to_pixels,
    gaze_angles,
    pixels_to_degrees,
)
from gazemap.gaze.weighting import weights_for, window

__all__ = [
    "METHODS",
    "Agreement",
    "CleaningReport",
    "IDTParams",
    "IVTParams",
    "Kind",
    "Recording",
    "ScreenGeometry",
    "StimulusPlacement",
    "clean",
    "default_geometry",
    "degrees_to_pixels",
    "detect_fixations",
    "gaze_angles",
    "label_agreement",
    "map_to_stimulus",
    "pixels_to_degrees",
    "sample_labels",
    "weights_for",
    "window",
]
