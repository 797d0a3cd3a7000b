"""Hypothesis strategies for the generic reader: random gaze frames and how to write them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from hypothesis import strategies as st

__all__ = [
    "AscSamples",
    "Frame",
    "Layout",
    "asc_samples",
    "frames",
    "layouts",
    "write_asc",
    "write_frame",
]

coordinate = st.floats(min_value=-5000, max_value=5000, allow_nan=False, allow_infinity=False)
# prefixed so no label reads as a missing value ("nan", "null")
label = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABC0123456789_-", max_size=8).map(
    lambda s: "p" + s
)


@dataclass
class Frame:
    """Rows of a generic file: time, gaze, optional duration and grouping labels."""

    t: list[float]
    x: list[float | None]
    y: list[float | None]
    duration: list[float] | None
    participant: list[str] | None
    stimulus: list[str] | None

    def columns(self) -> dict[str, list[object]]:
        out: dict[str, list[object]] = {"t": list(self.t), "x": list(self.x), "y": list(self.y)}
        for name in ("duration", "participant", "stimulus"):
            values = getattr(self, name)
            if values is not None:
                out[name] = list(values)
        return out


@dataclass
class Layout:
    """How a frame is written: container, delimiter, decimal mark, column order."""

    kind: str  # "csv" or "json-rows" or "json-columns"
    delimiter: str
    decimal: str
    order: list[int]


@st.composite
def frames(draw: st.DrawFn, *, max_rows: int = 30) -> Frame:
    """A valid generic frame: increasing times, some missing x/y, optional labels."""
    n = draw(st.integers(min_value=1, max_value=max_rows))
    steps = draw(st.lists(st.floats(0.5, 50, allow_nan=False), min_size=n, max_size=n))
    start = draw(st.floats(0, 1e7, allow_nan=False))
    t = [round(v, 3) for v in (start + np.cumsum(steps)).tolist()]
    x = draw(st.lists(st.one_of(coordinate, st.none()), min_size=n, max_size=n))
    y = draw(st.lists(coordinate, min_size=n, max_size=n))
    fixations = draw(st.booleans())
    duration = (
        draw(st.lists(st.floats(1, 2000, allow_nan=False), min_size=n, max_size=n))
        if fixations
        else None
    )
    people = draw(st.lists(label, min_size=1, max_size=3, unique=True))
    participant = (
        draw(st.lists(st.sampled_from(people), min_size=n, max_size=n))
        if draw(st.booleans())
        else None
    )
    stimulus = (
        draw(st.lists(st.sampled_from(["s1", "page 2", "img_3.png"]), min_size=n, max_size=n))
        if draw(st.booleans())
        else None
    )
    return Frame(t, list(x), list(y), duration, participant, stimulus)


@st.composite
def layouts(draw: st.DrawFn, ncols: int) -> Layout:
    """A way to write ``ncols`` columns: CSV with a delimiter and decimal mark, or JSON."""
    kind = draw(st.sampled_from(["csv", "csv", "json-rows", "json-columns"]))
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    decimal = draw(st.sampled_from([".", ","])) if kind == "csv" else "."
    order = draw(st.permutations(list(range(ncols))))
    return Layout(kind, delimiter, decimal, list(order))


def _cell(value: object, decimal: str, delimiter: str) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        text = repr(value)
        if decimal == ",":
            text = text.replace(".", ",")
        return f'"{text}"' if delimiter in text else text
    return str(value)


def write_frame(frame: Frame, layout: Layout, folder: Path) -> Path:
    """Write ``frame`` as ``layout`` says and return the file."""
    columns = frame.columns()
    names = [list(columns)[i] for i in layout.order]
    if layout.kind == "csv":
        path = folder / "frame.csv"
        lines = [layout.delimiter.join(names)]
        for i in range(len(frame.t)):
            cells = [_cell(columns[name][i], layout.decimal, layout.delimiter) for name in names]
            lines.append(layout.delimiter.join(cells))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path
    path = folder / "frame.json"
    if layout.kind == "json-rows":
        rows = [{name: columns[name][i] for name in names} for i in range(len(frame.t))]
        path.write_text(json.dumps(rows), encoding="utf-8")
    else:
        path.write_text(json.dumps({name: columns[name] for name in names}), encoding="utf-8")
    return path


@dataclass
class AscSamples:
    """EyeLink samples of one recording block: per eye, ``None`` for a lost sample."""

    t: list[int]
    eyes: str  # "L", "R" or "LR"
    left: list[tuple[float, float] | None]
    right: list[tuple[float, float] | None]


asc_coordinate = st.integers(min_value=-500_0, max_value=3000_0).map(lambda v: v / 10)


@st.composite
def asc_samples(draw: st.DrawFn, *, max_rows: int = 40) -> AscSamples:
    """Samples at 1 kHz with one decimal, like edf2asc writes them; some eyes lost."""
    n = draw(st.integers(min_value=1, max_value=max_rows))
    start = draw(st.integers(min_value=0, max_value=10**8))
    eyes = draw(st.sampled_from(["L", "R", "LR"]))
    point = st.one_of(st.none(), st.tuples(asc_coordinate, asc_coordinate))
    left = draw(st.lists(point, min_size=n, max_size=n)) if "L" in eyes else []
    right = draw(st.lists(point, min_size=n, max_size=n)) if "R" in eyes else []
    return AscSamples(list(range(start, start + n)), eyes, left, right)


def write_asc(samples: AscSamples, folder: Path) -> Path:
    """An ASC file with one START block holding ``samples``."""
    names = {"L": "LEFT", "R": "RIGHT"}
    eyes = "\t".join(names[e] for e in samples.eyes)

    def cells(p: tuple[float, float] | None) -> list[str]:
        return (
            ["   .", "   .", "    0.0"] if p is None else [f"{p[0]:.1f}", f"{p[1]:.1f}", "1000.0"]
        )

    lines = [
        "** CONVERTED FROM test.edf using edfapi",
        "MSG\t1 DISPLAY_COORDS 0 0 1919 1079",
        f"START\t{samples.t[0]} \t{eyes}\tSAMPLES\tEVENTS",
        f"SAMPLES\tGAZE\t{eyes}\tRATE\t1000.00\tTRACKING\tCR\tFILTER\t2",
    ]
    for i, t in enumerate(samples.t):
        row = [str(t)]
        if "L" in samples.eyes:
            row += cells(samples.left[i])
        if "R" in samples.eyes:
            row += cells(samples.right[i])
        lines.append("\t".join(row) + "\t" + "." * (3 if len(samples.eyes) == 1 else 5))
    lines.append(f"END\t{samples.t[-1] + 1} \tSAMPLES\tEVENTS\tRES\t 35.0\t 35.0")
    path = folder / "samples.asc"
    path.write_text("\r\n".join(lines) + "\r\n")
    return path
