"""The gaze blob codec: exact round trips, real data, and refusal of bad blobs."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings

from gazemap.errors import InvalidInputError, StorageError
from gazemap.gaze.recording import Recording, ScreenGeometry
from gazemap.store.codec import (
    MAGIC,
    decode_recording,
    decode_recording_arrays,
    encode_recording_arrays,
)
from tests.store.strategies import recordings


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal dtype kind and values, bit for bit for floats (NaN and -0.0 included)."""
    if a.dtype.kind == "f":
        return a.dtype == b.dtype and a.tobytes() == b.tobytes()
    return a.dtype.kind == b.dtype.kind and a.tolist() == b.tolist()


@settings(max_examples=60, deadline=None)
@given(recordings())
def test_every_column_round_trips_exactly(recording: Recording) -> None:
    back = decode_recording(encode_recording_arrays(recording))
    assert back.kind == recording.kind
    assert back.t0 == recording.t0
    for name in ("t", "x", "y", "valid"):
        assert _same(getattr(back, name), getattr(recording, name)), name
    if recording.duration is None:
        assert back.duration is None
    else:
        assert back.duration is not None
        assert _same(back.duration, recording.duration)
    assert back.extra.keys() == recording.extra.keys()
    for name, values in recording.extra.items():
        assert _same(back.extra[name], values), name
        if values.dtype.kind in "iufb":
            assert back.extra[name].dtype == values.dtype


def _emip_samples(real_data: Path) -> Recording:
    path = real_data / "emip-smi-code-reading" / "rawdata" / "46_rawdata.tsv"
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    lines = [line.split("\t") for line in text if not line.startswith("##")]
    header, rows = lines[0], [r for r in lines[1:] if len(r) > 2 and r[1] == "SMP"]
    t, x, y = (header.index(c) for c in ("Time", "L POR X [px]", "L POR Y [px]"))
    time_us = np.array([float(r[t]) for r in rows])
    xs, ys = np.array([float(r[x]) for r in rows]), np.array([float(r[y]) for r in rows])
    return Recording(
        kind="samples",
        t=(time_us - time_us[0]) / 1000.0,
        x=xs,
        y=ys,
        valid=(xs != 0) | (ys != 0),
        t0=time_us[0] / 1000.0,
        extra={"trial": np.array([int(r[header.index("Trial")]) for r in rows], dtype=np.int16)},
    )


def test_real_emip_samples_round_trip_and_compress(real_data: Path) -> None:
    recording = _emip_samples(real_data)
    blob = encode_recording_arrays(recording)
    arrays = decode_recording_arrays(blob)
    for name in ("t", "x", "y", "valid"):
        assert _same(arrays[name], getattr(recording, name))
    assert _same(arrays["extra.trial"], recording.extra["trial"])
    raw = 3 * 8 * len(recording) + len(recording)
    assert len(blob) < 0.45 * raw  # measured 0.35: see docs/storage.md


def test_row_metadata_is_attached_on_decode() -> None:
    rec = Recording(kind="samples", t=[0.0], x=[1.0], y=[2.0], valid=[True], t0=123.5)
    screen = ScreenGeometry(width_px=1920, height_px=1080)
    back = decode_recording(
        encode_recording_arrays(rec), participant="p1", device="webcam", screen=screen,
        sampling_rate=60.0, attributes={"age": 30}, source="a.csv", stimulus="home",
    )  # fmt: skip
    assert (back.participant, back.device, back.screen, back.sampling_rate) == (
        "p1", "webcam", screen, 60.0,
    )  # fmt: skip
    assert (back.attributes, back.source, back.stimulus, back.t0) == (
        {"age": 30}, "a.csv", "home", 123.5,
    )  # fmt: skip


def test_unsupported_extra_columns_are_refused_by_name() -> None:
    when = np.array(["2024-01-01"], dtype="datetime64[D]")
    rec = Recording(kind="samples", t=[0.0], x=[1.0], y=[2.0], valid=[True], extra={"wall": when})
    with pytest.raises(InvalidInputError, match=r"'extra\.wall'"):
        encode_recording_arrays(rec)
    mixed = np.array(["a", 3], dtype=object)
    rec = Recording(kind="samples", t=[0.0, 1.0], x=[1.0, 1.0], y=[2.0, 2.0], valid=[True, True],
                    extra={"mixed": mixed})  # fmt: skip
    with pytest.raises(InvalidInputError, match="mixes strings with int"):
        encode_recording_arrays(rec)


def _blob() -> bytes:
    n = 1000
    rng = np.random.default_rng(7)
    rec = Recording(kind="samples", t=np.arange(n, dtype=float), x=rng.normal(400, 50, n),
                    y=rng.normal(300, 50, n), valid=rng.random(n) > 0.1)  # fmt: skip
    return encode_recording_arrays(rec)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: b[:5], "shorter than"),
        (lambda b: b"PK\x03\x04" + b[4:], "magic"),
        (lambda b: b[:-10], "runs past the end"),
        (lambda b: b + b"\x00", "trailing bytes"),
        (lambda b: b[:8] + struct.pack("<H", 99) + b[10:], "version 99 is not supported"),
        (lambda b: b[:10] + struct.pack("<I", 2**31) + b[14:], "header length"),
        (lambda b: b[:-200] + bytes(200), "does not inflate|wrong size"),
    ],
)
def test_corrupt_blobs_raise_storage_errors(mutate: object, message: str) -> None:
    with pytest.raises(StorageError, match=message):
        decode_recording_arrays(mutate(_blob()))  # type: ignore[operator]


def test_a_forged_payload_cannot_inflate_past_the_header() -> None:
    header = b'{"kind":"samples","n":1,"t0":0,"columns":[{"name":"t","dtype":"<f8","encoding":"shuffle-zlib","length":%d}]}'
    bomb = zlib.compress(bytes(50 * 2**20))
    head = header % len(bomb)
    blob = MAGIC + struct.pack("<HI", 1, len(head)) + head + bomb
    with pytest.raises(StorageError, match="wrong size"):
        decode_recording_arrays(blob)


def test_pickled_object_dtypes_are_never_loaded() -> None:
    head = b'{"kind":"samples","n":1,"t0":0,"columns":[{"name":"t","dtype":"|O","encoding":"shuffle-zlib","length":0}]}'
    blob = MAGIC + struct.pack("<HI", 1, len(head)) + head
    with pytest.raises(StorageError, match="dtype"):
        decode_recording_arrays(blob)


def _encodings(blob: bytes) -> dict[str, str]:
    (length,) = struct.unpack_from("<I", blob, 10)
    header = json.loads(blob[14 : 14 + length])
    return {c["name"]: c["encoding"] for c in header["columns"]}


def test_each_numeric_column_gets_the_encoding_that_deflates_it_best() -> None:
    rng = np.random.default_rng(11)
    n = 5000
    smooth = np.cumsum(rng.normal(0, 1, n))  # full precision: shuffling wins
    rounded = np.round(rng.normal(500, 20, n), 1)  # few decimals: plain deflate wins
    rec = Recording(kind="samples", t=smooth, x=rounded, y=smooth, valid=np.ones(n, bool))
    blob = encode_recording_arrays(rec)
    assert _encodings(blob) == {
        "t": "shuffle-zlib", "x": "zlib", "y": "shuffle-zlib", "valid": "bits-zlib",
    }  # fmt: skip
    back = decode_recording_arrays(blob)
    assert _same(back["x"], rounded)
    assert _same(back["t"], smooth)


def test_a_fixation_blob_without_durations_is_corrupt() -> None:
    rec = Recording(kind="samples", t=[0.0], x=[1.0], y=[2.0], valid=[True])
    blob = encode_recording_arrays(rec)
    (length,) = struct.unpack_from("<I", blob, 10)
    header = json.loads(blob[14 : 14 + length]) | {"kind": "fixations"}
    head = json.dumps(header).encode()
    blob = blob[:10] + struct.pack("<I", len(head)) + head + blob[14 + length :]
    assert decode_recording_arrays(blob)["t"].tolist() == [0.0]
    with pytest.raises(StorageError, match="no duration column"):
        decode_recording(blob)
