"""Whole-file gaze columns → one :class:`Recording` per group of rows.

Readers parse a file into one :class:`GazeTable` (numpy columns for every row, in file
order, plus a group number per row), then :func:`split_recordings` cuts it into
recordings. Attribute columns follow one rule, the same for every reader:

* ``device`` → :attr:`Recording.device`; ``gender`` and ``age`` (numeric) →
  :attr:`Recording.attributes`; each must have one value within a recording (blank
  rows are ignored, since exports often fill them on the first row only);
* any other column that is constant within a recording (ignoring nothing: a missing
  value counts as a value) → ``attributes[name]``, unless it is missing on every row;
* otherwise → a per-sample array ``extra[name]`` (float64 when numeric, else object).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt

from gazemap.errors import FormatError
from gazemap.gaze.recording import CleaningReport, Kind, Recording

__all__ = ["GazeTable", "Group", "group_rows", "split_recordings"]

IntArray = npt.NDArray[np.int64]
SPECIAL_ATTRIBUTES = ("device", "gender", "age")


@dataclass
class Group:
    """What is known about one group of rows before it becomes a recording."""

    participant: str | None = None
    stimulus: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    report: CleaningReport = field(default_factory=CleaningReport)


@dataclass
class GazeTable:
    """Every row of a file as numpy columns, each row tagged with its group number.

    ``t`` is in ms of the file's clock. ``group`` numbers rows 0…k-1 in order of first
    appearance (see :func:`group_rows`); ``groups[i]`` describes group ``i``.
    ``row_line`` maps a row index to its 1-based file line, for error messages.
    The table owns its arrays: :func:`split_recordings` may shift ``t`` in place.
    """

    t: npt.NDArray[np.float64]
    x: npt.NDArray[np.float64]
    y: npt.NDArray[np.float64]
    valid: npt.NDArray[np.bool_]
    group: IntArray
    groups: list[Group]
    duration: npt.NDArray[np.float64] | None = None
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    row_line: Callable[[int], int | None] = field(default=lambda row: None)


def group_rows(*codes: npt.ArrayLike) -> tuple[IntArray, IntArray]:
    """Number the distinct combinations of ``codes`` in order of first appearance.

    Returns
    -------
    group, first:
        ``group[i]`` is row ``i``'s group number; ``first[g]`` is the first row of group ``g``.

    Examples
    --------
    >>> group_rows([2, 2, 0, 2, 0], [0, 0, 1, 0, 1])[0].tolist()
    [0, 0, 1, 0, 1]
    """
    arrays = [np.asarray(c, dtype=np.int64) for c in codes]
    n = arrays[0].shape[0] if arrays else 0
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    stacked = np.stack(arrays, axis=1)
    _, first, inverse = np.unique(stacked, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.shape[0])
    return rank[inverse.reshape(-1)].astype(np.int64), first[order].astype(np.int64)


def _plain(value: Any) -> Any:
    """A numpy scalar as a JSON-ready Python value (integral floats become int)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _constant(arr: np.ndarray) -> tuple[bool, Any]:
    """Whether ``arr`` holds one value (NaN equal to NaN), and that value (None if missing)."""
    if arr.shape[0] == 0:
        return True, None
    if arr.dtype.kind == "f":
        nan = np.isnan(arr)
        if nan.all():
            return True, None
        if nan.any():
            return False, None
        return bool((arr == arr[0]).all()), _plain(arr[0])
    first = arr[0]
    return bool((arr == first).all()), _plain(first)


def _missing(arr: np.ndarray) -> npt.NDArray[np.bool_]:
    if arr.dtype.kind == "f":
        nan: npt.NDArray[np.bool_] = np.isnan(arr)
        return nan
    return np.fromiter((v is None for v in arr), dtype=np.bool_, count=arr.shape[0])


def _first_change(arr: np.ndarray) -> int:
    same = (arr == arr[0]) | ((arr != arr) & (arr[0] != arr[0]))
    return int(np.argmin(same))


def split_recordings(
    table: GazeTable,
    *,
    kind: Kind,
    path: str,
    sampling_rate: float | None = None,
    **common: Any,
) -> list[Recording]:
    """Cut ``table`` into one recording per group, in order of each group's first row.

    ``t`` of each recording is made relative to its first row: ``t0 = t[first]``,
    ``t = t - t0``. ``common`` holds further :class:`Recording` fields shared by all
    (``screen``, ``device``).

    Raises
    ------
    FormatError
        When ``device``, ``gender`` or ``age`` changes within a recording, or ``age`` is
        not a number; the message names the line where it changes.
    """
    if len(table.groups) == 1:
        # one recording: views, not copies, so a big file is not held twice
        chunks: list[Any] = [slice(None)]
    else:
        order = np.argsort(table.group, kind="stable")
        counts = np.bincount(table.group, minlength=len(table.groups))
        chunks = np.split(order, np.cumsum(counts)[:-1])
    recordings: list[Recording] = []
    n_rows = table.t.shape[0]
    for g, idx in enumerate(chunks):
        info = table.groups[g]
        t = table.t[idx]
        t0 = float(t[0]) if t.shape[0] else 0.0
        t -= t0  # a view of the table's own array for one group, else a copy
        attributes = dict(info.attributes)
        extra: dict[str, np.ndarray] = {k: v[idx] for k, v in table.extra.items()}
        fields = dict(common)
        for name, column in table.columns.items():
            values = column[idx]
            if name in SPECIAL_ATTRIBUTES:
                # demographics are often written on the first row only: blanks are ignored
                rows = idx if isinstance(idx, np.ndarray) else np.arange(n_rows)
                given = ~_missing(values)
                values, rows = values[given], rows[given]
            constant, value = _constant(values)
            if name in SPECIAL_ATTRIBUTES:
                if not constant:
                    raise FormatError(
                        f"{name} must be the same on every row of a recording "
                        f"(participant {info.participant!r}, stimulus {info.stimulus!r}); "
                        f"it changes here",
                        path=path,
                        line=table.row_line(int(rows[_first_change(values)])),
                        column=name,
                    )
                if value is None:
                    continue
                if name == "age":
                    value = _age(value, path=path, line=partial(table.row_line, int(rows[0])))
                if name == "device":
                    fields["device"] = str(value)
                else:
                    attributes[name] = value
            elif constant:
                if value is not None:
                    attributes[name] = value
            else:
                extra[name] = values
        report = info.report
        report.rows_in += int(t.shape[0])
        report.rows_kept += int(t.shape[0])
        recordings.append(
            Recording(
                kind=kind,
                t=t,
                x=table.x[idx],
                y=table.y[idx],
                valid=table.valid[idx],
                duration=None if table.duration is None else table.duration[idx],
                t0=t0,
                participant=info.participant,
                stimulus=info.stimulus,
                sampling_rate=sampling_rate,
                attributes=attributes,
                extra=extra,
                report=report,
                source=path,
                **fields,
            )
        )
    return recordings


def _age(value: Any, *, path: str, line: Callable[[], int | None]) -> float | int:
    # ``line`` is only called on error: finding a row's line rereads the file
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise FormatError(
            f"age must be a number, found {value!r}", path=path, line=line(), column="age"
        ) from None
    return int(number) if number.is_integer() else number


def labels_to_codes(labels: Sequence[str | None]) -> tuple[IntArray, list[str | None]]:
    """Codes of ``labels`` in order of first appearance, and the distinct labels.

    >>> labels_to_codes(["b", "a", "b", None])
    (array([0, 1, 0, 2]), ['b', 'a', None])
    """
    index: dict[str | None, int] = {}
    codes = np.fromiter((index.setdefault(v, len(index)) for v in labels), np.int64, len(labels))
    return codes, list(index)
