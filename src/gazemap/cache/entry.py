"""Cached values with a small JSON header: a density array or a PNG, plus its metadata.

The service keeps two kinds of entries: a density (the float64 ``(rows, cols)``
grid) with the parameters as resolved (the bandwidth a rule chose, the grid
extent, …), and a rendered PNG with the same kind of metadata for response
headers. Both are one ``bytes`` value in the cache::

    b"GZE1" | meta length (u32, big-endian) | meta as UTF-8 JSON | payload

A density payload is the array in ``.npy`` format, read back with
``allow_pickle=False``, so a tampered cache entry can never run code.
"""

from __future__ import annotations

import io
import json
import math
import struct
from collections.abc import Mapping
from typing import Any, Literal, NamedTuple

import numpy as np
import numpy.typing as npt
from numpy.lib import format as npformat

from gazemap.errors import InvalidInputError, StorageError

__all__ = ["Entry", "decode_density", "encode_density", "pack_entry", "unpack_entry"]

_MAGIC = b"GZE1"
_HEADER = struct.Struct(">4sI")
_MAX_META = 1 << 20


class Entry(NamedTuple):
    """A cached payload and its metadata."""

    payload: bytes
    meta: dict[str, Any]


def pack_entry(payload: bytes, meta: Mapping[str, Any] | None = None) -> bytes:
    """Join ``payload`` and a small JSON ``meta`` dict into one cache value.

    Parameters
    ----------
    payload:
        The bytes to cache (a PNG, an ``.npy`` array).
    meta:
        JSON-serialisable metadata, at most 1 MiB once encoded; NaN and
        infinities are refused.

    Returns
    -------
    bytes
        The cache value; :func:`unpack_entry` reverses it.

    Raises
    ------
    InvalidInputError
        If ``payload`` is not bytes or ``meta`` cannot be stored.

    Examples
    --------
    >>> unpack_entry(pack_entry(b"PNG...", {"bandwidth": 12.5}))
    Entry(payload=b'PNG...', meta={'bandwidth': 12.5})
    """
    if not isinstance(payload, bytes):
        raise InvalidInputError(
            f"payload must be bytes, got {type(payload).__name__}", field="payload"
        )
    return _header(meta) + payload


def _header(meta: Mapping[str, Any] | None) -> bytes:
    try:
        text = json.dumps(dict(meta or {}), separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"meta must be finite JSON data: {exc}", field="meta") from exc
    encoded = text.encode("utf-8")
    if len(encoded) > _MAX_META:
        raise InvalidInputError(
            f"meta must encode to at most {_MAX_META} bytes, got {len(encoded)}", field="meta"
        )
    return _HEADER.pack(_MAGIC, len(encoded)) + encoded


def unpack_entry(value: bytes) -> Entry:
    """Split a cache value made by :func:`pack_entry` into payload and meta.

    Raises
    ------
    StorageError
        If ``value`` is not such an entry (another format, truncated).
    """
    meta, offset = _split(value)
    return Entry(value[offset:], meta)


def _split(value: bytes) -> tuple[dict[str, Any], int]:
    """The metadata of an entry and the offset of its payload."""
    if len(value) < _HEADER.size:
        raise StorageError(f"cache entry is not a gazemap entry: {len(value)} bytes")
    magic, n = _HEADER.unpack_from(value)
    if magic != _MAGIC or _HEADER.size + n > len(value):
        raise StorageError("cache entry is not a gazemap entry: bad header")
    try:
        meta = json.loads(value[_HEADER.size : _HEADER.size + n].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise StorageError(f"cache entry has unreadable metadata: {exc}") from exc
    if not isinstance(meta, dict):
        raise StorageError(f"cache entry metadata must be an object, got {type(meta).__name__}")
    return meta, _HEADER.size + n


def encode_density(density: npt.ArrayLike, meta: Mapping[str, Any] | None = None) -> bytes:
    """A density grid and its metadata as one cache value.

    Parameters
    ----------
    density:
        Numeric array of any shape, usually the float64 ``(rows, cols)`` grid.
        Its dtype, shape and memory order are kept exactly (NaN, ±inf, −0.0
        included), so what is decoded is bit-for-bit what was encoded.
    meta:
        JSON metadata stored beside it, e.g. the resolved parameters.

    Returns
    -------
    bytes
        :func:`pack_entry` of the ``.npy`` encoding: 128 header bytes plus the
        array's ``nbytes``, about ``8 · rows · cols`` for a float64 grid.

    Raises
    ------
    InvalidInputError
        For object, string or other non-numeric arrays.

    Examples
    --------
    >>> grid = np.arange(6, dtype=np.float64).reshape(2, 3)
    >>> back, meta = decode_density(encode_density(grid, {"kernel": "gaussian"}))
    >>> back.shape, back.dtype, meta
    ((2, 3), dtype('float64'), {'kernel': 'gaussian'})
    """
    array = np.asarray(density)
    if array.dtype.kind not in "biufc":
        raise InvalidInputError(
            f"density must be a numeric array, got dtype {array.dtype}", field="density"
        )
    # the .npy header written by numpy itself, then the data straight from the array's
    # memory: np.save into a BytesIO costs several copies of a large grid, this costs one
    header = npformat.header_data_from_array_1_0(array)
    head = io.BytesIO()
    npformat.write_array_header_1_0(head, header)
    # a Fortran-ordered array's transpose is C-contiguous with the same byte sequence
    data = array.T if header["fortran_order"] else np.ascontiguousarray(array)
    flat = data.reshape(-1).view(np.uint8)
    return b"".join((_header(meta), head.getvalue(), flat.data))


def decode_density(value: bytes) -> tuple[npt.NDArray[Any], dict[str, Any]]:
    """The array and metadata stored by :func:`encode_density`.

    Returns
    -------
    tuple[numpy.ndarray, dict]
        A writable array of its own (one copy of the data) and the metadata.

    Raises
    ------
    StorageError
        If ``value`` is not an encoded density, or declares an object dtype
        (which ``.npy`` could only hold pickled; it is never unpickled).
    """
    meta, offset = _split(value)
    fp = io.BytesIO(value)
    fp.seek(offset)
    try:
        version = npformat.read_magic(fp)
        if version == (1, 0):
            shape, fortran, dtype = npformat.read_array_header_1_0(fp)
        elif version == (2, 0):
            shape, fortran, dtype = npformat.read_array_header_2_0(fp)
        else:
            raise ValueError(f".npy version {version} is not written by gazemap")
    except (ValueError, OSError, EOFError, SyntaxError) as exc:
        raise StorageError(f"cache entry holds no readable array: {exc}") from exc
    if dtype.hasobject:
        raise StorageError("cache entry holds no readable array: object dtype refused")
    count = math.prod(shape)
    start = fp.tell()
    if len(value) - start != count * dtype.itemsize:
        raise StorageError(
            f"cache entry holds no readable array: {len(value) - start} data bytes "
            f"for shape {shape} of {dtype}"
        )
    order: Literal["C", "F"] = "F" if fortran else "C"
    if count == 0:
        return np.empty(shape, dtype=dtype, order=order), meta
    flat = np.frombuffer(value, dtype=dtype, count=count, offset=start)
    return flat.reshape(shape, order=order).copy(order="K"), meta
