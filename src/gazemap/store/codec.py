"""The gaze blob: one recording's columns in one compressed, versioned, pickle-free blob.

Layout (all integers little-endian)::

    b"GZMGAZE\\0"                8-byte magic
    uint16 format version        currently 1
    uint32 header length H
    H bytes of UTF-8 JSON        kind, n, t0, and per column: name, dtype, encoding,
                                 compressed length, categories (strings only)
    column payloads              in header order, back to back

Encodings: numeric columns are deflated with zlib, either as they are (``zlib``) or
first *byte-shuffled* (``shuffle-zlib``: byte 0 of every value, then byte 1, …, as
Blosc does), whichever deflates the first 65 536 values smaller. Shuffling puts the
slowly varying sign and exponent bytes of neighbouring values side by side and wins
on timestamps and full-precision gaze; values rounded to a few decimals (most tracker
exports) repeat whole byte patterns, which plain deflate finds. Booleans are bit-packed, then deflated. String columns (e.g. the vendor's own
``movement`` classification) are stored as a category list in the header plus
``int32`` codes (-1 for missing). Values round-trip bit for bit, NaN and -0.0
included. Nothing is ever unpickled: decoding only reads JSON and raw numbers, and
every length is checked against the header before memory is allocated.

Kept columns: ``t``, ``x``, ``y``, ``valid``, ``duration`` (fixations), and every
``extra`` column that is numeric, boolean or string. Other extras (dates, objects)
are refused with :class:`~gazemap.errors.InvalidInputError`, because silently
dropping data would surprise later.
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

import numpy as np
import numpy.typing as npt

from gazemap.errors import InvalidInputError, StorageError
from gazemap.gaze.recording import Recording, ScreenGeometry

__all__ = [
    "FORMAT_VERSION",
    "decode_recording",
    "decode_recording_arrays",
    "encode_recording_arrays",
]

MAGIC = b"GZMGAZE\x00"
FORMAT_VERSION = 1
_PREFIX = struct.Struct("<8sHI")
_MAX_HEADER = 16 * 2**20
_MAX_ROWS = 2**31 - 1
_NUMERIC_KINDS = "iuf"
_SAMPLE_ROWS = 1 << 16
_CORE = ("t", "x", "y", "valid", "duration")
EXTRA_PREFIX = "extra."


def _shuffle(values: np.ndarray) -> bytes:
    width = values.dtype.itemsize
    return values.view(np.uint8).reshape(-1, width).T.tobytes()


def _unshuffle(data: bytes, dtype: np.dtype[Any], n: int) -> np.ndarray:
    width = dtype.itemsize
    planes = np.frombuffer(data, dtype=np.uint8).reshape(width, n)
    return np.ascontiguousarray(planes.T).view(dtype).reshape(n)


def _numeric_encoding(values: np.ndarray) -> str:
    """``shuffle-zlib`` or ``zlib``, whichever deflates a leading sample smaller.

    Shuffling wins on smooth full-precision values (timestamps, filtered gaze);
    plain deflate wins on values rounded to a few decimals, whose byte patterns
    repeat whole.
    """
    if values.dtype.itemsize == 1:
        return "zlib"
    sample = values[:_SAMPLE_ROWS]
    shuffled = len(zlib.compress(_shuffle(sample), 1))
    plain = len(zlib.compress(sample.tobytes(), 1))
    return "shuffle-zlib" if shuffled < plain else "zlib"


def _categorical(name: str, values: np.ndarray) -> tuple[np.ndarray, list[str]]:
    items = values.tolist()
    categories: dict[str, int] = {}
    codes = np.empty(len(items), dtype="<i4")
    for i, item in enumerate(items):
        if item is None or (isinstance(item, float) and item != item):
            codes[i] = -1
        elif isinstance(item, str):
            codes[i] = categories.setdefault(item, len(categories))
        else:
            raise InvalidInputError(
                f"extra column {name!r} mixes strings with {type(item).__name__} values, "
                f"e.g. {item!r}; only numeric, boolean and string columns can be stored",
                field="extra",
            )
    return codes, list(categories)


def _encode_column(name: str, values: np.ndarray) -> tuple[dict[str, Any], bytes]:
    kind = values.dtype.kind
    entry: dict[str, Any] = {"name": name}
    if kind == "b":
        entry |= {"dtype": "bool", "encoding": "bits-zlib"}
        raw = np.packbits(values.astype(np.bool_, copy=False)).tobytes()
    elif kind in _NUMERIC_KINDS:
        dtype = values.dtype.newbyteorder("<") if values.dtype.itemsize > 1 else values.dtype
        column = np.ascontiguousarray(values, dtype=dtype)
        encoding = _numeric_encoding(column)
        entry |= {"dtype": dtype.str, "encoding": encoding}
        raw = _shuffle(column) if encoding == "shuffle-zlib" else column.tobytes()
    elif kind in "UO":
        codes, categories = _categorical(name, values)
        entry |= {
            "dtype": "str" if kind == "U" else "object",
            "encoding": "categories-zlib",
            "categories": categories,
        }
        raw = _shuffle(codes)
    else:
        raise InvalidInputError(
            f"extra column {name!r} has dtype {values.dtype}; only numeric, boolean and "
            "string columns can be stored",
            field="extra",
        )
    payload = zlib.compress(raw, 6)
    entry["length"] = len(payload)
    return entry, payload


def encode_recording_arrays(recording: Recording) -> bytes:
    """Encode the columns of ``recording`` into one gaze blob.

    Parameters
    ----------
    recording:
        Samples or fixations; row metadata (participant, device, screen, …) is not
        stored here but in the database row.

    Returns
    -------
    bytes
        The blob; see the module docstring for the layout.

    Raises
    ------
    InvalidInputError
        If an ``extra`` column is neither numeric, boolean nor string.

    Examples
    --------
    >>> import numpy as np
    >>> rec = Recording(kind="samples", t=[0.0, 4.0], x=[1.5, 2.5], y=[3.0, 4.0], valid=[True, False])
    >>> arrays = decode_recording_arrays(encode_recording_arrays(rec))
    >>> arrays["x"], arrays["valid"]
    (array([1.5, 2.5]), array([ True, False]))
    """
    columns: list[tuple[str, np.ndarray]] = [
        ("t", recording.t),
        ("x", recording.x),
        ("y", recording.y),
        ("valid", recording.valid),
    ]
    if recording.duration is not None:
        columns.append(("duration", recording.duration))
    columns += [(EXTRA_PREFIX + k, np.asarray(v)) for k, v in sorted(recording.extra.items())]
    entries, payloads = [], []
    for name, values in columns:
        entry, payload = _encode_column(name, values)
        entries.append(entry)
        payloads.append(payload)
    header = json.dumps(
        {"kind": recording.kind, "n": len(recording), "t0": recording.t0, "columns": entries},
        separators=(",", ":"),
        allow_nan=True,
    ).encode()
    return b"".join([_PREFIX.pack(MAGIC, FORMAT_VERSION, len(header)), header, *payloads])


def _corrupt(reason: str) -> StorageError:
    return StorageError(f"gaze blob is corrupt or not a gaze blob: {reason}")


def _read_header(data: bytes) -> tuple[dict[str, Any], int]:
    if len(data) < _PREFIX.size:
        raise _corrupt(f"{len(data)} bytes is shorter than the {_PREFIX.size}-byte prefix")
    magic, version, length = _PREFIX.unpack_from(data)
    if magic != MAGIC:
        raise _corrupt(f"magic is {magic!r}")
    if version != FORMAT_VERSION:
        raise StorageError(
            f"gaze blob format version {version} is not supported by this gazemap "
            f"(reads version {FORMAT_VERSION}); upgrade gazemap"
        )
    if length > _MAX_HEADER or _PREFIX.size + length > len(data):
        raise _corrupt(f"header length {length} does not fit in {len(data)} bytes")
    try:
        header = json.loads(data[_PREFIX.size : _PREFIX.size + length])
    except ValueError as exc:
        raise _corrupt(f"header is not JSON ({exc})") from exc
    if not isinstance(header, dict) or not isinstance(header.get("columns"), list):
        raise _corrupt("header has no column list")
    n = header.get("n")
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= _MAX_ROWS:
        raise _corrupt(f"row count is {n!r}")
    return header, _PREFIX.size + length


def _inflate(payload: bytes, expected: int, name: str) -> bytes:
    inflater = zlib.decompressobj()
    try:
        # max_length: a forged payload cannot inflate past what the header promised
        raw = inflater.decompress(payload, expected)
    except zlib.error as exc:
        raise _corrupt(f"column {name!r} does not inflate ({exc})") from exc
    if len(raw) != expected or inflater.unconsumed_tail or not inflater.eof:
        raise _corrupt(f"column {name!r} inflates to the wrong size")
    return raw


def _decode_column(entry: dict[str, Any], payload: bytes, n: int) -> np.ndarray:
    name, encoding = entry.get("name"), entry.get("encoding")
    if encoding == "bits-zlib":
        raw = _inflate(payload, (n + 7) // 8, str(name))
        return np.unpackbits(np.frombuffer(raw, dtype=np.uint8), count=n).astype(np.bool_)
    if encoding in ("shuffle-zlib", "zlib"):
        try:
            dtype = np.dtype(str(entry.get("dtype")))
        except TypeError as exc:
            raise _corrupt(f"column {name!r} has dtype {entry.get('dtype')!r}") from exc
        if dtype.kind not in _NUMERIC_KINDS:
            raise _corrupt(f"column {name!r} has dtype {dtype}")
        raw = _inflate(payload, n * dtype.itemsize, str(name))
        if encoding == "zlib":
            return np.frombuffer(raw, dtype=dtype).copy()
        return _unshuffle(raw, dtype, n)
    if encoding == "categories-zlib":
        categories = entry.get("categories")
        if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
            raise _corrupt(f"column {name!r} has no category list")
        codes = _unshuffle(_inflate(payload, n * 4, str(name)), np.dtype("<i4"), n)
        if n and (codes.min() < -1 or codes.max() >= len(categories)):
            raise _corrupt(f"column {name!r} has codes outside its categories")
        table = np.array([*categories, None], dtype=object)
        values: npt.NDArray[Any] = table[codes]  # code -1 picks the trailing None
        if entry.get("dtype") == "str":
            return values.astype(str)
        return values
    raise _corrupt(f"column {name!r} has unknown encoding {encoding!r}")


def _decode(data: bytes) -> tuple[dict[str, Any], dict[str, npt.NDArray[Any]]]:
    header, offset = _read_header(data)
    n: int = header["n"]
    arrays: dict[str, npt.NDArray[Any]] = {}
    for entry in header["columns"]:
        length = entry.get("length") if isinstance(entry, dict) else None
        if isinstance(length, bool) or not isinstance(length, int) or length < 0:
            raise _corrupt(f"column entry {entry!r} has no valid length")
        if offset + length > len(data):
            raise _corrupt(f"column {entry.get('name')!r} runs past the end of the blob")
        arrays[str(entry.get("name"))] = _decode_column(entry, data[offset : offset + length], n)
        offset += length
    if offset != len(data):
        raise _corrupt(f"{len(data) - offset} trailing bytes after the last column")
    missing = [c for c in ("t", "x", "y", "valid") if c not in arrays]
    if missing:
        raise _corrupt(f"columns {missing} are missing")
    return header, arrays


def decode_recording_arrays(data: bytes) -> dict[str, npt.NDArray[Any]]:
    """Decode a gaze blob into its columns.

    Parameters
    ----------
    data:
        Bytes from :func:`encode_recording_arrays`.

    Returns
    -------
    dict of str to ndarray
        ``t``, ``x``, ``y`` (float64), ``valid`` (bool), ``duration`` (fixations
        only) and ``extra.<name>`` for every stored extra column, each of length n.

    Raises
    ------
    StorageError
        If the bytes are not a gaze blob, are truncated or corrupt, or come from a
        newer format version.
    """
    return _decode(data)[1]


def decode_recording(
    data: bytes,
    *,
    participant: str | None = None,
    stimulus: str | None = None,
    sampling_rate: float | None = None,
    screen: ScreenGeometry | None = None,
    device: str | None = None,
    source: str | None = None,
    attributes: dict[str, Any] | None = None,
) -> Recording:
    """Decode a gaze blob back into a :class:`~gazemap.gaze.Recording`.

    The blob holds the columns, ``kind`` and ``t0``; everything else comes from the
    database row and is passed in.

    Parameters
    ----------
    data:
        Bytes from :func:`encode_recording_arrays`.
    participant, stimulus, sampling_rate, screen, device, source, attributes:
        Row metadata to attach.

    Returns
    -------
    Recording
        With ``extra`` holding the stored extra columns.

    Raises
    ------
    StorageError
        As :func:`decode_recording_arrays`.
    """
    header, arrays = _decode(data)
    kind = header.get("kind")
    if kind not in ("samples", "fixations"):
        raise _corrupt(f"kind is {kind!r}")
    if kind == "fixations" and "duration" not in arrays:
        raise _corrupt("a fixation blob has no duration column")
    t0 = header.get("t0", 0.0)
    extra = {k[len(EXTRA_PREFIX) :]: v for k, v in arrays.items() if k.startswith(EXTRA_PREFIX)}
    return Recording(
        kind=kind,
        t=arrays["t"],
        x=arrays["x"],
        y=arrays["y"],
        valid=arrays["valid"],
        duration=arrays.get("duration"),
        t0=float(t0) if isinstance(t0, int | float) else 0.0,
        participant=participant,
        stimulus=stimulus,
        sampling_rate=sampling_rate,
        screen=screen,
        device=device,
        attributes=dict(attributes or {}),
        extra=extra,
        source=source,
    )
