"""Readers for generic CSV/TSV/JSON and vendor exports into :class:`gazemap.gaze.Recording`.

:func:`read` is the entry point: it detects the format from the file's first bytes and
suffix (or takes ``format=``) and returns one recording per participant × stimulus (or
trial) in file order. Each reader module registers itself by exposing ``FORMAT`` or
``FORMATS`` (:class:`~gazemap.formats.base.FormatSpec`); the only list of reader modules
is ``_READER_MODULES`` below. Reader modules import nothing heavy at module level
(pyarrow is imported inside the functions that use it).
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path
from typing import Any

from gazemap.errors import FormatError, InvalidInputError
from gazemap.formats.base import FormatSpec, read_head
from gazemap.gaze.recording import Recording

__all__ = ["FORMATS", "FormatSpec", "detect_format", "read"]

# The one registration point: modules of gazemap.formats that expose FORMAT or FORMATS.
_READER_MODULES = ("generic", "tobii", "eyelink", "smi", "gazepoint", "pupil", "webgazer", "bids")

#: Below this confidence a sniffer's guess is not taken.
MIN_CONFIDENCE = 0.2


def _load_formats() -> dict[str, FormatSpec]:
    formats: dict[str, FormatSpec] = {}
    for name in _READER_MODULES:
        module = importlib.import_module(f"gazemap.formats.{name}")
        specs = getattr(module, "FORMATS", None) or (module.FORMAT,)
        for spec in specs:
            if spec.name in formats:
                raise RuntimeError(f"format name {spec.name!r} registered twice")
            formats[spec.name] = spec
    return formats


#: Every readable format by its ``format=`` name.
FORMATS: dict[str, FormatSpec] = _load_formats()


def _scores(path: Path) -> dict[str, float]:
    head = read_head(path)
    return {name: float(spec.sniff(head, path)) for name, spec in FORMATS.items()}


def detect_format(path: str | Path) -> str:
    """The name of the format ``path`` is in, judged from its first bytes and suffix.

    Every registered format rates the file (0–1) and the best rating wins; ties go to
    the format registered first.

    Raises
    ------
    FormatError
        When no format rates the file at least 0.2; the message lists the known formats.
    """
    p = Path(path)
    scores = _scores(p)
    best = max(scores, key=lambda name: scores[name], default=None)
    if best is None or scores[best] < MIN_CONFIDENCE:
        raise FormatError(
            "not a format gazemap recognises; known formats: "
            f"{sorted(FORMATS)} (pass format=... to choose one, or format='generic' "
            "with columns=... for another delimited file)",
            path=str(p),
        )
    return best


def read(path: str | Path, format: str = "auto", **options: Any) -> list[Recording]:
    """Read an eye-tracking file into recordings.

    Parameters
    ----------
    path:
        The file (plain or ``.gz``).
    format:
        A name of :data:`FORMATS`, or ``"auto"`` (default) to detect it with
        :func:`detect_format`. With ``"auto"`` and a ``columns=`` option, a file no
        vendor format claims is read as ``"generic"``.
    **options:
        Reader options, keyword-only; see each reader and ``docs/formats.md``.

    Returns
    -------
    list of Recording
        In file order.

    Raises
    ------
    InvalidInputError
        For an unknown ``format`` name (listing the choices) or a bad option.
    FormatError
        When the format cannot be detected or the file cannot be parsed (file, line,
        column and what was expected).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "gaze.csv"
    ...     _ = path.write_text("t,x,y,participant\\n100,512,384,p1\\n104,515,380,p1\\n")
    ...     [rec] = read(path)
    >>> rec.kind, rec.participant, rec.t0, rec.t.tolist(), rec.x.tolist()
    ('samples', 'p1', 100.0, [0.0, 4.0], [512.0, 515.0])
    """
    p = Path(path)
    if format == "auto":
        if "columns" in options:
            scores = _scores(p)
            vendor = {k: v for k, v in scores.items() if k != "generic" and v >= 0.5}
            format = max(vendor, key=lambda k: vendor[k]) if vendor else "generic"
        else:
            format = detect_format(p)
    if format not in FORMATS:
        raise InvalidInputError(
            f"format must be 'auto' or one of {sorted(FORMATS)}, got {format!r}", field="format"
        )
    spec = FORMATS[format]
    _check_options(spec, options)
    return spec.read(p, **options)


def _check_options(spec: FormatSpec, options: dict[str, Any]) -> None:
    """Refuse options the chosen reader does not take, naming the ones it does.

    Readers declared with ``**options`` check their own; for the others an unknown
    keyword would otherwise surface as a bare ``TypeError``.
    """
    params = inspect.signature(spec.read).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return
    known = [
        name
        for name, p in list(params.items())[1:]
        if p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise InvalidInputError(
            f"unknown option(s) {unknown} for format {spec.name!r}; known: {known}",
            field=unknown[0],
        )
