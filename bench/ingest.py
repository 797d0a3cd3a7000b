"""Ingest speed: ``gazemap.formats.read`` against ``pyarrow.csv.read_csv`` on one CSV file.

Writes a generic ``t,x,y`` CSV of ``--rows`` rows (10 million by default) into a
temporary folder, then in the same run reads it with gazemap (generic reader, format
given and auto-detected) and with pyarrow's own multi-threaded ``read_csv`` followed by
conversion of the three columns to numpy. Each reader runs in a fresh subprocess so its
peak memory (max RSS) is its own. Prints rows/s, the ratio to pyarrow, and peak memory
next to the size of the final float64 arrays. Never asserts.

Usage: ``.venv/bin/python bench/ingest.py [--rows N] [--repeat K]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

READERS = {
    "pyarrow.csv.read_csv + to_numpy": """
import pyarrow.csv as pacsv
table = pacsv.read_csv(PATH)
cols = [table.column(n).to_numpy() for n in ("t", "x", "y")]
n = len(cols[0])
""",
    "gazemap read(format='generic')": """
from gazemap.formats import read
recs = read(PATH, format="generic")
n = sum(len(r) for r in recs)
""",
    "gazemap read() auto-detect": """
from gazemap.formats import read
recs = read(PATH)
n = sum(len(r) for r in recs)
""",
}

RUNNER = """
import json, resource, sys, time
PATH = sys.argv[1]
start = time.perf_counter()
{body}
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({{"rows": n, "seconds": elapsed, "peak": peak}}))
"""

BASELINE = """
import json, resource
import numpy, pyarrow.csv
from gazemap.formats import read
print(json.dumps({"peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def write_csv(path: Path, rows: int, seed: int = 0) -> None:
    """A realistic ``t,x,y`` file: 1 kHz timestamps, gaze in px with one decimal."""
    rng = np.random.default_rng(seed)
    chunk = 1_000_000
    with path.open("w") as f:
        f.write("t,x,y\n")
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            t = np.arange(start, start + n, dtype=np.float64)
            x = rng.normal(960, 300, n).round(1)
            y = rng.normal(540, 200, n).round(1)
            np.savetxt(f, np.column_stack((t, x, y)), fmt=("%.0f", "%.1f", "%.1f"), delimiter=",")


def run(body: str, path: Path) -> dict[str, float]:
    out = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", RUNNER.format(body=body), str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per reader; best is kept")
    args = parser.parse_args()
    mb = 1024 * 1024
    with tempfile.TemporaryDirectory(prefix="gazemap-ingest-") as tmp:
        path = Path(tmp) / "gaze.csv"
        start = time.perf_counter()
        write_csv(path, args.rows)
        print(
            f"wrote {args.rows:,} rows, {path.stat().st_size / mb:.0f} MiB "
            f"in {time.perf_counter() - start:.1f} s"
        )
        arrays = 3 * 8 * args.rows
        base = json.loads(
            subprocess.run(  # noqa: S603
                [sys.executable, "-c", BASELINE], check=True, capture_output=True, text=True
            ).stdout
        )["peak"]
        print(
            f"final arrays (t, x, y float64): {arrays / mb:.0f} MiB; "
            f"interpreter + imports alone: {base / mb:.0f} MiB"
        )
        results = {}
        for name, body in READERS.items():
            runs = [run(body, path) for _ in range(args.repeat)]
            best = min(runs, key=lambda r: r["seconds"])
            results[name] = best
        anchor = results["pyarrow.csv.read_csv + to_numpy"]
        print(
            f"{'reader':36} {'seconds':>8} {'Mrows/s':>8} {'vs pyarrow':>10} "
            f"{'peak MiB':>9} {'(peak-base)/arrays':>19}"
        )
        for name, r in results.items():
            rate = r["rows"] / r["seconds"]
            ratio = anchor["seconds"] / r["seconds"]
            extra = (r["peak"] - base) / arrays
            print(
                f"{name:36} {r['seconds']:8.2f} {rate / 1e6:8.2f} {ratio:10.2f} "
                f"{r['peak'] / mb:9.0f} {extra:19.2f}"
            )


if __name__ == "__main__":
    main()
