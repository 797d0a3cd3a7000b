"""Regenerate gazemap's bundled demo set from the OSIE eye-tracking data.

Reads ``osie-natural-images`` (the MIT-licensed OSIE data: ``eye/fixations.mat`` and
``stimuli/*.jpg``) and writes, for each chosen image, the JPEG unchanged and its 15
observers' fixations as a generic gazemap CSV (``t,x,y,duration,participant,stimulus``),
plus ``manifest.json`` and OSIE's licence as ``NOTICE-OSIE.txt``. See docs/demo-data.md.

Usage::

    .venv/bin/python scripts/make_demo_data.py [--source DIR] [--out DIR] [--images 1010 1020 ...]
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import scipy.io
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO.parent / "shared" / "data" / "real" / "osie-natural-images"
DEFAULT_OUT = REPO / "src" / "gazemap" / "demo" / "data"
# faces, text and signs: the things people look at first, so the maps are telling
DEFAULT_IMAGES = ("1010", "1020", "1023", "1038")
TITLES = {
    "1010": "Grocery shop front with three signs and a passer-by",
    "1020": "Woman reading a picture book in bed",
    "1023": "Three men at a pool table under a slogan",
    "1038": "Dog at a gate below a 'No pets allowed' sign",
}
HEADER = ("t", "x", "y", "duration", "participant", "stimulus")


def fixation_rows(entry: Any, stimulus: str) -> list[tuple[str, ...]]:
    """CSV rows for one OSIE image: every observer's fixations in viewing order.

    OSIE gives each fixation's position (MATLAB's 1-based pixel coordinates, where the
    first pixel's centre is 1.0) and duration in ms, but no timestamps. ``x, y`` become
    gazemap's continuous pixel coordinates (origin at the image's top-left corner, first
    pixel's centre at 0.5) by subtracting 0.5; ``t`` is the sum of the observer's earlier
    fixation durations, i.e. the start of the fixation if saccades took no time.
    """
    rows: list[tuple[str, ...]] = []
    for index, subject in enumerate(np.atleast_1d(entry.subjects), start=1):
        x = np.atleast_1d(subject.fix_x).astype(np.float64) - 0.5
        y = np.atleast_1d(subject.fix_y).astype(np.float64) - 0.5
        duration = np.atleast_1d(subject.fix_duration).astype(np.float64)
        start = np.concatenate(([0.0], np.cumsum(duration)[:-1]))
        participant = f"s{index:02d}"
        for t, xi, yi, d in zip(start, x, y, duration, strict=True):
            rows.append((f"{t:.0f}", f"{xi:.1f}", f"{yi:.1f}", f"{d:.0f}", participant, stimulus))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--images", nargs="+", default=list(DEFAULT_IMAGES))
    args = parser.parse_args()

    mat = scipy.io.loadmat(
        args.source / "eye" / "fixations.mat", squeeze_me=True, struct_as_record=False
    )
    by_image = {str(entry.img): entry for entry in mat["fixations"]}
    args.out.mkdir(parents=True, exist_ok=True)
    stimuli = []
    for image_id in args.images:
        name = f"osie-{image_id}"
        source_image = args.source / "stimuli" / f"{image_id}.jpg"
        shutil.copyfile(source_image, args.out / f"{name}.jpg")
        with Image.open(source_image) as img:
            width, height = img.size
        rows = fixation_rows(by_image[f"{image_id}.jpg"], name)
        with (args.out / f"{name}.csv").open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(HEADER)
            writer.writerows(rows)
        stimuli.append(
            {
                "name": name,
                "title": TITLES.get(image_id, f"OSIE image {image_id}"),
                "image": f"{name}.jpg",
                "fixations": f"{name}.csv",
                "width": width,
                "height": height,
                "n_fixations": len(rows),
                "n_participants": len({r[4] for r in rows}),
            }
        )
        print(f"{name}: {len(rows)} fixations, {width}x{height}")
    manifest = {
        "source": "OSIE (Xu, Jiang, Wang, Kankanhalli, Zhao, Journal of Vision 14(1):28, 2014), "
        "NUS-VIP/predicting-human-gaze-beyond-pixels",
        "licence": "MIT, see NOTICE-OSIE.txt",
        "units": {"t": "ms", "x": "px", "y": "px", "duration": "ms"},
        "stimuli": stimuli,
    }
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    notice = (
        "The demo images and fixations in this folder are a subset of OSIE\n"
        "(Object and Semantic Images and Eye-tracking), converted by scripts/make_demo_data.py.\n"
        "Source: NUS-VIP/predicting-human-gaze-beyond-pixels, distributed under this licence:\n\n"
    )
    licence = (args.source / "LICENSE").read_text(encoding="utf-8")
    (args.out / "NOTICE-OSIE.txt").write_text(notice + licence, encoding="utf-8")


if __name__ == "__main__":
    main()
