"""Synthetic scan paths with known fixations, for the detector tests.

A scan path is a list of fixations (x, y in screen px, duration in ms) joined by
saccades of fixed duration that move linearly, sampled at a fixed rate, with optional
Gaussian noise and blinks (runs of invalid samples).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gazemap.gaze import Recording, ScreenGeometry

SCREEN = ScreenGeometry(width_px=1920, height_px=1080, width_mm=531.0, distance_mm=650.0)


@dataclass(frozen=True)
class Truth:
    """Where the true fixations are: start time, end time (exclusive), x, y."""

    start: np.ndarray
    end: np.ndarray
    x: np.ndarray
    y: np.ndarray


def scanpath(
    fixations: list[tuple[float, float, float]],
    *,
    rate: float = 300.0,
    saccade_ms: float = 40.0,
    noise_px: float = 0.0,
    seed: int = 0,
    blinks: Sequence[tuple[float, float]] = (),
) -> tuple[Recording, Truth]:
    """Samples of fixations joined by linear saccades; blinks are (start, end) ms."""
    dt = 1000.0 / rate
    segs_t, segs_x, segs_y = [], [], []
    starts, ends = [], []
    t = 0.0
    prev = None
    for fx, fy, dur in fixations:
        if prev is not None:
            ts = np.arange(t, t + saccade_ms, dt)
            frac = (ts - t) / saccade_ms
            segs_t.append(ts)
            segs_x.append(prev[0] + (fx - prev[0]) * frac)
            segs_y.append(prev[1] + (fy - prev[1]) * frac)
            t = ts[-1] + dt if ts.size else t
        ts = np.arange(t, t + dur, dt)
        starts.append(ts[0])
        ends.append(ts[-1] + dt)
        segs_t.append(ts)
        segs_x.append(np.full(ts.size, fx))
        segs_y.append(np.full(ts.size, fy))
        t = ts[-1] + dt
        prev = (fx, fy)
    tt = np.concatenate(segs_t)
    x = np.concatenate(segs_x)
    y = np.concatenate(segs_y)
    rng = np.random.default_rng(seed)
    if noise_px:
        x = x + rng.normal(0.0, noise_px, x.size)
        y = y + rng.normal(0.0, noise_px, y.size)
    valid = np.ones(tt.size, dtype=bool)
    for b0, b1 in blinks:
        valid &= ~((tt >= b0) & (tt < b1))
    x = np.where(valid, x, np.nan)
    y = np.where(valid, y, np.nan)
    rec = Recording("samples", tt, x, y, valid, sampling_rate=rate, screen=SCREEN, participant="p1")
    truth = Truth(np.array(starts), np.array(ends), *np.array(fixations)[:, :2].T)
    return rec, truth
