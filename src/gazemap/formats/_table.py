"""Chunked reading of delimited vendor tables into numpy columns.

Vendor exports hold up to millions of rows. :func:`read_table` parses them in chunks of
:data:`CHUNK_ROWS` rows, converts the wanted columns of each chunk to numpy arrays and
drops the row strings, so memory stays proportional to the columns kept, never to a
list of Python row objects. Text columns (media name, user, …) are kept as integer
codes into a list of distinct values, which is also what splitting a file into
recordings needs.

Every problem is raised as :class:`~gazemap.errors.FormatError` with the file, the
1-based line and the column name.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from gazemap.errors import FormatError
from gazemap.formats.base import open_binary, open_text

__all__ = [
    "CHUNK_ROWS",
    "MISSING",
    "Table",
    "TextColumn",
    "decode_error",
    "open_table",
    "parse_floats",
    "read_header_line",
    "read_table",
    "runs",
]

#: Rows converted at a time; small enough that a chunk of 45-field rows stays ~20 MB.
CHUNK_ROWS = 8192

#: Cell values that mean "no value" in the vendor exports gazemap reads.
MISSING = frozenset({"", "nan", "NaN", "NAN", "n/a", "N/A", "NA", "null", "None", "-nan"})

#: ``row_hook(fields, line, rows_so_far) -> keep``: sees every data row first.
RowHook = Callable[[list[str], int, int], bool]


@dataclass
class TextColumn:
    """A text column as codes into its distinct values (in order of appearance)."""

    codes: npt.NDArray[np.int32]
    values: list[str]

    def decode(self) -> npt.NDArray[np.object_]:
        """The column as an object array of strings (for small columns and tests)."""
        return np.asarray(self.values, dtype=object)[self.codes]


@dataclass
class Table:
    """Columns of a delimited file: floats, text codes and each row's 1-based line."""

    header: list[str]
    numeric: dict[str, npt.NDArray[np.float64]] = field(default_factory=dict)
    text: dict[str, TextColumn] = field(default_factory=dict)
    lines: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))

    def __len__(self) -> int:
        return int(self.lines.shape[0])


def parse_floats(
    values: list[str], *, column: str, lines: Iterable[int], path: str | None
) -> npt.NDArray[np.float64]:
    """Convert cell strings to float64, with :data:`MISSING` cells as NaN.

    Parameters
    ----------
    values:
        The cells, one per row.
    column:
        Column name, for the error message.
    lines:
        1-based line number of each cell, for the error message.
    path:
        File name, for the error message.

    Returns
    -------
    numpy.ndarray
        ``(len(values),)`` float64.

    Raises
    ------
    FormatError
        At the first cell that is neither a number nor a missing-value marker.

    Examples
    --------
    >>> parse_floats(["1.5", "", "-2e3"], column="x", lines=[2, 3, 4], path=None)
    array([ 1.5e+00,  nan, -2.0e+03])
    """
    try:
        return np.asarray(values, dtype=np.float64)
    except ValueError:
        pass
    out = np.empty(len(values), dtype=np.float64)
    for i, (value, line) in enumerate(zip(values, lines, strict=False)):
        v = value.strip()
        if v in MISSING:
            out[i] = np.nan
            continue
        try:
            out[i] = float(v)
        except ValueError:
            raise FormatError(
                f"expected a number, found {value[:40]!r}", path=path, line=line, column=column
            ) from None
    return out


def decode_error(path: str | Path, exc: UnicodeDecodeError, encoding: str = "utf-8") -> FormatError:
    """A FormatError naming the line of the first byte that is not valid ``encoding``.

    The text layer decodes ahead in blocks, so the line being parsed when decoding
    fails is not the line with the bad byte; this re-reads the raw bytes to find it.
    """
    line = None
    offset = 0
    try:
        with open_binary(path) as f:
            for number, raw in enumerate(f, 1):
                try:
                    raw.decode(encoding)
                except UnicodeDecodeError as bad:
                    line, offset = number, offset + bad.start
                    break
                offset += len(raw)
    except (OSError, EOFError):
        pass
    return FormatError(
        f"not valid {encoding} text ({exc.reason}, byte offset {offset}); is this a binary file?",
        path=str(path),
        line=line,
    )


def _records(
    stream: io.TextIOBase, *, delimiter: str, path: str, first_line: int
) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line, fields)`` per record, turning decode and csv errors into FormatError."""
    reader = csv.reader(stream, delimiter=delimiter, strict=True)
    line = first_line - 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:
            raise decode_error(path, exc) from None
        except csv.Error as exc:
            raise FormatError(
                f"malformed delimited text: {exc}", path=path, line=first_line + reader.line_num
            ) from None
        except (OSError, EOFError) as exc:
            raise FormatError(
                f"truncated or corrupt compressed file: {exc}",
                path=path,
                line=first_line + reader.line_num,
            ) from None
        line = first_line + reader.line_num - 1
        yield line, fields


def read_table(
    stream: io.TextIOBase,
    *,
    path: str | Path,
    header: list[str],
    first_line: int,
    delimiter: str,
    numeric: Collection[str] = (),
    text: Collection[str] = (),
    row_hook: RowHook | None = None,
    skip_blank: bool = True,
    chunk_rows: int = CHUNK_ROWS,
) -> Table:
    """Read the data rows that follow a header into numpy columns, chunk by chunk.

    Parameters
    ----------
    stream:
        Text positioned at the first data row.
    path:
        File name, for error messages.
    header:
        Column names; every kept row must have exactly this many fields.
    first_line:
        1-based line number of the first data row in the file.
    delimiter:
        Field separator.
    numeric, text:
        Names of the columns to convert to float64 and to text codes; each must be
        in ``header``.
    row_hook:
        Called as ``row_hook(fields, line, rows_so_far)`` for every non-blank row
        before the field-count check; returning ``False`` skips the row (SMI uses it
        to pick up message rows between samples).
    skip_blank:
        Ignore empty lines.
    chunk_rows:
        Rows converted at a time.

    Returns
    -------
    Table
        The converted columns and each kept row's line number.

    Raises
    ------
    FormatError
        A wanted column is missing from the header, a row has the wrong number of
        fields, a numeric cell is not a number, or the bytes are not text.
    """
    p = str(path)
    index = {name: i for i, name in enumerate(header)}
    for name in (*numeric, *text):
        if name not in index:
            raise FormatError(
                f"expected a column named {name!r} in the header, found {header!r}",
                path=p,
                line=first_line - 1 if first_line > 1 else None,
            )
    width = len(header)
    num_chunks: dict[str, list[npt.NDArray[np.float64]]] = {n: [] for n in numeric}
    code_chunks: dict[str, list[npt.NDArray[np.int32]]] = {n: [] for n in text}
    categories: dict[str, dict[str, int]] = {n: {} for n in text}
    line_chunks: list[npt.NDArray[np.int64]] = []
    rows: list[list[str]] = []
    row_lines: list[int] = []
    kept = 0

    def flush() -> None:
        for name in numeric:
            j = index[name]
            num_chunks[name].append(
                parse_floats([r[j] for r in rows], column=name, lines=row_lines, path=p)
            )
        for name in text:
            j = index[name]
            cats = categories[name]
            code_chunks[name].append(
                np.fromiter(
                    (cats.setdefault(r[j], len(cats)) for r in rows),
                    dtype=np.int32,
                    count=len(rows),
                )
            )
        line_chunks.append(np.asarray(row_lines, dtype=np.int64))
        rows.clear()
        row_lines.clear()

    for line, fields in _records(stream, delimiter=delimiter, path=p, first_line=first_line):
        if skip_blank and (not fields or (len(fields) == 1 and not fields[0].strip())):
            continue
        if row_hook is not None and not row_hook(fields, line, kept):
            continue
        if len(fields) != width:
            raise FormatError(
                f"expected {width} fields like the header, found {len(fields)}"
                " (truncated row or wrong delimiter?)",
                path=p,
                line=line,
            )
        rows.append(fields)
        row_lines.append(line)
        kept += 1
        if len(rows) >= chunk_rows:
            flush()
    if rows:
        flush()

    def cat_f(parts: list[npt.NDArray[np.float64]]) -> npt.NDArray[np.float64]:
        return np.concatenate(parts) if parts else np.zeros(0, np.float64)

    table = Table(header=list(header))
    table.numeric = {n: cat_f(num_chunks[n]) for n in numeric}
    for n in text:
        codes = np.concatenate(code_chunks[n]) if code_chunks[n] else np.zeros(0, np.int32)
        table.text[n] = TextColumn(codes=codes, values=list(categories[n]))
    table.lines = np.concatenate(line_chunks) if line_chunks else np.zeros(0, np.int64)
    return table


def open_table(path: str | Path, *, encoding: str = "utf-8-sig") -> io.TextIOWrapper:
    """Open ``path`` as text (gunzipping), turning a missing or unreadable file into FormatError."""
    try:
        return open_text(path, encoding=encoding)
    except (OSError, EOFError) as exc:
        raise FormatError(f"cannot open file: {exc}", path=str(path)) from None


def read_header_line(
    stream: io.TextIOBase, *, path: str | Path, delimiter: str, line: int
) -> list[str]:
    """Read one header line and split it (no quoting in the headers gazemap reads)."""
    try:
        raw = stream.readline()
    except UnicodeDecodeError as exc:
        raise decode_error(path, exc) from None
    if not raw.strip():
        raise FormatError("expected a header line, found an empty file", path=str(path), line=line)
    if "\x00" in raw:
        raise FormatError(
            "expected text, found NUL bytes (binary file?)", path=str(path), line=line
        )
    return [h.strip().strip('"') for h in raw.rstrip("\r\n").split(delimiter)]


def runs(codes: npt.NDArray[np.integer]) -> list[tuple[int, int]]:
    """``(start, stop)`` of each run of equal consecutive values, in file order.

    Examples
    --------
    >>> runs(np.array([0, 0, 1, 1, 0]))
    [(0, 2), (2, 4), (4, 5)]
    """
    n = int(codes.shape[0])
    if n == 0:
        return []
    cuts = np.flatnonzero(codes[1:] != codes[:-1]) + 1
    bounds = [0, *cuts.tolist(), n]
    return list(itertools.pairwise(bounds))
