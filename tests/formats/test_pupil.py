"""Pupil Player exports: real tutorial recordings, confidence, surfaces, bad input."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gazemap.errors import FormatError, InvalidInputError
from gazemap.formats import detect_format, read
from gazemap.formats.pupil import read_pupil, sniff


@pytest.fixture(scope="module")
def pupil(real_data: Path) -> Path:
    return real_data / "pupil-core-player-exports"


def test_gaze_positions_flip_y_and_scale_to_the_world_frame(pupil: Path) -> None:
    (rec,) = read_pupil(pupil / "tutorial10" / "gaze_positions.csv")
    assert rec.kind == "samples"
    assert len(rec) == 2054
    # first row: 329367.897894, conf 0.98…, norm_pos 0.501013401785833, 0.48943624382641693
    assert rec.t0 == pytest.approx(329367897.894)
    assert rec.x[0] == pytest.approx(0.501013401785833 * 1280)
    assert rec.y[0] == pytest.approx((1 - 0.48943624382641693) * 720)
    # last row: 329374.830006, 0.4090454068426605, 0.3300383896764536, conf 0.41 (< 0.6)
    assert rec.t[-1] == pytest.approx((329374.830006 - 329367.897894) * 1000)
    assert rec.x[-1] == pytest.approx(0.4090454068426605 * 1280)
    assert not rec.valid[-1]
    assert int(rec.valid.sum()) == 1613  # rows with confidence >= 0.6
    assert rec.sampling_rate == pytest.approx(296, abs=1)
    assert any("world frame size" in n for n in rec.report.notes)
    assert rec.extra["confidence"][0] == pytest.approx(0.9800581474643524)


def test_sample_recording_and_confidence_threshold(pupil: Path) -> None:
    path = pupil / "sample_recording" / "gaze_positions.csv"
    (rec,) = read_pupil(path, frame_width=1920, frame_height=1080)
    assert len(rec) == 9302
    assert int(rec.valid.sum()) == 7928
    assert rec.report.notes == []
    assert rec.x[0] == pytest.approx(0.46200690434431324 * 1920)
    (everything,) = read_pupil(path, min_confidence=0.0)
    assert everything.valid.all()
    with pytest.raises(InvalidInputError, match="min_confidence must be in"):
        read_pupil(path, min_confidence=1.5)


def test_fixations_export(pupil: Path) -> None:
    (rec,) = read_pupil(pupil / "tutorial10" / "fixations.csv")
    assert rec.kind == "fixations"
    assert len(rec) == 36
    assert rec.duration is not None
    assert rec.duration[0] == pytest.approx(202.7644999907352)
    assert rec.t0 == pytest.approx(329367872.8605)
    # last: id 100, start 329374.691748, duration 212.7775, norm 0.4372…, 0.3067…, conf 0.7277
    assert rec.t[-1] == pytest.approx((329374.691748 - 329367.8728605) * 1000)
    assert rec.duration[-1] == pytest.approx(212.77750004082918)
    assert rec.y[-1] == pytest.approx((1 - 0.3067389365846124) * 720)
    assert rec.extra["fixation_id"][-1] == 100
    assert rec.valid.all()


def test_blinks_export_is_not_gaze(pupil: Path) -> None:
    with pytest.raises(FormatError, match="gaze_timestamp") as info:
        read_pupil(pupil / "tutorial10" / "blinks.csv")
    assert info.value.line == 1
    head = (pupil / "tutorial10" / "blinks.csv").read_bytes()[:2000]
    assert sniff(head, Path("blinks.csv")) == 0.0


def _surface_from_real_gaze(pupil: Path, folder: Path, name: str) -> list[dict[str, str]]:
    """A surface export built from real gaze rows: the surface is the whole world frame."""
    with (pupil / "tutorial10" / "gaze_positions.csv").open() as f:
        rows = list(csv.DictReader(f))[:200]
    (folder / "surfaces").mkdir(parents=True, exist_ok=True)
    out = folder / "surfaces" / f"gaze_positions_on_surface_{name}.csv"
    with out.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["world_timestamp", "world_index", "gaze_timestamp", "x_norm", "y_norm",
                    "x_scaled", "y_scaled", "on_surf", "confidence"])  # fmt: skip
        for i, r in enumerate(rows):
            on = "False" if i % 10 == 0 else "True"
            w.writerow([r["gaze_timestamp"], r["world_index"], r["gaze_timestamp"],
                        r["norm_pos_x"], r["norm_pos_y"], "0", "0", on, r["confidence"]])  # fmt: skip
    return rows


def test_surface_export_is_preferred_when_a_surface_is_named(pupil: Path, tmp_path: Path) -> None:
    rows = _surface_from_real_gaze(pupil, tmp_path, "Cover")
    (tmp_path / "gaze_positions.csv").write_text("placeholder\n")
    (rec,) = read_pupil(
        tmp_path / "gaze_positions.csv", surface="Cover", surface_width=899, surface_height=1200
    )
    assert rec.stimulus == "Cover"
    assert len(rec) == 200
    assert rec.x[1] == pytest.approx(float(rows[1]["norm_pos_x"]) * 899)
    assert rec.y[1] == pytest.approx((1 - float(rows[1]["norm_pos_y"])) * 1200)
    conf = np.array([float(r["confidence"]) for r in rows])
    expected = (conf >= 0.6) & (np.arange(200) % 10 != 0)
    np.testing.assert_array_equal(rec.valid, expected)
    assert rec.source == "gaze_positions_on_surface_Cover.csv"


def test_surface_needs_its_size_and_its_file(pupil: Path, tmp_path: Path) -> None:
    _surface_from_real_gaze(pupil, tmp_path, "Cover")
    surface_file = tmp_path / "surfaces" / "gaze_positions_on_surface_Cover.csv"
    with pytest.raises(InvalidInputError, match="surface_width"):
        read_pupil(surface_file)
    with pytest.raises(FormatError, match=r"gaze_positions_on_surface_Poster\.csv"):
        read_pupil(tmp_path / "gaze_positions.csv", surface="Poster")


def test_surface_fixations_seen_in_several_frames_become_one(tmp_path: Path) -> None:
    path = tmp_path / "fixations_on_surface_Cover.csv"
    path.write_text(
        "world_timestamp,world_index,fixation_id,start_timestamp,duration,dispersion,"
        "norm_pos_x,norm_pos_y,x_scaled,y_scaled,on_surf\n"
        "10.0,1,7,9.9,150.0,1.0,0.2,0.4,0,0,True\n"
        "10.1,2,7,9.9,150.0,1.0,0.4,0.6,0,0,True\n"
        "10.5,3,8,10.4,90.0,1.0,0.9,0.9,0,0,False\n"
    )
    (rec,) = read_pupil(path, surface_width=100, surface_height=200)
    assert rec.kind == "fixations"
    assert len(rec) == 2
    assert rec.x[0] == pytest.approx(30.0)
    assert rec.y[0] == pytest.approx((1 - 0.5) * 200)
    assert rec.t[1] == pytest.approx(500.0)
    assert list(rec.valid) == [True, False]
    assert rec.report.dropped["duplicate_fixation_row"] == 1


GAZE_HEADER = "gaze_timestamp,world_index,confidence,norm_pos_x,norm_pos_y\n"


@pytest.mark.parametrize(
    ("content", "message", "line"),
    [
        ("", "empty file", 1),
        (GAZE_HEADER, "expected data rows", 2),
        (GAZE_HEADER + "1.0,1,0.9,0.5,0.5\n1.1,1,0.9", "expected 5 fields", 3),
        (GAZE_HEADER.replace(",", "\t") + "1.0\t1\t0.9\t0.5\t0.5\n", "Pupil Player export", 1),
        (GAZE_HEADER + "1.0,1,0.9,left,0.5\n", "expected a number", 2),
        (GAZE_HEADER + ",1,0.9,0.5,0.5\n", "timestamp", 2),
        (b"gaze_timestamp,world_index,confidence,norm_pos_x,norm_pos_y\n\xff\xfe\n", "binary", 2),
    ],
)
def test_malformed_files_raise_format_error_with_location(
    tmp_path: Path, content: str | bytes, message: str, line: int
) -> None:
    path = tmp_path / "gaze_positions.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    with pytest.raises(FormatError, match=message) as info:
        read_pupil(path)
    assert info.value.line == line


def test_auto_detection_picks_the_pupil_reader(pupil: Path) -> None:
    for path in (
        pupil / "tutorial10" / "gaze_positions.csv",
        pupil / "tutorial10" / "fixations.csv",
        pupil / "sample_recording" / "gaze_positions.csv",
    ):
        assert detect_format(path) == "pupil"
    (rec,) = read(pupil / "tutorial10" / "fixations.csv", min_confidence=0.9)
    assert rec.kind == "fixations"
    assert 0 < int(rec.valid.sum()) < 36


def test_world_frame_size_comes_from_the_recordings_intrinsics(pupil: Path, tmp_path: Path) -> None:
    export = tmp_path / "rec" / "exports" / "000"
    export.mkdir(parents=True)
    source = pupil / "tutorial10" / "gaze_positions.csv"
    (export / "gaze_positions.csv").write_bytes(source.read_bytes())
    # msgpack map {"version": 1, "(1920, 1080)": {...}} as Pupil Capture writes it
    (tmp_path / "rec" / "world.intrinsics").write_bytes(
        b"\x82\xa7version\x01\xac(1920, 1080)\x81\xa8cam_type\xa6radial"
    )
    (rec,) = read_pupil(export / "gaze_positions.csv")
    assert rec.report.notes == []
    assert rec.x[0] == pytest.approx(0.501013401785833 * 1920)
    assert rec.y[0] == pytest.approx((1 - 0.48943624382641693) * 1080)
    (given,) = read_pupil(export / "gaze_positions.csv", frame_width=640, frame_height=480)
    assert given.x[0] == pytest.approx(0.501013401785833 * 640)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(
            st.floats(min_value=0, max_value=1e6),
            st.floats(min_value=0, max_value=1),
            st.floats(min_value=-0.5, max_value=1.5),
            st.floats(min_value=-0.5, max_value=1.5),
        ),
        min_size=1,
        max_size=40,
    ),
    threshold=st.floats(min_value=0, max_value=1),
)
def test_generated_gaze_rows_round_trip(
    tmp_path: Path, rows: list[tuple[float, float, float, float]], threshold: float
) -> None:
    path = tmp_path / "gaze_positions.csv"
    path.write_text(GAZE_HEADER + "".join(f"{t!r},0,{c!r},{u!r},{v!r}\n" for t, c, u, v in rows))
    (rec,) = read_pupil(path, frame_width=1280, frame_height=720, min_confidence=threshold)
    t, c, u, v = (np.array(col) for col in zip(*rows, strict=True))
    np.testing.assert_allclose(rec.t, (t - t[0]) * 1000.0)
    np.testing.assert_allclose(rec.x, u * 1280)
    np.testing.assert_allclose(rec.y, (1 - v) * 720)
    np.testing.assert_array_equal(rec.valid, c >= threshold)


def test_old_surface_fixations_without_start_timestamp_use_the_world_timestamp(
    tmp_path: Path,
) -> None:
    path = tmp_path / "fixations_on_surface_Cover_1466499419.751.csv"
    path.write_text(
        "world_timestamp,world_frame_idx,fixation_id,duration,norm_pos_x,norm_pos_y,on_surf\n"
        "10.0,1,7,150.0,0.2,0.4,True\n"
        "10.5,3,8,90.0,0.9,0.9,True\n"
    )
    (rec,) = read_pupil(path, surface_width=100, surface_height=100)
    assert rec.t0 == 10000.0
    assert list(rec.t) == [0.0, 500.0]
    assert rec.stimulus == "Cover"
