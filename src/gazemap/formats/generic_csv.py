"""The generic reader's CSV/TSV path, streamed block by block (see :mod:`.arrow`)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np

from gazemap.errors import FormatError
from gazemap.formats.arrow import stream_csv, text_column
from gazemap.formats.base import first_line
from gazemap.formats.columns import (
    NUMERIC_ROLES,
    GenericOptions,
    RawColumns,
    resolve_columns,
    sniff_delimiter,
    split_header,
)
from gazemap.formats.locate import line_of_row

__all__ = ["read_csv_columns"]

FLOAT_ROLES = tuple(r for r in NUMERIC_ROLES if r != "age")
LABEL_ROLES = ("participant", "stimulus")


def read_csv_columns(path: Path, head: bytes, opts: GenericOptions) -> RawColumns:
    """Read a delimited generic file into :class:`RawColumns`.

    Raises
    ------
    FormatError
        With line and column for a row with the wrong number of fields, a cell that is
        not a number, bytes that are not valid in the encoding, or an empty time cell;
        with line 1 for a missing column; and for a file with no data rows.
    """
    utf8 = opts.encoding == "utf-8"
    header = first_line(head, path, encoding="utf-8-sig" if utf8 else opts.encoding)
    delimiter = opts.delimiter or sniff_delimiter(header)
    names = split_header(header, delimiter)
    roles = resolve_columns(names, opts.columns, path=path)
    role_of = {column: role for role, column in roles.items()}
    # text columns by the name they get in the recording: their role, else their own name
    texts = {
        role_of.get(n, n): n
        for n in names
        if role_of.get(n) not in (*FLOAT_ROLES, *LABEL_ROLES, "valid")
    }
    data = stream_csv(
        path,
        names=names,
        delimiter=delimiter,
        decimal=opts.decimal,
        encoding=opts.encoding,
        numeric=[roles[r] for r in FLOAT_ROLES if r in roles],
        flags=[roles["valid"]] if "valid" in roles else [],
        labels=[roles[r] for r in LABEL_ROLES if r in roles],
        texts=list(texts.values()),
    )
    row_line = partial(line_of_row, path, delimiter=delimiter, encoding=opts.encoding)
    t = data.numbers[roles["t"]]
    missing = np.flatnonzero(np.isnan(t))
    if missing.size:
        raise FormatError(
            "expected a time on every row, found an empty or NaN cell",
            path=str(path),
            line=row_line(int(missing[0])),
            column=roles["t"],
        )
    return RawColumns(
        numbers={r: data.numbers[roles[r]] for r in FLOAT_ROLES if r in roles},
        valid=data.flags.get(roles.get("valid", "")),
        labels={r: data.labels[roles[r]] for r in LABEL_ROLES if r in roles},
        others={key: text_column(data.texts[name], opts.decimal) for key, name in texts.items()},
        row_line=row_line,
    )
