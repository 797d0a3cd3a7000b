"""Streaming delimited text into numpy columns with pyarrow, shared by the CSV/TSV readers.

pyarrow parses the file in blocks (:data:`BLOCK_SIZE` bytes of text); each block's
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

BLOCK_SIZE = 16 << 20


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
    chunks: dict[str, list[np.ndarray]] = {n: [] for n in (*numeric, *flags)}
    coders = {n: _Labels() for n in labels}
    try:
        reader = pacsv.open_csv(
            source,
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
            for name in numeric:
                chunks[name].append(batch.column(name).to_numpy(zero_copy_only=False))
            for name in flags:
                column = batch.column(name).fill_null(True)
                chunks[name].append(column.to_numpy(zero_copy_only=False))
            for name, coder in coders.items():
                coder.add(batch.column(name))
            for name in texts:
                out.texts[name].append(batch.column(name))
            out.rows += batch.num_rows
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
    for name in numeric:
        out.numbers[name] = np.concatenate(chunks.pop(name)).astype(np.float64, copy=False)
    for name in flags:
        out.flags[name] = np.concatenate(chunks.pop(name)).astype(np.bool_, copy=False)
    out.labels = {name: coder.result() for name, coder in coders.items()}
    return out
