"""Gaze data in memory: the :class:`Recording` type, cleaning, screen→stimulus mapping,
visual angles and fixation detection. numpy only; no web, no database.
"""

from gazemap.gaze.recording import CleaningReport, Kind, Recording, ScreenGeometry

__all__ = ["CleaningReport", "Kind", "Recording", "ScreenGeometry"]
