"""Hypothesis strategies for gaze data: noisy scan paths and screen geometries."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from gazemap.gaze import Recording, ScreenGeometry

rates = st.sampled_from([60.0, 120.0, 250.0, 300.0, 500.0, 1000.0])


@st.composite
def scan_paths(draw: st.DrawFn, *, max_fixations: int = 6) -> Recording:
    """Fixations at random places and durations, saccades between, noise, invalid
    samples, and sometimes irregular sample timing."""
    rate = draw(rates)
    dt = 1000.0 / rate
    k = draw(st.integers(1, max_fixations))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    ts, xs, ys = [], [], []
    t = 0.0
    for _ in range(k):
        dur = draw(st.floats(20.0, 600.0))
        n = max(1, int(dur / dt))
        cx, cy = rng.uniform(0, 1920), rng.uniform(0, 1080)
        noise = draw(st.floats(0.0, 8.0))
        ts.append(t + dt * np.arange(n))
        xs.append(cx + rng.normal(0, noise, n) if noise else np.full(n, cx))
        ys.append(cy + rng.normal(0, noise, n) if noise else np.full(n, cy))
        t += dt * n
        sac = int(draw(st.floats(0.0, 60.0)) / dt)
        if sac:
            ts.append(t + dt * np.arange(sac))
            xs.append(rng.uniform(0, 1920, sac))
            ys.append(rng.uniform(0, 1080, sac))
            t += dt * sac
    tt, x, y = np.concatenate(ts), np.concatenate(xs), np.concatenate(ys)
    jitter = draw(st.sampled_from([0.0, 0.0, 0.4]))
    if jitter and tt.size > 1:
        # Irregular steps, as webcam trackers deliver them.
        steps = dt * (1.0 + rng.uniform(-jitter, jitter, tt.size - 1))
        tt = np.concatenate(([0.0], np.cumsum(steps)))
    valid = rng.random(tt.size) > draw(st.sampled_from([0.0, 0.02, 0.2]))
    return Recording(
        "samples", tt, x, y, valid, sampling_rate=rate,
        screen=ScreenGeometry(width_px=1920, height_px=1080),
    )  # fmt: skip
