"""Vendor reader speed: gazemap's SMI, Gazepoint and Pupil readers against pyarrow.

Builds large files in a temporary folder by repeating the SAMPLE rows of real exports
from ``../shared/data/real`` (SMI EMIP 134, Gazepoint ``c1_User 39_all_gaze``, Pupil
``sample_recording``) with their real headers, then reads each file in a fresh
subprocess (so peak memory is its own) with

* gazemap's reader, through ``gazemap.formats.read`` (auto-detection included), and
* the anchor: ``pyarrow.csv.read_csv`` (multi-threaded C++) of the same columns,
  followed by conversion to numpy. pyarrow does no vendor logic (no eye averaging, no
  stimulus split, no validity), so it is a lower bound, not an equal.

Prints rows/s, the ratio to pyarrow and peak RSS. Never asserts.

Usage: ``.venv/bin/python bench/vendor_ingest.py [--rows N] [path/to/shared/data/real]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_REAL = Path(
    os.environ.get("GAZEMAP_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared/data/real")
)

CHILD = """
import json, resource, sys, time
path, which, cols, skip, delim = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
start = time.perf_counter()
if which == "gazemap":
    from gazemap.formats import read
    n = sum(len(r) for r in read(path))
else:
    import pyarrow.csv as pacsv
    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(skip_rows=skip),
        parse_options=pacsv.ParseOptions(delimiter=delim, invalid_row_handler=lambda row: "skip"),
        convert_options=pacsv.ConvertOptions(include_columns=cols),
    )
    n = len([table.column(c).to_numpy() for c in cols][0])
seconds = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"rows": n, "seconds": seconds, "rss_mb": rss}))
"""


def build(source: Path, out: Path, *, rows: int, header_lines: int, keep: str | None) -> int:
    """Write ``out`` = the first ``header_lines`` of ``source`` + its data rows repeated."""
    lines = source.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    head, body = lines[:header_lines], lines[header_lines:]
    if keep is not None:
        body = [line for line in body if keep in line]
    body = [line if line.endswith("\n") else line + "\n" for line in body]
    with out.open("w") as f:
        f.writelines(head)
        written = 0
        while written < rows:
            chunk = body[: rows - written]
            f.writelines(chunk)
            written += len(chunk)
    return written


def run(path: Path, which: str, cols: list[str], skip: int, delim: str) -> dict[str, float]:
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", CHILD, str(path), which, json.dumps(cols), str(skip), delim],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("real", nargs="?", type=Path, default=DEFAULT_REAL)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    real: Path = args.real
    smi = real / "emip-smi-code-reading" / "rawdata" / "134_rawdata.tsv"
    smi_header = sum(1 for line in smi.open() if line.startswith("##")) + 1
    cases = [
        ("SMI iView (45 columns, tab)", smi, "x_rawdata.tsv", smi_header, "\tSMP\t", "\t",
         ["Time", "L POR X [px]", "L POR Y [px]", "R POR X [px]", "R POR Y [px]"]),
        ("Gazepoint all_gaze (59 columns)", real / "gazepoint-consent-form-reading" / "result" / "c1_User 39_all_gaze.csv",
         "User 1_all_gaze.csv", 1, None, ",", ["TIME(2019/11/18 01:39:05.592)", "BPOGX", "BPOGY", "BPOGV"]),
        ("Pupil gaze_positions (21 columns)", real / "pupil-core-player-exports" / "sample_recording" / "gaze_positions.csv",
         "gaze_positions.csv", 1, None, ",", ["gaze_timestamp", "confidence", "norm_pos_x", "norm_pos_y"]),
    ]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for label, source, name, header_lines, keep, delim, cols in cases:
            if label.startswith("Gazepoint"):
                cols[0] = source.read_text(encoding="utf-8-sig").split(",", 4)[3]
            path = Path(tmp) / name
            n = build(source, path, rows=args.rows, header_lines=header_lines, keep=keep)
            size = path.stat().st_size / 1e6
            print(f"\n{label}: {n:,} rows, {size:.0f} MB")
            skip = header_lines - 1
            timings = {w: run(path, w, cols, skip, delim) for w in ("pyarrow", "gazemap")}
            base = timings["pyarrow"]["seconds"]
            for which, t in timings.items():
                print(
                    f"  {which:8s} {t['seconds']:7.2f} s  {t['rows'] / t['seconds']:12,.0f} rows/s"
                    f"  x{t['seconds'] / base:5.1f} of pyarrow  peak RSS {t['rss_mb']:6.0f} MB"
                )
            path.unlink()
    started = time.strftime("%Y-%m-%d %H:%M")
    print(f"\n(measured {started}; pyarrow reads only the listed columns, no vendor logic)")


if __name__ == "__main__":
    main()
