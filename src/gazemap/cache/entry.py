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
import struct
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

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
    try:
        text = json.dumps(dict(meta or {}), separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"meta must be finite JSON data: {exc}", field="meta") from exc
    encoded = text.encode("utf-8")
    if len(encoded) > _MAX_META:
        raise InvalidInputError(
            f"meta must encode to at most {_MAX_META} bytes, got {len(encoded)}", field="meta"
        )
    return b"".join((_HEADER.pack(_MAGIC, len(encoded)), encoded, payload))


def unpack_entry(value: bytes) -> Entry:
    """Split a cache value made by :func:`pack_entry` into payload and meta.

    Raises
    ------
    StorageError
        If ``value`` is not such an entry (another format, truncated).
    """
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
    return Entry(value[_HEADER.size + n :], meta)


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
    array = np.asanyarray(density)
    if array.dtype.kind not in "biufc":
        raise InvalidInputError(
            f"density must be a numeric array, got dtype {array.dtype}", field="density"
        )
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    return pack_entry(buffer.getvalue(), meta)


def decode_density(value: bytes) -> tuple[npt.NDArray[Any], dict[str, Any]]:
    """The array and metadata stored by :func:`encode_density`.

    Raises
    ------
    StorageError
        If ``value`` is not an encoded density.
    """
    payload, meta = unpack_entry(value)
    try:
        array = np.load(io.BytesIO(payload), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise StorageError(f"cache entry holds no readable array: {exc}") from exc
    if not isinstance(array, np.ndarray):
        raise StorageError("cache entry holds no readable array")
    return array, meta
