"""Tobii Pro Lab and Tobii Studio readers against the real exports (values checked by hand)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from gazemap.errors import FormatError, InvalidInputError
from gazemap.formats import read
from gazemap.formats.tobii import read_tobii_prolab, read_tobii_studio
from gazemap.gaze.recording import Recording

PRO_LAB = "tobii-prolab-dataexport-ivt"
NORMAL = "I-VT-normal Data export_short.tsv"
RIGHT_EYE = "I-VT-rightEye Data export_short.tsv"
STRICT_120 = "I-VT-StrictAverage_frequency120_movingAverageData export_short.tsv"


@pytest.fixture(scope="module")
def right_eye(real_data: Path) -> list[Recording]:
    return read_tobii_prolab(real_data / PRO_LAB / RIGHT_EYE)


def test_prolab_splits_by_presented_stimulus_in_file_order(right_eye: list[Recording]) -> None:
    assert [(r.participant, r.stimulus) for r in right_eye] == [
        ("Alex", None),
        ("Alex", "Eyetracker Calibration"),
        ("Alex", "chimsky.png"),
    ]
    assert [len(r) for r in right_eye] == [243, 3190, 1439]
    assert all(r.attributes["recording"] == "Alex3" for r in right_eye)
    assert all(r.kind == "samples" and r.device == "Tobii" for r in right_eye)


def test_prolab_rows_and_dropped_sensor_rows_add_up(right_eye: list[Recording]) -> None:
    # 5,000 data rows = 4,872 eye tracker + 120 mouse + 8 event rows
    assert sum(r.report.rows_in for r in right_eye) == 5000
    assert sum(r.report.rows_kept for r in right_eye) == 4872
    assert sum(r.report.dropped["non_gaze_row"] for r in right_eye) == 128


def test_prolab_first_and_last_values(right_eye: list[Recording]) -> None:
    pre, calibration, image = right_eye
    # line 3: Recording timestamp 203, Gaze point 901/387, Unclassified
    assert (pre.t0, pre.x[0], pre.y[0], pre.extra["movement"][0]) == (203, 901, 387, "unclassified")
    assert calibration.t0 == 1013
    assert (calibration.x[0], calibration.y[0]) == (835, 289)
    assert calibration.t[-1] == 11643 - 1013
    assert image.t0 == 11647
    assert (image.x[0], image.y[0]) == (958, 508)
    # last row: 16445, no gaze point, EyesNotFound
    assert image.t[-1] == 16445 - 11647
    assert np.isnan(image.x[-1])
    assert not image.valid[-1]
    assert image.extra["movement"][-1] == "eyesnotfound"
    assert image.extra["pupil"][0] == pytest.approx(3.379)  # "3,379": decimal comma
    assert np.nanmin(image.x) == 949
    assert np.nanmax(image.x) == 1344


def test_prolab_validity_media_and_screen(right_eye: list[Recording]) -> None:
    assert [int(r.valid.sum()) for r in right_eye] == [217, 3069, 374]
    image = right_eye[2]
    assert image.attributes["media_x"] == 405
    assert image.attributes["media_width"] == 1110
    assert image.attributes["media_height"] == 865
    assert "media_x" not in right_eye[1].attributes
    assert all(r.screen is not None and r.screen.width_px == 1920 for r in right_eye)
    assert all(r.screen is not None and r.screen.height_px == 1080 for r in right_eye)
    assert right_eye[0].sampling_rate == 300


def test_prolab_movement_labels_are_lowercase_vendor_names(real_data: Path) -> None:
    recs = read(real_data / PRO_LAB / STRICT_120)
    counts = Counter(m for r in recs for m in r.extra["movement"])
    assert set(counts) == {"fixation", "saccade", "eyesnotfound", "unclassified"}
    assert sum(counts.values()) == 4910
    assert recs[0].sampling_rate == 120
    calibration = recs[1]
    assert calibration.stimulus == "Eyetracker Calibration"
    assert len(calibration) == 4794
    assert (calibration.t0, calibration.t[-1] + calibration.t0) == (1081, 41023)
    assert np.nanmin(calibration.x) == -159
    assert np.nanmax(calibration.x) == 2035
    np.testing.assert_array_equal(calibration.extra["movement_index"][-2:], [75, 75])


def test_prolab_normal_export(real_data: Path) -> None:
    recs = read(real_data / PRO_LAB / NORMAL)
    assert [len(r) for r in recs] == [263, 4597]
    assert [int(r.valid.sum()) for r in recs] == [230, 4564]
    last = recs[1]
    assert (last.t0 + last.t[-1], last.x[-1], last.y[-1]) == (16400, 1203, 771)
    assert last.extra["movement"][-1] == "saccade"


def test_prolab_microsecond_timestamps_and_point_decimals(tmp_path: Path) -> None:
    header = "Recording timestamp [μs]\tSensor\tParticipant name\tGaze point X [DACS px]\tGaze point Y [DACS px]\tValidity left\tValidity right"
    rows = [
        "1000500\tEye Tracker\tP1\t10.5\t20\tValid\tInvalid",
        "1004000\tMouse\tP1\t\t\t\t",
        "1008833\tEye Tracker\tP1\t11\t21.25\tInvalid\tInvalid",
    ]
    path = tmp_path / "export.tsv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    [rec] = read(path)
    assert rec.t0 == pytest.approx(1000.5)
    np.testing.assert_allclose(rec.t, [0, 8.333])
    np.testing.assert_array_equal(rec.x, [10.5, 11])
    np.testing.assert_array_equal(rec.valid, [True, False])
    assert rec.report.dropped["non_gaze_row"] == 1
    assert rec.report.rows_in == 3


def test_prolab_missing_gaze_column_lists_columns(tmp_path: Path) -> None:
    path = tmp_path / "export.tsv"
    path.write_text("Recording timestamp [ms]\tGaze point X [DACS px]\tSensor\n0\t1\tEye Tracker\n")
    with pytest.raises(FormatError, match=r"missing .*'y'.*found columns") as info:
        read(path)
    assert info.value.line == 1


def test_prolab_truncated_row_names_its_line(tmp_path: Path) -> None:
    header = "Recording timestamp [ms]\tSensor\tGaze point X [DACS px]\tGaze point Y [DACS px]"
    path = tmp_path / "export.tsv"
    path.write_text(f"{header}\n0\tEye Tracker\t1\t2\n3\tEye Tracker\t1\n", encoding="utf-8")
    with pytest.raises(FormatError, match="expected 4 tab-separated fields") as info:
        read(path)
    assert (info.value.line, info.value.column) == (3, "Gaze point Y [DACS px]")


def test_prolab_only_mouse_rows_is_an_error(tmp_path: Path) -> None:
    header = "Recording timestamp [ms]\tSensor\tGaze point X [DACS px]\tGaze point Y [DACS px]"
    path = tmp_path / "export.tsv"
    path.write_text(f"{header}\n0\tMouse\t\t\n", encoding="utf-8")
    with pytest.raises(FormatError, match="no eye-tracker sample rows"):
        read(path)


# --- Tobii Studio --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def studio(real_data: Path) -> list[Recording]:
    return read_tobii_studio(real_data / "tobii-studio-webpage-export" / "tobiiData.tsv")


def test_studio_splits_by_media(studio: list[Recording]) -> None:
    assert [(r.participant, r.stimulus) for r in studio] == [
        ("P01", None),
        ("P01", "http://www.drewmstiles.com/ (CRC)"),
    ]
    assert [len(r) for r in studio] == [1047, 1863]
    assert sum(r.report.rows_in for r in studio) == 2920
    assert sum(r.report.dropped["non_gaze_row"] for r in studio) == 10


def test_studio_values(studio: list[Recording]) -> None:
    before, page = studio
    assert (before.t0, before.x[0], before.y[0]) == (5, 985, 580)
    assert before.t0 + before.t[-1] == 24244  # rows after URLEnd are off the page again
    assert (page.t0, page.x[0], page.y[0]) == (4513, 180, 50)
    assert (page.t0 + page.t[-1], page.x[-1], page.y[-1]) == (20028, 1005, 343)
    assert [int(r.valid.sum()) for r in studio] == [970, 1747]
    assert Counter(page.extra["movement"]) == {"fixation": 844, "saccade": 731, "unclassified": 288}
    assert page.screen is not None
    assert (page.screen.width_px, page.screen.height_px) == (1920, 1080)
    assert page.attributes["media_width"] == 1864
    assert page.attributes["media_x"] == 30
    # the page moved down 22 px during the visit: per-sample, not an attribute
    assert Counter(page.extra["media_y"].tolist()) == {77.0: 1616, 99.0: 247}
    assert page.sampling_rate == 120
    assert page.extra["fixation_index"][1] == 15


def test_studio_scroll_column_becomes_extra(tmp_path: Path) -> None:
    header = "RecordingTimestamp\tEyeTrackerTimestamp\tGazePointX (ADCSpx)\tGazePointY (ADCSpx)\tValidityLeft\tValidityRight\tScrollY"
    path = tmp_path / "studio.tsv"
    path.write_text(
        f"{header}\n10\t100\t5\t6\t0\t4\t0\n18\t108\t5\t6\t4\t4\t120\n", encoding="utf-8"
    )
    [rec] = read(path)
    np.testing.assert_array_equal(rec.extra["scroll_y"], [0, 120])
    np.testing.assert_array_equal(rec.valid, [True, False])


def test_rows_without_a_timestamp_are_counted(tmp_path: Path) -> None:
    header = "Recording timestamp [ms]\tSensor\tGaze point X [DACS px]\tGaze point Y [DACS px]"
    path = tmp_path / "export.tsv"
    path.write_text(f"{header}\n0\tEye Tracker\t1\t2\n\tEye Tracker\t1\t2\n", encoding="utf-8")
    [rec] = read(path)
    assert len(rec) == 1
    assert rec.report.dropped == {"no_timestamp": 1}
    assert rec.report.rows_in == 2


def test_bad_decimal_option(real_data: Path) -> None:
    with pytest.raises(InvalidInputError, match="decimal must be"):
        read_tobii_prolab(real_data / PRO_LAB / NORMAL, decimal=";")


def test_invalid_utf8_in_a_tobii_export_names_line_and_offset(tmp_path: Path) -> None:
    header = "Recording timestamp [ms]\tSensor\tParticipant name\tGaze point X [DACS px]\tGaze point Y [DACS px]"
    path = tmp_path / "export.tsv"
    path.write_bytes((header + "\n0\tEye Tracker\tJos\xe9\t1\t2\n").encode("latin-1"))
    with pytest.raises(FormatError, match="is not valid utf-8") as info:
        read(path)
    assert info.value.line == 2


def test_several_participants_and_media_in_one_export(tmp_path: Path) -> None:
    header = "Recording timestamp [ms]\tSensor\tParticipant name\tRecording name\tPresented Media name\tGaze point X [DACS px]\tGaze point Y [DACS px]"
    rows = [
        "0\tEye Tracker\tAnna\tRec1\ta.png\t1\t1",
        "8\tEye Tracker\tAnna\tRec1\tb.png\t2\t2",
        "0\tEye Tracker\tBen\tRec2\ta.png\t3\t3",
        "16\tEye Tracker\tAnna\tRec1\ta.png\t4\t4",
        "8\tMouse\tBen\tRec2\ta.png\t\t",
    ]
    path = tmp_path / "export.tsv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    recs = read(path)
    assert [(r.participant, r.stimulus, r.attributes["recording"]) for r in recs] == [
        ("Anna", "a.png", "Rec1"),
        ("Anna", "b.png", "Rec1"),
        ("Ben", "a.png", "Rec2"),
    ]
    np.testing.assert_array_equal(recs[0].x, [1, 4])
    np.testing.assert_array_equal(recs[0].t, [0, 16])
    assert recs[2].report.dropped == {"non_gaze_row": 1}
