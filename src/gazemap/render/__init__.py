"""Density grids to pictures: colormaps, alpha mapping, overlay on the stimulus, legends, PNG."""
