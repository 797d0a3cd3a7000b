"""Options of the generic reader and the mapping of file columns to gaze roles.

A *role* is what a column means to gazemap: ``t``, ``x``, ``y`` (required), ``duration``
(makes the file a fixation list), ``participant`` and ``stimulus`` (split the file into
recordings), ``valid``, ``gender``, ``age``, ``device``. Every other column is an
*attribute column*. By default a role is read from the column of the same name
(case-insensitive); ``columns={"x": "GazeX"}`` names another one.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from gazemap.errors import FormatError, InvalidInputError

__all__ = [
    "NUMERIC_ROLES",
    "REQUIRED_ROLES",
    "ROLES",
    "GenericOptions",
    "RawColumns",
    "resolve_columns",
    "sniff_delimiter",
    "split_header",
]

ROLES = ("t", "x", "y", "duration", "participant", "stimulus", "valid", "gender", "age", "device")
REQUIRED_ROLES = ("t", "x", "y")
NUMERIC_ROLES = ("t", "x", "y", "duration", "age")

#: Factor from each accepted ``time_unit`` to milliseconds.
TIME_UNITS = {"ms": 1.0, "s": 1000.0, "us": 0.001}
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}


def _choice(name: str, value: Any, choices: tuple[Any, ...]) -> Any:
    if value not in choices:
        raise InvalidInputError(f"{name} must be one of {list(choices)}, got {value!r}", field=name)
    return value


def _positive(name: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise InvalidInputError(f"{name} must be a number > 0, got {value!r}", field=name)
    return float(value)


def _encoding(value: Any) -> str:
    try:
        return codecs.lookup(str(value)).name
    except LookupError:
        raise InvalidInputError(
            f"encoding {value!r} is not a known codec", field="encoding"
        ) from None


@dataclass(frozen=True)
class GenericOptions:
    """Validated options of the generic CSV/TSV/JSON reader (see :func:`from_kwargs`)."""

    columns: Mapping[str, str] = field(default_factory=dict)
    units: str = "px"
    width: float | None = None
    height: float | None = None
    origin: str = "top-left"
    delimiter: str | None = None
    decimal: str = "."
    time_unit: str = "ms"
    encoding: str = "utf-8"
    record_path: str | None = None
    sampling_rate: float | None = None

    @classmethod
    def from_kwargs(cls, options: Mapping[str, Any]) -> GenericOptions:
        """Check every option and return them as one object.

        Raises
        ------
        InvalidInputError
            For an unknown option name, a value outside its choices, a column mapping to
            an unknown role, or ``units="normalized"``/``origin="bottom-left"`` without
            the ``width``/``height`` they need.
        """
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(options) - known)
        if unknown:
            raise InvalidInputError(
                f"unknown option(s) {unknown} for the generic reader; known: {sorted(known)}",
                field=unknown[0],
            )
        columns = dict(options.get("columns") or {})
        for role, name in columns.items():
            if role not in ROLES:
                raise InvalidInputError(
                    f"columns maps unknown role {role!r}; roles are {list(ROLES)}", field="columns"
                )
            if not isinstance(name, str) or not name:
                raise InvalidInputError(
                    f"columns[{role!r}] must be a column name, got {name!r}", field="columns"
                )
        opts = cls(
            columns=columns,
            units=_choice("units", options.get("units", "px"), ("px", "normalized")),
            width=_positive("width", options.get("width")),
            height=_positive("height", options.get("height")),
            origin=_choice(
                "origin", options.get("origin", "top-left"), ("top-left", "bottom-left")
            ),
            delimiter=_choice("delimiter", options.get("delimiter"), (None, *DELIMITERS)),
            decimal=_choice("decimal", options.get("decimal", "."), (".", ",")),
            time_unit=_choice("time_unit", options.get("time_unit", "ms"), tuple(TIME_UNITS)),
            encoding=_encoding(options.get("encoding", "utf-8")),
            record_path=options.get("record_path"),
            sampling_rate=_positive("sampling_rate", options.get("sampling_rate")),
        )
        if opts.units == "normalized" and (opts.width is None or opts.height is None):
            raise InvalidInputError(
                "units='normalized' needs width= and height= (the screen or stimulus size in px)",
                field="units",
            )
        if opts.origin == "bottom-left" and opts.height is None:
            raise InvalidInputError("origin='bottom-left' needs height= in px", field="origin")
        return opts


def sniff_delimiter(header: str) -> str:
    """The delimiter of a header line: the most frequent of tab, semicolon and comma.

    >>> sniff_delimiter("t;x;y")
    ';'
    >>> sniff_delimiter("time")
    ','
    """
    counts = {d: header.count(d) for d in ("\t", ";", ",")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def split_header(header: str, delimiter: str) -> list[str]:
    """Column names of a header line (CSV quoting rules, names stripped)."""
    return [name.strip() for name in next(csv.reader([header], delimiter=delimiter), [])]


def resolve_columns(
    names: list[str], mapping: Mapping[str, str], *, path: str | Path, line: int | None = 1
) -> dict[str, str]:
    """Map each role to the column of ``names`` that holds it.

    A role listed in ``mapping`` must name an existing column; the other roles are
    found by their own name, compared case-insensitively.

    Returns
    -------
    dict
        ``role -> column name`` for every role present; ``t``, ``x``, ``y`` always.

    Raises
    ------
    FormatError
        When a required role is missing or a mapped column does not exist; the message
        lists the columns that were found.

    Examples
    --------
    >>> resolve_columns(["Time", "GazeX", "y"], {"t": "Time", "x": "GazeX"}, path="f.csv")
    {'t': 'Time', 'x': 'GazeX', 'y': 'y'}
    """
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise FormatError(f"column name {name!r} appears twice", path=str(path), line=line)
        seen.add(name)
    by_lower = {name.lower(): name for name in names}
    found = f"found columns: {names}"
    taken = set(mapping.values())
    roles: dict[str, str] = {}
    for role in ROLES:
        if role in mapping:
            if mapping[role] not in seen:
                raise FormatError(
                    f"column {mapping[role]!r} (given for {role!r}) not in the header; {found}",
                    path=str(path),
                    line=line,
                )
            roles[role] = mapping[role]
        elif role.lower() in by_lower and by_lower[role.lower()] not in taken:
            roles[role] = by_lower[role.lower()]
    missing = [r for r in REQUIRED_ROLES if r not in roles]
    if missing:
        raise FormatError(
            f"missing required column(s) {missing}; {found} (map others with columns=)",
            path=str(path),
            line=line,
        )
    return roles


@dataclass
class RawColumns:
    """A generic file's columns before unit conversion, as the CSV and JSON paths return them.

    ``numbers`` holds the float64 roles (``t``, ``x``, ``y``, ``duration``) as found in
    the file; ``labels`` the ``participant``/``stimulus`` roles as codes into their
    distinct values; ``others`` every further column (``gender``, ``age``, ``device`` and
    attribute columns) keyed by its role or column name.
    """

    numbers: dict[str, npt.NDArray[np.float64]]
    valid: npt.NDArray[np.bool_] | None
    labels: dict[str, tuple[npt.NDArray[np.int64], list[str | None]]]
    others: dict[str, np.ndarray]
    row_line: Callable[[int], int | None] = field(default=lambda row: None)
