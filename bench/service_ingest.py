"""Benchmark of ``ingest_recordings``: what storing costs on top of reading and cleaning.

Prints times and ratios, never asserts. Run:

    .venv/bin/python bench/service_ingest.py

Files (read in place from ../shared/data/real, plus the bundled OSIE demo):

- **osie**: the four demo CSVs (fixations, 15 participants each), one upload each;
- **eyelink**: ``eyelinker-sr-asc-matrix/mono2000.asc.gz`` (raw samples at 2000 Hz), one
  participant given on the form;
- **tobii**: the Tobii Studio web-page export (two recordings, media position per row);
- **generated**: a generic CSV of 100 participants × 3,000 samples (300,000 rows).

For each: the **anchor** is ``gazemap.formats.read`` + ``gazemap.gaze.clean`` alone (the
floor an ingest stands on); **ingest** is the whole service call on SQLite (temporary
folder) including encoding, blob writes (not the stimulus upload, made beforehand), participant lookup, rows and audit in one
transaction. Each figure is the median of 5 runs (``BENCH_RUNS``); every run ingests into
a fresh stimulus, so participants exist from the second run on (the common case).
"""

from __future__ import annotations

import io
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from gazemap.config import Settings
from gazemap.demo import demo_stimuli
from gazemap.formats import read
from gazemap.gaze import clean
from gazemap.service.actor import SYSTEM
from gazemap.service.context import ServiceContext
from gazemap.service.recordings import ingest_recordings
from gazemap.service.stimuli import ingest_stimulus
from gazemap.service.studies import create_study
from gazemap.store.migrate import upgrade

REAL = Path(
    os.environ.get(
        "GAZEMAP_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
    )
)
RUNS = int(os.environ.get("BENCH_RUNS", "5"))


def png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def generated(path: Path) -> Path:
    rng = np.random.default_rng(0)
    # no age column: formats' split_recordings currently rescans the file for the line of
    # every recording's age (28 s for this file), which would hide what ingest costs
    rows = ["t,x,y,participant,stimulus,gender"]
    for p in range(100):
        t = np.arange(3000) * (1000 / 300)
        xy = rng.uniform([0, 0], [1920, 1080], size=(3000, 2))
        gender = "fm"[p % 2]
        rows.extend(
            f"{ti:.3f},{x:.2f},{y:.2f},p{p:03d},page,{gender}"
            for ti, (x, y) in zip(t, xy, strict=True)
        )
    path.write_text("\n".join(rows) + "\n")
    return path


def stimulus_name(path: Path) -> str:
    """The name the file's ``stimulus`` column uses, so nothing is refused as another page."""
    if "osie" in path.name:
        return path.stem
    if "tobii" in path.name:
        return "http://www.drewmstiles.com/ (CRC)"
    return "page"


def median_ms(fn: Callable[[], Any]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        url = f"sqlite:///{home / 'gazemap.db'}"
        upgrade(url)
        ctx = ServiceContext.from_settings(
            Settings(environment="test", home=home, database_url=url)
        )
        study = create_study(ctx, actor=SYSTEM, name="bench")
        cases: list[tuple[str, list[Path], tuple[int, int], dict[str, Any]]] = [
            ("osie (4 files)", [d.fixations_csv_path for d in demo_stimuli()], (800, 600), {}),
            ("eyelink 2000 Hz", [REAL / "eyelinker-sr-asc-matrix/mono2000.asc.gz"], (1024, 768), {"participant": "S1"}),
            ("tobii web page", [REAL / "tobii-studio-webpage-export/tobiiData.tsv"], (1864, 2400), {"other_stimuli": "skip"}),
            ("generated 300k rows", [generated(home / "generated.csv")], (1920, 1080), {}),
        ]  # fmt: skip
        print(f"{'case':<22}{'rows':>9}{'anchor ms':>12}{'ingest ms':>12}{'ratio':>8}")
        for label, paths, (w, h), kwargs in cases:
            rows = sum(len(r) for p in paths for r in read(p))
            image = png(w, h)

            def anchor(paths: list[Path] = paths) -> None:
                for p in paths:
                    for r in read(p):
                        clean(r)

            names = [stimulus_name(p) for p in paths]
            targets = iter(
                [
                    ingest_stimulus(
                        ctx, actor=SYSTEM, study_id=study.id, image=image, name=name,
                        page_key=f"{label} {run} {name}",
                    ).id
                    for run in range(RUNS)
                    for name in names
                ]
            )  # fmt: skip

            def ingest(
                paths: list[Path] = paths, kw: dict[str, Any] = kwargs, targets: Any = targets
            ) -> None:
                for p in paths:
                    ingest_recordings(ctx, actor=SYSTEM, stimulus_id=next(targets), path=p, **kw)

            a, i = median_ms(anchor), median_ms(ingest)
            print(f"{label:<22}{rows:>9}{a:>12.1f}{i:>12.1f}{i / a:>8.2f}")
        ctx.close()


if __name__ == "__main__":
    main()
