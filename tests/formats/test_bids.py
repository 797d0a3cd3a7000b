"""BIDS eye-tracking physio: a real SMI recording converted to BIDS, the spec's sidecar
fields and inheritance, generated sidecars and rows, bad input."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gazemap.errors import FormatError
from gazemap.formats import detect_format, read
from gazemap.formats.base import read_head
from gazemap.formats.bids import entities, read_bids, sidecar, sniff
from gazemap.formats.smi import read_smi
from gazemap.gaze.recording import Recording

NAME = "sub-46_task-vehicle_run-1_recording-eye1"


def _cell(v: float) -> str:
    return "n/a" if math.isnan(v) else repr(float(v))


def write_bids(rec: Recording, folder: Path, base: str, meta: dict[str, Any]) -> Path:
    """Write ``rec`` as a BIDS eyetrack pair: headerless gzip TSV plus JSON sidecar."""
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / f"{base}_physio.tsv.gz"
    ts = rec.t0 + rec.t
    with gzip.open(data, "wt") as f:
        for i in range(len(rec)):
            f.write(f"{float(ts[i])!r}\t{_cell(rec.x[i])}\t{_cell(rec.y[i])}\n")
    (folder / f"{base}_physio.json").write_text(json.dumps(meta))
    return data


def smi_sidecar(rec: Recording) -> dict[str, Any]:
    assert rec.screen is not None
    return {
        "PhysioType": "eyetrack",
        "Columns": ["timestamp", "x_coordinate", "y_coordinate"],
        "SamplingFrequency": rec.sampling_rate,
        "StartTime": 0,
        "RecordedEye": "cyclopean",
        "SampleCoordinateSystem": "gaze-on-screen",
        "Manufacturer": "SensoMotoric Instruments",
        "ManufacturersModelName": "RED250mobile",
        "ScreenResolution": [rec.screen.width_px, rec.screen.height_px],
        "ScreenSize": [0.344, 0.194],
        "ScreenDistance": 0.7,
        "timestamp": {"Units": "ms", "Origin": "System startup"},
        "x_coordinate": {"Units": "pixel"},
        "y_coordinate": {"Units": "pixel"},
    }


def test_real_smi_recording_round_trips_through_bids(real_data: Path, tmp_path: Path) -> None:
    rec = read_smi(real_data / "emip-smi-code-reading" / "rawdata" / "46_rawdata.tsv")[3]
    assert rec.stimulus == "vehicle_java2.jpg"
    path = write_bids(rec, tmp_path / "sub-46" / "beh", NAME, smi_sidecar(rec))
    assert sniff(read_head(path), path) > 0.9
    (back,) = read_bids(path)
    assert back.participant == "46"
    assert back.stimulus == "vehicle"
    assert back.attributes == {
        "task": "vehicle",
        "run": "1",
        "recording": "eye1",
        "eye": "cyclopean",
    }
    assert len(back) == len(rec) == 2851
    np.testing.assert_allclose(back.t, rec.t, atol=1e-6)
    assert back.t0 == pytest.approx(366937.746)
    np.testing.assert_array_equal(back.valid, rec.valid)
    np.testing.assert_array_equal(back.x[back.valid], rec.x[rec.valid])
    assert back.sampling_rate == 60.0
    assert back.device == "SensoMotoric Instruments RED250mobile"
    assert back.screen is not None
    assert (back.screen.width_px, back.screen.height_px) == (1920, 1080)
    assert back.screen.width_mm == pytest.approx(344)
    assert back.screen.distance_mm == pytest.approx(700)


def test_inherited_sidecars_participants_table_and_no_timestamp(tmp_path: Path) -> None:
    (tmp_path / "dataset_description.json").write_text('{"Name": "x", "BIDSVersion": "1.10.0"}')
    (tmp_path / "participants.tsv").write_text("participant_id\tage\tsex\nsub-01\t34\tF\n")
    (tmp_path / "task-read_physio.json").write_text(
        json.dumps(
            {
                "PhysioType": "eyetrack",
                "Columns": ["x_coordinate", "y_coordinate", "pupil_size"],
                "SamplingFrequency": 500,
                "StartTime": -2.5,
                "ScreenResolution": [1280, 1024],
            }
        )
    )
    folder = tmp_path / "sub-01" / "ses-a" / "beh"
    folder.mkdir(parents=True)
    (folder / "sub-01_ses-a_task-read_recording-eye2_physio.json").write_text(
        '{"RecordedEye": "right", "SamplingFrequency": 1000}'
    )
    data = folder / "sub-01_ses-a_task-read_recording-eye2_physio.tsv.gz"
    with gzip.open(data, "wt") as f:
        f.write("100.5\t200\t1500\nn/a\tn/a\t0\n-3\t2000\t1490\n")
    (rec,) = read_bids(data)
    assert rec.participant == "01"
    assert rec.attributes == {
        "task": "read",
        "session": "a",
        "recording": "eye2",
        "eye": "right",
        "age": 34,
        "sex": "F",
    }
    assert rec.sampling_rate == 1000.0  # the file's own sidecar wins
    np.testing.assert_allclose(rec.t, [0.0, 1.0, 2.0])
    assert rec.t0 == -2500.0
    assert list(rec.valid) == [True, False, True]
    assert rec.x[2] == -3
    np.testing.assert_allclose(rec.extra["pupil"], [1500, 0, 1490])
    assert rec.screen is not None
    assert rec.screen.width_px == 1280
    assert rec.screen.width_mm is None
    assert sidecar(data)["Columns"][0] == "x_coordinate"


def test_entities_from_file_names() -> None:
    assert entities("sub-01_task-x_run-1_physio.tsv.gz") == {"sub": "01", "task": "x", "run": "1"}
    assert entities("/a/b/sub-p07_task-free-view_physio.json") == {
        "sub": "p07",
        "task": "free-view",
    }


def _pair(tmp_path: Path, meta: dict[str, Any] | str | None, body: bytes) -> Path:
    data = tmp_path / "sub-01_task-x_physio.tsv.gz"
    data.write_bytes(gzip.compress(body))
    if meta is not None:
        text = meta if isinstance(meta, str) else json.dumps(meta)
        (tmp_path / "sub-01_task-x_physio.json").write_text(text)
    return data


GOOD = {
    "PhysioType": "eyetrack",
    "Columns": ["timestamp", "x_coordinate", "y_coordinate"],
    "SamplingFrequency": 250,
}


@pytest.mark.parametrize(
    ("meta", "body", "message", "line"),
    [
        (None, b"1\t2\t3\n", "expected a sidecar", None),
        ("{not json", b"1\t2\t3\n", "JSON", None),
        ({**GOOD, "Columns": ["timestamp", "x"]}, b"1\t2\n", "x_coordinate", None),
        ({**GOOD, "SamplingFrequency": 0}, b"1\t2\t3\n", "SamplingFrequency > 0", None),
        ({**GOOD, "PhysioType": "generic"}, b"1\t2\t3\n", "eyetrack", None),
        ({**GOOD, "x_coordinate": {"Units": "deg"}}, b"1\t2\t3\n", "pixels", None),
        ({**GOOD, "EnvironmentCoordinates": "center"}, b"1\t2\t3\n", "top-left", None),
        ({**GOOD, "ScreenResolution": "1920x1080"}, b"1\t2\t3\n", "width, height", None),
        (GOOD, b"", "empty file", 1),
        (GOOD, b"1\t2\t3\n2\t3\n", "expected 3 fields", 2),
        (GOOD, b"1,2,3\n", "expected 3 fields", 1),
        (GOOD, b"1\t2\t3\n2\tx\t3\n", "expected a number", 2),
        (GOOD, b"1\t2\t3\n\xff\xfe\x00garbage\n", "binary", 2),
    ],
)
def test_malformed_pairs_raise_format_error(
    tmp_path: Path, meta: Any, body: bytes, message: str, line: int | None
) -> None:
    data = _pair(tmp_path, meta, body)
    with pytest.raises(FormatError, match=message) as info:
        read_bids(data)
    assert info.value.line == line


def test_truncated_gzip_is_a_format_error(tmp_path: Path) -> None:
    data = _pair(tmp_path, GOOD, b"1\t2\t3\n" * 5000)
    data.write_bytes(data.read_bytes()[:-20])
    with pytest.raises(FormatError, match="truncated or corrupt"):
        read_bids(data)


def test_sniff_needs_the_suffix_and_an_eyetrack_sidecar(tmp_path: Path) -> None:
    data = _pair(tmp_path, GOOD, b"1\t2\t3\n")
    assert sniff(b"1\t2\t3\n", data) > 0.9
    assert sniff(b"1\t2\t3\n", tmp_path / "plain.tsv.gz") == 0.0
    (tmp_path / "sub-01_task-x_physio.json").write_text(
        json.dumps({**GOOD, "PhysioType": "generic"})
    )
    assert sniff(b"1\t2\t3\n", data) < 0.2


finite = st.floats(min_value=-1e5, max_value=1e5, allow_nan=False, allow_infinity=False)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rate=st.sampled_from([30, 60, 120, 250, 500, 1000, 2000]),
    unit=st.sampled_from(["ms", "s", "us"]),
    resolution=st.tuples(st.integers(320, 7680), st.integers(240, 4320)),
    rows=st.lists(
        st.tuples(finite, st.one_of(finite, st.just(math.nan)), finite), min_size=1, max_size=40
    ),
)
def test_generated_sidecars_and_rows_round_trip(
    tmp_path: Path,
    rate: int,
    unit: str,
    resolution: tuple[int, int],
    rows: list[tuple[float, float, float]],
) -> None:
    meta = {**GOOD, "SamplingFrequency": rate, "ScreenResolution": list(resolution)}
    meta["timestamp"] = {"Units": unit}
    body = "".join(f"{t!r}\t{_cell(x)}\t{y!r}\n" for t, x, y in rows).encode()
    (rec,) = read_bids(_pair(tmp_path, meta, body))
    scale = {"ms": 1.0, "s": 1000.0, "us": 1e-3}[unit]
    ts = np.array([r[0] for r in rows]) * scale
    np.testing.assert_allclose(rec.t, ts - ts[0])
    assert rec.t0 == pytest.approx(ts[0])
    x = np.array([r[1] for r in rows])
    np.testing.assert_array_equal(rec.valid, ~np.isnan(x))
    np.testing.assert_array_equal(rec.x[rec.valid], x[~np.isnan(x)])
    assert rec.sampling_rate == rate
    assert rec.screen is not None
    assert (rec.screen.width_px, rec.screen.height_px) == resolution


def test_auto_detection_picks_the_bids_reader(real_data: Path, tmp_path: Path) -> None:
    rec = read_smi(real_data / "emip-smi-code-reading" / "rawdata" / "134_rawdata.tsv")[3]
    path = write_bids(rec, tmp_path, "sub-134_task-rectangle", smi_sidecar(rec))
    assert detect_format(path) == "bids"
    (back,) = read(path)
    assert (back.participant, back.stimulus, len(back)) == ("134", "rectangle", 5060)


def test_sniff_follows_inherited_sidecars(tmp_path: Path) -> None:
    (tmp_path / "dataset_description.json").write_text("{}")
    (tmp_path / "task-x_physio.json").write_text(json.dumps(GOOD))
    folder = tmp_path / "sub-01" / "beh"
    folder.mkdir(parents=True)
    data = folder / "sub-01_task-x_physio.tsv.gz"
    data.write_bytes(gzip.compress(b"1\t2\t3\n"))
    assert sniff(b"1\t2\t3\n", data) > 0.9
    assert detect_format(data) == "bids"
    (rec,) = read(data)
    assert rec.participant == "01"
