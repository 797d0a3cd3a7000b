"""The chunked table parser behind the vendor readers: fast and careful paths agree."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gazemap.errors import FormatError
from gazemap.formats._table import read_table, runs

HEADER = ["t", "name", "x", "unused"]


def _read(body: str, chunk_rows: int = 4) -> tuple[np.ndarray, np.ndarray, list[str]]:
    table = read_table(
        io.StringIO(body),
        path="mem.csv",
        header=HEADER,
        first_line=2,
        delimiter=",",
        numeric=["t", "x"],
        text=["name"],
        chunk_rows=chunk_rows,
    )
    return table.numeric["t"], table.numeric["x"], list(table.text["name"].decode())


cell = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, width=64).map(repr),
    st.sampled_from(["", "nan", "n/a", "NaN", " 7", "-0.5"]),
)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(cell, st.sampled_from(["a", "b", '"q,uoted"']), cell), min_size=1, max_size=30
    ),
    chunk_rows=st.integers(1, 8),
)
def test_every_chunking_reads_the_same_values(
    rows: list[tuple[str, str, str]], chunk_rows: int
) -> None:
    body = "".join(f"{t},{n},{x},z\n" for t, n, x in rows)
    t, x, names = _read(body, chunk_rows)

    def value(c: str) -> float:
        c = c.strip()
        return math.nan if c in ("", "nan", "n/a", "NaN") else float(c)

    np.testing.assert_array_equal(t, [value(r[0]) for r in rows])
    np.testing.assert_array_equal(x, [value(r[2]) for r in rows])
    assert names == [r[1].strip('"') for r in rows]


@pytest.mark.parametrize("chunk_rows", [1, 3, 100])
def test_ragged_row_is_named_by_its_line(chunk_rows: int) -> None:
    body = "1,a,2,z\n2,a,3,z\n3,a,4\n4,a,5,z\n"
    with pytest.raises(FormatError, match="expected 4 fields") as info:
        _read(body, chunk_rows)
    assert info.value.line == 4  # header is line 1


def test_bad_number_is_named_by_line_and_column() -> None:
    with pytest.raises(FormatError, match="expected a number, found 'x1'") as info:
        _read("1,a,2,z\n2,a,x1,z\n")
    assert (info.value.line, info.value.column) == (3, "x")


def test_runs_of_equal_codes() -> None:
    assert runs(np.array([], dtype=np.int32)) == []
    assert runs(np.array([3, 3, 3])) == [(0, 3)]
    assert runs(np.array([1, 2, 2, 1])) == [(0, 1), (1, 3), (3, 4)]
