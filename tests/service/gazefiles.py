"""Small gaze files the service tests write themselves (generic CSV, the reader's own format)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

HEADER = ("t", "x", "y", "duration", "participant", "stimulus", "gender", "age", "device")


def fixation_csv(
    path: Path,
    people: Sequence[tuple[str, str, int, str]],
    *,
    stimulus: str = "osie-1010",
    per_person: int = 6,
    seed: int = 0,
    width: int = 800,
    height: int = 600,
) -> Path:
    """Write fixations of ``people`` (participant, gender, age, device) on one stimulus.

    Every fixation lies on the stimulus, so cleaning keeps them all:
    ``len(people) * per_person`` rows in, the same number kept.
    """
    rng = np.random.default_rng(seed)
    lines = [",".join(HEADER)]
    for participant, gender, age, device in people:
        t = 0.0
        for _ in range(per_person):
            x = rng.uniform(10, width - 10)
            y = rng.uniform(10, height - 10)
            duration = float(rng.integers(100, 400))
            lines.append(
                f"{t:.0f},{x:.1f},{y:.1f},{duration:.0f},{participant},{stimulus},"
                f"{gender},{age},{device}"
            )
            t += duration + 20
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


PEOPLE = (
    ("P01", "f", 24, "Tobii Pro Spectrum"),
    ("P02", "m", 31, "Tobii Pro Spectrum"),
    ("P03", "f", 45, "EyeLink 1000"),
)
