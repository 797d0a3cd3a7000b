"""Benchmark of the heat-map service: cold, warm and slice-change ``build_heatmap``.

Prints times next to their targets and next to the anchor, never asserts. Run:

    .venv/bin/python bench/service.py            # about half a minute
    .venv/bin/python bench/service.py --profile  # also a cProfile profile of the cold call

Set-up: a temporary SQLite database and blob folder, one 1920 × 1080 stimulus, 100
participants (half ``f``, half ``m``) with one recording of 10,000 raw samples each at
300 Hz (10^6 points in all), stored as ingestion stores them. Parameters: level 1
(960 × 540 cells), Gaussian 40 px, ``points="samples"``, duration weights, pooled.

- **cold**: a new service context (empty array cache, empty memory and disk cache; its
  first database connection opened before the clock starts, as in a running server):
  select, decode 100 blobs, weights, KDE, encode, store. Target 300 ms.
- **warm**: the same request again (density found in memory). Target 2 ms.
- **slice change**: ``gender=["f"]`` right after the cold call: arrays come from the
  array cache, the density is new. Target 150 ms.
- **fixations**: a cold call with ``points="fixations"`` (I-VT on every recording).
- **anchor**: :func:`gazemap.kde.density` alone on the same 10^6 points and weights, the
  floor any service call stands on.

Each figure is the median of 5 runs (cold: 5 fresh contexts).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from gazemap.config import CacheSettings, Settings
from gazemap.gaze import Recording
from gazemap.kde import Grid, density
from gazemap.service.actor import SYSTEM
from gazemap.service.context import ServiceContext
from gazemap.service.heatmaps import build_heatmap
from gazemap.service.params import HeatmapParams, RenderOptions
from gazemap.store.codec import encode_recording_arrays
from gazemap.store.migrate import upgrade
from gazemap.store.models import Participant, Stimulus, Study
from gazemap.store.models import Recording as RecordingRow
from gazemap.store.slices import Slice

W, H = 1920, 1080
PARTICIPANTS, SAMPLES, RATE = 100, 10_000, 300.0
RUNS = int(__import__("os").environ.get("BENCH_RUNS", "5"))


def gaze(rng: np.random.Generator) -> Recording:
    """10,000 samples: dwells of about 250 ms on random spots, with tracker noise."""
    per = int(RATE * 0.25)
    spots = rng.uniform([50, 50], [W - 50, H - 50], size=(SAMPLES // per + 1, 2))
    xy = np.repeat(spots, per, axis=0)[:SAMPLES] + rng.normal(0, 3.0, size=(SAMPLES, 2))
    t = np.arange(SAMPLES) * (1000.0 / RATE)
    valid = rng.random(SAMPLES) > 0.02
    return Recording("samples", t, xy[:, 0], xy[:, 1], valid, sampling_rate=RATE)


def populate(home: Path) -> tuple[Settings, int, np.ndarray, np.ndarray]:
    """The database and blobs; returns settings, stimulus id, and all points and weights."""
    from gazemap.gaze import weights_for

    settings = Settings(
        environment="test",
        home=home,
        cache=CacheSettings(memory_bytes=256 * 2**20, disk_bytes=2**30),
    )
    home.mkdir(parents=True, exist_ok=True)
    upgrade(settings.resolved_database_url)
    ctx = ServiceContext.from_settings(settings)
    rng = np.random.default_rng(7)
    points, weights = [], []
    with ctx.session() as session:
        study = Study(name="bench")
        session.add(study)
        session.flush()
        stimulus = Stimulus(
            study_id=study.id, name="page", page_key="page", width=W, height=H, data_version=1
        )
        session.add(stimulus)
        session.flush()
        for i in range(PARTICIPANTS):
            person = Participant(study_id=study.id, pseudonym=f"p{i}", gender="fm"[i % 2])
            session.add(person)
            session.flush()
            rec = gaze(rng)
            points.append(rec.points)
            weights.append(weights_for(rec, weight="duration"))
            session.add(
                RecordingRow(
                    study_id=study.id,
                    participant_id=person.id,
                    stimulus_id=stimulus.id,
                    started_at=datetime(2024, 1, 1, tzinfo=UTC),
                    kind="samples",
                    sample_count=SAMPLES,
                    sampling_rate=RATE,
                    gaze_key=ctx.blobs.put(encode_recording_arrays(rec)),
                )
            )
        stimulus_id = stimulus.id
    ctx.close()
    return settings, stimulus_id, np.concatenate(points), np.concatenate(weights)


def fresh(settings: Settings, run: int) -> ServiceContext:
    """A context with an empty array cache and an empty disk cache of its own."""
    cache = settings.cache.model_copy(update={"disk_path": settings.home / f"cache-{run}"})
    ctx = ServiceContext.from_settings(settings.model_copy(update={"cache": cache}))
    # a running server's connection pool is warm: open the first connection untimed
    with ctx.engine.connect():
        pass
    return ctx


def timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000.0


def report(label: str, times: list[float], target: float | None) -> None:
    median = statistics.median(times)
    goal = f"target {target:6.0f} ms  {'met' if median <= target else 'MISSED'}" if target else ""
    print(f"{label:<44} {median:9.2f} ms   (min {min(times):8.2f})   {goal}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", action="store_true", help="profile one cold call")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings, stimulus_id, points, weights = populate(Path(tmp) / "home")
        samples = HeatmapParams(points="samples", bandwidth=40, level=1)
        fixations = HeatmapParams(points="fixations", bandwidth=40, level=1)
        women = Slice(gender=["f"])
        print(
            f"{PARTICIPANTS} participants × {SAMPLES} samples = {len(points)} valid points; "
            f"grid {W // 2} × {H // 2}"
        )

        grid = Grid.for_stimulus(W, H, level=1)
        anchor = [
            timed(lambda: density(points, grid=grid, bandwidth=40.0, weights=weights))
            for _ in range(RUNS)
        ]

        cold, cold_png, warm, warm_png, change, fix = [], [], [], [], [], []
        everyone = Slice()
        flat = RenderOptions(overlay=False)

        def call(
            c: ServiceContext,
            params: HeatmapParams = samples,
            s: Slice = everyone,
            render: RenderOptions | None = None,
        ) -> Callable[[], object]:
            return lambda: build_heatmap(
                c, actor=SYSTEM, stimulus_id=stimulus_id, params=params, slice=s, render=render
            )

        for run in range(RUNS):
            ctx = fresh(settings, run)
            cold.append(timed(call(ctx)))
            warm.extend(timed(call(ctx)) for _ in range(20))
            change.append(timed(call(ctx, s=women)))
            cold_png.append(timed(call(ctx, render=flat)))
            warm_png.extend(timed(call(ctx, render=flat)) for _ in range(20))
            ctx.close()
            other = fresh(settings, 100 + run)
            fix.append(timed(call(other, params=fixations)))
            other.close()

        report("anchor: kde.density alone, 10^6 points", anchor, None)
        report("cold build_heatmap (samples, density)", cold, 300)
        report("warm build_heatmap (cache hit, density)", warm, 2)
        report("slice change (arrays cached)", change, 150)
        report("render PNG on a cached density", cold_png, None)
        report("warm build_heatmap with PNG", warm_png, 2)
        report("cold build_heatmap (fixations, I-VT)", fix, None)
        print(f"cold / anchor: {statistics.median(cold) / statistics.median(anchor):.2f}")

        if args.profile:
            import cProfile
            import pstats

            ctx = fresh(settings, 999)
            profiler = cProfile.Profile()
            profiler.enable()
            build_heatmap(ctx, actor=SYSTEM, stimulus_id=stimulus_id, params=samples, slice=Slice())
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
            ctx.close()


if __name__ == "__main__":
    main()
