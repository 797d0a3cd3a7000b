"""The generic reader's JSON path.

Accepted shapes (the whole document is loaded; use CSV for files of millions of rows):

* a list of row objects: ``[{"t": 0, "x": 512.5, "y": 384}, …]`` (a key missing from a
  row is a missing value);
* an object of columns: ``{"t": [0, 4], "x": [512.5, 513], "y": [384, 380]}``;
* with ``record_path="fixpoints"``: a list of parent objects each holding its rows in a
  list under that key; the parent's other scalar fields are copied onto each of its rows
  (``[{"user": "101", "fixpoints": [{"x": 623, "y": 857, …}]}]``).

Numbers may also be given as strings in the file's decimal mark (``"2,5"``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from gazemap.errors import FormatError
from gazemap.formats.base import open_binary
from gazemap.formats.columns import NUMERIC_ROLES, GenericOptions, RawColumns, resolve_columns
from gazemap.formats.frame import labels_to_codes
from gazemap.formats.locate import FALSE_VALUES, NULL_VALUES, TRUE_VALUES

__all__ = ["read_json_columns"]

SCALARS = (str, int, float, bool, type(None))


def _load(path: Path, encoding: str) -> Any:
    with open_binary(path) as f:
        raw = f.read()
    codec = "utf-8-sig" if encoding == "utf-8" else encoding
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as exc:
        raise FormatError(
            f"byte 0x{raw[exc.start]:02x} at byte offset {exc.start} is not valid {encoding}; "
            "expected JSON text in that encoding (pass encoding=... for another one)",
            path=str(path),
            line=raw.count(b"\n", 0, exc.start) + 1,
        ) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(
            f"invalid JSON: {exc.msg}", path=str(path), line=exc.lineno, column=exc.colno
        ) from exc


def _rows_to_columns(rows: list[Any], path: Path, where: str) -> dict[str, list[Any]]:
    names: dict[str, None] = {}
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise FormatError(
                f"{where}[{i}]: expected a row object, found {type(row).__name__}", path=str(path)
            )
        names.update(dict.fromkeys(row))
    return {name: [row.get(name) for row in rows] for name in names}


def _table(data: Any, path: Path, record_path: str | None) -> dict[str, list[Any]]:
    if record_path is not None:
        if not isinstance(data, list):
            raise FormatError(
                f"record_path={record_path!r} needs a top-level list of objects, "
                f"found {type(data).__name__}",
                path=str(path),
            )
        rows: list[Any] = []
        for i, parent in enumerate(data):
            children = parent.get(record_path) if isinstance(parent, dict) else None
            if not isinstance(children, list):
                raise FormatError(
                    f"[{i}]: expected an object with a list under {record_path!r}", path=str(path)
                )
            meta = {k: v for k, v in parent.items() if k != record_path and isinstance(v, SCALARS)}
            rows.extend({**meta, **c} if isinstance(c, dict) else c for c in children)
        return _rows_to_columns(rows, path, f"[…].{record_path}")
    if isinstance(data, list):
        return _rows_to_columns(data, path, "")
    if isinstance(data, dict) and all(isinstance(v, list) for v in data.values()):
        lengths = {k: len(v) for k, v in data.items()}
        if len(set(lengths.values())) > 1:
            raise FormatError(f"column arrays differ in length: {lengths}", path=str(path))
        return dict(data)
    raise FormatError(
        "expected a list of row objects or an object of column arrays, "
        f"found {type(data).__name__}",
        path=str(path),
    )


def _number(value: Any, decimal: str) -> float | None:
    if value is None:
        return float("nan")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if text in NULL_VALUES:
            return float("nan")
        if decimal == ",":
            text = text.replace(".", "x").replace(",", ".")
        try:
            return float(text)
        except ValueError:
            return None
    return None


def _numbers(values: list[Any], name: str, decimal: str, path: Path) -> npt.NDArray[np.float64]:
    out = np.empty(len(values), np.float64)
    for i, value in enumerate(values):
        number = _number(value, decimal)
        if number is None:
            raise FormatError(
                f"record {i + 1}: expected a number, found {value!r}", path=str(path), column=name
            )
        out[i] = number
    return out


def _flag(value: Any, i: int, name: str, path: Path) -> bool:
    if value is None or isinstance(value, bool):
        return value is not False
    if isinstance(value, int | float | str) and str(value).strip() in (*TRUE_VALUES, ""):
        return True
    if isinstance(value, int | float | str) and str(value).strip() in FALSE_VALUES:
        return False
    raise FormatError(
        f"record {i + 1}: expected true/false/1/0, found {value!r}", path=str(path), column=name
    )


def _other(values: list[Any], decimal: str) -> np.ndarray:
    numbers = [_number(v, decimal) for v in values]
    if all(n is not None for n in numbers) and not any(isinstance(v, bool) for v in values):
        return np.array(numbers, dtype=np.float64)
    out = np.empty(len(values), dtype=object)
    out[:] = [v if isinstance(v, SCALARS) else json.dumps(v) for v in values]
    return out


def read_json_columns(path: Path, opts: GenericOptions) -> RawColumns:
    """Read a generic JSON file into :class:`RawColumns`.

    Raises
    ------
    FormatError
        For invalid JSON (with line and column), another shape, a non-numeric value in a
        numeric column (naming the record), missing columns, or no rows.
    """
    table = _table(_load(path, opts.encoding), path, opts.record_path)
    names = list(table)
    nested = [k for k, v in table.items() if any(isinstance(item, list) for item in v[:10])]
    try:
        roles = resolve_columns(names, opts.columns, path=path, line=None)
    except FormatError as exc:
        if not nested:
            raise
        raise FormatError(
            f"{exc.reason}; rows nested in a list? pass record_path={nested[0]!r}", path=str(path)
        ) from None
    role_of = {column: role for role, column in roles.items()}
    n = len(table[roles["t"]])
    if n == 0:
        raise FormatError("no rows; expected at least one", path=str(path))
    numbers = {
        role: _numbers(table[roles[role]], roles[role], opts.decimal, path)
        for role in NUMERIC_ROLES
        if role in roles and role != "age"
    }
    missing_t = np.flatnonzero(np.isnan(numbers["t"]))
    if missing_t.size:
        raise FormatError(
            f"record {missing_t[0] + 1}: expected a time, found none", path=str(path), column="t"
        )
    valid = None
    if "valid" in roles:
        flags = table[roles["valid"]]
        valid = np.array([_flag(v, i, roles["valid"], path) for i, v in enumerate(flags)], bool)
    labels: dict[str, tuple[npt.NDArray[np.int64], list[str | None]]] = {
        role: labels_to_codes([None if v is None else str(v) for v in table[roles[role]]])
        for role in ("participant", "stimulus")
        if role in roles
    }
    taken = {"t", "x", "y", "duration", "valid", "participant", "stimulus"}
    others = {
        role_of.get(name, name): _other(values, opts.decimal)
        for name, values in table.items()
        if role_of.get(name) not in taken
    }
    return RawColumns(numbers=numbers, valid=valid, labels=labels, others=others)
