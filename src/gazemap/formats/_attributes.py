"""Participant attributes (age, gender, …) from a side table such as a study's metadata CSV."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from gazemap.errors import FormatError

__all__ = ["load_attributes"]


def _value(text: str) -> Any:
    v = text.strip()
    if v == "":
        return None
    for kind in (int, float):
        try:
            return kind(v)
        except ValueError:
            continue
    return v


def load_attributes(
    path: str | Path, *, id_column: str = "id", columns: list[str] | None = None
) -> dict[str, dict[str, Any]]:
    """Read a participant table (CSV or TSV) into ``{participant id: {column: value}}``.

    Parameters
    ----------
    path:
        The table; the delimiter (comma, tab or semicolon) is detected from the header.
    id_column:
        Column holding the participant id as it appears in the recordings.
    columns:
        Columns to keep; all but ``id_column`` by default. Numbers become ``int`` or
        ``float``, empty cells ``None``.

    Returns
    -------
    dict
        Attributes per participant id (ids as strings).

    Raises
    ------
    FormatError
        The file cannot be read or lacks ``id_column`` or one of ``columns``.
    """
    p = str(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            head = f.readline()
            delimiter = max((",", "\t", ";"), key=head.count)
            f.seek(0)
            reader = csv.DictReader(f, delimiter=delimiter)
            names = reader.fieldnames or []
            if id_column not in names:
                raise FormatError(
                    f"expected an id column {id_column!r}, found {names!r}", path=p, line=1
                )
            keep = [c for c in names if c != id_column] if columns is None else list(columns)
            for c in keep:
                if c not in names:
                    raise FormatError(f"expected a column {c!r}, found {names!r}", path=p, line=1)
            out: dict[str, dict[str, Any]] = {}
            for row in reader:
                key = (row.get(id_column) or "").strip()
                if key:
                    out[key] = {c: _value(row.get(c) or "") for c in keep}
            return out
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise FormatError(f"cannot read participant attributes: {exc}", path=p) from None
