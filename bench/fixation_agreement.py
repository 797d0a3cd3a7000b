"""Agreement of gazemap's fixation detectors with the trackers' own classifiers.

For every Tobii Pro Lab export in ``tobii-prolab-dataexport-ivt`` (vendor labels: the
``Eye movement type`` column) and every EyeLink ASC file in ``eyelinker-sr-asc-matrix``
(vendor labels: samples inside ``EFIX`` events), label each sample fixation /
non-fixation with gazemap and print, per file, the share of samples both agree on and
Cohen's κ. Settings per file are the vendor's as far as the file tells them (see
``docs/gaze.md``); I-DT is printed for information only. Also times both detectors on
10⁶ synthetic samples. Prints; never asserts.

Run: ``.venv/bin/python bench/fixation_agreement.py [path/to/shared/data/real]``
"""

from __future__ import annotations

import csv
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from gazemap.formats import read
from gazemap.gaze import Recording, label_agreement, sample_labels

REAL = Path(
    sys.argv[1]
    if len(sys.argv) > 1
    else os.environ.get(
        "GAZEMAP_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared/data/real"
    )
)
TOBII = REAL / "tobii-prolab-dataexport-ivt"
EYELINK = REAL / "eyelinker-sr-asc-matrix"
STUDIO = REAL / "tobii-studio-webpage-export"

#: Tobii Pro Lab's "Tobii I-VT (Fixation)" preset: gazemap's I-VT defaults.
TOBII_DEFAULT: dict[str, Any] = {}
#: EyeLink's parser ("cognitive" configuration): 30 °/s, 8000 °/s², no merging of
#: fixations and no minimum fixation duration.
EYELINK_PARSER: dict[str, Any] = {
    "acceleration_threshold": 8000.0,
    "merge_max_time_ms": 0.0,
    "min_duration_ms": 0.0,
}


def both_eyes_valid(path: Path, recordings: list[Recording]) -> list[np.ndarray] | None:
    """Per recording, whether both eyes were valid, from the export's Validity columns.

    Emulates Tobii's "strict average" eye selection, which treats a sample with one eye
    lost as missing; the export's own gaze column holds the single eye's value there.
    """
    by_stimulus: dict[str | None, list[bool]] = {}
    with path.open(encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row["Sensor"] != "Eye Tracker":
                continue
            name = row["Presented Stimulus name"] or None
            ok = row["Validity left"] == "Valid" and row["Validity right"] == "Valid"
            by_stimulus.setdefault(name, []).append(ok)
    out = []
    for rec in recordings:
        mask = np.array(by_stimulus.get(rec.stimulus, []), dtype=bool)
        if mask.size != len(rec):
            return None
        out.append(mask)
    return out


def tobii_cases() -> list[tuple[str, str, list[Recording], dict[str, Any]]]:
    cases = []
    for path in sorted(TOBII.glob("*.tsv")):
        recs = [r for r in read(path) if "movement" in r.extra]
        name = path.name
        if name.startswith("I-VT-normal"):
            cases.append((name, "Tobii I-VT (Fixation), defaults", recs, TOBII_DEFAULT))
        elif name.startswith("I-VT-rightEye"):
            cases.append((name, "custom I-VT, right eye; defaults", recs, TOBII_DEFAULT))
        elif name.startswith("I-VT-StrictAverage"):
            strict = both_eyes_valid(path, recs)
            if strict is not None:
                recs = [replace(r, valid=r.valid & m) for r, m in zip(recs, strict, strict=True)]
            settings = {"noise_reduction": "average", "noise_window": 3}
            cases.append((name, "custom I-VT, strict average, moving average 3", recs, settings))
            cases.append((name, "  same file, gazemap defaults", recs, TOBII_DEFAULT))
    return cases


def tobii_studio_cases() -> list[tuple[str, str, list[Recording], dict[str, Any]]]:
    """For information: Tobii Studio 3.4.5's "I-VT filter" (its settings are not exported)."""
    path = STUDIO / "tobiiData.tsv"
    return [
        (
            f"Studio {r.stimulus or 'before the page'}",
            "Studio I-VT, settings unknown; defaults",
            [r],
            {},
        )
        for r in read(path)
        if "movement" in r.extra
    ]


def eyelink_cases() -> list[tuple[str, str, list[Recording], dict[str, Any]]]:
    cases = []
    for path in sorted(EYELINK.glob("*.asc.gz")):
        recs = [r for r in read(path) if "movement" in r.extra]
        cases.append((path.name, "EyeLink parser settings", recs, EYELINK_PARSER))
        cases.append((path.name, "  same file, gazemap defaults", recs, TOBII_DEFAULT))
    return cases


def row(name: str, setting: str, recs: list[Recording], params: dict[str, Any]) -> None:
    vendor = np.concatenate([r.extra["movement"] == "fixation" for r in recs])
    ivt = np.concatenate([sample_labels(r, "ivt", **params) for r in recs])
    idt = np.concatenate([sample_labels(r, "idt") for r in recs])
    a, d = label_agreement(vendor, ivt), label_agreement(vendor, idt)
    print(
        f"{name[:38]:38} {setting[:46]:46} {a.n:7d} {a.share_a:6.3f} {a.share_b:6.3f} "
        f"{a.share:6.3f} {a.kappa:6.3f}   {d.share:6.3f} {d.kappa:6.3f}"
    )


def speed() -> None:
    rng = np.random.default_rng(0)
    n = 1_000_000
    t = np.arange(n) * (1000.0 / 1000.0)
    centres = rng.uniform([0, 0], [1920, 1080], size=(n // 250 + 1, 2)).repeat(250, axis=0)[:n]
    x = centres[:, 0] + rng.normal(0, 3, n)
    y = centres[:, 1] + rng.normal(0, 3, n)
    rec = Recording("samples", t, x, y, rng.random(n) > 0.01, sampling_rate=1000.0)
    for method in ("ivt", "idt"):
        best = np.inf
        for _ in range(3):
            start = time.perf_counter()
            labels = sample_labels(rec, method)
            best = min(best, time.perf_counter() - start)
        print(
            f"{method}: {n:,} samples labelled in {best:.3f} s (best of 3), {labels.mean():.3f} fixation"
        )


def main() -> None:
    header = (
        f"{'file':38} {'settings':46} {'samples':>7} {'vendor':>6} {'ours':>6} "
        f"{'agree':>6} {'kappa':>6}   {'I-DT agree/kappa':>13}"
    )
    print(header)
    print("-" * len(header))
    for case in tobii_cases() + eyelink_cases() + tobii_studio_cases():
        row(*case)
    print()
    speed()


if __name__ == "__main__":
    main()
