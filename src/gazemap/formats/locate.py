"""Find the line behind a parse error with a slow, careful pass over a delimited file.

The fast readers hand whole blocks to pyarrow, whose errors name a column but not a
line. On the error path only, :func:`locate_csv_error` re-reads the file with the
standard :mod:`csv` module, checking every row like pyarrow would, and raises a
:class:`~gazemap.errors.FormatError` naming the line, the column and what was expected.
"""

from __future__ import annotations

import csv
from collections.abc import Collection, Iterator
from pathlib import Path

from gazemap.errors import FormatError
from gazemap.formats.base import open_binary

__all__ = ["NULL_VALUES", "is_number", "line_of_row", "locate_csv_error", "rows_with_lines"]

#: Cells read as a missing number (the pyarrow defaults gazemap relies on).
NULL_VALUES = ("", "NaN", "nan", "NA", "N/A", "n/a", "NULL", "null", "#N/A", "-NaN", "-nan")
TRUE_VALUES = ("1", "true", "True", "TRUE")
FALSE_VALUES = ("0", "false", "False", "FALSE")


def is_number(cell: str, decimal: str = ".") -> bool:
    """Whether ``cell`` reads as a number (or a missing one) with decimal mark ``decimal``.

    >>> is_number("2,5", ","), is_number("2,5"), is_number(""), is_number("1e3")
    (True, False, True, True)
    """
    cell = cell.strip()
    if cell in NULL_VALUES:
        return True
    if decimal == ",":
        if "." in cell:
            return False
        cell = cell.replace(",", ".")
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _decoded(path: Path, encoding: str) -> Iterator[str]:
    utf8 = encoding.replace("_", "-").lower() in ("utf-8", "utf8")
    codec = "utf-8-sig" if utf8 else encoding
    offset = 0
    with open_binary(path) as f:
        for lineno, raw in enumerate(f, 1):
            try:
                text = raw.decode(codec)
            except UnicodeDecodeError as exc:
                raise FormatError(
                    f"byte 0x{raw[exc.start]:02x} at byte offset {offset + exc.start} is not "
                    f"valid {encoding}; expected {encoding} text (pass encoding=... if the file "
                    "was saved in another encoding, e.g. encoding='cp1252')",
                    path=str(path),
                    line=lineno,
                ) from exc
            offset += len(raw)
            yield text


def rows_with_lines(
    path: str | Path, *, delimiter: str, encoding: str = "utf-8", quoting: bool = True
) -> Iterator[tuple[int, list[str]]]:
    """``(line, cells)`` of every non-empty row, the header included (line 1).

    Lines are 1-based physical lines; a row whose quoted cell spans lines is numbered
    by its last line. Empty rows are skipped, as the fast reader skips them.
    """
    reader = csv.reader(
        _decoded(Path(path), encoding),
        delimiter=delimiter,
        quoting=csv.QUOTE_MINIMAL if quoting else csv.QUOTE_NONE,
    )
    try:
        for row in reader:
            if row:
                yield reader.line_num, row
    except csv.Error as exc:
        raise FormatError(f"malformed CSV: {exc}", path=str(path), line=reader.line_num) from exc


def line_of_row(
    path: str | Path, row: int, *, delimiter: str, encoding: str = "utf-8", quoting: bool = True
) -> int | None:
    """The file line of data row ``row`` (0-based, header excluded), or None past the end."""
    rows = rows_with_lines(path, delimiter=delimiter, encoding=encoding, quoting=quoting)
    for i, (line, _) in enumerate(rows):
        if i == row + 1:
            return line
    return None


def locate_csv_error(
    path: str | Path,
    *,
    delimiter: str,
    encoding: str,
    decimal: str,
    numeric: Collection[str],
    boolean: Collection[str] = (),
    quoting: bool = True,
    reason: str,
) -> FormatError:
    """The :class:`FormatError` for the first row that breaks the file's structure.

    Checks, row by row: decoding, the number of cells against the header, numbers in the
    ``numeric`` columns and true/false in the ``boolean`` ones. When no row is at fault
    the error carries ``reason`` (the fast parser's own message) without a line.
    """
    header: list[str] = []
    name = {"\t": "tab", ";": "semicolon", ",": "comma"}.get(delimiter, repr(delimiter))
    rows = rows_with_lines(path, delimiter=delimiter, encoding=encoding, quoting=quoting)
    for line, cells in rows:
        if not header:
            header = [c.strip() for c in cells]
            continue
        if len(cells) != len(header):
            column = header[len(cells)] if len(cells) < len(header) else len(header) + 1
            return FormatError(
                f"expected {len(header)} {name}-separated fields like the header, found "
                f"{len(cells)} (truncated row or wrong delimiter?)",
                path=str(path),
                line=line,
                column=column,
            )
        for col, cell in zip(header, cells, strict=True):
            if col in numeric and not is_number(cell, decimal):
                hint = " (decimal mark is ',': pass decimal=',')" if "," in cell else ""
                return FormatError(
                    f"expected a number with decimal mark {decimal!r}, found {cell!r}{hint}",
                    path=str(path),
                    line=line,
                    column=col,
                )
            if col in boolean and cell.strip() not in (*TRUE_VALUES, *FALSE_VALUES, ""):
                return FormatError(
                    f"expected one of {[*TRUE_VALUES, *FALSE_VALUES]}, found {cell!r}",
                    path=str(path),
                    line=line,
                    column=col,
                )
    return FormatError(f"could not parse the file: {reason}", path=str(path))
