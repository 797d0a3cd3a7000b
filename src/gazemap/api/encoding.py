"""Representations of arrays in responses: JSON lists, CSV text and ``.npy`` bytes.

JSON has no NaN or infinity, so non-finite numbers become ``null``; CSV leaves them
empty. ``.npy`` keeps the array bit for bit (dtype, shape, C order).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["columns_csv", "columns_json", "grid_json", "npy_bytes"]


def _json_list(values: npt.NDArray[Any]) -> list[Any]:
    if values.dtype.kind == "f":
        finite = np.isfinite(values)
        out: list[Any] = values.tolist()
        if not finite.all():
            flat = [
                v if ok else None
                for v, ok in zip(values.ravel().tolist(), finite.ravel().tolist(), strict=True)
            ]
            return np.array(flat, dtype=object).reshape(values.shape).tolist()  # type: ignore[no-any-return]
        return out
    return values.tolist()  # type: ignore[no-any-return]


def grid_json(grid: npt.NDArray[np.float64]) -> list[list[float]]:
    """A ``(rows, cols)`` grid as nested lists (row 0 first), non-finite as ``None``.

    Examples
    --------
    >>> grid_json(np.array([[0.5, 1.0], [np.nan, 2.0]]))
    [[0.5, 1.0], [None, 2.0]]
    """
    return _json_list(np.asarray(grid, dtype=np.float64))


def columns_json(columns: Mapping[str, npt.NDArray[Any]]) -> dict[str, list[Any]]:
    """Named 1-D arrays as a JSON object of lists.

    Examples
    --------
    >>> columns_json({"t": np.array([0.0, 1.0]), "valid": np.array([True, False])})
    {'t': [0.0, 1.0], 'valid': [True, False]}
    """
    return {name: _json_list(np.asarray(values)) for name, values in columns.items()}


def columns_csv(columns: Mapping[str, npt.NDArray[Any]]) -> str:
    """Named 1-D arrays of one length as CSV with a header row; non-finite cells empty.

    Examples
    --------
    >>> print(columns_csv({"t": np.array([0.0, 4.0]), "x": np.array([1.5, np.nan])}), end="")
    t,x
    0.0,1.5
    4.0,
    """
    names = list(columns)
    arrays = [np.asarray(columns[n]) for n in names]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(names)
    lists = [_json_list(a) for a in arrays]
    for row in zip(*lists, strict=True):
        writer.writerow(["" if v is None else v for v in row])
    return text.getvalue()


def npy_bytes(array: npt.NDArray[Any]) -> bytes:
    """``array`` in NumPy's ``.npy`` format.

    Examples
    --------
    >>> data = npy_bytes(np.eye(2))
    >>> np.array_equal(np.load(io.BytesIO(data)), np.eye(2))
    True
    """
    out = io.BytesIO()
    np.save(out, np.ascontiguousarray(array), allow_pickle=False)
    return out.getvalue()
