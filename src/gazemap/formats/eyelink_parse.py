"""One pass over an EyeLink ASC file: samples, events and messages into compact arrays.

Sample lines are ``time x y pupil [x y pupil] [more columns] flags``, with ``.`` for a
missing value; which eyes a line holds comes from the block's ``START`` line. Each
sample is tagged with the trial (a ``MSG`` matching the trial pattern, in file order)
and the ``START``…``END`` block it belongs to. Samples are kept in :mod:`array`
buffers of C doubles, never as Python objects per row.
"""

from __future__ import annotations

import math
import re
from array import array
from dataclasses import dataclass, field
from pathlib import Path

from gazemap.errors import FormatError
from gazemap.formats.base import open_binary
from gazemap.gaze.recording import ScreenGeometry

__all__ = ["AscData", "Unit", "parse_asc"]

_COORDS = re.compile(r"\b(DISPLAY_COORDS|GAZE_COORDS)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)")
_RATE = re.compile(r"\bRATE\s+([\d.]+)")
_DEVICE = re.compile(r"^\*\*\s+(EYELINK.*?)\s*$")
_MODEL = re.compile(r"\(([^)]*EyeLink[^)]*)\)", re.IGNORECASE)
NAN = math.nan


@dataclass
class Unit:
    """A trial or a recording block: what its samples share."""

    label: str | None = None
    stimulus: str | None = None
    screen: ScreenGeometry | None = None
    sampling_rate: float | None = None
    eyes: str = ""
    first_sample: bool = False


@dataclass
class AscData:
    """Everything :func:`parse_asc` keeps of a file."""

    t: array[float] = field(default_factory=lambda: array("d"))
    x: array[float] = field(default_factory=lambda: array("d"))
    y: array[float] = field(default_factory=lambda: array("d"))
    trial: array[int] = field(default_factory=lambda: array("q"))
    block: array[int] = field(default_factory=lambda: array("q"))
    #: events of the chosen eye: kind ("EFIX", "ESACC", "EBLINK"), start, end, duration, x, y
    events: list[tuple[str, float, float, float, float, float]] = field(default_factory=list)
    trials: list[Unit] = field(default_factory=list)
    blocks: list[Unit] = field(default_factory=list)
    device: str = "EyeLink"


def _num(field_text: str) -> float:
    return NAN if field_text == "." else float(field_text)


def _extent(low: float, high: float) -> int:
    """Pixels between two screen coordinates: usually the last pixel (1919 → 1920 px), but
    some experiments write the size itself (1920.00); screen sizes are even, so an odd
    count means the bound was already the size.

    >>> _extent(0, 1919), _extent(0, 1920.0), _extent(0, 1023)
    (1920, 1920, 1024)
    """
    count = round(high - low) + 1
    return count - 1 if count % 2 else count


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        # message text is whatever the experiment script wrote; samples are ASCII
        return raw.decode("latin-1")


class _Parser:
    def __init__(self, path: Path, eye: str, trial_start: str, stimulus_from: str | None) -> None:
        self.path = path
        self.eye = eye
        self.trial_re = re.compile(trial_start)
        self.stimulus_re = re.compile(stimulus_from) if stimulus_from else None
        self.data = AscData()
        self.screen: ScreenGeometry | None = None
        self.rate: float | None = None
        self.eyes = ""
        self.pick = (1, 2, 0)  # token positions of x, y and, when averaging, the second eye
        self.event_eye = "L"
        self.in_block = False
        self.pending_stimulus: str | None = None
        self.display_coords = False

    def fail(self, line: int, column: int | None, expected: str, found: str) -> FormatError:
        return FormatError(
            f"expected {expected}, found {found!r}", path=str(self.path), line=line, column=column
        )

    def message(self, lineno: int, text: str) -> None:
        parts = text.split(None, 2)
        body = parts[2] if len(parts) > 2 else ""
        coords = _COORDS.search(body)
        if coords:
            try:
                left, top, right, bottom = (float(v) for v in coords.groups()[1:])
            except ValueError:
                raise self.fail(lineno, None, "four numbers after *_COORDS", body) from None
            screen = ScreenGeometry(width_px=_extent(left, right), height_px=_extent(top, bottom))
            if coords[1] == "DISPLAY_COORDS" or not self.display_coords:
                self.screen = screen
            self.display_coords = self.display_coords or coords[1] == "DISPLAY_COORDS"
        if body.startswith("RECCFG"):
            # "RECCFG CR 250 2 1 L": the rate until a SAMPLES line says otherwise
            fields = body.split()
            if len(fields) > 2 and fields[2].replace(".", "", 1).isdigit():
                self.rate = float(fields[2])
        match = self.trial_re.search(body)
        if match:
            label = match.group(1) if match.groups() else body[match.end() :].strip()
            self.data.trials.append(Unit(label=label or None))
        if self.stimulus_re is not None:
            found = self.stimulus_re.search(body)
            if found:
                name = found.group(1) if found.groups() else found.group(0)
                if self.data.trials:
                    self.data.trials[-1].stimulus = name
                if self.in_block:
                    self.data.blocks[-1].stimulus = name
                else:
                    self.pending_stimulus = name

    def start(self, lineno: int, tokens: list[str]) -> None:
        eyes = "".join(e[0] for e in tokens if e in ("LEFT", "RIGHT"))
        if not eyes:
            raise self.fail(lineno, 3, "LEFT and/or RIGHT after START", " ".join(tokens))
        self.eyes = eyes
        self.in_block = True
        self.data.blocks.append(
            Unit(label=str(len(self.data.blocks)), stimulus=self.pending_stimulus)
        )
        self.pending_stimulus = None
        want = {"left": "L", "right": "R"}.get(self.eye)
        if want and want not in eyes:
            raise FormatError(
                f"eye={self.eye!r} asked for, but this block recorded only "
                f"{'LEFT' if eyes == 'L' else 'RIGHT'}",
                path=str(self.path),
                line=lineno,
            )
        if eyes == "LR":
            self.pick = {"L": (1, 2, 0), "R": (4, 5, 0), None: (1, 2, 4)}[want]
        else:
            self.pick = (1, 2, 0)
        self.event_eye = want or eyes[0]

    def sample(self, lineno: int, tokens: list[str]) -> None:
        ix, iy, second = self.pick
        need = max(iy, second + 1)
        if len(tokens) <= need:
            raise self.fail(lineno, len(tokens) + 1, f"at least {need + 1} sample fields", "")
        try:
            t = float(tokens[0])
            column = ix + 1
            x = _num(tokens[ix])
            column = iy + 1
            y = _num(tokens[iy])
            if second:
                column = second + 1
                x2, y2 = _num(tokens[second]), _num(tokens[second + 1])
                # average the eyes that were found; a lost eye does not pull the mean
                if math.isnan(x) or math.isnan(y):
                    x, y = x2, y2
                elif not (math.isnan(x2) or math.isnan(y2)):
                    x, y = (x + x2) / 2.0, (y + y2) / 2.0
        except ValueError:
            raise self.fail(lineno, column, "a number or '.'", tokens[column - 1]) from None
        d = self.data
        if not d.blocks:
            raise self.fail(lineno, 1, "a START line before the first sample", tokens[0])
        block = d.blocks[-1]
        if not block.first_sample:
            block.first_sample = True
            block.screen, block.sampling_rate, block.eyes = self.screen, self.rate, self.eyes
        d.t.append(t)
        d.x.append(x)
        d.y.append(y)
        d.trial.append(len(d.trials) - 1)
        d.block.append(len(d.blocks) - 1)

    def event(self, lineno: int, tokens: list[str]) -> None:
        if len(tokens) < 5 or tokens[1] != self.event_eye:
            return
        try:
            start, end, duration = float(tokens[2]), float(tokens[3]), float(tokens[4])
            x, y = (_num(tokens[5]), _num(tokens[6])) if tokens[0] == "EFIX" else (NAN, NAN)
        except (ValueError, IndexError):
            raise self.fail(
                lineno, None, f"{tokens[0]} eye start end duration …", " ".join(tokens)
            ) from None
        self.data.events.append((tokens[0], start, end, duration, x, y))

    def line(self, lineno: int, text: str) -> None:
        first = text[:1]
        if first.isdigit():
            self.sample(lineno, text.split())
            return
        if first in ("*", ">", "\t", " ", "\r", "\n", ""):
            match = _DEVICE.match(text) if first == "*" else None
            if match:
                model = _MODEL.search(match[1])
                self.data.device = model[1] if model else match[1]
            return
        tokens = text.split()
        kind = tokens[0]
        if kind == "MSG":
            self.message(lineno, text)
        elif kind in ("EFIX", "ESACC", "EBLINK"):
            self.event(lineno, tokens)
        elif kind == "START":
            self.start(lineno, tokens)
        elif kind == "END":
            self.in_block = False
        elif kind in ("SAMPLES", "EVENTS"):
            if kind == "SAMPLES" and "GAZE" not in tokens:
                raise self.fail(
                    lineno,
                    2,
                    "GAZE samples in screen px (convert the EDF with edf2asc -sg)",
                    " ".join(tokens[1:3]),
                )
            if rate := _RATE.search(text):
                self.rate = float(rate[1])


def parse_asc(path: Path, *, eye: str, trial_start: str, stimulus_from: str | None) -> AscData:
    """Parse the ASC file at ``path`` (plain or gzip) in one pass.

    Raises
    ------
    FormatError
        For a malformed sample, event or ``START`` line (with its line and field), or an
        ``eye`` the file did not record.
    """
    parser = _Parser(path, eye, trial_start, stimulus_from)
    lineno = 0
    try:
        with open_binary(path) as f:
            for lineno, raw in enumerate(f, 1):
                parser.line(lineno, _decode(raw))
    except (EOFError, OSError) as exc:
        raise FormatError(
            f"cannot read on: {exc} (truncated or corrupt .gz?)", path=str(path), line=lineno + 1
        ) from exc
    return parser.data
