"""Regression guard: gazemap's I-VT agrees with the trackers' own classifiers.

The full table (every file, both detectors) is ``bench/fixation_agreement.py``; here one
Tobii and one EyeLink file must stay at ≥ 90 % agreement and κ ≥ 0.7.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gazemap.formats import read
from gazemap.gaze import label_agreement, sample_labels

#: EyeLink's parser: 30 °/s, 8000 °/s², no merging and no minimum duration.
EYELINK_PARSER = {
    "acceleration_threshold": 8000.0,
    "merge_max_time_ms": 0.0,
    "min_duration_ms": 0.0,
}

CASES = [
    ("tobii-prolab-dataexport-ivt/I-VT-normal Data export_short.tsv", {}),
    ("eyelinker-sr-asc-matrix/monoRemote500.asc.gz", EYELINK_PARSER),
    ("eyelinker-sr-asc-matrix/mono2000.asc.gz", EYELINK_PARSER),
]


@pytest.mark.parametrize(("name", "params"), CASES, ids=[c[0].split("/")[1] for c in CASES])
def test_ivt_agrees_with_the_vendor_classification(
    real_data: Path, name: str, params: dict[str, float]
) -> None:
    recordings = [r for r in read(real_data / name) if "movement" in r.extra]
    assert recordings, "the reader must give the vendor's per-sample movement labels"
    vendor = np.concatenate([r.extra["movement"] == "fixation" for r in recordings])
    ours = np.concatenate([sample_labels(r, "ivt", **params) for r in recordings])
    result = label_agreement(vendor, ours)
    assert result.n > 1000
    assert result.share >= 0.9, result
    assert result.kappa >= 0.7, result
