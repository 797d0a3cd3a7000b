"""Cache values: a payload with JSON metadata, and density arrays bit for bit."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gazemap.cache import decode_density, encode_density, pack_entry, unpack_entry
from gazemap.errors import InvalidInputError, StorageError
from tests.cache.strategies import params

densities = hnp.arrays(
    dtype=st.sampled_from([np.float64, np.float32, np.dtype(">f8")]),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=12),
    elements={"allow_nan": True, "allow_infinity": True},
)


@given(densities, params)
def test_density_round_trips_bit_for_bit(
    density: np.ndarray[Any, Any], meta: dict[str, Any]
) -> None:
    back, back_meta = decode_density(encode_density(density, meta))
    assert back.dtype == density.dtype
    assert back.shape == density.shape
    assert back.tobytes() == density.tobytes()
    assert back_meta == meta


@given(densities)
def test_fortran_and_strided_arrays_round_trip(density: np.ndarray[Any, Any]) -> None:
    for view in (np.asfortranarray(density), density[..., ::2] if density.ndim else density):
        back, _ = decode_density(encode_density(view))
        np.testing.assert_array_equal(back, view)


def test_density_costs_little_more_than_its_bytes() -> None:
    grid = np.random.default_rng(3).random((300, 400))
    assert len(encode_density(grid, {"bandwidth": 12.5})) < grid.nbytes + 200


@given(st.binary(max_size=2000), params)
def test_entry_round_trips(payload: bytes, meta: dict[str, Any]) -> None:
    assert unpack_entry(pack_entry(payload, meta)) == (payload, meta)


def test_object_arrays_are_refused() -> None:
    with pytest.raises(
        InvalidInputError, match="density must be a numeric array, got dtype object"
    ):
        encode_density(np.array([{"a": 1}], dtype=object))


def test_pickled_payload_is_never_loaded() -> None:
    import io

    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(StorageError, match="no readable array"):
        decode_density(pack_entry(buffer.getvalue()))


@pytest.mark.parametrize(
    "value", [b"", b"GZE1", b"PNG\x00\x00\x00\x00", b"GZE1\x00\x00\x00\xffshort"]
)
def test_foreign_values_are_storage_errors(value: bytes) -> None:
    with pytest.raises(StorageError, match="not a gazemap entry"):
        unpack_entry(value)


def test_metadata_must_be_finite_json() -> None:
    with pytest.raises(InvalidInputError, match="meta must be finite JSON"):
        pack_entry(b"", {"bandwidth": float("nan")})
    with pytest.raises(InvalidInputError, match="meta must be finite JSON"):
        pack_entry(b"", {"when": object()})


@given(densities)
def test_density_payload_is_a_standard_npy_file(density: np.ndarray[Any, Any]) -> None:
    import io

    payload = unpack_entry(encode_density(density)).payload
    back = np.load(io.BytesIO(payload), allow_pickle=False)
    assert back.dtype == density.dtype
    assert back.tobytes() == density.tobytes()


def test_decoded_density_is_writable_and_owns_its_data() -> None:
    back, _ = decode_density(encode_density(np.zeros((3, 4))))
    back[0, 0] = 1.0
    assert back.flags.owndata


@pytest.mark.parametrize("cut", [1, 8, 790])
def test_truncated_density_is_a_storage_error(cut: int) -> None:
    blob = encode_density(np.ones((10, 10)), {"k": 1})
    with pytest.raises(StorageError, match="no readable array"):
        decode_density(blob[:-cut])
