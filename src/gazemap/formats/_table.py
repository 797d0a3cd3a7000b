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

#: ``row_hook(line_text, line, rows_so_far) -> keep``: sees every non-blank line first.
RowHook = Callable[[str, int, int], bool]


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


def _lines(stream: io.TextIOBase, *, path: str, first_line: int) -> Iterator[tuple[int, str]]:
    """Yield ``(line number, text without newline)``; decode and gzip errors become FormatError."""
    number = first_line - 1
    it = iter(stream)
    while True:
        try:
            raw = next(it)
        except StopIteration:
            return
        except UnicodeDecodeError as exc:
            raise decode_error(path, exc) from None
        except (OSError, EOFError) as exc:
            raise FormatError(
                f"truncated or corrupt compressed file: {exc}", path=path, line=number + 1
            ) from None
        number += 1
        yield number, raw.rstrip("\r\n")


def _split(lines: list[str], line_nos: list[int], delimiter: str, path: str) -> list[list[str]]:
    """Split lines into fields the careful way (quotes honoured), naming a bad line."""
    if not any('"' in t for t in lines):
        return [t.split(delimiter) for t in lines]
    out = []
    for text, number in zip(lines, line_nos, strict=True):
        try:
            out.append(next(csv.reader([text], delimiter=delimiter, strict=True)))
        except csv.Error as exc:
            raise FormatError(f"malformed delimited text: {exc}", path=path, line=number) from None
    return out


def _fast_numbers(
    lines: list[str], delimiter: str, width: int, columns: list[int]
) -> npt.NDArray[np.float64] | None:
    """The numeric columns of a chunk parsed in C by :func:`numpy.loadtxt`, or ``None``.

    Only for the plain case: no quotes and every line with exactly ``width`` fields;
    anything else (and any cell numpy cannot read, such as an empty one) returns
    ``None`` so the careful path can name the line and the column.
    """
    text = "\n".join(lines)
    if '"' in text or any(t.count(delimiter) != width - 1 for t in lines):
        return None
    try:
        arr = np.loadtxt(
            io.StringIO(text),
            delimiter=delimiter,
            usecols=columns,
            comments=None,
            dtype=np.float64,
            ndmin=2,
        )
    except ValueError:
        return None
    return arr.reshape(len(lines), len(columns))


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
        Called as ``row_hook(line_text, line, rows_so_far)`` for every non-blank line
        before anything else; returning ``False`` skips the line (SMI uses it to pick
        up message rows between samples).
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

    Notes
    -----
    Each chunk is first parsed by :func:`numpy.loadtxt` (C speed); a chunk with quotes,
    a ragged row or a cell numpy cannot read (empty, ``n/a``) goes through the careful
    path, which reads missing markers as NaN and raises at the first bad line.
    Blank lines are skipped.
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
    numeric = list(numeric)
    num_idx = [index[n] for n in numeric]
    num_chunks: dict[str, list[npt.NDArray[np.float64]]] = {n: [] for n in numeric}
    code_chunks: dict[str, list[npt.NDArray[np.int32]]] = {n: [] for n in text}
    categories: dict[str, dict[str, int]] = {n: {} for n in text}
    line_chunks: list[npt.NDArray[np.int64]] = []
    lines: list[str] = []
    line_nos: list[int] = []
    kept = 0

    def flush() -> None:
        fast = _fast_numbers(lines, delimiter, width, num_idx) if numeric else None
        rows: list[list[str]] = []
        if fast is None:
            rows = _split(lines, line_nos, delimiter, p)
            for fields, number in zip(rows, line_nos, strict=True):
                if len(fields) != width:
                    raise FormatError(
                        f"expected {width} fields like the header, found {len(fields)}"
                        " (truncated row or wrong delimiter?)",
                        path=p,
                        line=number,
                    )
        for k, name in enumerate(numeric):
            if fast is not None:
                num_chunks[name].append(np.ascontiguousarray(fast[:, k]))
            else:
                j = num_idx[k]
                num_chunks[name].append(
                    parse_floats([r[j] for r in rows], column=name, lines=line_nos, path=p)
                )
        for name in text:
            j = index[name]
            cats = categories[name]
            # the fast path proved the lines plain, so a partial split finds the cell
            cells = (
                (r[j] for r in rows)
                if fast is None
                else (t.split(delimiter, j + 1)[j] for t in lines)
            )
            code_chunks[name].append(
                np.fromiter(
                    (cats.setdefault(c, len(cats)) for c in cells), dtype=np.int32, count=len(lines)
                )
            )
        line_chunks.append(np.asarray(line_nos, dtype=np.int64))
        lines.clear()
        line_nos.clear()

    for number, line in _lines(stream, path=p, first_line=first_line):
        if not line.strip():
            continue
        if row_hook is not None and not row_hook(line, number, kept):
            continue
        lines.append(line)
        line_nos.append(number)
        kept += 1
        if len(lines) >= chunk_rows:
            flush()
    if lines:
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
