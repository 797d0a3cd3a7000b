"""Streaming delimited text into numpy columns with pyarrow, shared by the CSV/TSV readers.

pyarrow parses the file in blocks (:data:`BLOCK_SIZE` bytes of text; 4 MiB balances speed against parser memory); each block's
columns are converted to numpy and kept as chunks, concatenated once at the end, so
memory peaks near twice the final arrays. Text columns used to group rows
(participant, stimulus, …) are dictionary-encoded block by block into integer codes,
never kept as one Python string per row. On any parse error the file is re-read by
:func:`gazemap.formats.locate.locate_csv_error` to name the line and column.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from gazemap.errors import FormatError
from gazemap.formats.locate import FALSE_VALUES, NULL_VALUES, TRUE_VALUES, locate_csv_error

__all__ = ["BLOCK_SIZE", "Streamed", "stream_csv", "text_column"]

BLOCK_SIZE = 4 << 20


class _Labels:
    """Global codes for a text column, from each block's dictionary encoding."""

    def __init__(self) -> None:
        self.index: dict[str | None, int] = {}
        self.chunks: list[npt.NDArray[np.int64]] = []

    def add(self, column: Any) -> None:
        encoded = column.dictionary_encode()
        values = [*encoded.dictionary.to_pylist(), None]
        lut = np.array([self.index.setdefault(v, len(self.index)) for v in values], np.int64)
        local = encoded.indices.fill_null(len(values) - 1).to_numpy(zero_copy_only=False)
        self.chunks.append(lut[local])

    def result(self) -> tuple[npt.NDArray[np.int64], list[str | None]]:
        codes = np.concatenate(self.chunks) if self.chunks else np.zeros(0, np.int64)
        return codes, list(self.index)


def _count_lines(path: Path) -> int:
    """Number of line breaks in ``path`` + 1: an upper bound of its rows."""
    count = 1
    with path.open("rb") as f:
        while block := f.read(BLOCK_SIZE):
            count += block.count(b"\n")
    return count


class _Columns:
    """Numeric and flag columns, preallocated to ``capacity`` rows or kept as chunks."""

    def __init__(self, numeric: Collection[str], flags: Collection[str], capacity: int | None):
        self.numeric, self.flags, self.capacity = list(numeric), list(flags), capacity
        self.chunks: dict[str, list[np.ndarray]] = {n: [] for n in (*numeric, *flags)}
        self.full: dict[str, np.ndarray] = {}
        if capacity is not None:
            self.full = {n: np.empty(capacity, np.float64) for n in numeric}
            self.full.update({n: np.empty(capacity, np.bool_) for n in flags})

    def add(self, batch: Any, at: int) -> None:
        for name in (*self.numeric, *self.flags):
            column = batch.column(name)
            if name in self.flags:
                column = column.fill_null(True)
            values = column.to_numpy(zero_copy_only=False)
            if self.capacity is None or at + values.shape[0] > self.capacity:
                self.chunks[name].append(values)
            else:
                self.full[name][at : at + values.shape[0]] = values

    def result(
        self, rows: int
    ) -> tuple[dict[str, npt.NDArray[np.float64]], dict[str, npt.NDArray[np.bool_]]]:
        out: dict[str, np.ndarray] = {}
        for name in (*self.numeric, *self.flags):
            if self.capacity is None or self.chunks[name]:
                filled = self.full.get(name, np.empty(0))[: min(rows, self.capacity or 0)]
                out[name] = np.concatenate([filled, *self.chunks.pop(name)])
            else:
                column = self.full.pop(name)[:rows]
                # give back the slack when blank lines made the bound loose
                out[name] = column.copy() if rows < 0.9 * (self.capacity or 0) else column
        numbers = {n: out[n].astype(np.float64, copy=False) for n in self.numeric}
        flags = {n: out[n].astype(np.bool_, copy=False) for n in self.flags}
        return numbers, flags


@dataclass
class Streamed:
    """The columns of a streamed file (see :func:`stream_csv`)."""

    rows: int = 0
    numbers: dict[str, npt.NDArray[np.float64]] = field(default_factory=dict)
    flags: dict[str, npt.NDArray[np.bool_]] = field(default_factory=dict)
    labels: dict[str, tuple[npt.NDArray[np.int64], list[str | None]]] = field(default_factory=dict)
    texts: dict[str, list[Any]] = field(default_factory=dict)


def text_column(chunks: list[Any], decimal: str) -> np.ndarray:
    """A text column as float64 when every value reads as a number, else as objects."""
    import pyarrow as pa
    import pyarrow.compute as pc

    column = pa.chunked_array(chunks, type=pa.string())
    numeric = pc.replace_substring(column, ",", ".") if decimal == "," else column
    try:
        return np.asarray(pc.cast(numeric, pa.float64()).to_numpy(), dtype=np.float64)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return np.asarray(column.to_numpy(zero_copy_only=False), dtype=object)


def stream_csv(
    path: Path,
    *,
    names: list[str],
    delimiter: str,
    decimal: str = ".",
    encoding: str = "utf-8",
    numeric: Collection[str] = (),
    flags: Collection[str] = (),
    labels: Collection[str] = (),
    texts: Collection[str] = (),
    quoting: bool = True,
) -> Streamed:
    """Read the named columns of a delimited file whose header line is ``names``.

    ``numeric`` columns become float64 (missing → NaN), ``flags`` bool (missing → True),
    ``labels`` integer codes with their distinct values, ``texts`` pyarrow chunks for
    :func:`text_column`. Columns in none of these are skipped.

    Raises
    ------
    FormatError
        With line and column for a malformed row, a non-numeric cell or invalid bytes.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    wanted = [*numeric, *flags, *labels, *texts]
    types = {n: pa.float64() for n in numeric}
    types.update({n: pa.bool_() for n in flags})
    types.update({n: pa.string() for n in (*labels, *texts)})
    with path.open("rb") as f:
        gz = f.read(2) == b"\x1f\x8b"
    source: Any = pa.input_stream(str(path), compression="gzip") if gz else str(path)
    utf8 = encoding == "utf-8"
    out = Streamed(texts={n: [] for n in texts})
    # a plain file's line count bounds its rows, so the output is allocated once and each
    # block is copied in and freed; a gzip stream is kept as chunks and joined at the end
    capacity = None if gz else _count_lines(path)
    columns = _Columns(numeric, flags, capacity)
    coders = {n: _Labels() for n in labels}
    try:
        reader = pacsv.open_csv(
            source,
            # malloc'd buffers go back to the OS when freed; the default pool keeps them
            memory_pool=pa.system_memory_pool(),
            read_options=pacsv.ReadOptions(
                column_names=names,
                skip_rows=1,
                block_size=BLOCK_SIZE,
                encoding="utf8" if utf8 else encoding,
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, quote_char='"' if quoting else False
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                include_columns=wanted,
                decimal_point=decimal,
                null_values=list(NULL_VALUES),
                strings_can_be_null=True,
                true_values=list(TRUE_VALUES),
                false_values=list(FALSE_VALUES),
            ),
        )
        for batch in reader:
            columns.add(batch, out.rows)
            for name, coder in coders.items():
                coder.add(batch.column(name))
            for name in texts:
                out.texts[name].append(batch.column(name))
            out.rows += batch.num_rows
    except OSError as exc:
        # pyarrow's errors other than ArrowInvalid are OSErrors: a truncated gzip stream
        raise FormatError(
            f"cannot read past row {out.rows + 1}: {exc} (truncated or corrupt file?)",
            path=str(path),
        ) from exc
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise locate_csv_error(
            path,
            delimiter=delimiter,
            encoding=encoding,
            decimal=decimal,
            numeric=numeric,
            boolean=flags,
            quoting=quoting,
            reason=str(exc),
        ) from exc
    if out.rows == 0:
        raise FormatError(
            "no data rows after the header; expected at least one row", path=str(path), line=2
        )
    out.numbers, out.flags = columns.result(out.rows)
    out.labels = {name: coder.result() for name, coder in coders.items()}
    return out
