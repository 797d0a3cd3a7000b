"""SMI iView X text export: real EMIP recordings, eye selection, metadata, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gazemap.errors import FormatError, InvalidInputError
from gazemap.formats import detect_format, read
from gazemap.formats.smi import read_smi, sniff

EMIP = "emip-smi-code-reading"


@pytest.fixture(scope="module")
def emip(real_data: Path) -> Path:
    return real_data / EMIP


def test_reads_one_recording_per_stimulus_message_in_file_order(emip: Path) -> None:
    recs = read_smi(emip / "rawdata" / "46_rawdata.tsv")
    assert [r.stimulus for r in recs] == [
        None,
        "instruction_calibration.jpg",
        "instruction_comprehension.jpg",
        "vehicle_java2.jpg",
        "mupliple_choice_vehicle.jpg",
        "instruction_comprehension.jpg",
        "rectangle_java2.jpg",
        "mupliple_choice_rectangle.jpg",
    ]
    assert sum(len(r) for r in recs) == 11222  # "## Number of Samples: 11222"
    assert sum(int(r.valid.sum()) for r in recs) == 10542
    assert all(r.kind == "samples" and r.participant == "46" for r in recs)


def test_first_and_last_values_match_the_file(emip: Path) -> None:
    recs = read_smi(emip / "rawdata" / "46_rawdata.tsv")
    first, vehicle, last = recs[0], recs[3], recs[-1]
    assert first.t0 == pytest.approx(110266.603)  # Time 110266603 µs
    assert (first.x[0], first.y[0]) == pytest.approx((1049.87, 578.34))
    assert first.t[1] == pytest.approx(16.707)
    # first SMP after "# Message: vehicle_java2.jpg": 366937746  … 988.71  392.96
    assert vehicle.t0 == pytest.approx(366937.746)
    assert (vehicle.x[0], vehicle.y[0]) == pytest.approx((988.71, 392.96))
    assert vehicle.t[0] == 0.0
    assert (last.x[-1], last.y[-1]) == pytest.approx((525.86, 345.00))
    assert last.t0 + last.t[-1] == pytest.approx(530585.012)


def test_header_gives_rate_screen_and_device(emip: Path) -> None:
    rec = read_smi(emip / "rawdata" / "134_rawdata.tsv")[0]
    assert rec.sampling_rate == 250.0
    assert rec.screen is not None
    assert (rec.screen.width_px, rec.screen.height_px) == (1920, 1080)
    assert (rec.screen.width_mm, rec.screen.height_mm, rec.screen.distance_mm) == (344, 194, 700)
    assert rec.device == "SMI iView X 4.2.0.0"
    assert rec.extra["pupil"][0] == pytest.approx((3.94 + 3.72) / 2)


def test_lost_eye_is_invalid_and_average_uses_the_remaining_eye(emip: Path) -> None:
    path = emip / "rawdata" / "134_rawdata.tsv"
    # line 67: left Validity 0, right Validity 1, R POR 278.96 494.68 (10th sample after onset)
    avg = read_smi(path)[1]
    left = read_smi(path, eye="left")[1]
    right = read_smi(path, eye="right")[1]
    assert avg.stimulus == "instruction_calibration.jpg"
    assert avg.valid[9]
    assert right.valid[9]
    assert not left.valid[9]
    assert (avg.x[9], avg.y[9]) == pytest.approx((278.96, 494.68))
    assert np.isnan(left.x[9])
    # (0, 0) POR with both validities 0 is a lost sample
    lost = np.flatnonzero(~avg.valid)
    assert lost.size > 0
    assert np.isnan(avg.x[lost]).all()


def test_split_false_gives_one_recording(emip: Path) -> None:
    (rec,) = read_smi(emip / "rawdata" / "156_rawdata.tsv", split=False)
    assert len(rec) == 10939
    assert rec.stimulus is None


def test_attributes_from_the_metadata_table(emip: Path) -> None:
    recs = read_smi(
        emip / "rawdata" / "134_rawdata.tsv",
        attributes_from=emip / "emip_metadata.csv",
        attributes_columns=["age", "gender", "visual_aid"],
    )
    assert recs[0].attributes == {"age": 27, "gender": "male", "visual_aid": "no"}
    assert all(r.attributes == recs[0].attributes for r in recs)


def test_attributes_table_without_the_id_column_is_a_format_error(
    emip: Path, tmp_path: Path
) -> None:
    table = tmp_path / "meta.csv"
    table.write_text("subject,age\n46,25\n")
    with pytest.raises(FormatError, match="'id'"):
        read_smi(emip / "rawdata" / "46_rawdata.tsv", attributes_from=table)


def test_unknown_eye_option_is_rejected(emip: Path) -> None:
    with pytest.raises(InvalidInputError, match="eye must be"):
        read_smi(emip / "rawdata" / "46_rawdata.tsv", eye="both")  # type: ignore[arg-type]


def test_sniff_recognises_the_export_and_not_other_text(emip: Path) -> None:
    head = (emip / "rawdata" / "46_rawdata.tsv").read_bytes()[:65536]
    assert sniff(head, Path("46_rawdata.tsv")) > 0.9
    assert sniff(b"Time,X,Y\n1,2,3\n", Path("a.csv")) == 0.0


# --- malformed input -----------------------------------------------------------------

HEADER = (
    "## [iView]\n## Sample Rate:\t250\n## Calibration Area:\t1920\t1080\n"
    "Time\tType\tTrial\tL POR X [px]\tL POR Y [px]\tL Validity\n"
)


def _write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "x.txt"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("content", "message", "line"),
    [
        ("", "column header", 1),
        ("## [iView]\n## Sample Rate:\t250\n", "column header", 3),
        (HEADER, "SMP sample rows", None),
        (HEADER + "1000\tSMP\t1\t10.5\t20.5\t1\n2000\tSMP\t1\t11", "expected 6 fields", 6),
        (HEADER + "1000\tSMP\t1\tabc\t20.5\t1\n", "expected a number", 5),
        ("## [iView]\nTime,Type,Trial,L POR X [px]\n1,SMP,1,2\n", "Time<TAB>Type", 2),
        (b"## [iView]\n\xff\xfe\x00\x01garbage\n", "binary", 2),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary", 1),
    ],
)
def test_malformed_files_raise_format_error_with_location(
    tmp_path: Path, content: str | bytes, message: str, line: int | None
) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(FormatError, match=message) as info:
        read_smi(path)
    assert info.value.path == str(path)
    assert info.value.line == line


def test_missing_por_columns_for_the_requested_eye(tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + "1000\tSMP\t1\t10.5\t20.5\t1\n")
    with pytest.raises(FormatError, match="eye='right'"):
        read_smi(path, eye="right")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=10**6),
            st.floats(min_value=-3000, max_value=5000, allow_nan=False).map(lambda v: round(v, 2)),
            st.floats(min_value=-3000, max_value=5000, allow_nan=False).map(lambda v: round(v, 2)),
            st.sampled_from([0, 1]),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_generated_samples_round_trip(
    tmp_path: Path, rows: list[tuple[int, float, float, int]]
) -> None:
    times = np.cumsum([r[0] for r in rows]) + 10**9
    body = "".join(
        f"{t}\tSMP\t1\t{x:.2f}\t{y:.2f}\t{v}\n" for t, (_, x, y, v) in zip(times, rows, strict=True)
    )
    (rec,) = read_smi(_write(tmp_path, HEADER + body))
    expect_valid = np.array([v == 1 and not (x == 0 and y == 0) for _, x, y, v in rows])
    np.testing.assert_array_equal(rec.valid, expect_valid)
    xs = np.array([r[1] for r in rows])
    np.testing.assert_allclose(rec.x[expect_valid], xs[expect_valid])
    np.testing.assert_allclose(rec.t, (times - times[0]) / 1000.0)
    assert rec.t0 == pytest.approx(times[0] / 1000.0)


def test_auto_detection_picks_the_smi_reader(emip: Path) -> None:
    for path in sorted((emip / "rawdata").glob("*_rawdata.tsv")):
        assert detect_format(path) == "smi"
        recs = read(path, eye="left")
        assert [len(r) for r in recs] == [len(r) for r in read_smi(path, eye="left")]


def test_begaze_event_info_becomes_lowercase_movement(tmp_path: Path) -> None:
    header = HEADER.replace("L Validity\n", "L Validity\tL Event Info\n")
    body = (
        "1000\tSMP\t1\t10.5\t20.5\t1\tFixation\n"
        "5000\tSMP\t1\t11.5\t20.5\t1\tSaccade\n"
        "9000\tMSG\t1\t# Message: page.png\n"
        "9000\tSMP\t1\t0.00\t0.00\t0\tBlink\n"
        "13000\tSMP\t1\t12.5\t21.5\t1\t-\n"
    )
    first, page = read_smi(_write(tmp_path, header + body))
    assert list(first.extra["movement"]) == ["fixation", "saccade"]
    assert page.stimulus == "page.png"
    assert list(page.extra["movement"]) == ["blink", "unclassified"]
    assert list(page.valid) == [False, True]


def test_rows_of_other_types_are_counted_as_non_gaze_rows(tmp_path: Path) -> None:
    body = (
        "1000\tSMP\t1\t10.5\t20.5\t1\n"
        "2000\tUE\t1\tsomething\n"
        "3000\tMSG\t1\t# Message: a.jpg\n"
        "4000\tSMP\t1\t11.5\t20.5\t1\n"
        "5000\tUE\t1\tx\n"
        "6000\tUE\t1\ty\n"
    )
    first, second = read_smi(_write(tmp_path, HEADER + body))
    assert first.report.to_dict()["dropped"] == {"non_gaze_row": 1}
    assert (first.report.rows_in, first.report.rows_kept) == (2, 1)
    assert second.report.dropped["non_gaze_row"] == 2
    assert len(second) == 1
