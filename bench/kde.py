"""Benchmark of gazemap.kde against KDEpy, scipy, a plain numpy FFT and the floor.

Prints times, ratios, relative L2 errors and peak memory; never asserts. Run:

    .venv/bin/python bench/kde.py                 # the headline case (about a minute)
    .venv/bin/python bench/kde.py --error-table   # fft vs exact: kernel × bandwidth in cells
    .venv/bin/python bench/kde.py --cost-model    # estimate_cost against measured times

Headline case: N = 10^6 weighted gaze-like points (fixation clusters, random order),
grid 1920 × 1080 cells of 1 px, Gaussian σ = 40 px.

- floor: one weighted ``np.bincount`` of the points onto the grid (nearest cell) plus one
  float32 ``scipy.fft`` ``rfft2``/``irfft2`` round trip of the grid padded by 4σ per side.
  Nothing that smooths correctly can be much faster than this.
- numpy baseline: linear binning with four ``np.bincount`` calls, float64 ``rfft2`` of the
  grid padded by 4σ per side, analytic Gaussian transform.
- KDEpy ``FFTKDE``: fit with weights, evaluated on the 2,073,600 cell centres.
- scipy ``gaussian_kde``: direct sum, far too slow for this case, so it runs on a 2,000
  point subsample and a 240 × 135 grid and its time is scaled by (n × cells) to the full
  case (it is linear in both).

Errors are relative L2 against the exact sum. The exact sum over all 10^6 points at all
2,073,600 cells would take minutes, so it is computed at every 8th row and column
(32,400 cells, all points) and every method is compared there.
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import platform
import statistics
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
import scipy
import scipy.fft as sfft

from gazemap.kde import KERNELS, Grid, density, estimate_cost
from gazemap.kde.exact import exact_sum
from gazemap.kde.fft import fft_sum

W, H, SIGMA, N = 1920, 1080, 40.0, 1_000_000
PAD = int(4 * SIGMA)


def gaze_like(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Fixation-like clusters over the screen, samples in random order, weights ~ durations."""
    centres = rng.uniform([40, 40], [W - 40, H - 40], (3000, 2))
    which = rng.integers(0, len(centres), n)
    points = centres[which] + rng.normal(0, 12, (n, 2))
    # KDEpy refuses data outside its grid, and its grid is the cell centres
    points = np.clip(points, [1.0, 1.0], [W - 1.0, H - 1.0])
    return points, rng.uniform(0.1, 2.0, n)


def floor(points: np.ndarray, weights: np.ndarray, workers: int | None) -> np.ndarray:
    ix = points[:, 0].astype(np.intp)
    iy = points[:, 1].astype(np.intp)
    binned = np.bincount(iy * W + ix, weights=weights, minlength=W * H).reshape(H, W)
    padded = np.zeros((H + 2 * PAD, W + 2 * PAD), np.float32)
    padded[PAD : PAD + H, PAD : PAD + W] = binned
    spectrum = sfft.rfft2(padded, workers=workers)
    return sfft.irfft2(spectrum, s=padded.shape, workers=workers)


def numpy_baseline(points: np.ndarray, weights: np.ndarray, workers: int | None) -> np.ndarray:
    shape = (H + 2 * PAD, W + 2 * PAD)
    u = points[:, 0] - 0.5 + PAD
    v = points[:, 1] - 0.5 + PAD
    iu, iv = np.floor(u), np.floor(v)
    fu, fv = u - iu, v - iv
    k = iv.astype(np.intp) * shape[1] + iu.astype(np.intp)
    size = shape[0] * shape[1]
    grid = np.bincount(k, weights * (1 - fu) * (1 - fv), size)
    grid[1:] += np.bincount(k, weights * fu * (1 - fv), size)[:-1]
    grid[shape[1] :] += np.bincount(k, weights * (1 - fu) * fv, size)[: -shape[1]]
    grid[shape[1] + 1 :] += np.bincount(k, weights * fu * fv, size)[: -shape[1] - 1]
    spectrum = sfft.rfft2(grid.reshape(shape), workers=workers)
    fy = sfft.fftfreq(shape[0])
    fx = sfft.rfftfreq(shape[1])
    spectrum *= np.outer(
        np.exp(-2 * math.pi**2 * (SIGMA * fy) ** 2), np.exp(-2 * math.pi**2 * (SIGMA * fx) ** 2)
    )
    out = sfft.irfft2(spectrum, s=shape, workers=workers)
    return out[PAD : PAD + H, PAD : PAD + W] / (weights.sum())


def kdepy(points: np.ndarray, weights: np.ndarray, centres: np.ndarray) -> np.ndarray:
    from KDEpy import FFTKDE

    values = FFTKDE(kernel="gaussian", bw=SIGMA).fit(points, weights=weights).evaluate(centres)
    return np.asarray(values).reshape(W, H).T


def exact_subset(
    points: np.ndarray, weights: np.ndarray, rows: np.ndarray, cols: np.ndarray
) -> np.ndarray:
    ys, xs = rows + 0.5, cols + 0.5
    out = np.zeros((len(rows), len(cols)))
    for start in range(0, len(points), 20_000):
        p = points[start : start + 20_000]
        gx = np.exp(-0.5 * ((xs[None, :] - p[:, :1]) / SIGMA) ** 2)
        gy = (
            np.exp(-0.5 * ((ys[None, :] - p[:, 1:]) / SIGMA) ** 2)
            * weights[start : start + 20_000, None]
        )
        out += gy.T @ gx
    return out / (2 * math.pi * SIGMA * SIGMA * weights.sum())


def best_of(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times) * 1e3, statistics.median(times) * 1e3


def rel_l2(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def headline(repeat: int) -> None:
    rng = np.random.default_rng(2024)
    points, weights = gaze_like(rng, N)
    grid = Grid(width=W, height=H, cols=W, rows=H)
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}"
    )
    print(
        f"case: N={N:,} weighted points, grid {W}x{H} cells, Gaussian sigma={SIGMA:g} px, best of {repeat}"
    )
    xs, ys = np.meshgrid(grid.x_centres, grid.y_centres, indexing="ij")
    centres = np.column_stack([xs.ravel(), ys.ravel()])

    runs: dict[str, Callable[[], object]] = {
        "floor (bincount + f32 FFT), workers=1": lambda: floor(points, weights, None),
        "gazemap fft, workers=1": lambda: density(
            points, grid=grid, bandwidth=SIGMA, weights=weights, method="fft"
        ),
        "floor (bincount + f32 FFT), workers=2": lambda: floor(points, weights, 2),
        "gazemap fft, workers=2": lambda: density(
            points, grid=grid, bandwidth=SIGMA, weights=weights, method="fft", workers=2
        ),
        "numpy linear binning + f64 rfft, workers=1": lambda: numpy_baseline(points, weights, None),
    }
    # interleave the rounds so a noisy neighbour on a shared machine hurts every run alike
    # CPU time (process_time, all threads) is printed too: it is less disturbed by other
    # processes on a shared machine than wall time
    samples: dict[str, list[float]] = {name: [] for name in runs}
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, fn in runs.items():
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            samples[name].append((time.perf_counter() - t0) * 1e3)
            cpu[name].append((time.process_time() - c0) * 1e3)
    kdepy_best, kdepy_median = best_of(lambda: kdepy(points, weights, centres), max(2, repeat // 3))

    sub = rng.choice(N, 2000, replace=False)
    from scipy.stats import gaussian_kde

    coarse = Grid(width=W, height=H, cols=240, rows=135)
    cx, cy = np.meshgrid(coarse.x_centres, coarse.y_centres)
    kde = gaussian_kde(points[sub].T, weights=weights[sub])
    kde.set_bandwidth(SIGMA / float(np.sqrt(kde.covariance[0, 0] / kde.factor**2)))
    t0 = time.perf_counter()
    kde(np.vstack([cx.ravel(), cy.ravel()]))
    scipy_sub = (time.perf_counter() - t0) * 1e3
    scipy_full = scipy_sub * (N / 2000) * (W * H) / coarse.n_cells

    best = {name: min(ts) for name, ts in samples.items()}
    best_cpu = {name: min(ts) for name, ts in cpu.items()}
    print(
        "\n| method | best ms | median ms | × floor (same workers) | KDEpy ÷ this "
        "| best CPU ms | CPU × floor |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, ts in samples.items():
        floor_name = (
            "floor (bincount + f32 FFT), workers=2"
            if "workers=2" in name
            else "floor (bincount + f32 FFT), workers=1"
        )
        print(
            f"| {name} | {best[name]:.1f} | {statistics.median(ts):.1f} | "
            f"{best[name] / best[floor_name]:.2f} | {kdepy_best / best[name]:.1f} | "
            f"{best_cpu[name]:.1f} | {best_cpu[name] / best_cpu[floor_name]:.2f} |"
        )
    print(
        f"| KDEpy FFTKDE | {kdepy_best:.1f} | {kdepy_median:.1f} | "
        f"{kdepy_best / best['floor (bincount + f32 FFT), workers=1']:.2f} | 1.0 |"
    )
    print(f"| scipy gaussian_kde, 2,000 points on 240×135 (measured) | {scipy_sub:.1f} | | | |")
    print(
        f"| scipy gaussian_kde, scaled to the full case | {scipy_full:,.0f} | | | {kdepy_best / scipy_full:.4f} |"
    )

    # accuracy at every 8th row and column, against the exact sum over all points
    rows, cols = np.arange(0, H, 8), np.arange(0, W, 8)
    t0 = time.perf_counter()
    exact = exact_subset(points, weights, rows, cols)
    print(
        f"\nexact reference at {len(rows)}×{len(cols)} cells, all points: {time.perf_counter() - t0:.1f} s"
    )
    ours = density(points, grid=grid, bandwidth=SIGMA, weights=weights, method="fft")
    base = numpy_baseline(points, weights, None)
    ref = kdepy(points, weights, centres)
    pick = np.ix_(rows, cols)
    print("| method | relative L2 vs exact |\n|---|---:|")
    print(f"| gazemap fft | {rel_l2(ours[pick], exact):.2e} |")
    print(f"| KDEpy FFTKDE | {rel_l2(ref[pick], exact):.2e} |")
    print(f"| numpy linear binning + rfft | {rel_l2(base[pick], exact):.2e} |")

    tracemalloc.start()
    density(points, grid=grid, bandwidth=SIGMA, weights=weights, method="fft")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    padded = (H + 2 * PAD) * (W + 2 * PAD) * 8
    print(
        f"\npeak memory of gazemap fft (tracemalloc, inputs excluded): {peak / 2**20:.1f} MiB "
        f"= {peak / padded:.2f} × the padded grid in float64 ({padded / 2**20:.1f} MiB; target ≤ 4)"
    )


def error_table() -> None:
    rng = np.random.default_rng(7)
    grid = Grid(width=240, height=180, cols=60, rows=45)
    centres = rng.uniform([50, 40], [190, 140], (4, 2))
    clustered = centres[rng.integers(0, 4, 300)] + rng.normal(0, 14, (300, 2))
    singles = rng.uniform([100, 70], [140, 110], (20, 2))
    cells = [1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 6.0, 10.0]
    print("relative L2 of fft vs exact; grid 60×45 cells of 4 px")
    for label, sets in (
        ("300 clustered points", [clustered]),
        ("one point, worst of 20 positions", [p[None] for p in singles]),
    ):
        print(f"\n{label}\n| kernel | " + " | ".join(f"{c:g}" for c in cells) + " |")
        print("|---|" + "---:|" * len(cells))
        for name in ("gaussian", "epanechnikov", "biweight", "triweight", "triangular", "uniform"):
            kernel = KERNELS[name]
            row = []
            for c in cells:
                bw = (c * grid.cell_width, c * grid.cell_height)
                worst = 0.0
                for p in sets:
                    w = np.ones(len(p))
                    e = exact_sum(p, w, grid, kernel, bw)
                    f = fft_sum(p, None, grid, kernel, bw)
                    worst = max(worst, rel_l2(f, e))
                row.append(f"{worst:.1e}")
            print(f"| {name} | " + " | ".join(row) + " |")


def cost_model() -> None:
    rng = np.random.default_rng(3)
    print("| case | method | estimate_cost (units) | measured ms | units per ns |")
    print("|---|---|---:|---:|---:|")
    for n, level, bw, kernel in (
        (10**5, 2, 40.0, "gaussian"),
        (10**6, 1, 40.0, "gaussian"),
        (2000, 2, 30.0, "gaussian"),
        (2000, 2, 30.0, "biweight"),
        (10**5, 2, 30.0, "epanechnikov"),
    ):
        grid = Grid.for_stimulus(W, H, level=level)
        points, weights = gaze_like(rng, n)
        for method in ("exact", "fft"):
            est = estimate_cost(n, grid, bw, kernel=kernel, method=method)
            if est > 3e10:
                continue
            run = functools.partial(
                density,
                points,
                grid=grid,
                bandwidth=bw,
                kernel=kernel,
                weights=weights,
                method=method,
            )
            ms, _ = best_of(run, 3)
            print(
                f"| n={n:,} level {level} {kernel} {bw:g}px | {method} | {est:.3g} | {ms:.1f} | {est / (ms * 1e6):.2f} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--error-table", action="store_true")
    parser.add_argument("--cost-model", action="store_true")
    args = parser.parse_args()
    if args.error_table:
        error_table()
    elif args.cost_model:
        cost_model()
    else:
        headline(args.repeat)


if __name__ == "__main__":
    main()
