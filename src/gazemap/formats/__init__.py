"""Readers for generic CSV/TSV/JSON and vendor exports into :class:`gazemap.gaze.Recording`."""
